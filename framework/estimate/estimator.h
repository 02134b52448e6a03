/* One small interface over every estimator (LogDet, binning, KDE, Renyi, KSG): an estimator
 * with its parameters is a value (ip_estimator); entropy, MI and the information plane of a run
 * are asked of it the same way, so analyze, mi, entropy and the online analysis share one code
 * path. The formulas live in each estimator's own file (logdet.c, binning.c, kde.c, renyi.c,
 * ksg.c); this file only dispatches. Everything in nats. */
#ifndef IP_ESTIMATOR_H
#define IP_ESTIMATOR_H

#include <stddef.h>

#include "binning.h"
#include "kde.h"
#include "ksg.h"
#include "logdet.h"
#include "mi_terms.h"
#include "renyi.h"

typedef enum { IP_EST_LOGDET = 0, IP_EST_BINNING, IP_EST_KDE, IP_EST_RENYI, IP_EST_KSG, IP_EST_COUNT } ip_estimator_kind;

typedef struct {
    ip_estimator_kind kind;
    struct {
        ip_logdet_mode mode;
        double beta;       /* 0: the paper's default (100 * d_X for a run, 100 * (d_A + d_B) for mi) */
        double layer_beta; /* runs only, for I(T_l;T_l+1); 0: the paper's default */
    } logdet;
    ip_binning_params binning;
    ip_kde_params kde;
    ip_renyi_params renyi;
    ip_ksg_params ksg;
} ip_estimator;

/* Every estimator kind with its default parameters. */
void ip_estimator_default(ip_estimator *e, ip_estimator_kind kind);
/* IP_OK, or IP_ERR with a message naming the parameter that is out of range. */
int ip_estimator_check(const ip_estimator *e);

/* The setting as results name it (docs/estimators.md): `mode` is the estimator's variant
 * (logdet: cov|pearson; binning: layer|unit|fixed[LO,HI]|width; kde: upper|lower, the bound the
 * single-value calls give; renyi: alpha=A; ksg: ksg1) and `param` its main number (logdet beta,
 * binning bins (width: the bin width), kde noise variance, renyi sigma (0: the width rule), ksg k).
 * Together with the name they tell one setting from another in analysis/NAME.csv. */
void ip_estimator_setting(const ip_estimator *e, char *mode, size_t cap, double *param);

/* The name of the parameter `param` is ("beta", "bins", "width", "noise", "sigma", "k"). */
const char *ip_estimator_param_name(const ip_estimator *e);

/* H(A), I(A;B), I(A;Y) with the estimator's parameters (LogDet beta 0: 100 * (d_A + d_B) for MI,
 * 100 * d_A for entropy). KSG has an entropy through Kozachenko-Leonenko (ksg.h). KDE gives the
 * bound e->kde.bound. terms may be NULL. */
int ip_estimator_entropy(const ip_estimator *e, const double *a, int m, int d, int lda, double *h_nats);
int ip_estimator_mi(const ip_estimator *e, const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                    double *mi_nats, ip_mi_terms *terms);
int ip_estimator_mi_labels(const ip_estimator *e, const double *a, int m, int d, int lda, const int *y,
                           int n_classes, double *mi_nats, ip_mi_terms *terms);

/* ---- the information plane of a run: X and Y fixed, layers change every epoch ---- */

typedef struct ip_plane ip_plane; /* opaque */

/* What one estimator gives per layer and epoch. A setting is one row set in the results: KDE
 * gives two (upper, lower bound), every other one. */
#define IP_PLANE_MAX_SETTINGS 2
int ip_plane_n_settings(const ip_plane *p);
/* The mode text of setting s (see ip_estimator_setting; KDE: "upper", "lower"). */
const char *ip_plane_setting_mode(const ip_plane *p, int s);
double ip_plane_param(const ip_plane *p);

/* Prepare: x is m x d_x, y holds m labels in [0, n_classes), units[l] the width of layer l.
 * Caches what every epoch reuses (LogDet: the input's factor; Renyi: the input's and labels'
 * Grams; KSG: the input's distances). Copies what it needs. Release with ip_plane_free. */
int ip_plane_create(ip_plane **p, const ip_estimator *e, const double *x, int m, int d_x, const int *y,
                    int n_classes, int n_layers, const int *units);

/* One recorded epoch: layers[l] is m x units[l]. Writes i_xt[s * n_layers + l] and
 * i_ty[s * n_layers + l] for each setting s (nats). extra: per estimator, per layer, may be NULL:
 *   logdet: extra[l] = H(T_l), extra[n_layers + l] = I(T_l;T_l+1) (l < n_layers - 1)
 *   binning: extra[2 l], extra[2 l + 1] = the smallest lo and largest hi of the bin edges used
 *   renyi: extra[l] = the sigma used for T_l
 * (size: 2 * n_layers doubles is always enough). */
int ip_plane_epoch(ip_plane *p, const double *const *layers, double *i_xt, double *i_ty, double *extra);

/* Fixed per run: LogDet H(X), H(Y) and the betas after defaults; 0 for other estimators. */
double ip_plane_logdet_hx(const ip_plane *p);
double ip_plane_logdet_hy(const ip_plane *p);
double ip_plane_logdet_layer_beta(const ip_plane *p, int l);

void ip_plane_free(ip_plane *p); /* safe on NULL */

/* ---- which estimators, with which parameters: what analyze runs ---- */

/* The most values one parameter list takes, and the most settings one analysis runs. */
#define IP_EST_MAX_VALUES 16
#define IP_EST_MAX_SETTINGS 32

/* The choice a config (analysis:) or a command line (--estimator ... --bins 10,30,100) makes:
 * estimator names plus a list of values per parameter. Every combination of one estimator's
 * lists is a setting of its own (binning: each bin count, or each width when range is WIDTH;
 * kde: each noise; renyi: each alpha x each sigma; ksg: each k; logdet: one). Filled by
 * config/ and cli/, expanded by ip_estimator_choice_expand. */
typedef struct {
    int n_kinds;
    ip_estimator_kind kinds[IP_EST_COUNT]; /* in the order given, no repeats */
    ip_logdet_mode logdet_mode;
    double logdet_beta, logdet_layer_beta; /* 0: the paper's defaults */
    ip_binning_range bin_range;
    double bin_lo, bin_hi;                 /* FIXED */
    int n_bins, bins[IP_EST_MAX_VALUES];
    int n_width; double width[IP_EST_MAX_VALUES]; /* WIDTH */
    int n_noise; double noise[IP_EST_MAX_VALUES];
    int n_alpha; double alpha[IP_EST_MAX_VALUES];
    int n_sigma; double sigma[IP_EST_MAX_VALUES]; /* 0: the width rule */
    int n_k, k[IP_EST_MAX_VALUES];
} ip_estimator_choice;

/* LogDet alone, cov mode, the paper's betas; every list its estimator's one default. */
void ip_estimator_choice_default(ip_estimator_choice *c);

/* The settings, in the order of c->kinds (IP_OK; IP_ERR with a message when there are more
 * than IP_EST_MAX_SETTINGS or a parameter is out of range). */
int ip_estimator_choice_expand(const ip_estimator_choice *c, ip_estimator *out, int *n_out);

/* "logdet" -> IP_EST_LOGDET ...; -1 for an unknown name. ip_estimator_names (estimators.h) is the
 * name table, in the order of ip_estimator_kind. */
int ip_estimator_kind_of(const char *name);

#endif
