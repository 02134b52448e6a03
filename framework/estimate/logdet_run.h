/* The LogDet block route for a whole run: the input X and the labels Y are fixed, so their
 * factors are computed once (ip_logdet_run_create) and every recorded epoch then costs one GEMM
 * and one SYRK over [T_1 ... T_L Y] plus small factorisations (ip_logdet_run_epoch). */
#ifndef IP_LOGDET_RUN_H
#define IP_LOGDET_RUN_H

#include "logdet.h"

typedef struct ip_logdet_run ip_logdet_run; /* opaque */

/* How an epoch forms the input's cross products X_c^T Z_T (docs/logdet.md, "The sparse route"):
 * dense, one DGEMM with the whitened input F (the reference path); or sparse, over the nonzeros of
 * the raw X only, centred by a rank-one correction and whitened by a triangular solve. AUTO: the
 * environment's IP_LOGDET_SPARSE=0 (dense) or 1 (sparse) when set, else sparse when the input's
 * non-constant columns hold fewer than IP_LOGDET_SPARSE_MAX_DENSITY nonzeros (MNIST: 26%). */
typedef enum {
    IP_LOGDET_X_AUTO = 0,
    IP_LOGDET_X_DENSE = 1,
    IP_LOGDET_X_SPARSE = 2,
} ip_logdet_x_route;

/* The measured break-even: on one thread, 570 x 3000 random inputs against 1094 columns, the
 * sparse product plus its triangular solve took 0.73 / 0.89 / 0.99 / 1.15 / 1.58 times the DGEMM's
 * time at 25 / 30 / 35 / 40 / 50% nonzeros (BENCHMARKS.md, LogDet). */
#define IP_LOGDET_SPARSE_MAX_DENSITY 0.35

typedef struct {
    ip_logdet_mode mode;
    double beta;       /* for H(X), H(T), H(Y) and the joints; 0: 100 * d_X (the paper's code) */
    double layer_beta; /* for I(T_l;T_l+1); 0: 100 * (d_l + d_l+1) (the paper's code) */
    ip_logdet_x_route x_route; /* 0 (AUTO) unless a test or benchmark forces a route */
} ip_logdet_run_settings;

/* Prepare the run: x is m x d_x (row-major, leading dimension d_x), y holds m labels in
 * [0, n_classes), units[l] the width of layer l. A negative or non-finite beta is an error, and
 * so is IP_LOGDET_SPARSE set to anything but 0 or 1. Copies what it needs; the caller keeps x and y.
 * Release with ip_logdet_run_free. */
int ip_logdet_run_create(ip_logdet_run **run, const double *x, int m, int d_x, const int *y, int n_classes,
                         int n_layers, const int *units, const ip_logdet_run_settings *settings);

/* One recorded epoch: layers[l] is m x units[l] (leading dimension units[l]). Writes, in nats,
 * i_xt[l] = I(X;T_l), i_ty[l] = I(T_l;Y) for every layer, i_tt[l] = I(T_l;T_l+1) for
 * l < n_layers - 1, and h_t[l] = H(T_l) (any output may be NULL). Memory is allocated once in
 * create: an epoch allocates nothing proportional to the number of epochs. */
int ip_logdet_run_epoch(ip_logdet_run *run, const double *const *layers, double *i_xt, double *i_ty,
                        double *i_tt, double *h_t);

/* The fixed terms H(X) and H(Y) (nats) and the betas in use after defaults were applied. */
double ip_logdet_run_hx(const ip_logdet_run *run);
double ip_logdet_run_hy(const ip_logdet_run *run);
double ip_logdet_run_beta(const ip_logdet_run *run);
double ip_logdet_run_layer_beta(const ip_logdet_run *run, int l); /* beta of I(T_l;T_l+1) */

/* 1 when epochs take the sparse route for X (see ip_logdet_x_route), else 0 (also when X has no
 * non-constant column or more of them than samples: no cross products are formed then); and the
 * fraction of nonzeros in X's non-constant columns that decided it (0 when there are none). */
int ip_logdet_run_sparse(const ip_logdet_run *run);
double ip_logdet_run_x_density(const ip_logdet_run *run);

void ip_logdet_run_free(ip_logdet_run *run); /* safe on NULL */

#endif
