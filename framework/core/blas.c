/* Row-major wrappers over OpenBLAS's CBLAS and LAPACKE. */
#include "blas.h"
#include "parallel.h"
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

/* Triangular solves in fixed blocks of TRSM_BLOCK independent rows (or columns) of B, each solved
 * by single-threaded BLAS: OpenBLAS's threaded dtrsm gives other last bits on 1 and 2 threads
 * for some shapes (n = 500, 700, 1700 with 128 right-hand sides here), the blocks do not. */
#define TRSM_BLOCK 64

typedef struct {
    CBLAS_ORDER order;
    CBLAS_SIDE side;
    CBLAS_UPLO uplo;
    CBLAS_TRANSPOSE trans;
    int rows, cols;  /* of B */
    const double *t; /* the triangle */
    int ldt;
    double *b;
    int ldb;
    int by_rows;     /* blocks of B's rows (side right), else of its columns (side left) */
} trsm_job;

static void trsm_blocks(void *ctx, int begin, int end, int worker)
{
    const trsm_job *j = ctx;
    (void)worker;
    for (int blk = begin; blk < end; blk++) {
        int r0 = blk * TRSM_BLOCK, len = (j->by_rows ? j->rows : j->cols) - r0;
        if (len > TRSM_BLOCK) len = TRSM_BLOCK;
        /* the first row (column) of the block: rows are ldb apart in row-major, 1 in column-major */
        int row_major = j->order == CblasRowMajor;
        size_t step = j->by_rows ? (row_major ? (size_t)j->ldb : 1) : (row_major ? 1 : (size_t)j->ldb);
        cblas_dtrsm(j->order, j->side, j->uplo, j->trans, CblasNonUnit, j->by_rows ? len : j->rows,
                    j->by_rows ? j->cols : len, 1.0, j->t, j->ldt, j->b + (size_t)r0 * step, j->ldb);
    }
}

static void trsm_fixed_blocks(trsm_job *j)
{
    int n = j->by_rows ? j->rows : j->cols, blocks = (n + TRSM_BLOCK - 1) / TRSM_BLOCK;
    if (blocks >= 2) {
        ip_parallel_for_blas(blocks, 1, trsm_blocks, j); /* BLAS on one thread in every body */
        return;
    }
    int threads = ip_blas_threads();
    if (threads > 1) ip_blas_set_threads(1);
    trsm_blocks(j, 0, blocks, 0);
    if (threads > 1) ip_blas_set_threads(threads);
}

/* The blocked right-looking Cholesky of the column-major lower triangle (L = U^T in the same
 * memory): per block column of POTRF_BLOCK, LAPACK's unblocked dpotf2 on the diagonal block (it
 * never threads), dtrsm for the panel below it and dsyrk for the trailing matrix. OpenBLAS splits
 * those two over their output, never over a sum, so every element is the same sum in the same
 * order on any number of threads (dtrsm in fixed blocks, see trsm_fixed_blocks); its own dpotrf
 * switches to another recursion when threaded, and the last bits of the factor (and of every
 * LogDet value) then followed the thread count. */
#define POTRF_BLOCK 128

int ip_dpotrf_upper_inplace(int n, double *a, int lda, const char *what)
{
    for (int k = 0; k < n; k += POTRF_BLOCK) {
        lapack_int b = n - k < POTRF_BLOCK ? n - k : POTRF_BLOCK, ld = lda, info = 0;
        double *akk = a + k + (size_t)k * lda;
        LAPACK_dpotf2("L", &b, akk, &ld, &info);
        if (info < 0) return ip_fail(IP_ERR, "%s: dpotf2: argument %d is invalid", what, (int)-info);
        if (info > 0)
            return ip_fail(IP_ERR_NUMERIC, "%s: matrix is not positive definite (leading minor %d)", what,
                           k + (int)info);
        int rest = n - k - (int)b;
        if (rest <= 0) break;
        double *panel = akk + b; /* rows k+b.., columns k..k+b-1 */
        trsm_job j = {CblasColMajor, CblasRight, CblasLower, CblasTrans, rest, (int)b, akk, lda, panel, lda, 1};
        trsm_fixed_blocks(&j);
        cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, rest, (int)b, -1.0, panel, lda, 1.0,
                    panel + (size_t)b * lda, lda);
    }
    return IP_OK;
}

void ip_dtrsm_upper_trans_left(int n, int nrhs, const double *u, int ldu, double *b, int ldb)
{
    trsm_job j = {CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, n, nrhs, u, ldu, b, ldb, 0};
    trsm_fixed_blocks(&j);
}

void ip_dtrsm_upper_right(int m, int n, const double *u, int ldu, double *b, int ldb)
{
    trsm_job j = {CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, m, n, u, ldu, b, ldb, 1};
    trsm_fixed_blocks(&j);
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
