/* Row-major wrappers over OpenBLAS's CBLAS and LAPACKE. */
#include "blas.h"
#include "status.h"

#include <stdlib.h>

#include <cblas.h>
#include <lapacke.h>

static CBLAS_TRANSPOSE tr(int t) { return t ? CblasTrans : CblasNoTrans; }

void ip_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, tr(trans_a), tr(trans_b), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void ip_dgemm(int trans_a, int trans_b, int m, int n, int k, double alpha, const double *a, int lda,
              const double *b, int ldb, double beta, double *c, int ldc)
{
    cblas_dgemm(CblasRowMajor, tr(trans_a), tr(trans_b), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void ip_dsyrk(int trans_a, int n, int k, double alpha, const double *a, int lda, double beta, double *c,
              int ldc)
{
    cblas_dsyrk(CblasRowMajor, CblasUpper, tr(trans_a), n, k, alpha, a, lda, beta, c, ldc);
}

int ip_dpotrf_upper(int n, double *a, int lda, const char *what)
{
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', n, a, lda);
    if (info < 0) return ip_fail(IP_ERR, "%s: dpotrf: argument %d is invalid", what, (int)-info);
    if (info > 0)
        return ip_fail(IP_ERR_NUMERIC, "%s: matrix is not positive definite (leading minor %d)", what,
                       (int)info);
    return IP_OK;
}

int ip_dpotrf_upper_inplace(int n, double *a, int lda, const char *what)
{
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, a, lda); /* row-major U^T U = A */
    if (info < 0) return ip_fail(IP_ERR, "%s: dpotrf: argument %d is invalid", what, (int)-info);
    if (info > 0)
        return ip_fail(IP_ERR_NUMERIC, "%s: matrix is not positive definite (leading minor %d)", what,
                       (int)info);
    return IP_OK;
}

void ip_dtrsm_upper_trans_left(int n, int nrhs, const double *u, int ldu, double *b, int ldb)
{
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, n, nrhs, 1.0, u, ldu, b, ldb);
}

void ip_dtrsm_upper_right(int m, int n, const double *u, int ldu, double *b, int ldb)
{
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, n, 1.0, u, ldu, b, ldb);
}

int ip_dsyev_values(int n, double *a, int lda, double *w, int two_stage, const char *what)
{
    if (n == 0) return IP_OK;
    /* The row-major upper triangle is the column-major lower one in the same memory: no copy. */
    double qw = 0;
    lapack_int qi = 0, info;
    info = two_stage ? LAPACKE_dsyevd_2stage_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, lda, w, &qw, -1, &qi, -1)
                     : LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, lda, w, &qw, -1, &qi, -1);
    if (info != 0) return ip_fail(IP_ERR, "%s: dsyevd workspace query failed (info %d)", what, (int)info);
    lapack_int lw = (lapack_int)qw, liw = qi > 1 ? qi : 1;
    double *work = malloc((size_t)(lw > 1 ? lw : 1) * sizeof *work); /* freed below */
    lapack_int *iwork = malloc((size_t)liw * sizeof *iwork);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return ip_fail(IP_ERR_NOMEM, "%s: out of memory for the eigenvalue workspace (n = %d)", what, n);
    }
    info = two_stage ? LAPACKE_dsyevd_2stage_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, lda, w, work, lw, iwork, liw)
                     : LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'L', n, a, lda, w, work, lw, iwork, liw);
    free(work);
    free(iwork);
    if (info < 0) return ip_fail(IP_ERR, "%s: dsyevd: argument %d is invalid", what, (int)-info);
    if (info > 0) return ip_fail(IP_ERR_NUMERIC, "%s: the eigenvalue iteration did not converge (%d)", what, (int)info);
    return IP_OK;
}

void ip_blas_set_threads(int n)
{
    if (n > 0) openblas_set_num_threads(n);
}

int ip_blas_threads(void) { return openblas_get_num_threads(); }

const char *ip_blas_config(void) { return openblas_get_config(); }

const char *ip_blas_core(void) { return openblas_get_corename(); }
