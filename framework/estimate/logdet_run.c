/* The per-run block route of the LogDet estimator (docs/logdet.md, "The block route").
 * Once per run: Z_X = scaled centred X, M_XX = I + Z_X^T Z_X = U_X^T U_X, F = Z_X U_X^{-1}.
 * Per epoch: R = Z_c^T Z_c over Z_c = [T_1 .. T_L Y] centred (one SYRK) and P = F^T Z_c (one GEMM);
 * then H(X,T) = H(X) + 1/2 logdet(M_TT - W^T W) with W = U_X^{-T} M_XT = P D_T, and
 * H(T,Y) = H(T) + 1/2 logdet(M_YY - V^T V) with V = U_T^{-T} M_TY.
 * The sparse route (sparse X, as MNIST's pixels) forms P without F: P = U_X^{-T} D_X X_c^T Z_c, where
 * X_c^T Z_c = X^T Z_c - mean_X (1^T Z_c) and X^T Z_c runs over X's nonzeros (logdet_sparse.c). */
#include "logdet_run.h"
#include "logdet_impl.h"
#include "logdet_sparse.h"

#include "core/blas.h"
#include "core/mem.h"
#include "labels.h"
#include "core/status.h"

#include <math.h>
#include <stdlib.h>
#include <stdlib.h>
#include <string.h>

struct ip_logdet_run {
    int m, d_x, kx, K, L;
    ip_logdet_mode mode;
    double beta, layer_beta;
    int x_wide;        /* kx > m: I(X;T) through the library's Sylvester route, no caching */
    double hx, hy;
    int *units;        /* L */
    int *offset;       /* L: first column in zc of a narrow layer (d <= m), -1 for a wide one */
    int dt, dn;        /* columns of the narrow layers in zc; dt + K */
    double *f;         /* m x kx, leading dimension d_x: F = Z_X U_X^{-1} */
    double *x;         /* m x d_x raw copy, only when some term needs the direct route */
    int *y;            /* m labels, same */
    double *zc;        /* m x dn: [narrow T_l ... Y] centred, unscaled */
    double *r;         /* dn x dn upper: Z_c^T Z_c */
    double *p;         /* kx x dt: F^T Z_c */
    double *ryy, *myy, *sy; /* K x K raw label Gram, I + D_Y R_YY D_Y (upper), K scales */
    double *mt, *st, *w, *v, *syk, *pair, *pairq, *s; /* per-epoch scratch */
    /* The sparse route (sparse = 1): f is not kept; instead */
    int sparse;
    double x_density;  /* nonzeros of X's kx non-constant columns / (m kx) */
    ip_ld_csc csc;     /* those columns of the raw X, compressed by column */
    double *ux;        /* kx x kx: U_X */
    double *xmean;     /* kx: the columns' means */
    double *xs;        /* kx: the columns' scales (D_X) */
    double *colsum;    /* dt: 1^T Z_c, per epoch */
};

void ip_logdet_run_free(ip_logdet_run *run)
{
    if (!run) return;
    free(run->units);
    free(run->offset);
    free(run->f);
    free(run->x);
    free(run->y);
    free(run->zc);
    free(run->r);
    free(run->p);
    free(run->ryy);
    free(run->myy);
    free(run->sy);
    free(run->mt);
    free(run->st);
    free(run->w);
    free(run->v);
    free(run->syk);
    free(run->pair);
    free(run->pairq);
    free(run->s);
    ip_ld_csc_free(&run->csc);
    free(run->ux);
    free(run->xmean);
    free(run->xs);
    free(run->colsum);
    free(run);
}

double ip_logdet_run_hx(const ip_logdet_run *run) { return run->hx; }
double ip_logdet_run_hy(const ip_logdet_run *run) { return run->hy; }
double ip_logdet_run_beta(const ip_logdet_run *run) { return run->beta; }
double ip_logdet_run_layer_beta(const ip_logdet_run *run, int l)
{
    return run->layer_beta > 0 ? run->layer_beta : ip_logdet_paper_beta(run->units[l] + run->units[l + 1]);
}

int ip_logdet_run_sparse(const ip_logdet_run *run) { return run->sparse; }
double ip_logdet_run_x_density(const ip_logdet_run *run) { return run->x_density; }

static double *alloc_d(size_t n) { return ip_ld_alloc((n ? n : 1) * sizeof(double), 1); }

/* The route asked for: the setting, else IP_LOGDET_SPARSE, else AUTO (-1 on a bad variable). */
static int asked_route(ip_logdet_x_route set)
{
    if (set == IP_LOGDET_X_DENSE || set == IP_LOGDET_X_SPARSE) return (int)set;
    const char *e = getenv("IP_LOGDET_SPARSE");
    if (!e || !*e) return IP_LOGDET_X_AUTO;
    if (!strcmp(e, "0")) return IP_LOGDET_X_DENSE;
    if (!strcmp(e, "1")) return IP_LOGDET_X_SPARSE;
    return -1;
}

/* The sparse route's fixed parts: X's non-constant columns (the ones ip_ld_prepare keeps, in its
 * order), their means and scales computed as it computes them, and their nonzeros by column. */
static int prepare_sparse(ip_logdet_run *run, const double *x, const double *sumsq, const int *kept_cols)
{
    int m = run->m, kx = run->kx;
    run->xmean = alloc_d((size_t)kx);
    run->xs = alloc_d((size_t)kx);
    run->colsum = alloc_d((size_t)run->dt);
    if (!run->xmean || !run->xs || !run->colsum) return IP_ERR_NOMEM;
    for (int i = 0; i < m; i++) {
        const double *r = x + (size_t)i * run->d_x;
        for (int c = 0; c < kx; c++) run->xmean[c] += r[kept_cols[c]];
    }
    for (int c = 0; c < kx; c++) {
        run->xmean[c] /= m;
        run->xs[c] = ip_ld_scale(run->mode, run->beta, m, sumsq[c]);
    }
    return ip_ld_csc_build(&run->csc, x, m, run->d_x, kept_cols, kx);
}

int ip_logdet_run_create(ip_logdet_run **out, const double *x, int m, int d_x, const int *y, int n_classes,
                         int n_layers, const int *units, const ip_logdet_run_settings *set)
{
    *out = NULL;
    if (d_x < 1 || n_classes < 1 || n_layers < 1)
        return ip_fail(IP_ERR, "LogDet run: need inputs, classes and layers (d_X %d, %d classes, %d layers)", d_x,
                       n_classes, n_layers);
    double beta = set->beta == 0 ? ip_logdet_paper_beta(d_x) : set->beta;
    int rc = ip_ld_check_args(m, d_x, d_x, set->mode, beta, "LogDet run: H(X)");
    if (rc != IP_OK) return rc;
    if (!(set->layer_beta == 0 || (set->layer_beta > 0 && isfinite(set->layer_beta))))
        return ip_fail(IP_ERR, "LogDet run: the layer-to-layer beta must be positive (or 0: the paper's), got %g",
                       set->layer_beta);
    int route = asked_route(set->x_route);
    if (route < 0)
        return ip_fail(IP_ERR, "LogDet run: IP_LOGDET_SPARSE must be 0 (dense route) or 1 (sparse route), got '%s'",
                       getenv("IP_LOGDET_SPARSE"));
    for (int l = 0; l < n_layers; l++)
        if (units[l] < 1) return ip_fail(IP_ERR, "LogDet run: layer %d has %d units", l + 1, units[l]);
    int lrc = ip_labels_check(y, m, n_classes, "LogDet run");
    if (lrc != IP_OK) return lrc;

    ip_logdet_run *run = ip_calloc(1, sizeof *run);
    double *mx = NULL, *onehot = NULL, *sumsq = NULL;
    int *kept_cols = NULL;
    if (!run) return IP_ERR_NOMEM;
    run->m = m;
    run->d_x = d_x;
    run->K = n_classes;
    run->L = n_layers;
    run->mode = set->mode;
    run->beta = beta;
    run->layer_beta = set->layer_beta;
    rc = IP_ERR_NOMEM;
    run->units = ip_malloc((size_t)n_layers * sizeof *run->units);
    run->offset = ip_malloc((size_t)n_layers * sizeof *run->offset);
    if (!run->units || !run->offset) goto fail;
    memcpy(run->units, units, (size_t)n_layers * sizeof *units);
    int any_wide = 0, dmax = 1, pmax = 1, qmax = 1;
    for (int l = 0; l < n_layers; l++) {
        if (units[l] > m) {
            run->offset[l] = -1;
            any_wide = 1;
            continue;
        }
        run->offset[l] = run->dt;
        run->dt += units[l];
        if (units[l] > dmax) dmax = units[l];
        if (l + 1 < n_layers && units[l + 1] <= m) {
            int D = units[l] + units[l + 1], q = units[l] < units[l + 1] ? units[l] : units[l + 1];
            if (D > pmax) pmax = D;
            if (q > qmax) qmax = q;
        }
    }
    run->dn = run->dt + n_classes;

    /* X, once per run: Z_X, its factor U_X, and the whitened F = Z_X U_X^{-1}. Constant pixels
     * (MNIST's borders) are dropped: they contribute exactly nothing. */
    run->f = alloc_d((size_t)m * d_x);
    if (!run->f || !(sumsq = alloc_d((size_t)d_x)) || !(kept_cols = ip_malloc((size_t)d_x * sizeof *kept_cols)))
        goto fail;
    if ((rc = ip_ld_prepare(x, m, d_x, d_x, set->mode, beta, 1, 1, run->f, d_x, &run->kx, sumsq,
                            "LogDet run: X")) != IP_OK)
        goto fail;
    int kx = run->kx;
    double ld;
    if (kx <= m) {
        rc = IP_ERR_NOMEM;
        if (!(mx = alloc_d((size_t)kx * kx))) goto fail;
        if (kx > 0) ip_dsyrk(1, kx, m, 1.0, run->f, d_x, 0.0, mx, kx); /* M_XX <- Z_X^T Z_X (+ I below) */
        for (int i = 0; i < kx; i++) mx[(size_t)i * kx + i] += 1.0;
        if ((rc = ip_ld_chol_logdet(kx, mx, kx, &ld, "LogDet run: H(X)")) != IP_OK) goto fail;
        run->hx = 0.5 * ld;
        if (kx > 0) { /* the route of the cross products, by X's measured density */
            int k = 0;
            for (int j = 0; j < d_x; j++)
                for (int i = 1; i < m; i++)
                    if (x[(size_t)i * d_x + j] != x[j]) { /* ip_ld_prepare's test of a constant column */
                        kept_cols[k++] = j;
                        break;
                    }
            if (k != kx) {
                rc = ip_fail(IP_ERR, "LogDet run: internal error: %d non-constant columns of X, expected %d", k, kx);
                goto fail;
            }
            run->x_density = (double)ip_ld_count_nonzeros(x, m, d_x, kept_cols, kx) / ((double)m * kx);
            run->sparse = route == IP_LOGDET_X_SPARSE ||
                          (route == IP_LOGDET_X_AUTO && run->x_density < IP_LOGDET_SPARSE_MAX_DENSITY);
        }
        if (run->sparse) { /* keep U_X and X's nonzeros; F is never formed */
            rc = IP_ERR_NOMEM;
            free(run->f);
            run->f = NULL;
            if ((rc = prepare_sparse(run, x, sumsq, kept_cols)) != IP_OK) goto fail;
            run->ux = mx;
            mx = NULL;
        } else if (kx > 0) {
            ip_dtrsm_upper_right(m, kx, mx, kx, run->f, d_x); /* F <- Z_X U_X^{-1} */
        }
    } else {
        run->x_wide = 1;
        if ((rc = ip_ld_logdet_gram(run->f, m, kx, d_x, &ld, "LogDet run: H(X)")) != IP_OK) goto fail;
        run->hx = 0.5 * ld;
        free(run->f);
        run->f = NULL;
    }
    rc = IP_ERR_NOMEM;
    if (run->x_wide || any_wide) {
        if (!(run->x = alloc_d((size_t)m * d_x)) || !(run->y = ip_malloc((size_t)m * sizeof *run->y))) goto fail;
        memcpy(run->x, x, (size_t)m * d_x * sizeof *x);
        memcpy(run->y, y, (size_t)m * sizeof *y);
    }

    /* Y, once per run: its centred one-hot columns sit at the end of zc for every epoch. */
    int K = n_classes, dn = run->dn;
    if (!(run->zc = alloc_d((size_t)m * dn)) || !(run->r = alloc_d((size_t)dn * dn)) ||
        !(run->p = alloc_d((size_t)(run->x_wide ? 1 : kx) * run->dt)) || !(run->ryy = alloc_d((size_t)K * K)) ||
        !(run->myy = alloc_d((size_t)K * K)) || !(run->sy = alloc_d((size_t)K)) ||
        !(run->mt = alloc_d((size_t)dmax * dmax)) || !(run->st = alloc_d((size_t)dmax * dmax)) ||
        !(run->w = alloc_d((size_t)(run->x_wide ? 1 : kx) * dmax)) || !(run->v = alloc_d((size_t)dmax * K)) ||
        !(run->syk = alloc_d((size_t)K * K)) || !(run->pair = alloc_d((size_t)pmax * pmax)) ||
        !(run->pairq = alloc_d((size_t)qmax * qmax)) ||
        !(run->s = alloc_d((size_t)(pmax > dmax ? pmax : dmax))) || !(onehot = alloc_d((size_t)m * K)))
        goto fail;
    for (int i = 0; i < m; i++) onehot[(size_t)i * K + y[i]] = 1.0;
    int k;
    if ((rc = ip_ld_prepare(onehot, m, K, K, set->mode, beta, 0, 0, run->zc + run->dt, dn, &k, NULL,
                            "LogDet run: Y")) != IP_OK)
        goto fail;
    ip_dsyrk(1, K, m, 1.0, run->zc + run->dt, dn, 0.0, run->ryy, K); /* R_YY <- Y_c^T Y_c */
    for (int i = 0; i < K; i++) run->sy[i] = ip_ld_scale(set->mode, beta, m, run->ryy[(size_t)i * K + i]);
    for (int i = 0; i < K; i++)
        for (int j = i; j < K; j++)
            run->myy[(size_t)i * K + j] = (i == j) + run->sy[i] * run->sy[j] * run->ryy[(size_t)i * K + j];
    memcpy(run->syk, run->myy, (size_t)K * K * sizeof *run->syk);
    if ((rc = ip_ld_chol_logdet(K, run->syk, K, &ld, "LogDet run: H(Y)")) != IP_OK) goto fail;
    run->hy = 0.5 * ld;
    free(mx);
    free(onehot);
    free(sumsq);
    free(kept_cols);
    *out = run;
    return IP_OK;
fail:
    free(mx);
    free(onehot);
    free(sumsq);
    free(kept_cols);
    ip_logdet_run_free(run);
    return rc;
}

/* R(i, j) from the upper triangle. */
static inline double rget(const double *r, int dn, int i, int j)
{
    return i <= j ? r[(size_t)i * dn + j] : r[(size_t)j * dn + i];
}

/* The three terms of one narrow layer (offset o, width d) from R and P. */
static int narrow_layer(ip_logdet_run *run, int l, double *i_xt, double *i_ty, double *h_t)
{
    int m = run->m, d = run->units[l], o = run->offset[l], dn = run->dn, K = run->K, kx = run->kx;
    const double *r = run->r;
    double *s = run->s, *mt = run->mt, *st = run->st, ld_t, ld_s, ld_y;
    int rc;
    for (int i = 0; i < d; i++) s[i] = ip_ld_scale(run->mode, run->beta, m, r[(size_t)(o + i) * dn + o + i]);
    for (int i = 0; i < d; i++) { /* M_TT = I + D_T R_TT D_T, upper */
        const double *ri = r + (size_t)(o + i) * dn + o;
        double *mi = mt + (size_t)i * d;
        for (int j = i; j < d; j++) mi[j] = s[i] * s[j] * ri[j];
        mi[i] += 1.0;
    }
    if (!run->x_wide) {
        memcpy(st, mt, (size_t)d * d * sizeof *st);
        if (kx > 0) {
            for (int a = 0; a < kx; a++) { /* W = U_X^{-T} M_XT = F^T Z_T D_T = P_T D_T (kx x d) */
                const double *pa = run->p + (size_t)a * run->dt + o;
                double *wa = run->w + (size_t)a * d;
                for (int i = 0; i < d; i++) wa[i] = pa[i] * s[i];
            }
            ip_dsyrk(1, d, kx, -1.0, run->w, d, 1.0, st, d); /* S = M_TT - W^T W, the Schur complement */
        }
    }
    if ((rc = ip_ld_chol_logdet(d, mt, d, &ld_t, "LogDet run: H(T)")) != IP_OK) return rc;
    *h_t = 0.5 * ld_t;
    if (!run->x_wide) { /* (with a wide input the caller takes I(X;T) from the library) */
        if ((rc = ip_ld_chol_logdet(d, st, d, &ld_s, "LogDet run: H(X,T)")) != IP_OK) return rc;
        *i_xt = *h_t - 0.5 * ld_s; /* H(X) + H(T) - (H(X) + 1/2 logdet S) */
    }
    for (int i = 0; i < d; i++) { /* M_TY = D_T R_TY D_Y (d x K); then V = U_T^{-T} M_TY */
        double *vi = run->v + (size_t)i * K;
        const double *ri = r + (size_t)(o + i) * dn + run->dt;
        for (int c = 0; c < K; c++) vi[c] = s[i] * run->sy[c] * ri[c];
    }
    ip_dtrsm_upper_trans_left(d, K, mt, d, run->v, K); /* V <- U_T^{-T} M_TY */
    memcpy(run->syk, run->myy, (size_t)K * K * sizeof *run->syk);
    ip_dsyrk(1, K, d, -1.0, run->v, K, 1.0, run->syk, K); /* S_Y = M_YY - V^T V */
    if ((rc = ip_ld_chol_logdet(K, run->syk, K, &ld_y, "LogDet run: H(T,Y)")) != IP_OK) return rc;
    *i_ty = run->hy - 0.5 * ld_y; /* H(T) + H(Y) - (H(T) + 1/2 logdet S_Y) */
    return IP_OK;
}

/* I(T_a;T_b) for two narrow layers from R, at the pair's beta: one Cholesky of the joint matrix
 * with the larger layer leading (its leading block is that layer's own factor), one of the other. */
static int narrow_pair(ip_logdet_run *run, int la, int lb, double beta, double *mi)
{
    if (run->units[la] < run->units[lb]) {
        int t = la;
        la = lb;
        lb = t;
    }
    int da = run->units[la], db = run->units[lb], D = da + db, dn = run->dn, oa = run->offset[la],
        ob = run->offset[lb], rc;
    double *s = run->s, *g = run->pair, *gq = run->pairq, ld_ab, ld_b;
    for (int c = 0; c < D; c++) {
        int gc = c < da ? oa + c : ob + c - da;
        s[c] = ip_ld_scale(run->mode, beta, run->m, run->r[(size_t)gc * dn + gc]);
    }
    for (int c = 0; c < D; c++) {
        int gc = c < da ? oa + c : ob + c - da;
        for (int e = c; e < D; e++) {
            int ge = e < da ? oa + e : ob + e - da;
            g[(size_t)c * D + e] = (c == e) + s[c] * s[e] * rget(run->r, dn, gc, ge);
        }
    }
    for (int i = 0; i < db; i++)
        memcpy(gq + (size_t)i * db + i, g + (size_t)(da + i) * D + da + i, (size_t)(db - i) * sizeof *g);
    if ((rc = ip_ld_chol_logdet(D, g, D, &ld_ab, "LogDet run: H(T_l,T_l+1)")) != IP_OK) return rc;
    if ((rc = ip_ld_chol_logdet(db, gq, db, &ld_b, "LogDet run: H(T_l+1)")) != IP_OK) return rc;
    *mi = 0.5 * (ip_ld_factor_logdet(da, g, D) + ld_b - ld_ab);
    return IP_OK;
}

/* The sparse route's P <- D_X X_c^T Z_T, with X_c^T Z_T = X^T Z_T - mean_X (1^T Z_T): the columns of
 * Z_T are centred already, so the correction only removes their rounding residue. The caller then
 * solves with U_X^T. Runs before the epoch's first BLAS call: OpenBLAS's threads spin for a while
 * after each threaded call, on the cores the pool's workers would need. */
static void sparse_cross(ip_logdet_run *run)
{
    int m = run->m, dn = run->dn, dt = run->dt, kx = run->kx;
    double *cs = run->colsum, *p = run->p;
    memset(cs, 0, (size_t)dt * sizeof *cs);
    for (int i = 0; i < m; i++) {
        const double *zr = run->zc + (size_t)i * dn;
        for (int j = 0; j < dt; j++) cs[j] += zr[j];
    }
    ip_ld_csc_tmul(&run->csc, run->zc, dt, dn, p, dt); /* P <- X^T Z_T over X's nonzeros */
    for (int c = 0; c < kx; c++) {
        double mu = run->xmean[c], sc = run->xs[c], *pc = p + (size_t)c * dt;
        for (int j = 0; j < dt; j++) pc[j] = (pc[j] - mu * cs[j]) * sc; /* D_X X_c^T Z_T */
    }
}

int ip_logdet_run_epoch(ip_logdet_run *run, const double *const *layers, double *i_xt, double *i_ty,
                        double *i_tt, double *h_t)
{
    int m = run->m, dn = run->dn, rc, k;
    for (int l = 0; l < run->L; l++) {
        if (run->offset[l] < 0) continue;
        if ((rc = ip_ld_prepare(layers[l], m, run->units[l], run->units[l], run->mode, run->beta, 0, 0,
                                run->zc + run->offset[l], dn, &k, NULL, "LogDet run: layer")) != IP_OK) {
            ip_error_prefix("layer %d", l + 1);
            return rc;
        }
    }
    if (run->dt > 0) {
        if (run->sparse) sparse_cross(run);
        ip_dsyrk(1, dn, m, 1.0, run->zc, dn, 0.0, run->r, dn); /* R <- Z_c^T Z_c, every block at once */
        if (run->sparse)
            ip_dtrsm_upper_trans_left(run->kx, run->dt, run->ux, run->kx, run->p,
                                      run->dt); /* P <- U_X^{-T} D_X X_c^T Z_T */
        else if (!run->x_wide && run->kx > 0)
            ip_dgemm(1, 0, run->kx, run->dt, m, 1.0, run->f, run->d_x, run->zc, dn, 0.0, run->p,
                     run->dt); /* P <- F^T Z_T = U_X^{-T} Z_X^T Z_T */
    }
    for (int l = 0; l < run->L; l++) {
        double ixt = 0, ity = 0, ht = 0;
        const double *t = layers[l];
        int d = run->units[l];
        if (run->offset[l] >= 0) {
            rc = narrow_layer(run, l, &ixt, &ity, &ht);
        } else { /* wider than the sample count: the library's Sylvester route, nothing cached */
            rc = ip_logdet_entropy(t, m, d, d, run->mode, run->beta, &ht);
            if (rc == IP_OK) rc = ip_logdet_mi_labels(t, m, d, d, run->y, run->K, run->mode, run->beta, &ity, NULL);
        }
        if (rc == IP_OK && (run->x_wide || run->offset[l] < 0))
            rc = ip_logdet_mi(run->x, m, run->d_x, run->d_x, t, d, d, run->mode, run->beta, &ixt, NULL);
        if (rc != IP_OK) {
            ip_error_prefix("layer %d", l + 1);
            return rc;
        }
        if (i_xt) i_xt[l] = ixt;
        if (i_ty) i_ty[l] = ity;
        if (h_t) h_t[l] = ht;
    }
    for (int l = 0; i_tt && l + 1 < run->L; l++) {
        double b = ip_logdet_run_layer_beta(run, l);
        if (run->offset[l] >= 0 && run->offset[l + 1] >= 0)
            rc = narrow_pair(run, l, l + 1, b, &i_tt[l]);
        else
            rc = ip_logdet_mi(layers[l], m, run->units[l], run->units[l], layers[l + 1], run->units[l + 1],
                              run->units[l + 1], run->mode, b, &i_tt[l], NULL);
        if (rc != IP_OK) {
            ip_error_prefix("layers %d-%d", l + 1, l + 2);
            return rc;
        }
    }
    return IP_OK;
}
