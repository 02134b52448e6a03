/* The estimators for other languages (build/libinfoplane.so; python/infoplane/estimators.py calls
 * it through ctypes): the entropy and mutual information `infoplane entropy` and `infoplane mi`
 * compute, with the same options given as the same strings ("--estimator", "kde", "--noise",
 * "0.1", ...), parsed by the same code (cli/estimator_args.c), so the numbers are the command
 * line's to the last bit on the same doubles.
 *
 * Ownership: the caller owns every array and string; the library reads them during the call only
 * and keeps nothing. Matrices are row-major doubles, m rows of d values, lda >= d doubles apart.
 * Returns 0 on success (the result in *out, nats), else non-zero with ip_capi_error() saying why.
 * Thread-safe as far as the estimators are (each call stands alone). */
#ifndef IP_CAPI_H
#define IP_CAPI_H

#define IP_CAPI_VERSION 1

int ip_capi_version(void);

/* H(A) in nats (`infoplane entropy A OPTIONS`; options: --estimator, estimator parameters, --bound). */
int ip_capi_entropy(const double *a, int m, int d, int lda, int n_opts, const char *const *opts, double *out);

/* I(A;B) in nats (`infoplane mi A B OPTIONS`). */
int ip_capi_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, int n_opts,
               const char *const *opts, double *out);

/* I(A;Y) in nats for integer class labels y[m] in 0..K-1 (`infoplane mi A Y --labels OPTIONS`). */
int ip_capi_mi_labels(const double *a, int m, int da, int lda, const int *y, int n_opts, const char *const *opts,
                      double *out);

/* Why the last failed call of this thread failed; owned by the library, valid until this
 * thread's next call. */
const char *ip_capi_error(void);

#endif
