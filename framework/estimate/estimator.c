/* Dispatch of the one estimator interface (estimator.h) to the estimators' own files, and the
 * expansion of a choice of estimators and parameter lists into settings. */
#include "estimator.h"
#include "estimators.h"

#include "core/names.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int ip_estimator_kind_of(const char *name) { return ip_name_find(ip_estimator_names, name); }

void ip_estimator_default(ip_estimator *e, ip_estimator_kind kind)
{
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->logdet.mode = IP_MODE_COV;
    ip_binning_params_default(&e->binning);
    ip_kde_params_default(&e->kde);
    ip_renyi_params_default(&e->renyi);
    ip_ksg_params_default(&e->ksg);
}

int ip_estimator_check(const ip_estimator *e)
{
    switch (e->kind) {
    case IP_EST_LOGDET:
        if (!(e->logdet.beta >= 0) || !isfinite(e->logdet.beta) || !(e->logdet.layer_beta >= 0) ||
            !isfinite(e->logdet.layer_beta))
            return ip_fail(IP_ERR, "logdet: beta must be a positive number (or 0 for the paper's default)");
        return IP_OK;
    case IP_EST_BINNING: return ip_binning_params_check(&e->binning);
    case IP_EST_KDE: return ip_kde_params_check(&e->kde);
    case IP_EST_RENYI: return ip_renyi_params_check(&e->renyi);
    case IP_EST_KSG: return ip_ksg_params_check(&e->ksg);
    default: return ip_fail(IP_ERR, "estimator kind %d does not exist", (int)e->kind);
    }
}

void ip_estimator_setting(const ip_estimator *e, char *mode, size_t cap, double *param)
{
    switch (e->kind) {
    case IP_EST_LOGDET:
        snprintf(mode, cap, "%s", ip_logdet_mode_name(e->logdet.mode));
        *param = e->logdet.beta;
        break;
    case IP_EST_BINNING:
        if (e->binning.range == IP_BIN_FIXED) snprintf(mode, cap, "fixed[%g:%g]", e->binning.lo, e->binning.hi);
        else snprintf(mode, cap, "%s", ip_name_of(ip_binning_range_names, (int)e->binning.range));
        *param = e->binning.range == IP_BIN_WIDTH ? e->binning.width : (double)e->binning.bins;
        break;
    case IP_EST_KDE:
        snprintf(mode, cap, "%s", ip_name_of(ip_kde_bound_names, (int)e->kde.bound));
        *param = e->kde.noise;
        break;
    case IP_EST_RENYI:
        snprintf(mode, cap, "alpha=%g", e->renyi.alpha);
        *param = e->renyi.sigma;
        break;
    case IP_EST_KSG:
        snprintf(mode, cap, "ksg1");
        *param = e->ksg.k;
        break;
    default: snprintf(mode, cap, "?"), *param = 0;
    }
}

const char *ip_estimator_param_name(const ip_estimator *e)
{
    switch (e->kind) {
    case IP_EST_LOGDET: return "beta";
    case IP_EST_BINNING: return e->binning.range == IP_BIN_WIDTH ? "width" : "bins";
    case IP_EST_KDE: return "noise";
    case IP_EST_RENYI: return "sigma";
    case IP_EST_KSG: return "k";
    default: return "?";
    }
}

int ip_estimator_entropy(const ip_estimator *e, const double *a, int m, int d, int lda, double *h_nats)
{
    int rc = ip_estimator_check(e);
    if (rc != IP_OK) return rc;
    switch (e->kind) {
    case IP_EST_LOGDET:
        return ip_logdet_entropy(a, m, d, lda, e->logdet.mode,
                                 e->logdet.beta > 0 ? e->logdet.beta : ip_logdet_paper_beta(d), h_nats);
    case IP_EST_BINNING: return ip_binning_entropy(a, m, d, lda, &e->binning, h_nats, NULL, NULL);
    case IP_EST_KDE: return ip_kde_entropy(a, m, d, lda, &e->kde, h_nats);
    case IP_EST_RENYI: return ip_renyi_entropy(a, m, d, lda, &e->renyi, h_nats);
    case IP_EST_KSG: return ip_ksg_entropy(a, m, d, lda, &e->ksg, h_nats);
    default: return ip_fail(IP_ERR, "estimator kind %d does not exist", (int)e->kind);
    }
}

int ip_estimator_mi(const ip_estimator *e, const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                    double *mi_nats, ip_mi_terms *terms)
{
    int rc = ip_estimator_check(e);
    if (rc != IP_OK) return rc;
    switch (e->kind) {
    case IP_EST_LOGDET: {
        ip_logdet_terms t;
        rc = ip_logdet_mi(a, m, da, lda, b, db, ldb, e->logdet.mode,
                          e->logdet.beta > 0 ? e->logdet.beta : ip_logdet_paper_beta(da + db), mi_nats, &t);
        if (rc == IP_OK && terms) terms->h_a = t.h_a, terms->h_b = t.h_b, terms->h_ab = t.h_ab, terms->mi = t.mi;
        return rc;
    }
    case IP_EST_BINNING: return ip_binning_mi(a, m, da, lda, b, db, ldb, &e->binning, mi_nats, terms);
    case IP_EST_KDE: return ip_kde_mi(a, m, da, lda, b, db, ldb, &e->kde, mi_nats, terms);
    case IP_EST_RENYI: return ip_renyi_mi(a, m, da, lda, b, db, ldb, &e->renyi, mi_nats, terms);
    case IP_EST_KSG: return ip_ksg_mi(a, m, da, lda, b, db, ldb, &e->ksg, mi_nats, terms);
    default: return ip_fail(IP_ERR, "estimator kind %d does not exist", (int)e->kind);
    }
}

int ip_estimator_mi_labels(const ip_estimator *e, const double *a, int m, int d, int lda, const int *y,
                           int n_classes, double *mi_nats, ip_mi_terms *terms)
{
    int rc = ip_estimator_check(e);
    if (rc != IP_OK) return rc;
    switch (e->kind) {
    case IP_EST_LOGDET: {
        ip_logdet_terms t;
        rc = ip_logdet_mi_labels(a, m, d, lda, y, n_classes, e->logdet.mode,
                                 e->logdet.beta > 0 ? e->logdet.beta : ip_logdet_paper_beta(d + n_classes), mi_nats,
                                 &t);
        if (rc == IP_OK && terms) terms->h_a = t.h_a, terms->h_b = t.h_b, terms->h_ab = t.h_ab, terms->mi = t.mi;
        return rc;
    }
    case IP_EST_BINNING: return ip_binning_mi_labels(a, m, d, lda, y, n_classes, &e->binning, mi_nats, terms);
    case IP_EST_KDE: return ip_kde_mi_labels(a, m, d, lda, y, n_classes, &e->kde, mi_nats, terms);
    case IP_EST_RENYI: return ip_renyi_mi_labels(a, m, d, lda, y, n_classes, &e->renyi, mi_nats, terms);
    case IP_EST_KSG: return ip_ksg_mi_labels(a, m, d, lda, y, n_classes, &e->ksg, mi_nats, terms);
    default: return ip_fail(IP_ERR, "estimator kind %d does not exist", (int)e->kind);
    }
}

/* ---- choices ---- */

void ip_estimator_choice_default(ip_estimator_choice *c)
{
    memset(c, 0, sizeof *c);
    ip_estimator e;
    ip_estimator_default(&e, IP_EST_LOGDET);
    c->n_kinds = 1;
    c->kinds[0] = IP_EST_LOGDET;
    c->logdet_mode = IP_MODE_COV;
    c->bin_range = e.binning.range;
    c->bin_lo = e.binning.lo, c->bin_hi = e.binning.hi;
    c->n_bins = 1, c->bins[0] = e.binning.bins;
    c->n_width = 1, c->width[0] = e.binning.width;
    c->n_noise = 1, c->noise[0] = e.kde.noise;
    c->n_alpha = 1, c->alpha[0] = e.renyi.alpha;
    c->n_sigma = 1, c->sigma[0] = e.renyi.sigma;
    c->n_k = 1, c->k[0] = e.ksg.k;
}

/* Appends e after checking it; fails past IP_EST_MAX_SETTINGS. */
static int add(ip_estimator *out, int *n, const ip_estimator *e)
{
    if (*n == IP_EST_MAX_SETTINGS)
        return ip_fail(IP_ERR, "more than %d estimator settings in one analysis: run it in parts", IP_EST_MAX_SETTINGS);
    int rc = ip_estimator_check(e);
    if (rc != IP_OK) return rc;
    out[(*n)++] = *e;
    return IP_OK;
}

int ip_estimator_choice_expand(const ip_estimator_choice *c, ip_estimator *out, int *n_out)
{
    int n = 0, rc = IP_OK;
    *n_out = 0;
    for (int i = 0; i < c->n_kinds && rc == IP_OK; i++) {
        ip_estimator e;
        ip_estimator_default(&e, c->kinds[i]);
        switch (c->kinds[i]) {
        case IP_EST_LOGDET:
            e.logdet.mode = c->logdet_mode, e.logdet.beta = c->logdet_beta, e.logdet.layer_beta = c->logdet_layer_beta;
            rc = add(out, &n, &e);
            break;
        case IP_EST_BINNING:
            e.binning.range = c->bin_range, e.binning.lo = c->bin_lo, e.binning.hi = c->bin_hi;
            if (c->bin_range == IP_BIN_WIDTH)
                for (int j = 0; j < c->n_width && rc == IP_OK; j++) e.binning.width = c->width[j], rc = add(out, &n, &e);
            else
                for (int j = 0; j < c->n_bins && rc == IP_OK; j++) e.binning.bins = c->bins[j], rc = add(out, &n, &e);
            break;
        case IP_EST_KDE:
            for (int j = 0; j < c->n_noise && rc == IP_OK; j++) e.kde.noise = c->noise[j], rc = add(out, &n, &e);
            break;
        case IP_EST_RENYI:
            for (int j = 0; j < c->n_alpha && rc == IP_OK; j++)
                for (int q = 0; q < c->n_sigma && rc == IP_OK; q++)
                    e.renyi.alpha = c->alpha[j], e.renyi.sigma = c->sigma[q], rc = add(out, &n, &e);
            break;
        case IP_EST_KSG:
            for (int j = 0; j < c->n_k && rc == IP_OK; j++) e.ksg.k = c->k[j], rc = add(out, &n, &e);
            break;
        default: rc = ip_fail(IP_ERR, "estimator kind %d does not exist", (int)c->kinds[i]);
        }
    }
    if (rc == IP_OK) *n_out = n;
    return rc;
}
