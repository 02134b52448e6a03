/* The information plane of a run through the one estimator interface (estimator.h): what stays
 * fixed for a run (the input X, the labels Y) is prepared once in ip_plane_create, and each
 * recorded epoch then gives I(X;T_l) and I(T_l;Y) for every layer. */
#include "estimator.h"
#include "logdet_run.h"

#include "core/mem.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ip_plane {
    ip_estimator e;
    int m, n_layers, n_classes, max_units;
    int *units, *y;
    ip_logdet_run *lr; /* logdet */
    double h_x;        /* renyi: S(X) */
    double h_y;        /* renyi: S(Y) */
    double *gx, *gy;   /* renyi: the normalised Grams of X and Y (m x m) */
    double *dx;        /* ksg: the max-norm distances of X (m x m) */
    double *g, *work;  /* renyi: a layer's Gram and scratch; ksg: a layer's distances (g) */
    double *edges;     /* binning: lo and hi of every unit of the widest layer (2 max_units) */
    char mode[IP_PLANE_MAX_SETTINGS][64]; /* ip_plane_setting_mode's texts */
};

int ip_plane_n_settings(const ip_plane *p) { return p->e.kind == IP_EST_KDE ? 2 : 1; }

const char *ip_plane_setting_mode(const ip_plane *p, int s) { return p->mode[s > 0 && s < ip_plane_n_settings(p) ? s : 0]; }

double ip_plane_param(const ip_plane *p)
{
    if (p->e.kind == IP_EST_LOGDET) return ip_logdet_run_beta(p->lr);
    char mode[64];
    double param;
    ip_estimator_setting(&p->e, mode, sizeof mode, &param);
    return param;
}

double ip_plane_logdet_hx(const ip_plane *p) { return p->lr ? ip_logdet_run_hx(p->lr) : 0; }
double ip_plane_logdet_hy(const ip_plane *p) { return p->lr ? ip_logdet_run_hy(p->lr) : 0; }
double ip_plane_logdet_layer_beta(const ip_plane *p, int l) { return p->lr ? ip_logdet_run_layer_beta(p->lr, l) : 0; }

void ip_plane_free(ip_plane *p)
{
    if (!p) return;
    ip_logdet_run_free(p->lr);
    free(p->units);
    free(p->y);
    free(p->gx);
    free(p->gy);
    free(p->dx);
    free(p->g);
    free(p->work);
    free(p->edges);
    free(p);
}

static double sigma_for(const ip_plane *p, int d) { return p->e.renyi.sigma > 0 ? p->e.renyi.sigma : ip_renyi_rule_sigma(p->m, d); }

/* Renyi: the Grams of X and Y and their entropies, once. */
static int prepare_renyi(ip_plane *p, const double *x, int d_x)
{
    size_t mm = (size_t)p->m * p->m;
    if (!(p->gx = ip_aligned_alloc(mm * sizeof *p->gx)) || !(p->gy = ip_aligned_alloc(mm * sizeof *p->gy)) ||
        !(p->g = ip_aligned_alloc(mm * sizeof *p->g)) || !(p->work = ip_aligned_alloc(mm * sizeof *p->work)))
        return IP_ERR_NOMEM;
    int rc = ip_renyi_gram(x, p->m, d_x, d_x, sigma_for(p, d_x), p->gx);
    if (rc == IP_OK) rc = ip_renyi_gram_labels(p->y, p->m, p->gy);
    if (rc == IP_OK) memcpy(p->work, p->gx, mm * sizeof *p->work), rc = ip_renyi_entropy_gram(p->work, p->m, p->e.renyi.alpha, &p->h_x);
    if (rc == IP_OK) memcpy(p->work, p->gy, mm * sizeof *p->work), rc = ip_renyi_entropy_gram(p->work, p->m, p->e.renyi.alpha, &p->h_y);
    return rc;
}

int ip_plane_create(ip_plane **out, const ip_estimator *e, const double *x, int m, int d_x, const int *y,
                    int n_classes, int n_layers, const int *units)
{
    *out = NULL;
    int rc = ip_estimator_check(e);
    if (rc != IP_OK) return rc;
    if (m < 1 || d_x < 1 || n_layers < 1 || n_classes < 1)
        return ip_fail(IP_ERR, "information plane: need samples, inputs, layers and classes (got %d, %d, %d, %d)", m,
                       d_x, n_layers, n_classes);
    ip_plane *p = ip_calloc(1, sizeof *p);
    if (!p) return IP_ERR_NOMEM;
    p->e = *e, p->m = m, p->n_layers = n_layers, p->n_classes = n_classes;
    rc = IP_ERR_NOMEM;
    if (!(p->units = ip_malloc((size_t)n_layers * sizeof *p->units)) || !(p->y = ip_malloc((size_t)m * sizeof *p->y)))
        goto fail;
    memcpy(p->units, units, (size_t)n_layers * sizeof *units);
    memcpy(p->y, y, (size_t)m * sizeof *y);
    for (int l = 0; l < n_layers; l++) p->max_units = units[l] > p->max_units ? units[l] : p->max_units;
    if (e->kind == IP_EST_KDE) { /* both bounds from one plane */
        for (int s = 0; s < 2; s++) snprintf(p->mode[s], sizeof p->mode[s], "%s", ip_kde_bound_names[s]);
    } else {
        double param;
        ip_estimator_setting(e, p->mode[0], sizeof p->mode[0], &param);
    }
    switch (e->kind) {
    case IP_EST_LOGDET: {
        ip_logdet_run_settings s = {e->logdet.mode, e->logdet.beta, e->logdet.layer_beta, IP_LOGDET_X_AUTO};
        rc = ip_logdet_run_create(&p->lr, x, m, d_x, y, n_classes, n_layers, units, &s);
        break;
    }
    case IP_EST_RENYI: rc = prepare_renyi(p, x, d_x); break;
    case IP_EST_BINNING: /* nothing of X; a buffer for the bin edges of a layer */
        if (!(p->edges = ip_malloc(2 * (size_t)p->max_units * sizeof *p->edges))) goto fail;
        rc = IP_OK;
        break;
    case IP_EST_KSG:
        if (!(p->dx = ip_aligned_alloc((size_t)m * m * sizeof *p->dx)) ||
            !(p->g = ip_aligned_alloc((size_t)m * m * sizeof *p->g)))
            goto fail;
        rc = ip_ksg_distances(x, m, d_x, d_x, p->dx);
        break;
    default: rc = IP_OK; /* KDE needs nothing of X */
    }
    if (rc != IP_OK) goto fail;
    *out = p;
    return IP_OK;
fail:
    ip_plane_free(p);
    return rc;
}

/* Renyi, one layer: I(X;T) = S(X) + S(T) - S(X,T), I(T;Y) = S(T) + S(Y) - S(T,Y). */
static int renyi_layer(ip_plane *p, const double *t, int d, double *i_xt, double *i_ty, double *sigma)
{
    size_t mm = (size_t)p->m * p->m;
    double alpha = p->e.renyi.alpha, h_t, h_xt, h_ty;
    *sigma = sigma_for(p, d);
    int rc = ip_renyi_gram(t, p->m, d, d, *sigma, p->g);
    if (rc == IP_OK) rc = ip_renyi_joint_entropy_gram(p->gx, p->g, p->m, alpha, p->work, &h_xt);
    if (rc == IP_OK) rc = ip_renyi_joint_entropy_labels(p->g, p->m, p->y, p->n_classes, alpha, p->work, &h_ty);
    if (rc == IP_OK) memcpy(p->work, p->g, mm * sizeof *p->work), rc = ip_renyi_entropy_gram(p->work, p->m, alpha, &h_t);
    if (rc != IP_OK) return rc;
    *i_xt = p->h_x + h_t - h_xt;
    *i_ty = h_t + p->h_y - h_ty;
    return IP_OK;
}

int ip_plane_epoch(ip_plane *p, const double *const *layers, double *i_xt, double *i_ty, double *extra)
{
    int L = p->n_layers, rc = IP_OK;
    if (p->e.kind == IP_EST_LOGDET)
        return ip_logdet_run_epoch(p->lr, layers, i_xt, i_ty, extra ? extra + L : NULL, extra);
    for (int l = 0; l < L && rc == IP_OK; l++) {
        const double *t = layers[l];
        int d = p->units[l];
        switch (p->e.kind) {
        case IP_EST_BINNING: {
            double lo_min = INFINITY, hi_max = -INFINITY, *lo = extra ? p->edges : NULL, *hi = extra ? p->edges + d : NULL;
            rc = ip_binning_plane(t, p->m, d, d, p->y, p->n_classes, &p->e.binning, &i_xt[l], &i_ty[l], lo, hi);
            if (rc == IP_OK && lo) {
                for (int j = 0; j < d; j++) lo_min = fmin(lo_min, lo[j]), hi_max = fmax(hi_max, hi[j]);
                extra[2 * l] = lo_min, extra[2 * l + 1] = hi_max;
            }
            break;
        }
        case IP_EST_KDE: {
            double x2[2], y2[2];
            rc = ip_kde_plane(t, p->m, d, d, p->y, p->n_classes, &p->e.kde, x2, y2);
            i_xt[l] = x2[0], i_ty[l] = y2[0], i_xt[L + l] = x2[1], i_ty[L + l] = y2[1];
            break;
        }
        case IP_EST_RENYI: {
            double sigma;
            rc = renyi_layer(p, t, d, &i_xt[l], &i_ty[l], &sigma);
            if (extra) extra[l] = sigma;
            break;
        }
        case IP_EST_KSG:
            rc = ip_ksg_distances(t, p->m, d, d, p->g);
            if (rc == IP_OK) rc = ip_ksg_mi_distances(p->dx, p->g, p->m, &p->e.ksg, &i_xt[l]);
            /* T's distances are already in p->g: I(T;Y) reuses them (ip_ksg_mi_labels would
             * compute them again) */
            if (rc == IP_OK) rc = ip_ksg_mi_labels_distances(p->g, p->m, p->y, p->n_classes, &p->e.ksg, &i_ty[l]);
            break;
        default: rc = ip_fail(IP_ERR, "estimator kind %d does not exist", (int)p->e.kind);
        }
        if (rc != IP_OK) ip_error_prefix("layer %d", l + 1);
    }
    return rc;
}
