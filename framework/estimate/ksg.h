/* The KSG mutual-information estimator (Kraskov, Stoegbauer & Grassberger 2004, algorithm 1):
 * max-norm in the joint space, eps_i the distance to the k-th neighbour, n_x(i) and n_y(i) the
 * marginal counts strictly within eps_i; I = psi(k) + psi(m) - <psi(n_x + 1) + psi(n_y + 1)>.
 * Brute force over pairs (kd-trees do not help in the dimensions of network layers). Formulas,
 * the labels' variant and what the numbers mean: docs/ksg.md. Everything in nats. */
#ifndef IP_KSG_H
#define IP_KSG_H

#include "mi_terms.h"

typedef struct {
    int k; /* neighbours: 1 <= k < m; default 3 */
} ip_ksg_params;

void ip_ksg_params_default(ip_ksg_params *p);
int ip_ksg_params_check(const ip_ksg_params *p); /* IP_OK or IP_ERR with a message */

/* I(A;B), algorithm 1. Needs m > k. terms: entropies NaN, mi set. */
int ip_ksg_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, const ip_ksg_params *p,
              double *mi_nats, ip_mi_terms *terms);

/* I(A;Y) with discrete labels: the KSG idea with the label as the exact-match side (Ross 2014):
 * I = psi(m) - <psi(m_y)> + psi(k) - <psi(n_i + 1)>, the k-th neighbour taken within the
 * sample's class (classes with <= k samples are left out, as Ross does). */
int ip_ksg_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes, const ip_ksg_params *p,
                     double *mi_nats, ip_mi_terms *terms);

/* H(A) by the Kozachenko-Leonenko estimator KSG is built on, in the max-norm:
 * psi(m) - psi(k) + (d/m) sum_i log(2 r_i), r_i the distance to the k-th neighbour.
 * Duplicate points (r_i = 0) make it -inf: an error saying so. */
int ip_ksg_entropy(const double *a, int m, int d, int lda, const ip_ksg_params *p, double *h_nats);

/* The max-norm distances of all pairs of rows of a (m x m, row-major, into d_out): the input
 * side of a run is fixed, so its distances are computed once and reused for every layer. */
int ip_ksg_distances(const double *a, int m, int d, int lda, double *d_out);

/* I(A;B) given the max-norm distance matrices of both sides (as ip_ksg_distances makes them). */
int ip_ksg_mi_distances(const double *da, const double *db, int m, const ip_ksg_params *p, double *mi_nats);

/* I(A;Y) (Ross, as ip_ksg_mi_labels) given A's max-norm distance matrix (as ip_ksg_distances makes
 * it): a run that already has a layer's distances for I(X;T) does not compute them again. */
int ip_ksg_mi_labels_distances(const double *dist, int m, const int *y, int n_classes, const ip_ksg_params *p,
                               double *mi_nats);

/* The digamma function at a positive integer, psi(n) = -gamma + sum_{j<n} 1/j, to about 1e-16
 * relative (the sum below 40, the asymptotic series from there). */
double ip_digamma_int(int n);

#endif
