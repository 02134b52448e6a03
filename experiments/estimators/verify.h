/* The estimator-verification experiment (SPEC 6.1; Zhouyin & Liu, arXiv 2105.03705, section IV
 * and the authors' analysis.py): shared by verify.c (the four experiments), verify_data.c (the
 * data generators and closed-form truths) and verify_plot.c (the .dat tables and gnuplot
 * scripts). Not a library interface: a program split in three files. */
#ifndef IP_VERIFY_H
#define IP_VERIFY_H

#include <stdio.h>

#include "core/rng.h"

/* ---- data (verify_data.c); every matrix row-major, m rows (samples) x d columns ---- */

/* The paper's "degree of uncertainty": x = u * noise + (1 - u) * 1, noise a fixed m x d draw of
 * N(0, 1) (drawn once per d by the caller, as analysis.py's compareEntropy does). */
void vd_uncertainty(double *x, const double *noise, int m, int d, double u);

/* m samples of N(0, Sigma), Sigma = (1 - c) 1 1^T + c I, 0 <= c <= 1: x_k = sqrt(1-c) g + sqrt(c) z_k
 * with one shared g per sample, which has exactly that covariance. */
void vd_equicorrelated(double *x, int m, int d, double c, ip_rng *rng);
/* 1/2 logdet(2 pi e Sigma) of that Sigma (eigenvalues c (d-1 times) and c + d (1-c)); -inf at c=0. */
double vd_equicorrelated_entropy(int d, double c);
/* LogDet's large-m limit 1/2 logdet(I + beta Sigma) for the same Sigma. */
double vd_equicorrelated_logdet_target(int d, double c, double beta);

/* d independent pairs (x_k, y_k) with correlation rho: x = z1, y = rho z1 + sqrt(1-rho^2) z2. */
void vd_correlated_pairs(double *x, double *y, int m, int d, double rho, ip_rng *rng);
/* -d/2 log(1 - rho^2) */
double vd_pairs_mi(int d, double rho);

/* m x d standard normals. */
void vd_normal(double *x, size_t n, double scale, ip_rng *rng);

/* T = act(w * XW) for the precomputed product xw (m x d); act 0 = tanh, 1 = relu. */
void vd_activate(double *t, const double *xw, size_t n, double w, int relu);

/* ---- figures (verify_plot.c) ---- */

enum { VS_EST = 0, VS_TRUTH, VS_TARGET, VS_REF };

#define VP_MAX_SERIES 8
#define VP_MAX_PANELS 8

typedef struct {
    char label[96];
    int style;  /* VS_*: estimator (solid, its colour), truth (black dashed), a target of an
                   estimator (its colour, dashed), a reference line (grey dotted) */
    int colour; /* estimator kind (ip_estimator_kind) for VS_EST / VS_TARGET */
} vp_series;

/* One figure: n_panels panels on a rows x cols grid, each with the same x values and series;
 * val[(p * n_series + s) * n_x + i] (NaN: no value, skipped). */
typedef struct {
    const char *title, *xlabel, *ylabel;
    int rows, cols, n_panels, n_x, n_series;
    char panel[VP_MAX_PANELS][96];
    vp_series series[VP_MAX_SERIES];
    const double *x, *val;
    int normalise; /* 1: every series min-max scaled to [0, 10] within its panel (the paper's
                      normalisation); reference lines (VS_REF) are then left out */
    const char *note; /* one line under the title, or NULL */
} vp_figure;

/* Writes DIR/BASE.dat and DIR/BASE.gp (which renders BASE.png when `gnuplot BASE.gp` is run in
 * DIR). Returns 0, or -1 with a message on stderr. */
int vp_write(const char *dir, const char *base, const vp_figure *f);

/* Line colour of an estimator kind, the same in every figure. */
const char *vp_colour(int kind);

#endif
