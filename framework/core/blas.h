/* The one BLAS/LAPACKE wrapper: every matrix product in infoplane goes through here.
 * All matrices are row-major. C <- alpha * op(A) op(B) + beta * C, op = transpose when
 * the trans flag is nonzero; shapes are of op(A): m x k, op(B): k x n, C: m x n. */
#ifndef IP_BLAS_H
#define IP_BLAS_H

void ip_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

void ip_dgemm(int trans_a, int trans_b, int m, int n, int k, double alpha, const double *a, int lda,
              const double *b, int ldb, double beta, double *c, int ldc);

/* Upper triangle of C (n x n) <- alpha * A^T A + beta * C when trans_a, A being k x n;
 * or alpha * A A^T + beta * C when !trans_a, A being n x k. */
void ip_dsyrk(int trans_a, int n, int k, double alpha, const double *a, int lda, double beta, double *c,
              int ldc);

/* Cholesky of the upper triangle of the n x n SPD matrix a (in place, row-major).
 * Returns IP_OK, or IP_ERR_NUMERIC with a message naming `what` when a is not
 * positive definite. */
int ip_dpotrf_upper(int n, double *a, int lda, const char *what);

/* Solve U^T X = B for X in place (B is n x nrhs), U upper triangular from ip_dpotrf_upper. */
void ip_dtrsm_upper_trans_left(int n, int nrhs, const double *u, int ldu, double *b, int ldb);

/* Same contract as ip_dpotrf_upper, without LAPACKE's row-major path, which copies the matrix
 * to column-major and back (up to half the time of a 1500 x 1500 factorisation): the upper
 * triangle of a row-major matrix is the lower triangle of the column-major one in the same
 * memory, so a column-major 'L' factor L = U^T is written exactly where U belongs.
 * No NaN scan either (the LogDet code checks its inputs). Unlike OpenBLAS's dpotrf, the factor is
 * bit-identical on any BLAS thread count (a blocked factorisation of our own over dpotf2, dtrsm
 * and dsyrk; ip_dpotrf_upper is the plain LAPACK reference it is tested against). Added for the
 * LogDet estimator. */
int ip_dpotrf_upper_inplace(int n, double *a, int lda, const char *what);

/* Solve X U = B for X in place (B is m x n), U (n x n) upper triangular from ip_dpotrf_upper:
 * B <- B U^{-1}. Added for the LogDet block route (the whitened input F = Z_X U_X^{-1}). */
void ip_dtrsm_upper_right(int m, int n, const double *u, int ldu, double *b, int ldb);

/* The eigenvalues of the symmetric n x n matrix a (row-major; only its upper triangle is read;
 * destroyed) into w (n values, ascending), no eigenvectors. two_stage: LAPACK's dsyevd_2stage,
 * whose band reduction is BLAS-3 (several times faster than dsytrd's half BLAS-2 reduction for
 * eigenvalues only); else plain dsyevd, kept as the reference the two-stage driver is tested
 * against. Returns IP_OK, IP_ERR_NOMEM, or IP_ERR_NUMERIC naming `what` when the QR iteration does
 * not converge. Added for the matrix-based Renyi entropy. */
int ip_dsyev_values(int n, double *a, int lda, double *w, int two_stage, const char *what);

/* BLAS thread count: set (0 = leave OpenBLAS's default) and query. */
void ip_blas_set_threads(int n);
int ip_blas_threads(void);
/* OpenBLAS's configuration string (version, core type), for run metadata. */
const char *ip_blas_config(void);
const char *ip_blas_core(void);

#endif
