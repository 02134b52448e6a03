/* Tests for the KDE bounds (framework/estimate/kde.h): a direct O(m^2) evaluation of the formulas
 * (no SYRK), lower <= upper, the bracket of a Gaussian channel's MI, permutation and translation
 * invariance, identical rows, one sample, parameter checks, NaN, and a NumPy/SciPy reference
 * (cdist + logsumexp). */
#include "testutil.h"

#include "core/csv.h"
#include "core/rng.h"
#include "core/status.h"
#include "estimate/kde.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static double *randn(ip_rng *r, int m, int d)
{
    double *a = malloc((size_t)m * (d ? d : 1) * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < (size_t)m * d; i++) a[i] = ip_rng_normal(r);
    return a;
}

static ip_kde_params params(double noise, ip_kde_bound b)
{
    ip_kde_params p;
    ip_kde_params_default(&p);
    p.noise = noise, p.bound = b;
    return p;
}

/* The formula straight: differences row by row, log-sum-exp with the row maximum found, for the
 * rows with mask[i] == k (mask NULL: all rows). v = s^2 (upper) or 4 s^2 (lower). */
static double h_direct(const double *a, int m, int d, int lda, const int *mask, int k, double s2, int lower)
{
    double v = lower ? 4 * s2 : s2, acc = 0;
    int n = 0;
    for (int i = 0; i < m; i++) n += !mask || mask[i] == k;
    for (int i = 0; i < m; i++) {
        if (mask && mask[i] != k) continue;
        double *x = malloc((size_t)m * sizeof *x), mx = -INFINITY, s = 0;
        for (int j = 0; j < m; j++) {
            double dd = 0;
            for (int c = 0; c < d; c++) {
                double t = a[i * lda + c] - a[j * lda + c];
                dd += t * t;
            }
            x[j] = -dd / (2 * v);
            if ((!mask || mask[j] == k) && x[j] > mx) mx = x[j];
        }
        for (int j = 0; j < m; j++)
            if (!mask || mask[j] == k) s += exp(x[j] - mx);
        acc += mx + log(s) - log((double)n);
        free(x);
    }
    double h = d / 2.0 - acc / n + d / 2.0 * log(2 * M_PI * v);
    return lower ? h + d / 2.0 * log(0.25) : h;
}

/* Both bounds of I(X;T) and I(T;Y) the textbook way: H - noise entropy, H - sum_y p(y) H_y. */
static void plane_direct(const double *a, int m, int d, const int *y, int nk, double s2, double ixt[2], double ity[2])
{
    for (int b = 0; b < 2; b++) {
        double h = h_direct(a, m, d, d, NULL, 0, s2, b), cond = 0;
        for (int k = 0; k < nk; k++) {
            int n = 0;
            for (int i = 0; i < m; i++) n += y[i] == k;
            if (n) cond += (double)n / m * h_direct(a, m, d, d, y, k, s2, b);
        }
        ixt[b] = h - ip_kde_noise_entropy(d, s2);
        ity[b] = h - cond;
    }
}

static double entropy(const double *a, int m, int d, double s2, ip_kde_bound b)
{
    ip_kde_params p = params(s2, b);
    double h = NAN;
    if (ip_kde_entropy(a, m, d, d, &p, &h) != IP_OK) fail_msg("ip_kde_entropy: %s", ip_error_message());
    return h;
}

static void plane(const double *a, int m, int d, const int *y, int nk, double s2, double ixt[2], double ity[2])
{
    ip_kde_params p = params(s2, IP_KDE_UPPER);
    if (ip_kde_plane(a, m, d, d, y, nk, &p, ixt, ity) != IP_OK) fail_msg("ip_kde_plane: %s", ip_error_message());
}

/* Data with structure: a few clusters (by label), an offset far from the origin in one column
 * (what centring is for), tanh squashing. */
static double *clustered(ip_rng *r, int m, int d, int *y, int nk)
{
    double *a = randn(r, m, d);
    for (int i = 0; i < m; i++) {
        y[i] = (int)ip_rng_below(r, (uint64_t)nk);
        for (int j = 0; j < d; j++) a[i * d + j] = tanh(0.7 * a[i * d + j] + (j % nk == y[i])) + (j == 0 ? 50 : 0);
    }
    return a;
}

/* ---- the formulas ----------------------------------------------------------------------------- */

static void test_matches_direct_formula(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 31);
    struct { int m, d, nk; double s2; } cases[] = {{60, 1, 2, 0.1}, {90, 3, 3, 0.05}, {120, 7, 4, 1.0}, {40, 20, 3, 0.3}};
    double worst = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int m = cases[c].m, d = cases[c].d, nk = cases[c].nk, y[120];
        double s2 = cases[c].s2, *a = clustered(&r, m, d, y, nk), got[8], want[8];
        plane(a, m, d, y, nk, s2, got, got + 2);
        plane_direct(a, m, d, y, nk, s2, want, want + 2);
        got[4] = entropy(a, m, d, s2, IP_KDE_UPPER), want[4] = h_direct(a, m, d, d, NULL, 0, s2, 0);
        got[5] = entropy(a, m, d, s2, IP_KDE_LOWER), want[5] = h_direct(a, m, d, d, NULL, 0, s2, 1);
        for (int b = 0; b < 2; b++) { /* the single-bound label MI and its terms */
            ip_kde_params p = params(s2, (ip_kde_bound)b);
            ip_mi_terms t;
            assert_int_equal(ip_kde_mi_labels(a, m, d, d, y, nk, &p, &got[6 + b], &t), IP_OK);
            want[6 + b] = want[2 + b];
            assert_close(t.h_a, want[4 + b], 1e-12, 0);
            assert_close(t.h_ab, t.h_a + t.h_b - t.mi, 1e-14, 1e-14);
        }
        double e = ip_test_max_rel_err(got, want, 8, 1e-300);
        printf("  m=%d d=%d s2=%g: I(X;T) %.12f/%.12f I(T;Y) %.12f/%.12f, rel err vs direct %.1e\n", m, d, s2,
               got[0], got[1], got[2], got[3], e);
        if (e > 1e-12) fail_msg("relative error %.3g against the direct formula", e);
        worst = fmax(worst, e);
        /* I(A;B) = H(A) + H(B) - H([A B]), each side and the joint direct. */
        if (d >= 2) {
            int da = d / 2, db = d - da;
            for (int b = 0; b < 2; b++) {
                ip_kde_params p = params(s2, (ip_kde_bound)b);
                double v = NAN, w = h_direct(a, m, da, d, NULL, 0, s2, b) + h_direct(a + da, m, db, d, NULL, 0, s2, b) -
                                    h_direct(a, m, d, d, NULL, 0, s2, b);
                assert_int_equal(ip_kde_mi(a, m, da, d, a + da, db, d, &p, &v, NULL), IP_OK);
                assert_close(v, w, 1e-11, 1e-13);
            }
        }
        free(a);
    }
    printf("  largest relative error against the direct O(m^2) formula: %.2e\n", worst);
}

/* lower <= upper for the entropies and I(X;T) (I(T;Y) is a difference of bounds: no order). */
static void test_lower_below_upper(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 32);
    for (int k = 0; k < 12; k++) {
        int m = 30 + 20 * k, d = 1 + k % 5, y[300];
        double s2 = pow(10, -2 + 0.3 * k), *a = clustered(&r, m, d, y, 3), ixt[2], ity[2];
        plane(a, m, d, y, 3, s2, ixt, ity);
        assert_true(ixt[1] <= ixt[0]);
        assert_true(entropy(a, m, d, s2, IP_KDE_LOWER) <= entropy(a, m, d, s2, IP_KDE_UPPER));
        assert_true(ixt[1] >= 0 && ixt[0] <= log(m) + 1e-12); /* I(X;T) is in [0, log m] */
        free(a);
    }
}

/* X ~ N(0, I_d), T = X: I(X; T + N) = (d/2) log(1 + 1/s^2). The KDE bounds bracket it up to the
 * finite-sample error: lower <= true + tol and upper >= true - tol, tol = 0.05 nats (at m = 3000
 * the brackets' margins are 0.2 nats and more; see docs/kde.md). */
static void test_gaussian_channel_bracket(void **state)
{
    (void)state;
    int m = ip_test_valgrind() ? 600 : ip_test_slow_env() ? 1500 : 3000;
    double tol = 0.05, noises[] = {0.1, 0.5, 1.0};
    ip_rng r;
    ip_rng_seed(&r, 33);
    int *y = calloc((size_t)m, sizeof *y);
    for (int d = 1; d <= 3; d++) {
        double *x = randn(&r, m, d);
        for (int k = 0; k < 3; k++) {
            double s2 = noises[k], truth = d / 2.0 * log(1 + 1 / s2), ixt[2], ity[2];
            plane(x, m, d, y, 1, s2, ixt, ity);
            printf("  d=%d s2=%-4g m=%d: lower %.4f <= true %.4f <= upper %.4f\n", d, s2, m, ixt[1], truth, ixt[0]);
            if (!(ixt[1] <= truth + tol && ixt[0] >= truth - tol))
                fail_msg("bounds [%g, %g] miss %g by more than %g", ixt[1], ixt[0], truth, tol);
            assert_true(ity[0] == 0.0 && ity[1] == 0.0); /* one class: the class term is the whole */
        }
        free(x);
    }
    free(y);
}

/* ---- invariances and degenerate data ---------------------------------------------------------- */

static void test_permutation_and_translation(void **state)
{
    (void)state;
    int m = 200, d = 4, y[200], py[200], perm[200];
    ip_rng r;
    ip_rng_seed(&r, 34);
    double *a = clustered(&r, m, d, y, 3), *pa = malloc((size_t)m * d * sizeof *pa), *ta = malloc((size_t)m * d * sizeof *ta);
    for (int i = 0; i < m; i++) perm[i] = i;
    ip_rng_shuffle_int(&r, perm, m);
    for (int i = 0; i < m; i++) {
        py[i] = y[perm[i]];
        for (int j = 0; j < d; j++) {
            pa[i * d + j] = a[perm[i] * d + j];
            ta[i * d + j] = a[i * d + j] + 1000.0 * (j + 1) - 321.5;
        }
    }
    double x0[2], t0[2], x1[2], t1[2], x2[2], t2[2];
    plane(a, m, d, y, 3, 0.2, x0, t0);
    plane(pa, m, d, py, 3, 0.2, x1, t1);
    plane(ta, m, d, y, 3, 0.2, x2, t2);
    for (int b = 0; b < 2; b++) {
        assert_close(x1[b], x0[b], 1e-12, 0);
        assert_close(t1[b], t0[b], 1e-12, 1e-14);
        assert_close(x2[b], x0[b], 1e-10, 0); /* translation: rounding of the shifted inputs */
        assert_close(t2[b], t0[b], 1e-10, 1e-12);
    }
    assert_true(t0[0] > 0.1);
    free(a), free(pa), free(ta);
}

/* Identical rows: every distance 0, I(X;T) = 0 exactly and H = (d/2)(1 + log 2 pi s^2); one
 * sample likewise. */
static void test_identical_rows_and_one_sample(void **state)
{
    (void)state;
    int m = 50, d = 3, y[50];
    double a[150], ixt[2], ity[2];
    for (int i = 0; i < m; i++) {
        a[i * d] = 0.25, a[i * d + 1] = -3, a[i * d + 2] = 7;
        y[i] = i % 2;
    }
    plane(a, m, d, y, 2, 0.1, ixt, ity);
    assert_true(ixt[0] == 0.0 && ixt[1] == 0.0);
    assert_close(ity[0], 0.0, 0, 1e-15);
    assert_close(entropy(a, m, d, 0.1, IP_KDE_UPPER), ip_kde_noise_entropy(d, 0.1), 1e-15, 0);
    assert_close(entropy(a, m, d, 0.1, IP_KDE_LOWER), ip_kde_noise_entropy(d, 0.1), 1e-15, 0);
    plane(a, 1, d, y, 2, 0.1, ixt, ity);
    assert_true(ixt[0] == 0.0 && ixt[1] == 0.0 && ity[0] == 0.0 && ity[1] == 0.0);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void expect_error(int rc, int code, const char *fragment)
{
    if (rc == IP_OK) fail_msg("call succeeded, expected an error mentioning '%s'", fragment);
    if (code) assert_int_equal(rc, code);
    if (!strstr(ip_error_message(), fragment)) fail_msg("message \"%s\" lacks \"%s\"", ip_error_message(), fragment);
}

static void test_params_and_errors(void **state)
{
    (void)state;
    ip_kde_params p;
    ip_kde_params_default(&p);
    assert_true(p.noise == 0.1 && p.bound == IP_KDE_UPPER);
    assert_int_equal(ip_kde_params_check(&p), IP_OK);
    assert_string_equal(ip_kde_bound_names[IP_KDE_LOWER], "lower");
    assert_null(ip_kde_bound_names[2]);
    double bad_noise[] = {0, -0.1, NAN, INFINITY}, a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, h, v, ixt[2], ity[2];
    int y[4] = {0, 1, 0, 1};
    for (int k = 0; k < 4; k++) {
        ip_kde_params q = params(bad_noise[k], IP_KDE_UPPER);
        expect_error(ip_kde_params_check(&q), IP_ERR, "noise variance");
        expect_error(ip_kde_entropy(a, 4, 2, 2, &q, &h), IP_ERR, "noise variance");
        expect_error(ip_kde_plane(a, 4, 2, 2, y, 2, &q, ixt, ity), IP_ERR, "noise variance");
    }
    ip_kde_params q = params(0.1, (ip_kde_bound)5);
    expect_error(ip_kde_params_check(&q), IP_ERR, "bound");
    a[5] = NAN; /* row 3, column 2 */
    expect_error(ip_kde_entropy(a, 4, 2, 2, &p, &h), IP_ERR_NUMERIC, "row 3, column 2 holds NaN");
    expect_error(ip_kde_plane(a, 4, 2, 2, y, 2, &p, ixt, ity), IP_ERR_NUMERIC, "row 3, column 2");
    expect_error(ip_kde_mi(a, 4, 1, 2, a + 1, 1, 2, &p, &v, NULL), IP_ERR_NUMERIC, "B: row 3, column 1 holds NaN");
    a[5] = 6;
    a[6] = INFINITY;
    expect_error(ip_kde_mi_labels(a, 4, 2, 2, y, 2, &p, &v, NULL), IP_ERR_NUMERIC, "row 4, column 1 holds Inf");
    a[6] = 7;
    expect_error(ip_kde_mi_labels(a, 4, 2, 2, y, 1, &p, &v, NULL), IP_ERR_FORMAT, "label 1 of sample 2");
    expect_error(ip_kde_plane(a, 4, 2, 2, y, 0, &p, ixt, ity), 0, "class");
    expect_error(ip_kde_entropy(a, 0, 2, 2, &p, &h), 0, "m >= 1");
    expect_error(ip_kde_entropy(a, 4, 2, 1, &p, &h), 0, "leading dimension");
    double big[2] = {1e200, -1e200};
    expect_error(ip_kde_entropy(big, 2, 1, 1, &p, &h), IP_ERR_NUMERIC, "overflows");
}

/* ---- NumPy/SciPy reference -------------------------------------------------------------------- */

static void scipy_ref(const char *what, double s2, const char *fa, const char *fb, double *v, int nv)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/kde_ref.py %s %.17g %s %s 2>&1", what, s2, fa, fb);
    ip_test_python_ref(cmd, v, nv);
}

static void test_scipy_reference(void **state)
{
    (void)state;
    char dir[] = "/tmp/ip_test_kde_XXXXXX", fa[300], fb[300], fy[300];
    assert_non_null(mkdtemp(dir));
    snprintf(fa, sizeof fa, "%s/a.csv", dir);
    snprintf(fb, sizeof fb, "%s/b.csv", dir);
    snprintf(fy, sizeof fy, "%s/y.csv", dir);
    int slow = ip_test_slow_env();
    struct { int m, d, db; double s2; } cases[] = {{slow ? 150 : 800, 6, 3, 0.1}, {slow ? 100 : 500, 2, 1, 1.0},
                                                   {slow ? 60 : 300, 40, 10, 0.5}};
    ip_rng r;
    ip_rng_seed(&r, 35);
    double worst = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int m = cases[c].m, d = cases[c].d, db = cases[c].db, nk = 4;
        int *y = malloc((size_t)m * sizeof *y);
        double s2 = cases[c].s2, *a = clustered(&r, m, d, y, nk), *b = randn(&r, m, db), *yd = malloc(m * sizeof *yd);
        for (int i = 0; i < m; i++) {
            yd[i] = y[i];
            for (int j = 0; j < db; j++) b[i * db + j] = 0.3 * b[i * db + j] + a[i * d + j];
        }
        assert_int_equal(ip_csv_write_matrix(fa, a, m, d, d), IP_OK);
        assert_int_equal(ip_csv_write_matrix(fb, b, m, db, db), IP_OK);
        assert_int_equal(ip_csv_write_matrix(fy, yd, m, 1, 1), IP_OK);
        double got[8], want[8];
        got[0] = entropy(a, m, d, s2, IP_KDE_UPPER);
        got[1] = entropy(a, m, d, s2, IP_KDE_LOWER);
        plane(a, m, d, y, nk, s2, got + 2, got + 4);
        for (int bd = 0; bd < 2; bd++) {
            ip_kde_params p = params(s2, (ip_kde_bound)bd);
            assert_int_equal(ip_kde_mi(a, m, d, d, b, db, db, &p, &got[6 + bd], NULL), IP_OK);
        }
        scipy_ref("labels", s2, fa, fy, want, 6);
        scipy_ref("mi", s2, fa, fb, want + 6, 2);
        double e = ip_test_max_rel_err(got, want, 8, 1e-300);
        printf("  m=%d d=%d s2=%g: H %.10f/%.10f I(X;T) %.10f/%.10f I(T;Y) %.10f/%.10f I(A;B) %.10f/%.10f, "
               "max rel err %.1e\n", m, d, s2, got[0], got[1], got[2], got[3], got[4], got[5], got[6], got[7], e);
        if (e > 1e-12) fail_msg("relative error %.3g against NumPy/SciPy exceeds 1e-12", e);
        worst = fmax(worst, e);
        free(a), free(b), free(yd), free(y);
    }
    printf("  largest relative error against SciPy cdist + logsumexp: %.2e\n", worst);
    remove(fa), remove(fb), remove(fy), rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_direct_formula),
        cmocka_unit_test(test_lower_below_upper),
        cmocka_unit_test(test_gaussian_channel_bracket),
        cmocka_unit_test(test_permutation_and_translation),
        cmocka_unit_test(test_identical_rows_and_one_sample),
        cmocka_unit_test(test_params_and_errors),
        cmocka_unit_test(test_scipy_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
