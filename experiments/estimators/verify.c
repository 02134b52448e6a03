/* build/verify_estimators: SPEC 6.1, the estimator-verification experiments of Zhouyin & Liu
 * (arXiv 2105.03705, section IV; constructions from the authors' analysis.py), with every
 * estimator of framework/estimate as a curve:
 *   uncertainty  entropy vs the degree of uncertainty u of x = u * noise + (1 - u) * 1
 *   gaussian     entropy of N(0, (1-c) 11^T + c I) vs c, with the true differential entropy
 *   mi           I(X;Y) of d correlated pairs vs rho, with the truth -d/2 log(1 - rho^2)
 *   saturation   H(T) of T = act(w X W) vs w, tanh and relu
 * Writes NAME.dat and NAME.gp per figure into the output directory (run.sh renders them) and
 * timings.txt. Progress on stderr. Usage: verify_estimators --help. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/blas.h"
#include "core/fsutil.h"
#include "core/rng.h"
#include "core/status.h"
#include "estimate/estimator.h"
#include "estimate/estimators.h"
#include "verify.h"

enum { X_UNCERTAINTY = 0, X_GAUSSIAN, X_MI, X_SATURATION, X_COUNT };
static const char *const x_names[X_COUNT] = {"uncertainty", "gaussian", "mi", "saturation"};

static struct {
    const char *out;
    int quick;
    unsigned only;    /* bits of X_* */
    unsigned kinds;   /* bits of ip_estimator_kind */
    uint64_t seed;
    int sat_n, sat_slow_n, sat_points;
} opt;

/* Seconds and failures per experiment and estimator kind; [IP_EST_COUNT] is LogDet's I(X;T). */
static double t_spent[X_COUNT][IP_EST_COUNT + 1];
static int n_failed[X_COUNT][IP_EST_COUNT + 1];
static double t_start;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) fprintf(stderr, "verify: out of memory (%zu bytes)\n", n), exit(1);
    return p;
}

/* A failed estimate is recorded as NaN (a gap in its curve) with its message, once per
 * experiment and estimator; the count is in the summary. Duplicate points (KL/KSG), a constant
 * matrix at w = 0 and such are expected failures of some estimators, not of the experiment. */
static double checked(int rc, double v, int x, int slot)
{
    if (rc == IP_OK) return v;
    if (n_failed[x][slot]++ == 0)
        fprintf(stderr, "verify: [%s] %s failed, NaN recorded (further failures only counted): %s\n", x_names[x],
                slot < IP_EST_COUNT ? ip_estimator_names[slot] : "logdet I(X;T)", ip_error_message());
    return NAN;
}

static double entropy(int x, const ip_estimator *e, const double *a, int m, int d)
{
    double h = NAN, t0 = now();
    int rc = ip_estimator_entropy(e, a, m, d, d, &h);
    t_spent[x][e->kind] += now() - t0;
    return checked(rc, h, x, e->kind);
}

static double mutual(int x, int slot, const ip_estimator *e, const double *a, const double *b, int m, int da, int db)
{
    double mi = NAN, t0 = now();
    int rc = ip_estimator_mi(e, a, m, da, da, b, db, db, &mi, NULL);
    t_spent[x][slot] += now() - t0;
    return checked(rc, mi, x, slot);
}

static void progress(int x, const char *panel, const char *var, int i, int n)
{
    fprintf(stderr, "[%s] %s: %s %d/%d  (%.1f s)\n", x_names[x], panel, var, i, n, now() - t_start);
}

/* The estimators of this run (opt.kinds) with their defaults and a curve label each;
 * LogDet's mode and beta are the experiment's (beta 0: the paper's default). Returns the count. */
static int settings(ip_estimator *es, vp_series *ser, ip_logdet_mode mode, double beta, const char *logdet_label,
                    int entropy_of)
{
    int n = 0;
    for (int k = 0; k < IP_EST_COUNT; k++) {
        if (!(opt.kinds & 1u << k)) continue;
        ip_estimator *e = &es[n];
        ip_estimator_default(e, (ip_estimator_kind)k);
        e->logdet.mode = mode, e->logdet.beta = beta;
        char *l = ser[n].label;
        size_t cap = sizeof ser[n].label;
        switch (k) {
        case IP_EST_LOGDET: snprintf(l, cap, "%s", logdet_label); break;
        case IP_EST_BINNING: snprintf(l, cap, "binning (%d bins, range per matrix)", e->binning.bins); break;
        case IP_EST_KDE: snprintf(l, cap, "KDE upper bound (s² = %g)", e->kde.noise); break;
        case IP_EST_RENYI: snprintf(l, cap, "matrix Rényi (α = %g, width rule)", e->renyi.alpha); break;
        default: snprintf(l, cap, entropy_of ? "Kozachenko-Leonenko (k = %d)" : "KSG (k = %d)", e->ksg.k);
        }
        ser[n].style = VS_EST, ser[n].colour = k;
        n++;
    }
    return n;
}

static uint64_t seed_of(int x, int panel) { return opt.seed * 1000003u + (uint64_t)x * 1000u + (uint64_t)panel; }

static int write_pair(const char *base, vp_figure *f, int normalised_too)
{
    char b2[128];
    f->normalise = 0;
    if (vp_write(opt.out, base, f)) return -1;
    if (!normalised_too) return 0;
    snprintf(b2, sizeof b2, "%s_normalised", base);
    f->normalise = 1;
    const char *note = f->note;
    f->note = "each curve min-max scaled to [0, 10] within its panel, as the paper plots it";
    int rc = vp_write(opt.out, b2, f);
    f->note = note, f->normalise = 0;
    return rc;
}

/* ---- 1. entropy vs degree of uncertainty (analysis.py compareEntropy) ---- */
static int run_uncertainty(void)
{
    static const int full_d[] = {3, 15, 50, 200}, quick_d[] = {3, 15};
    const int *ds = opt.quick ? quick_d : full_d, nd = opt.quick ? 2 : 4, m = opt.quick ? 64 : 128;
    const int nu = opt.quick ? 9 : 99;
    vp_figure f = {.title = "Entropy vs degree of uncertainty: x = u·noise + (1-u)·1, noise ~ N(0, I) fixed",
                   .xlabel = "degree of uncertainty u", .ylabel = "estimated entropy (nats)",
                   .rows = nd > 2 ? 2 : 1, .cols = 2, .n_panels = nd, .n_x = nu};
    ip_estimator es[IP_EST_COUNT];
    f.n_series = settings(es, f.series, IP_MODE_COV, 1.0, "LogDet (cov, β = 1)", 1);
    double *xs = xmalloc(nu * sizeof *xs), *val = xmalloc((size_t)nd * f.n_series * nu * sizeof *val);
    for (int j = 0; j < nu; j++) xs[j] = (j + 1.0) / (nu + 1.0);
    for (int p = 0; p < nd; p++) {
        int d = ds[p];
        snprintf(f.panel[p], sizeof f.panel[p], "d = %d, n = %d", d, m);
        ip_rng rng;
        ip_rng_seed(&rng, seed_of(X_UNCERTAINTY, p));
        double *noise = xmalloc((size_t)m * d * sizeof *noise), *x = xmalloc((size_t)m * d * sizeof *x);
        vd_normal(noise, (size_t)m * d, 1.0, &rng);
        for (int j = 0; j < nu; j++) {
            vd_uncertainty(x, noise, m, d, xs[j]);
            for (int s = 0; s < f.n_series; s++) val[((size_t)p * f.n_series + s) * nu + j] = entropy(X_UNCERTAINTY, &es[s], x, m, d);
            if ((j + 1) % 25 == 0 || j + 1 == nu) progress(X_UNCERTAINTY, f.panel[p], "u", j + 1, nu);
        }
        free(noise), free(x);
    }
    f.x = xs, f.val = val;
    /* the paper shows the normalised curves: that is the main figure here too */
    f.normalise = 1;
    f.note = "each curve min-max scaled to [0, 10] within its panel, as the paper plots it\n(raw values: uncertainty_raw.png)";
    int rc = vp_write(opt.out, "uncertainty", &f);
    f.normalise = 0, f.note = NULL;
    if (!rc) rc = vp_write(opt.out, "uncertainty_raw", &f);
    free(xs), free(val);
    return rc;
}

/* ---- 2. Gaussian with covariance (1-c) 11^T + c I (analysis.py TheoreticalEntropy) ---- */
static int run_gaussian(void)
{
    static const int full_d[] = {3, 15, 50, 200}, quick_d[] = {3, 15};
    const int *ds = opt.quick ? quick_d : full_d, nd = opt.quick ? 2 : 4, m = opt.quick ? 64 : 128;
    const int nc = opt.quick ? 10 : 100;
    const double beta = 1.0; /* the paper: LogDet(sample, mode='pearson') with its default beta 1 */
    vp_figure f = {.title = "Entropy of N(0, Σ), Σ = (1-c)·11ᵀ + c·I, against c",
                   .xlabel = "c", .ylabel = "entropy (nats)", .rows = nd > 2 ? 2 : 1, .cols = 2, .n_panels = nd,
                   .n_x = nc, .note = "black dashed: true differential entropy ½ logdet(2πeΣ) (−∞ at c = 0)"};
    ip_estimator es[IP_EST_COUNT];
    int ne = settings(es, f.series, IP_MODE_PEARSON, beta, "LogDet (pearson, β = 1)", 1);
    f.n_series = ne + 1;
    snprintf(f.series[ne].label, sizeof f.series[ne].label, "true entropy ½ logdet(2πeΣ)");
    f.series[ne].style = VS_TRUTH;
    if (opt.kinds & 1u << IP_EST_LOGDET) {
        snprintf(f.series[f.n_series].label, sizeof f.series[0].label, "LogDet's limit ½ logdet(I + βΣ), β = 1");
        f.series[f.n_series].style = VS_TARGET, f.series[f.n_series].colour = IP_EST_LOGDET;
        f.n_series++;
    }
    double *xs = xmalloc(nc * sizeof *xs), *val = xmalloc((size_t)nd * f.n_series * nc * sizeof *val);
    for (int j = 0; j < nc; j++) xs[j] = 0.99 * j / (nc - 1.0);
    for (int p = 0; p < nd; p++) {
        int d = ds[p];
        snprintf(f.panel[p], sizeof f.panel[p], "d = %d, n = %d", d, m);
        ip_rng rng;
        ip_rng_seed(&rng, seed_of(X_GAUSSIAN, p));
        double *x = xmalloc((size_t)m * d * sizeof *x);
        for (int j = 0; j < nc; j++) {
            double *v = val + (size_t)p * f.n_series * nc + j;
            vd_equicorrelated(x, m, d, xs[j], &rng); /* a fresh sample per c, as the paper */
            for (int s = 0; s < ne; s++) v[(size_t)s * nc] = entropy(X_GAUSSIAN, &es[s], x, m, d);
            double truth = vd_equicorrelated_entropy(d, xs[j]);
            v[(size_t)ne * nc] = isfinite(truth) ? truth : NAN;
            if (f.n_series > ne + 1) v[(size_t)(ne + 1) * nc] = vd_equicorrelated_logdet_target(d, xs[j], beta);
            if ((j + 1) % 25 == 0 || j + 1 == nc) progress(X_GAUSSIAN, f.panel[p], "c", j + 1, nc);
        }
        free(x);
    }
    f.x = xs, f.val = val;
    int rc = write_pair("gaussian", &f, 1);
    free(xs), free(val);
    return rc;
}

/* ---- 3. MI of d correlated pairs vs rho (analysis.py compareMI and MIviaN) ---- */
static int run_mi(void)
{
    static const int full_dn[][2] = {{3, 128}, {15, 128}, {50, 128}, {1000, 128}, {1000, 256}, {1000, 512}};
    static const int quick_dn[][2] = {{3, 64}, {15, 64}, {200, 64}, {200, 128}};
    const int(*dn)[2] = opt.quick ? quick_dn : full_dn, np = opt.quick ? 4 : 6, nr = opt.quick ? 7 : 19;
    vp_figure f = {.title = "I(X;Y) of d independent pairs with correlation ρ, against ρ",
                   .xlabel = "correlation ρ", .ylabel = "I(X;Y) (nats)", .rows = 2, .cols = np / 2, .n_panels = np,
                   .n_x = nr, .note = "black dashed: the true I = −(d/2) log(1 − ρ²); an estimate is not the true MI"};
    ip_estimator es[IP_EST_COUNT];
    int ne = settings(es, f.series, IP_MODE_PEARSON, 0, "LogDet (pearson, β = 100·2d)", 0);
    f.n_series = ne + 1;
    snprintf(f.series[ne].label, sizeof f.series[ne].label, "true I = −(d/2) log(1 − ρ²)");
    f.series[ne].style = VS_TRUTH;
    double *xs = xmalloc(nr * sizeof *xs), *val = xmalloc((size_t)np * f.n_series * nr * sizeof *val);
    for (int j = 0; j < nr; j++) xs[j] = -0.9 + 1.8 * j / (nr - 1.0);
    for (int p = 0; p < np; p++) {
        int d = dn[p][0], m = dn[p][1];
        snprintf(f.panel[p], sizeof f.panel[p], "d = %d, n = %d", d, m);
        ip_rng rng;
        ip_rng_seed(&rng, seed_of(X_MI, p));
        double *a = xmalloc((size_t)m * d * sizeof *a), *b = xmalloc((size_t)m * d * sizeof *b);
        for (int j = 0; j < nr; j++) {
            double *v = val + (size_t)p * f.n_series * nr + j;
            vd_correlated_pairs(a, b, m, d, xs[j], &rng);
            for (int s = 0; s < ne; s++) v[(size_t)s * nr] = mutual(X_MI, es[s].kind, &es[s], a, b, m, d, d);
            v[(size_t)ne * nr] = vd_pairs_mi(d, xs[j]);
            if (d >= 500 || (j + 1) % 10 == 0 || j + 1 == nr) progress(X_MI, f.panel[p], "rho", j + 1, nr);
        }
        free(a), free(b);
    }
    f.x = xs, f.val = val;
    int rc = write_pair("mi", &f, 1);
    free(xs), free(val);
    return rc;
}

/* ---- 4. saturation: H(T), T = act(w X W) (analysis.py plotNormalization) ---- */
static int is_slow(int kind) { return kind == IP_EST_RENYI || kind == IP_EST_KSG; }

static int run_saturation(void)
{
    static const int full_d[] = {10, 100, 500, 1000}, quick_d[] = {10, 50};
    const int *ds = opt.quick ? quick_d : full_d, nd = opt.quick ? 2 : 4, nw = opt.sat_points;
    const int m = opt.sat_n, m_slow = opt.sat_slow_n < m ? opt.sat_slow_n : m;
    char note[256];
    snprintf(note, sizeof note, "X ~ N(0, I), n = %d (Rényi and Kozachenko-Leonenko: the first %d rows), W fixed, entries N(0, 1/d)\n"
             "grey dotted: log n, the most binning can give (every sample in a bin vector of its own)", m, m_slow);
    vp_figure f = {.title = "Saturation: entropy H(T) of T = act(w·XW) against w (top tanh, bottom ReLU)",
                   .xlabel = "w", .ylabel = "H(T) (nats)", .rows = 2, .cols = nd, .n_panels = 2 * nd, .n_x = nw,
                   .note = note};
    ip_estimator es[IP_EST_COUNT];
    int ne = settings(es, f.series, IP_MODE_COV, 0, "LogDet H(T) (cov, β = 100·d)", 1);
    f.n_series = ne;
    int has_logdet = (opt.kinds & 1u << IP_EST_LOGDET) != 0;
    if (has_logdet) { /* the paper's own quantity: LogDet I(X;T), beta = 100 (d_X + d_T) */
        snprintf(f.series[f.n_series].label, sizeof f.series[0].label, "LogDet I(X;T) (cov, β = 100·2d; the paper's curve)");
        f.series[f.n_series].style = VS_TARGET, f.series[f.n_series].colour = IP_EST_LOGDET;
        f.n_series++;
    }
    snprintf(f.series[f.n_series].label, sizeof f.series[0].label, "log n");
    f.series[f.n_series++].style = VS_REF;
    double *xs = xmalloc(nw * sizeof *xs), *val = xmalloc((size_t)2 * nd * f.n_series * nw * sizeof *val);
    for (int j = 0; j < nw; j++) xs[j] = nw > 1 ? 10.0 * j / (nw - 1.0) : 10.0;
    for (int di = 0; di < nd; di++) {
        int d = ds[di];
        ip_rng rng;
        ip_rng_seed(&rng, seed_of(X_SATURATION, di));
        size_t n = (size_t)m * d;
        double *x = xmalloc(n * sizeof *x), *wm = xmalloc((size_t)d * d * sizeof *wm), *xw = xmalloc(n * sizeof *xw),
               *t = xmalloc(n * sizeof *t);
        vd_normal(x, n, 1.0, &rng);
        vd_normal(wm, (size_t)d * d, 1.0 / sqrt((double)d), &rng);
        ip_dgemm(0, 0, m, d, d, 1.0, x, d, wm, d, 0.0, xw, d); /* XW: (m x d)(d x d) */
        for (int act = 0; act < 2; act++) {
            int p = act * nd + di;
            snprintf(f.panel[p], sizeof f.panel[p], "%s, d = %d", act ? "ReLU" : "tanh", d);
            for (int j = 0; j < nw; j++) {
                double *v = val + (size_t)p * f.n_series * nw + j;
                vd_activate(t, xw, n, xs[j], act);
                for (int s = 0; s < ne; s++) /* rows are i.i.d.: the first m_slow are a sample of m_slow */
                    v[(size_t)s * nw] = entropy(X_SATURATION, &es[s], t, is_slow(es[s].kind) ? m_slow : m, d);
                int s = ne;
                if (has_logdet) v[(size_t)s++ * nw] = mutual(X_SATURATION, IP_EST_COUNT, &es[0], x, t, m, d, d);
                v[(size_t)s * nw] = log((double)m);
                progress(X_SATURATION, f.panel[p], "w", j + 1, nw);
            }
        }
        free(x), free(wm), free(xw), free(t);
    }
    f.x = xs, f.val = val;
    int rc = write_pair("saturation", &f, 1);
    free(xs), free(val);
    return rc;
}

/* ---- options ---- */

static void usage(FILE *o)
{
    fprintf(o,
            "usage: verify_estimators [--out DIR] [--only LIST] [--estimators LIST] [--quick] [--seed N]\n"
            "                         [--sat-n N] [--sat-slow-n N] [--sat-points N]\n"
            "  --out DIR         output directory (default experiments/estimators/out)\n"
            "  --only LIST       experiments, comma-separated: uncertainty,gaussian,mi,saturation (default all)\n"
            "  --estimators LIST logdet,binning,kde,renyi,ksg (default all)\n"
            "  --quick           small sizes (a smoke test of a few seconds; not the paper's experiment)\n"
            "  --seed N          base seed of every draw (default 1)\n"
            "  --sat-n N         samples in the saturation experiment (default 3000; quick 300)\n"
            "  --sat-slow-n N    samples Rényi and KL use there (default 1000; quick 300)\n"
            "  --sat-points N    values of w in [0, 10] (default 21; quick 6)\n");
}

static int parse_list(const char *s, const char *const *names, int n, unsigned *bits, const char *what)
{
    *bits = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int k = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(tok, names[i])) k = i;
        if (k < 0) return fprintf(stderr, "verify: unknown %s '%s'\n", what, tok), -1;
        *bits |= 1u << k;
    }
    return *bits ? 0 : (fprintf(stderr, "verify: empty %s list\n", what), -1);
}

static int parse_int(const char *s, int lo, int *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || *end || x < lo || x > 1000000) return fprintf(stderr, "verify: '%s' is not a number >= %d\n", s, lo), -1;
    *v = (int)x;
    return 0;
}

static int parse_args(int argc, char **argv)
{
    opt.out = "experiments/estimators/out";
    opt.only = (1u << X_COUNT) - 1, opt.kinds = (1u << IP_EST_COUNT) - 1, opt.seed = 1;
    opt.sat_n = opt.sat_slow_n = opt.sat_points = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int seed = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) usage(stdout), exit(0);
        else if (!strcmp(a, "--quick")) opt.quick = 1;
        else if (!v) return fprintf(stderr, "verify: %s needs a value (or is unknown)\n", a), usage(stderr), -1;
        else if (!strcmp(a, "--out")) opt.out = v, i++;
        else if (!strcmp(a, "--only")) { if (parse_list(v, x_names, X_COUNT, &opt.only, "experiment")) return -1; i++; }
        else if (!strcmp(a, "--estimators")) {
            if (parse_list(v, (const char *const *)ip_estimator_names, IP_EST_COUNT, &opt.kinds, "estimator")) return -1;
            i++;
        } else if (!strcmp(a, "--seed")) { if (parse_int(v, 0, &seed)) return -1; opt.seed = (uint64_t)seed, i++; }
        else if (!strcmp(a, "--sat-n")) { if (parse_int(v, 16, &opt.sat_n)) return -1; i++; }
        else if (!strcmp(a, "--sat-slow-n")) { if (parse_int(v, 16, &opt.sat_slow_n)) return -1; i++; }
        else if (!strcmp(a, "--sat-points")) { if (parse_int(v, 2, &opt.sat_points)) return -1; i++; }
        else return fprintf(stderr, "verify: unknown option %s\n", a), usage(stderr), -1;
    }
    if (opt.sat_n < 0) opt.sat_n = opt.quick ? 300 : 3000;
    if (opt.sat_slow_n < 0) opt.sat_slow_n = opt.quick ? 300 : 1000;
    if (opt.sat_points < 0) opt.sat_points = opt.quick ? 6 : 21;
    return 0;
}

static void write_timings(double total, const double *per_x)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/timings.txt", opt.out);
    FILE *o = fopen(path, "w");
    if (!o) return;
    fprintf(o, "# seconds per experiment and estimator (build/verify_estimators%s, seed %llu)\n", opt.quick ? " --quick" : "",
            (unsigned long long)opt.seed);
    fprintf(o, "# saturation: n = %d, Renyi and KL n = %d, %d values of w\n", opt.sat_n, opt.sat_slow_n, opt.sat_points);
    fprintf(o, "%-12s %9s", "experiment", "total");
    for (int k = 0; k <= IP_EST_COUNT; k++) fprintf(o, " %12s", k < IP_EST_COUNT ? ip_estimator_names[k] : "logdet_mi");
    fputc('\n', o);
    for (int x = 0; x < X_COUNT; x++) {
        if (!(opt.only & 1u << x)) continue;
        fprintf(o, "%-12s %9.2f", x_names[x], per_x[x]);
        for (int k = 0; k <= IP_EST_COUNT; k++) fprintf(o, " %12.3f", t_spent[x][k]);
        fputc('\n', o);
    }
    fprintf(o, "%-12s %9.2f\n", "all", total);
    fprintf(o, "# failed estimates (recorded as NaN):");
    for (int x = 0; x < X_COUNT; x++)
        for (int k = 0; k <= IP_EST_COUNT; k++)
            if (n_failed[x][k]) fprintf(o, " %s/%s=%d", x_names[x], k < IP_EST_COUNT ? ip_estimator_names[k] : "logdet_mi", n_failed[x][k]);
    fputc('\n', o);
    fclose(o);
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv)) return 2;
    if (ip_mkdir_p(opt.out) != IP_OK) return fprintf(stderr, "verify: %s\n", ip_error_message()), 1;
    t_start = now();
    int (*const run[X_COUNT])(void) = {run_uncertainty, run_gaussian, run_mi, run_saturation};
    double per_x[X_COUNT] = {0};
    for (int x = 0; x < X_COUNT; x++) {
        if (!(opt.only & 1u << x)) continue;
        double t0 = now();
        fprintf(stderr, "[%s] start\n", x_names[x]);
        if (run[x]()) return 1;
        per_x[x] = now() - t0;
        fprintf(stderr, "[%s] done in %.1f s\n", x_names[x], per_x[x]);
    }
    double total = now() - t_start;
    write_timings(total, per_x);
    fprintf(stderr, "verify: total %.1f s; tables, scripts and timings.txt in %s\n", total, opt.out);
    for (int x = 0; x < X_COUNT; x++)
        for (int k = 0; k <= IP_EST_COUNT; k++)
            if (n_failed[x][k])
                fprintf(stderr, "verify: [%s] %s: %d estimates failed (NaN)\n", x_names[x],
                        k < IP_EST_COUNT ? ip_estimator_names[k] : "logdet I(X;T)", n_failed[x][k]);
    printf("total %.1f s\n", total);
    return 0;
}
