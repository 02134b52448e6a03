/* Tests for the LogDet library (framework/estimate/logdet.h): closed forms for Gaussian data,
 * MI of correlated Gaussians as beta grows, exact zeros, invariances, degenerate units, the
 * Sylvester form against a naive d x d computation, NumPy's slogdet, and every bad argument. */
#include "testutil.h"

#include <unistd.h>

#include "core/blas.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/csv.h"
#include "estimate/logdet.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static double *randn(ip_rng *r, int m, int d)
{
    double *a = malloc((size_t)m * d * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < (size_t)m * d; i++) a[i] = ip_rng_normal(r);
    return a;
}

static double entropy(const double *a, int m, int d, ip_logdet_mode mode, double beta)
{
    double h = NAN;
    int rc = ip_logdet_entropy(a, m, d, d, mode, beta, &h);
    if (rc != IP_OK) fail_msg("ip_logdet_entropy: %s", ip_error_message());
    return h;
}

static double mi(const double *a, int da, const double *b, int db, int m, ip_logdet_mode mode, double beta)
{
    double v = NAN;
    int rc = ip_logdet_mi(a, m, da, da, b, db, db, mode, beta, &v, NULL);
    if (rc != IP_OK) fail_msg("ip_logdet_mi: %s", ip_error_message());
    return v;
}

/* 1/2 logdet(I + beta S) for a small SPD-ish d x d S, by a naive Cholesky of our own. */
static double half_logdet_naive(const double *s, int d, double beta)
{
    double *l = calloc((size_t)d * d, sizeof *l), acc = 0;
    assert_non_null(l);
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) {
            double v = (i == j) + beta * s[i * d + j];
            for (int k = 0; k < j; k++) v -= l[i * d + k] * l[j * d + k];
            if (i == j) {
                assert_true(v > 0);
                l[i * d + i] = sqrt(v);
                acc += log(l[i * d + i]);
            } else {
                l[i * d + j] = v / l[j * d + j];
            }
        }
    free(l);
    return acc;
}

/* The estimator straight from its definition on the d x d matrix (no BLAS, no Sylvester). */
static double entropy_naive(const double *a, int m, int d, ip_logdet_mode mode, double beta)
{
    double *c = calloc((size_t)d * d, sizeof *c), *mu = calloc((size_t)d, sizeof *mu),
           *nrm = calloc((size_t)d, sizeof *nrm);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < d; j++) mu[j] += a[i * d + j] / m;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++) c[j * d + k] += (a[i * d + j] - mu[j]) * (a[i * d + k] - mu[k]);
    for (int j = 0; j < d; j++) nrm[j] = c[j * d + j];
    for (int j = 0; j < d; j++)
        for (int k = 0; k < d; k++)
            c[j * d + k] /= mode == IP_MODE_COV ? m : sqrt((nrm[j] + 1e-8) * (nrm[k] + 1e-8));
    double h = half_logdet_naive(c, d, beta);
    free(c);
    free(mu);
    free(nrm);
    return h;
}

/* Gaussian samples with covariance sigma = L L^T (L lower, d x d). */
static double *gaussian(ip_rng *r, int m, int d, const double *sigma)
{
    double *l = calloc((size_t)d * d, sizeof *l), *z = randn(r, m, d), *a = calloc((size_t)m * d, sizeof *a);
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) {
            double v = sigma[i * d + j];
            for (int k = 0; k < j; k++) v -= l[i * d + k] * l[j * d + k];
            l[i * d + j] = i == j ? sqrt(v) : v / l[j * d + j];
        }
    for (int s = 0; s < m; s++)
        for (int i = 0; i < d; i++)
            for (int k = 0; k <= i; k++) a[s * d + i] += l[i * d + k] * z[s * d + k];
    free(l);
    free(z);
    return a;
}

/* ---- closed forms ----------------------------------------------------------------------- */

/* H_beta -> 1/2 logdet(I + beta Sigma) as m grows, Sigma = (1-c) 11^T + c I. */
static void test_gaussian_known_covariance(void **state)
{
    (void)state;
    enum { D = 4 };
    double sigma[D * D], beta = 2.0, c = 0.3;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) sigma[i * D + j] = (1 - c) + (i == j) * c;
    double truth = half_logdet_naive(sigma, D, beta);
    int sizes[] = {300, 3000, ip_test_slow_env() ? 10000 : 60000};
    double err[3];
    ip_rng r;
    ip_rng_seed(&r, 11);
    for (int k = 0; k < 3; k++) {
        double *a = gaussian(&r, sizes[k], D, sigma);
        err[k] = fabs(entropy(a, sizes[k], D, IP_MODE_COV, beta) - truth);
        free(a);
    }
    printf("  H error vs 1/2 logdet(I + beta Sigma) = %.4f: m=%d %.2e, m=%d %.2e, m=%d %.2e\n", truth, sizes[0],
           err[0], sizes[1], err[1], sizes[2], err[2]);
    if (!(err[2] < err[0] && err[2] < 0.02)) fail_msg("no convergence: errors %g %g %g", err[0], err[1], err[2]);
}

/* d independent pairs with correlation rho: I -> -d/2 log(1 - rho^2) as beta grows. At a finite
 * beta the population value is -d/2 log(1 - beta^2 rho^2 / (1 + beta)^2). */
static void test_mi_correlated_gaussians(void **state)
{
    (void)state;
    int m = ip_test_slow_env() ? 5000 : 40000, d = 3;
    double rho = 0.6, truth = -d / 2.0 * log(1 - rho * rho);
    ip_rng r;
    ip_rng_seed(&r, 12);
    double *a = randn(&r, m, d), *b = randn(&r, m, d);
    for (int i = 0; i < m * d; i++) b[i] = rho * a[i] + sqrt(1 - rho * rho) * b[i];
    double betas[] = {1, 10, 100, 1000, 1e4}, prev = 0;
    for (int k = 0; k < 5; k++) {
        double v = mi(a, d, b, d, m, IP_MODE_COV, betas[k]), bb = betas[k];
        double pop = -d / 2.0 * log(1 - bb * bb * rho * rho / ((1 + bb) * (1 + bb)));
        printf("  beta %-6g I = %.5f  (population %.5f, limit %.5f)\n", bb, v, pop, truth);
        assert_true(v > prev);
        assert_close(v, pop, 0.03, 0.0);
        prev = v;
    }
    assert_close(prev, truth, 0.03, 0.0);
    free(a);
    free(b);
}

/* A constant matrix has entropy exactly 0 (columns of any constant, d < m and d > m). */
static void test_constant_data_zero(void **state)
{
    (void)state;
    int shapes[][2] = {{100, 5}, {10, 50}};
    for (int s = 0; s < 2; s++) {
        int m = shapes[s][0], d = shapes[s][1];
        double *a = malloc((size_t)m * d * sizeof *a);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < d; j++) a[i * d + j] = 0.1 * (j + 1) - 3.7 * (j % 3);
        for (int mode = 0; mode < 2; mode++) {
            double h = entropy(a, m, d, (ip_logdet_mode)mode, 1e5);
            if (h != 0.0) fail_msg("constant %dx%d, mode %d: H = %.17g, not 0", m, d, mode, h);
        }
        double v = mi(a, d, a, d, m, IP_MODE_COV, 1e5);
        assert_true(v == 0.0);
        free(a);
    }
}

/* ---- invariances ------------------------------------------------------------------------- */

static void test_permutation_invariance(void **state)
{
    (void)state;
    int m = 300, d = 7, db = 3;
    ip_rng r;
    ip_rng_seed(&r, 13);
    double *a = randn(&r, m, d), *b = randn(&r, m, db), *pa = malloc((size_t)m * d * sizeof *pa),
           *pb = malloc((size_t)m * db * sizeof *pb);
    for (int i = 0; i < m * db; i++) b[i] += 0.5 * a[(i / db) * d + i % db];
    int rows[300], cols[7], colsb[3];
    for (int i = 0; i < m; i++) rows[i] = i;
    for (int j = 0; j < d; j++) cols[j] = j;
    for (int j = 0; j < db; j++) colsb[j] = j;
    ip_rng_shuffle_int(&r, rows, m);
    ip_rng_shuffle_int(&r, cols, d);
    ip_rng_shuffle_int(&r, colsb, db);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < d; j++) pa[i * d + j] = a[rows[i] * d + cols[j]];
        for (int j = 0; j < db; j++) pb[i * db + j] = b[rows[i] * db + colsb[j]];
    }
    for (int mode = 0; mode < 2; mode++) {
        assert_close(entropy(pa, m, d, (ip_logdet_mode)mode, 50), entropy(a, m, d, (ip_logdet_mode)mode, 50), 1e-12, 0);
        assert_close(mi(pa, d, pb, db, m, (ip_logdet_mode)mode, 50), mi(a, d, b, db, m, (ip_logdet_mode)mode, 50), 1e-11,
                     1e-13);
    }
    free(a);
    free(b);
    free(pa);
    free(pb);
}

/* Pearson mode ignores per-unit scale (and sign, and shift); cov mode does not. The guard
 * eps = 1e-8 only perturbs a column whose centred norm^2 is comparable to it. */
static void test_pearson_scale_invariance(void **state)
{
    (void)state;
    int m = 200, d = 6;
    ip_rng r;
    ip_rng_seed(&r, 14);
    double *a = randn(&r, m, d), *s = malloc((size_t)m * d * sizeof *s);
    double f[] = {0.05, -3, 20, 1, 0.5, -7};
    for (int i = 0; i < m; i++)
        for (int j = 0; j < d; j++) s[i * d + j] = f[j] * a[i * d + j] + 10 * j;
    assert_close(entropy(s, m, d, IP_MODE_PEARSON, 100), entropy(a, m, d, IP_MODE_PEARSON, 100), 1e-9, 0);
    assert_true(fabs(entropy(s, m, d, IP_MODE_COV, 100) - entropy(a, m, d, IP_MODE_COV, 100)) > 0.1);
    free(a);
    free(s);
}

/* The Sylvester m x m form (d > m) against the definition on the d x d matrix, and the same
 * data just below and above the switch. */
static void test_sylvester_matches_direct(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 15);
    int m = 40, dims[] = {10, 39, 40, 41, 100};
    for (int k = 0; k < 5; k++) {
        int d = dims[k];
        double *a = randn(&r, m, d);
        for (int i = 0; i < m * d; i++) a[i] = tanh(2 * a[i]);
        for (int mode = 0; mode < 2; mode++) {
            double got = entropy(a, m, d, (ip_logdet_mode)mode, 300), want = entropy_naive(a, m, d, (ip_logdet_mode)mode, 300);
            if (!(fabs(got - want) <= 1e-10 * fabs(want)))
                fail_msg("m=%d d=%d mode %d: library %.17g, naive d x d %.17g", m, d, mode, got, want);
        }
        free(a);
    }
}

/* ---- degenerate units --------------------------------------------------------------------- */

/* Dead (all 0), saturated (all 1), constant units add exactly nothing; a duplicated unit follows
 * det(I + beta c 11^T) = 1 + 2 beta c; a rank-deficient layer stays finite; everything matches
 * the definition computed naively. */
static void test_degenerate_units(void **state)
{
    (void)state;
    int m = 120, d = 4, dd = 9;
    ip_rng r;
    ip_rng_seed(&r, 16);
    double *a = randn(&r, m, d), *t = malloc((size_t)m * dd * sizeof *t);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < d; j++) t[i * dd + j] = tanh(a[i * d + j]);
        t[i * dd + 4] = 0.0;                                      /* dead relu */
        t[i * dd + 5] = 1.0;                                      /* saturated tanh */
        t[i * dd + 6] = 0.3;                                      /* constant */
        t[i * dd + 7] = t[i * dd + 0];                            /* duplicate */
        t[i * dd + 8] = t[i * dd + 1] - 2 * t[i * dd + 2];        /* linear combination */
    }
    for (int mode = 0; mode < 2; mode++) {
        ip_logdet_mode md = (ip_logdet_mode)mode;
        double h_full = entropy(t, m, dd, md, 1e4), h_naive = entropy_naive(t, m, dd, md, 1e4);
        assert_true(isfinite(h_full));
        assert_close(h_full, h_naive, 1e-10, 0);
        /* Only the three constant columns: the same as the 4 live ones plus the two dependent ones. */
        double *live = malloc((size_t)m * 6 * sizeof *live);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < 4; j++) live[i * 6 + j] = t[i * dd + j];
            live[i * 6 + 4] = t[i * dd + 7];
            live[i * 6 + 5] = t[i * dd + 8];
        }
        assert_close(entropy(live, m, 6, md, 1e4), h_full, 1e-13, 0);
        free(live);
    }
    /* A duplicated single unit: 1/2 log(1 + 2 beta c), c its variance (cov mode). */
    double *u = malloc((size_t)m * 2 * sizeof *u), mu = 0, var = 0;
    for (int i = 0; i < m; i++) mu += t[i * dd] / m;
    for (int i = 0; i < m; i++) var += (t[i * dd] - mu) * (t[i * dd] - mu) / m;
    for (int i = 0; i < m; i++) u[2 * i] = u[2 * i + 1] = t[i * dd];
    assert_close(entropy(u, m, 2, IP_MODE_COV, 1e4), 0.5 * log(1 + 2e4 * var), 1e-12, 0);
    double v = mi(t, dd, a, d, m, IP_MODE_COV, 1e4);
    assert_true(isfinite(v) && v > 0);
    free(u);
    free(a);
    free(t);
}

/* I(A;B) is symmetric, non-negative, and I(A;Y) with labels equals I(A;B) with B one-hot. */
static void test_mi_symmetry_and_labels(void **state)
{
    (void)state;
    int m = 250, d = 12, k = 5;
    ip_rng r;
    ip_rng_seed(&r, 17);
    double *a = randn(&r, m, d), *oh = calloc((size_t)m * k, sizeof *oh);
    int *y = malloc((size_t)m * sizeof *y);
    for (int i = 0; i < m; i++) {
        y[i] = (int)ip_rng_below(&r, (uint64_t)(k - 1)); /* class k-1 never occurs: a zero column */
        oh[i * k + y[i]] = 1;
        a[i * d] += y[i];
    }
    for (int mode = 0; mode < 2; mode++) {
        ip_logdet_mode md = (ip_logdet_mode)mode;
        double ab = mi(a, d, oh, k, m, md, 700), ba = mi(oh, k, a, d, m, md, 700), lab = NAN;
        ip_logdet_terms t;
        assert_int_equal(ip_logdet_mi_labels(a, m, d, d, y, k, md, 700, &lab, &t), IP_OK);
        assert_close(ab, ba, 1e-12, 1e-14);
        assert_close(lab, ab, 1e-12, 1e-14);
        assert_close(t.mi, t.h_a + t.h_b - t.h_ab, 1e-15, 1e-15);
        assert_close(t.h_a, entropy(a, m, d, md, 700), 1e-12, 0);
        double hj = NAN;
        assert_int_equal(ip_logdet_joint_entropy(a, m, d, d, oh, k, k, md, 700, &hj), IP_OK);
        assert_close(t.h_ab, hj, 1e-12, 0);
        assert_true(ab > 0.1);
    }
    free(a);
    free(oh);
    free(y);
}

/* ---- NumPy reference ---------------------------------------------------------------------- */

static char tmpdir[] = "/tmp/ip_test_logdet_XXXXXX";

/* Runs tests/ref/logdet_ref.py; fills out[0..n) with the numbers it prints. */
static void numpy_ref(const char *what, const char *mode, double beta, const char *fa, const char *fb, double *v,
                      int nv)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/logdet_ref.py %s %s %.17g %s %s 2>&1", what, mode, beta,
             fa, fb ? fb : "");
    ip_test_python_ref(cmd, v, nv);
}

static void test_numpy_reference(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    ip_rng r;
    ip_rng_seed(&r, 18);
    struct { int m, da, db; double beta; } cases[] = {{500, 20, 8, 2000}, {60, 90, 5, 78400}, {300, 3, 2, 1}};
    char fa[256], fb[256];
    snprintf(fa, sizeof fa, "%s/a.csv", tmpdir);
    snprintf(fb, sizeof fb, "%s/b.csv", tmpdir);
    double worst = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int m = cases[c].m, da = cases[c].da, db = cases[c].db;
        double *a = randn(&r, m, da), *b = randn(&r, m, db);
        for (int i = 0; i < m * da; i++) a[i] = i % 7 == 0 ? fmax(a[i], 0) : tanh(a[i]);
        for (int i = 0; i < m; i++) a[i * da + 1] = 0.25; /* a constant unit */
        for (int i = 0; i < m * db; i++) b[i] += a[(i / db) * da + (i % db + 2) % da];
        assert_int_equal(ip_csv_write_matrix(fa, a, m, da, da), IP_OK);
        assert_int_equal(ip_csv_write_matrix(fb, b, m, db, db), IP_OK);
        for (int mode = 0; mode < 2; mode++) {
            ip_logdet_mode md = (ip_logdet_mode)mode;
            const char *mn = ip_logdet_mode_name(md);
            double beta = cases[c].beta, got[3], want[3];
            got[0] = entropy(a, m, da, md, beta);
            got[1] = mi(a, da, b, db, m, md, beta);
            assert_int_equal(ip_logdet_joint_entropy(a, m, da, da, b, db, db, md, beta, &got[2]), IP_OK);
            numpy_ref("all", mn, beta, fa, fb, want, 3);
            double e = ip_test_max_rel_err(got, want, 3, 1e-300);
            printf("  m=%d d=%d+%d beta=%g %s: H %.12g, I %.12g, H(A,B) %.12g, rel err %.1e\n", m, da, db, beta, mn,
                   got[0], got[1], got[2], e);
            /* Cov mode to 1e-9 (the bar); pearson too, its eps is defined identically. */
            if (e > 1e-9) fail_msg("relative error %.3g against NumPy exceeds 1e-9", e);
            if (e > worst) worst = e;
        }
        free(a);
        free(b);
    }
    printf("  largest relative error against NumPy slogdet: %.2e\n", worst);
    remove(fa);
    remove(fb);
    rmdir(tmpdir);
}

/* ---- bad arguments ------------------------------------------------------------------------ */

static void expect_error(int rc, const char *fragment)
{
    if (rc == IP_OK) fail_msg("call succeeded, expected an error mentioning '%s'", fragment);
    if (!strstr(ip_error_message(), fragment))
        fail_msg("message \"%s\" lacks \"%s\"", ip_error_message(), fragment);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double a[6] = {1, 2, 3, 4, 5, 7}, h;
    int y[3] = {0, 1, 2};
    expect_error(ip_logdet_entropy(a, 3, 2, 2, IP_MODE_COV, 0, &h), "beta");
    expect_error(ip_logdet_entropy(a, 3, 2, 2, IP_MODE_COV, -1, &h), "beta");
    expect_error(ip_logdet_entropy(a, 3, 2, 2, IP_MODE_COV, NAN, &h), "beta");
    expect_error(ip_logdet_entropy(a, 3, 2, 2, IP_MODE_COV, INFINITY, &h), "beta");
    expect_error(ip_logdet_entropy(a, 0, 2, 2, IP_MODE_COV, 1, &h), "sample");
    /* One sample: its covariance is zero whatever the data, so every estimate would be 0. */
    expect_error(ip_logdet_entropy(a, 1, 2, 2, IP_MODE_COV, 1, &h), "needs at least 2");
    expect_error(ip_logdet_mi(a, 1, 1, 2, a + 1, 1, 2, IP_MODE_PEARSON, 1, &h, NULL), "needs at least 2");
    expect_error(ip_logdet_mi_labels(a, 1, 2, 2, y, 2, IP_MODE_COV, 1, &h, NULL), "needs at least 2");
    /* Finite values whose squares overflow: the message names the scale, not a non-finite logdet. */
    double big[6] = {1e300, 2e300, -1e300, 3e300, 2e300, 1e300};
    for (int mode = 0; mode < 2; mode++) {
        expect_error(ip_logdet_entropy(big, 3, 2, 2, (ip_logdet_mode)mode, 1, &h), "scale overflows");
        expect_error(ip_logdet_entropy(big, 3, 2, 2, (ip_logdet_mode)mode, 1, &h), "divide the data");
    }
    double huge[4] = {1.5e308, 1.6e308, 1.7e308, 1.75e308}; /* the column sum itself overflows */
    expect_error(ip_logdet_entropy(huge, 4, 1, 1, IP_MODE_COV, 1, &h), "scale overflows");
    expect_error(ip_logdet_entropy(a, 3, 2, 1, IP_MODE_COV, 1, &h), "leading dimension");
    expect_error(ip_logdet_entropy(a, 3, 2, 2, (ip_logdet_mode)7, 1, &h), "mode");
    a[3] = NAN;
    expect_error(ip_logdet_entropy(a, 3, 2, 2, IP_MODE_COV, 1, &h), "NaN");
    a[3] = 4;
    a[2] = INFINITY;
    expect_error(ip_logdet_mi(a + 1, 3, 1, 2, a, 1, 2, IP_MODE_COV, 1, &h, NULL), "B: column 1");
    a[2] = 3;
    expect_error(ip_logdet_mi_labels(a, 3, 2, 2, y, 2, IP_MODE_COV, 1, &h, NULL), "label 2 of sample 3");
    expect_error(ip_logdet_mi_labels(a, 3, 2, 2, y, 0, IP_MODE_COV, 1, &h, NULL), "class");
    ip_logdet_mode md;
    expect_error(ip_logdet_mode_parse("corr", &md), "cov or pearson");
    assert_int_equal(ip_logdet_mode_parse("pearson", &md), IP_OK);
    assert_int_equal(md, IP_MODE_PEARSON);
}

/* The blocked Cholesky LogDet uses (ip_dpotrf_upper_inplace) against LAPACK's dpotrf
 * (ip_dpotrf_upper, the plain reference): the same factor to 1e-12 relative on an SPD matrix of
 * several blocks; the same bits on 1 and 2 BLAS threads; a matrix that stops being positive
 * definite at row 200 named at its leading minor 201. */
static void test_cholesky_blocked(void **state)
{
    (void)state;
    int n = ip_test_slow_env() ? 300 : 700, k = n + 20;
    double *z = malloc(sizeof(double) * (size_t)k * n), *a = malloc(sizeof(double) * (size_t)n * n);
    double *f1 = malloc(sizeof(double) * (size_t)n * n), *f2 = malloc(sizeof(double) * (size_t)n * n);
    double *ref = malloc(sizeof(double) * (size_t)n * n);
    assert_true(z && a && f1 && f2 && ref);
    ip_rng rng;
    ip_rng_seed(&rng, 11);
    for (size_t i = 0; i < (size_t)k * n; i++) z[i] = ip_rng_normal(&rng);
    ip_dsyrk(1, n, k, 1.0 / k, z, n, 0.0, a, n); /* upper triangle of Z^T Z / k, well conditioned */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) a[(size_t)i * n + j] = a[(size_t)j * n + i];
    int before = ip_blas_threads();
    memcpy(ref, a, sizeof(double) * (size_t)n * n);
    assert_int_equal(ip_dpotrf_upper(n, ref, n, "reference"), IP_OK);
    ip_blas_set_threads(1);
    memcpy(f1, a, sizeof(double) * (size_t)n * n);
    assert_int_equal(ip_dpotrf_upper_inplace(n, f1, n, "blocked"), IP_OK);
    ip_blas_set_threads(2);
    memcpy(f2, a, sizeof(double) * (size_t)n * n);
    assert_int_equal(ip_dpotrf_upper_inplace(n, f2, n, "blocked"), IP_OK);
    double worst = 0, scale = 0;
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            size_t at = (size_t)i * n + j;
            assert_true(f1[at] == f2[at]); /* bit for bit, whatever the thread count */
            double d = fabs(f1[at] - ref[at]);
            worst = d > worst ? d : worst;
            scale = fabs(ref[at]) > scale ? fabs(ref[at]) : scale;
        }
    assert_true(worst <= 1e-12 * scale);

    /* Not positive definite from row 200: the diagonal there made negative. */
    memcpy(f1, a, sizeof(double) * (size_t)n * n);
    f1[(size_t)200 * n + 200] = -1.0;
    assert_int_equal(ip_dpotrf_upper_inplace(n, f1, n, "broken"), IP_ERR_NUMERIC);
    assert_non_null(strstr(ip_error_message(), "leading minor 201"));
    ip_blas_set_threads(before);
    free(z);
    free(a);
    free(f1);
    free(f2);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaussian_known_covariance),
        cmocka_unit_test(test_mi_correlated_gaussians),
        cmocka_unit_test(test_constant_data_zero),
        cmocka_unit_test(test_permutation_invariance),
        cmocka_unit_test(test_pearson_scale_invariance),
        cmocka_unit_test(test_sylvester_matches_direct),
        cmocka_unit_test(test_degenerate_units),
        cmocka_unit_test(test_mi_symmetry_and_labels),
        cmocka_unit_test(test_numpy_reference),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_cholesky_blocked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
