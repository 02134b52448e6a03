/* The matrix-based Renyi alpha-entropy (Giraldo, Rao & Principe 2014; Yu et al. on networks):
 * a Gaussian Gram matrix normalised to unit trace, entropy from its eigenvalues (LAPACK's
 * eigenvalue-only driver), joint entropy from the Hadamard product. Formulas, the kernel-width
 * rule and what the numbers mean: docs/renyi.md. Everything in nats (the papers use log2:
 * bits = nats / ln 2). */
#ifndef IP_RENYI_H
#define IP_RENYI_H

#include "mi_terms.h"

typedef struct {
    double alpha; /* > 0, != 1, finite; default 1.01 */
    double sigma; /* kernel width > 0; 0: the width rule (docs/renyi.md), per matrix */
} ip_renyi_params;

void ip_renyi_params_default(ip_renyi_params *p);
int ip_renyi_params_check(const ip_renyi_params *p); /* IP_OK or IP_ERR with a message */

/* The kernel width the rule gives for an m x d matrix (sigma = 0 above). */
double ip_renyi_rule_sigma(int m, int d);

/* The normalised Gram matrix A = K / tr(K), K_ij = exp(-|a_i - a_j|^2 / (2 sigma^2)), of the
 * m x d matrix a, into g (m x m, row-major, caller's memory). sigma > 0. */
int ip_renyi_gram(const double *a, int m, int d, int lda, double sigma, double *g);
/* The normalised Gram of labels: K_ij = 1 when y_i == y_j, else 0 (the one-hot rows' kernel for
 * any sigma < infinity... see docs), divided by its trace. */
int ip_renyi_gram_labels(const int *y, int m, double *g);

/* S_alpha of a normalised Gram g (m x m, unit trace; destroyed): log(sum_i lambda_i^alpha) /
 * (1 - alpha), negative eigenvalues from rounding clipped to 0. */
int ip_renyi_entropy_gram(double *g, int m, double alpha, double *h_nats);

/* S_alpha of the joint: the Hadamard product of two normalised Grams, renormalised. ga and gb
 * are kept; work is m x m scratch. */
int ip_renyi_joint_entropy_gram(const double *ga, const double *gb, int m, double alpha, double *work,
                                double *h_nats);

/* S_alpha of the joint of a normalised Gram g with labels y (the label Gram: 1 for the same class,
 * else 0): the Hadamard product is block-diagonal by class, so its eigenvalues are those of the
 * per-class blocks (far cheaper than one m x m eigensolve). g is kept; work is m x m scratch. */
int ip_renyi_joint_entropy_labels(const double *g, int m, const int *y, int n_classes, double alpha, double *work,
                                  double *h_nats);

/* Which LAPACK eigenvalue-only driver the entropies use (core/blas.h ip_dsyev_values). AUTO, the
 * default: the two-stage dsyevd_2stage when BLAS runs on one thread, else plain dsyevd (measured
 * on m = 3000 with OpenBLAS 0.3.21: the two-stage driver is 15-20% faster on one thread but about
 * twice as slow on two, its bulge chasing being serial; docs/renyi.md). The others force one, for
 * tests and benchmarks; process-wide, not to be changed while an estimate runs. */
typedef enum { IP_RENYI_EIG_AUTO = 0, IP_RENYI_EIG_PLAIN, IP_RENYI_EIG_TWO_STAGE } ip_renyi_eig_driver;
void ip_renyi_set_eig_driver(ip_renyi_eig_driver driver);

/* Convenience forms on data: H(A), I(A;B) = S(A) + S(B) - S(A,B), I(A;Y) with the label Gram.
 * sigma 0: each side its own rule width. */
int ip_renyi_entropy(const double *a, int m, int d, int lda, const ip_renyi_params *p, double *h_nats);
int ip_renyi_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, const ip_renyi_params *p,
                double *mi_nats, ip_mi_terms *terms);
int ip_renyi_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes,
                       const ip_renyi_params *p, double *mi_nats, ip_mi_terms *terms);

#endif
