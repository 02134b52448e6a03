/* The KDE bounds on the entropy of T + N(0, s^2 I) (Kolchinsky & Tracey 2017, as Saxe et al.
 * 2018 use them): the upper bound from the KL divergence between mixture components, the lower
 * from the Bhattacharyya distance. Pairwise squared distances through one SYRK. Formulas and
 * what the numbers mean: docs/kde.md. Everything in nats. */
#ifndef IP_KDE_H
#define IP_KDE_H

#include "mi_terms.h"

typedef enum { IP_KDE_UPPER = 0, IP_KDE_LOWER } ip_kde_bound;
extern const char *const ip_kde_bound_names[]; /* "upper", "lower"; NULL-terminated */

typedef struct {
    double noise;       /* the noise variance s^2: > 0, finite; default 0.1 (Saxe et al.'s 1e-1) */
    ip_kde_bound bound; /* for the single-value calls; the plane gives both */
} ip_kde_params;

void ip_kde_params_default(ip_kde_params *p);
int ip_kde_params_check(const ip_kde_params *p); /* IP_OK or IP_ERR with a message */

/* The bound of H(A + N) (p->bound) for the m x d row-major matrix a, m >= 1:
 *   upper: d/2 - (1/m) sum_i log[(1/m) sum_j exp(-|a_i - a_j|^2 / (2 s^2))] + (d/2) log(2 pi s^2)
 *   lower: the same with 4 s^2 in place of s^2, plus (d/2) log(1/4).
 * log-sum-exp with the row maximum factored out (no underflow to -inf). NaN/Inf is an error. */
int ip_kde_entropy(const double *a, int m, int d, int lda, const ip_kde_params *p, double *h_nats);

/* H(A + N | the noise) = (d/2) log(2 pi e s^2): the conditional entropy I(X;T) subtracts. */
double ip_kde_noise_entropy(int d, double noise);

/* I(A;B) as H(A+N) + H(B+N) - H([A B]+N), each with the same bound: an estimate, not a bound. */
int ip_kde_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, const ip_kde_params *p,
              double *mi_nats, ip_mi_terms *terms);

/* I(A;Y) = H(A+N) - sum_y p(y) H(A+N | Y=y), each term with the same bound (Saxe et al.).
 * terms: h_a = H(A+N), h_b = H(Y) (plug-in), h_ab = h_a + h_b - mi. */
int ip_kde_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes, const ip_kde_params *p,
                     double *mi_nats, ip_mi_terms *terms);

/* One layer of an information plane, both bounds from one distance matrix:
 * I(X;T) = H(T+N) - (d/2) log(2 pi e s^2), I(T;Y) as ip_kde_mi_labels. p->bound is ignored.
 * i_xt[0], i_ty[0]: upper bound; i_xt[1], i_ty[1]: lower bound. */
int ip_kde_plane(const double *t, int m, int d, int ldt, const int *y, int n_classes, const ip_kde_params *p,
                 double i_xt[2], double i_ty[2]);

#endif
