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

/* BLAS thread count: set (0 = leave OpenBLAS's default) and query. */
void ip_blas_set_threads(int n);
int ip_blas_threads(void);
/* OpenBLAS's configuration string (version, core type), for run metadata. */
const char *ip_blas_config(void);
const char *ip_blas_core(void);

#endif
