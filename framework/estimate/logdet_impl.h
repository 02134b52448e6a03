/* Internals shared by the LogDet library (logdet.c) and its per-run block route (logdet_run.c):
 * centring/scaling columns into a work matrix, and logdet(I + Z^T Z) by Cholesky.
 * Not a public header: callers outside framework/estimate use logdet.h and logdet_run.h. */
#ifndef IP_LOGDET_IMPL_H
#define IP_LOGDET_IMPL_H

#include "logdet.h"

#include <stddef.h>

/* Column scale after centring: cov sqrt(beta/m); pearson sqrt(beta / (sumsq + eps)), where sumsq
 * is the centred column's sum of squares. Z = A_c diag(s) then gives I + beta C = I + Z^T Z. */
double ip_ld_scale(ip_logdet_mode mode, double beta, int m, double sumsq);

/* Centre the columns of a (m x d, lda) into z (m x *kept, ldz); scale them by ip_ld_scale when
 * `scale` is nonzero (else leave them centred only). A constant column (every entry equal to the
 * first, compared exactly) is dropped when `drop_constant`, else written as exact zeros: its
 * contribution to any logdet is exactly 0 either way. sumsq (optional, d entries) receives each
 * kept column's centred sum of squares. Fails with IP_ERR_NUMERIC naming `what` on NaN/Inf. */
int ip_ld_prepare(const double *a, int m, int d, int lda, ip_logdet_mode mode, double beta, int scale,
                  int drop_constant, double *z, int ldz, int *kept, double *sumsq, const char *what);

/* In-place Cholesky of the upper triangle of a (n x n) and logdet = 2 sum log U_ii. */
int ip_ld_chol_logdet(int n, double *a, int lda, double *logdet, const char *what);

/* 2 sum_{i<n} log U_ii of an already factored matrix (a leading block of a bigger factor). */
double ip_ld_factor_logdet(int n, const double *u, int ldu);

/* logdet(I + Z^T Z) for z (m x k, ldz), through the k x k form when k <= m and the Sylvester
 * m x m form logdet(I + Z Z^T) otherwise. */
int ip_ld_logdet_gram(const double *z, int m, int k, int ldz, double *logdet, const char *what);

/* A work matrix of `bytes` for the LogDet code, released with free(): 64-byte aligned, and from a
 * few MB up 2 MB aligned and advised onto transparent huge pages (first-touch page faults of 4 KB
 * pages dominated a stand-alone I(X;T) on MNIST). Zeroed when `zero`, else zeroed only when small.
 * NULL with IP_ERR_NOMEM's message on failure. */
void *ip_ld_alloc(size_t bytes, int zero);

/* Argument checks shared by every entry point. */
int ip_ld_check_args(int m, int d, int ld, ip_logdet_mode mode, double beta, const char *what);

#endif
