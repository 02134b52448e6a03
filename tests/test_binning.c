/* Tests for the binning estimator (framework/estimate/binning.h): the plug-in MI of discrete
 * samples computed here from counts, labels that are a function of T, every range mode on a
 * hand-worked matrix, constant columns, one sample, saturation at log m, exact permutation
 * invariance, NaN, parameter checks, and a NumPy reference (np.unique(axis=0)). */
#include "testutil.h"

#include "core/csv.h"
#include "core/rng.h"
#include "core/status.h"
#include "estimate/binning.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static ip_binning_params params(ip_binning_range range, int bins, double lo, double hi, double width)
{
    ip_binning_params p;
    ip_binning_params_default(&p);
    p.range = range, p.bins = bins, p.lo = lo, p.hi = hi, p.width = width;
    return p;
}

static double entropy(const double *a, int m, int d, const ip_binning_params *p)
{
    double h = NAN;
    if (ip_binning_entropy(a, m, d, d, p, &h, NULL, NULL) != IP_OK) fail_msg("entropy: %s", ip_error_message());
    return h;
}

/* -sum p log p of the counts n[0..k) (zeros skipped), total m: the textbook form. */
static double plugin_h(const int *n, int k, int m)
{
    double h = 0;
    for (int i = 0; i < k; i++)
        if (n[i]) h -= (double)n[i] / m * log((double)n[i] / m);
    return h;
}

/* Small integers 0..K-1 with a dependence between columns: discrete data whose plug-in MI is known. */
enum { K = 4 };
static double *discrete(ip_rng *r, int m, int d)
{
    double *a = malloc((size_t)m * d * sizeof *a);
    assert_non_null(a);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < d; j++)
            a[i * d + j] = j && ip_rng_uniform(r) < 0.6 ? a[i * d + j - 1] : (double)ip_rng_below(r, K);
    return a;
}

/* The code of row i's first `d` columns read as a base-K number. */
static int base_k(const double *a, int i, int d, int lda)
{
    int s = 0;
    for (int j = d - 1; j >= 0; j--) s = s * K + (int)a[i * lda + j];
    return s;
}

/* ---- discrete data: the estimator is the plug-in estimator ---------------------------------- */

static void test_discrete_equals_plugin(void **state)
{
    (void)state;
    int m = 700, d = 3, n_sym = K * K * K;
    ip_rng r;
    ip_rng_seed(&r, 21);
    double *a = discrete(&r, m, d);
    int *na = calloc((size_t)n_sym, sizeof *na), *nb = calloc(K, sizeof *nb), *nab = calloc((size_t)n_sym, sizeof *nab);
    int *ny = calloc(3, sizeof *ny), *nay = calloc((size_t)n_sym * 3, sizeof *nay), *y = malloc(m * sizeof *y);
    /* A = columns 0..1, B = column 2 (so I(A;B) = H(A) + H(B) - H(A,B)); labels y depend on column 0. */
    for (int i = 0; i < m; i++) {
        y[i] = ((int)a[i * d] + (int)ip_rng_below(&r, 2)) % 3;
        na[base_k(a, i, 2, d)]++, nb[(int)a[i * d + 2]]++, nab[base_k(a, i, 3, d)]++;
        ny[y[i]]++, nay[base_k(a, i, 3, d) * 3 + y[i]]++;
    }
    double ha = plugin_h(na, n_sym, m), hb = plugin_h(nb, K, m), hab = plugin_h(nab, n_sym, m);
    double ht = plugin_h(nab, n_sym, m), hty = plugin_h(nay, n_sym * 3, m), hy = plugin_h(ny, 3, m);
    /* Three ways of giving each integer its own bin. */
    ip_binning_params ps[] = {params(IP_BIN_FIXED, K, -0.5, K - 0.5, 0), params(IP_BIN_WIDTH, 0, 0, 0, 1.0),
                              params(IP_BIN_UNIT, K, 0, 0, 0)};
    double *b = malloc((size_t)m * sizeof *b);
    for (int i = 0; i < m; i++) b[i] = a[i * d + 2];
    for (int k = 0; k < 3; k++) {
        ip_mi_terms t;
        double v = NAN, ixt = NAN, ity = NAN;
        assert_int_equal(ip_binning_mi(a, m, 2, d, b, 1, 1, &ps[k], &v, &t), IP_OK);
        assert_close(t.h_a, ha, 1e-14, 0);
        assert_close(t.h_b, hb, 1e-14, 0);
        assert_close(t.h_ab, hab, 1e-14, 0);
        assert_close(v, ha + hb - hab, 1e-13, 1e-15);
        assert_true(v > 0.05);
        assert_int_equal(ip_binning_plane(a, m, d, d, y, 3, &ps[k], &ixt, &ity, NULL, NULL), IP_OK);
        assert_close(ixt, ht, 1e-14, 0);
        assert_close(ity, ht + hy - hty, 1e-13, 1e-15);
        printf("  %s: I(A;B) = %.15f (plug-in %.15f), I(T;Y) = %.15f (plug-in %.15f)\n",
               ip_binning_range_names[ps[k].range], v, ha + hb - hab, ity, ht + hy - hty);
    }
    free(a), free(b), free(na), free(nb), free(nab), free(ny), free(nay), free(y);
}

/* Labels that are a function of T: H(Y | T) = 0, so I(T;Y) = H(Y); and I(A;A) = H(A). */
static void test_labels_function_of_t(void **state)
{
    (void)state;
    int m = 900, d = 2, n[5] = {0};
    ip_rng r;
    ip_rng_seed(&r, 22);
    double *a = discrete(&r, m, d);
    int *y = malloc(m * sizeof *y);
    for (int i = 0; i < m; i++) n[y[i] = ((int)a[i * d] * 3 + (int)a[i * d + 1]) % 5]++;
    ip_binning_params p = params(IP_BIN_WIDTH, 0, 0, 0, 1.0);
    ip_mi_terms t;
    double v = NAN, aa = NAN;
    assert_int_equal(ip_binning_mi_labels(a, m, d, d, y, 5, &p, &v, &t), IP_OK);
    assert_close(v, plugin_h(n, 5, m), 1e-13, 0);
    assert_close(t.h_b, plugin_h(n, 5, m), 1e-14, 0);
    assert_true(t.h_ab == t.h_a); /* the same symbol counts */
    assert_int_equal(ip_binning_mi(a, m, d, d, a, d, d, &p, &aa, NULL), IP_OK);
    assert_close(aa, entropy(a, m, d, &p), 1e-14, 0);
    free(a), free(y);
}

/* ---- range modes, edges, degenerate data --------------------------------------------------- */

/* Column 0: 0 1 2 3; column 1: 100 100 100 101. The codes of each mode, worked by hand:
 *   layer 2 bins [0,101]: col 0 all bin 0, col 1 all bin 1 -> one symbol, H = 0
 *   unit 2 bins: col 0 -> 0 0 1 1, col 1 -> 0 0 0 1: counts 2 1 1, H = 1.5 log 2
 *   fixed [0,2] 2 bins: col 0 -> 0 1 1 1 (3 clipped), col 1 -> 1 1 1 1: counts 1 3
 *   width 1.5: col 0 -> 0 0 1 2, col 1 -> 66 66 66 67: counts 2 1 1, H = 1.5 log 2 */
static void test_range_modes_and_edges(void **state)
{
    (void)state;
    double a[8] = {0, 100, 1, 100, 2, 100, 3, 101}, lo[2], hi[2], h;
    struct { ip_binning_params p; double h, lo[2], hi[2]; } c[] = {
        {params(IP_BIN_LAYER, 2, 0, 0, 0), 0.0, {0, 0}, {101, 101}},
        {params(IP_BIN_UNIT, 2, 0, 0, 0), 1.5 * log(2), {0, 100}, {3, 101}},
        {params(IP_BIN_FIXED, 2, 0, 2, 0), -(0.25 * log(0.25) + 0.75 * log(0.75)), {0, 0}, {2, 2}},
        {params(IP_BIN_WIDTH, 0, 0, 0, 1.5), 1.5 * log(2), {0, 100}, {3, 101}},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        assert_int_equal(ip_binning_entropy(a, 4, 2, 2, &c[k].p, &h, lo, hi), IP_OK);
        assert_close(h, c[k].h, 1e-15, 0);
        for (int j = 0; j < 2; j++) {
            assert_true(lo[j] == c[k].lo[j]);
            assert_true(hi[j] == c[k].hi[j]);
        }
    }
    /* The plane returns the same edges; lda > d is honoured. */
    double wide[12] = {0, 100, -9, 1, 100, -9, 2, 100, -9, 3, 101, -9}, ixt, ity;
    int y[4] = {0, 0, 1, 1};
    assert_int_equal(ip_binning_plane(wide, 4, 2, 3, y, 2, &c[1].p, &ixt, &ity, lo, hi), IP_OK);
    assert_close(ixt, 1.5 * log(2), 1e-15, 0);
    assert_close(ity, log(2), 1e-15, 0); /* the symbols split by class exactly */
    assert_true(lo[1] == 100 && hi[0] == 3);
}

/* Constant columns add nothing in every mode; an all-constant matrix has H = 0 exactly. */
static void test_constant_columns(void **state)
{
    (void)state;
    int m = 300, d = 3;
    ip_rng r;
    ip_rng_seed(&r, 23);
    double *a = malloc((size_t)m * d * sizeof *a), *b = malloc((size_t)m * 2 * sizeof *b), *c = malloc(m * sizeof *c);
    for (int i = 0; i < m; i++) {
        a[i * d] = b[i * 2] = tanh(ip_rng_normal(&r));
        a[i * d + 1] = 0.7; /* constant, inside the data's range */
        a[i * d + 2] = b[i * 2 + 1] = tanh(ip_rng_normal(&r));
        c[i] = -3.25;
    }
    for (int mode = IP_BIN_LAYER; mode <= IP_BIN_WIDTH; mode++) {
        ip_binning_params p = params((ip_binning_range)mode, 10, -1, 1, 0.1);
        assert_true(entropy(a, m, d, &p) == entropy(b, m, 2, &p));
        assert_true(entropy(c, m, 1, &p) == 0.0);
    }
    free(a), free(b), free(c);
}

/* One sample: every entropy and MI is exactly 0. */
static void test_one_sample(void **state)
{
    (void)state;
    double a[3] = {0.1, -2, 5}, h = NAN, v = NAN, ixt = NAN, ity = NAN;
    int y[1] = {1};
    for (int mode = 0; mode <= IP_BIN_WIDTH; mode++) {
        ip_binning_params p = params((ip_binning_range)mode, 30, -1, 1, 0.07);
        assert_int_equal(ip_binning_entropy(a, 1, 3, 3, &p, &h, NULL, NULL), IP_OK);
        assert_int_equal(ip_binning_mi(a, 1, 2, 3, a + 2, 1, 3, &p, &v, NULL), IP_OK);
        assert_int_equal(ip_binning_plane(a, 1, 3, 3, y, 2, &p, &ixt, &ity, NULL, NULL), IP_OK);
        assert_true(h == 0.0 && v == 0.0 && ixt == 0.0 && ity == 0.0);
    }
}

/* All samples in distinct bins: H(T) = log m (saturation) and I(T;Y) = H(Y). */
static void test_saturation(void **state)
{
    (void)state;
    int m = 2000, d = 10, n[3] = {0};
    ip_rng r;
    ip_rng_seed(&r, 24);
    double *a = malloc((size_t)m * d * sizeof *a), ixt, ity;
    int *y = malloc(m * sizeof *y);
    for (int i = 0; i < m * d; i++) a[i] = ip_rng_normal(&r);
    for (int i = 0; i < m; i++) n[y[i] = (int)ip_rng_below(&r, 3)]++;
    ip_binning_params p;
    ip_binning_params_default(&p);
    assert_int_equal(ip_binning_plane(a, m, d, d, y, 3, &p, &ixt, &ity, NULL, NULL), IP_OK);
    assert_close(ixt, log(m), 1e-15, 0);
    assert_close(ity, plugin_h(n, 3, m), 1e-13, 0);
    free(a), free(y);
}

/* Reordering the samples changes no bit of any result (the sums run over sorted counts). */
static void test_permutation_invariance(void **state)
{
    (void)state;
    int m = 1500, d = 3;
    ip_rng r;
    ip_rng_seed(&r, 25);
    double *a = malloc((size_t)m * d * sizeof *a), *pa = malloc((size_t)m * d * sizeof *pa);
    int *y = malloc(m * sizeof *y), *py = malloc(m * sizeof *py), *perm = malloc(m * sizeof *perm);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < d; j++) a[i * d + j] = tanh(ip_rng_normal(&r) + (j ? a[i * d] : 0));
        y[i] = a[i * d] + 0.3 * ip_rng_normal(&r) > 0;
        perm[i] = i;
    }
    ip_rng_shuffle_int(&r, perm, m);
    for (int i = 0; i < m; i++) {
        memcpy(pa + i * d, a + perm[i] * d, d * sizeof *a);
        py[i] = y[perm[i]];
    }
    for (int mode = 0; mode <= IP_BIN_WIDTH; mode++) {
        ip_binning_params p = params((ip_binning_range)mode, 6, -0.8, 0.8, 0.3);
        double x1, t1, x2, t2, v1, v2;
        assert_int_equal(ip_binning_plane(a, m, d, d, y, 2, &p, &x1, &t1, NULL, NULL), IP_OK);
        assert_int_equal(ip_binning_plane(pa, m, d, d, py, 2, &p, &x2, &t2, NULL, NULL), IP_OK);
        assert_int_equal(ip_binning_mi(a, m, 1, d, a + 1, 2, d, &p, &v1, NULL), IP_OK);
        assert_int_equal(ip_binning_mi(pa, m, 1, d, pa + 1, 2, d, &p, &v2, NULL), IP_OK);
        if (x1 != x2 || t1 != t2 || v1 != v2)
            fail_msg("%s: permuted %.17g %.17g %.17g vs %.17g %.17g %.17g", ip_binning_range_names[mode], x2, t2, v2,
                     x1, t1, v1);
        assert_true(x1 > 1 && t1 > 0.05 && v1 > 0.05); /* not trivially equal */
    }
    free(a), free(pa), free(y), free(py), free(perm);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void expect_error(int rc, int code, const char *fragment)
{
    if (rc == IP_OK) fail_msg("call succeeded, expected an error mentioning '%s'", fragment);
    if (code) assert_int_equal(rc, code);
    if (!strstr(ip_error_message(), fragment)) fail_msg("message \"%s\" lacks \"%s\"", ip_error_message(), fragment);
}

static void test_nonfinite_data(void **state)
{
    (void)state;
    double a[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, h, v, x, t;
    int y[4] = {0, 1, 0, 1};
    ip_binning_params p;
    ip_binning_params_default(&p);
    a[7] = NAN; /* row 3, column 2 */
    expect_error(ip_binning_entropy(a, 4, 3, 3, &p, &h, NULL, NULL), IP_ERR_NUMERIC, "row 3, column 2 holds NaN");
    expect_error(ip_binning_plane(a, 4, 3, 3, y, 2, &p, &x, &t, NULL, NULL), IP_ERR_NUMERIC, "row 3, column 2");
    a[7] = 8;
    a[11] = -INFINITY; /* row 4, column 3 of A: column 2 of B = columns 2..3 */
    expect_error(ip_binning_mi(a, 4, 1, 3, a + 1, 2, 3, &p, &v, NULL), IP_ERR_NUMERIC, "B: row 4, column 2 holds Inf");
    a[11] = 12;
    expect_error(ip_binning_mi_labels(a, 4, 3, 3, y, 1, &p, &v, NULL), IP_ERR_FORMAT, "label 1 of sample 2");
    expect_error(ip_binning_mi_labels(a, 4, 3, 3, y, 0, &p, &v, NULL), 0, "class");
    expect_error(ip_binning_entropy(a, 0, 3, 3, &p, &h, NULL, NULL), 0, "m >= 1");
    expect_error(ip_binning_entropy(a, 4, 3, 2, &p, &h, NULL, NULL), 0, "leading dimension");
    double big[2] = {-1e308, 1e308};
    expect_error(ip_binning_entropy(big, 2, 1, 1, &p, &h, NULL, NULL), IP_ERR_NUMERIC, "overflows");
    p.range = IP_BIN_WIDTH, p.width = 1e-300;
    expect_error(ip_binning_entropy(big, 2, 1, 1, &p, &h, NULL, NULL), IP_ERR_NUMERIC, "bins of width");
}

static void test_params_check(void **state)
{
    (void)state;
    ip_binning_params p;
    ip_binning_params_default(&p);
    assert_int_equal(p.bins, 30);
    assert_int_equal(p.range, IP_BIN_LAYER);
    assert_true(p.lo == -1 && p.hi == 1 && p.width == 0.07);
    assert_int_equal(ip_binning_params_check(&p), IP_OK);
    struct { ip_binning_params p; const char *frag; } bad[] = {
        {params(IP_BIN_LAYER, 0, -1, 1, 0.07), "bins"},
        {params(IP_BIN_UNIT, -3, -1, 1, 0.07), "bins"},
        {params(IP_BIN_FIXED, IP_BINNING_MAX_BINS + 1, -1, 1, 0.07), "bins"},
        {params(IP_BIN_FIXED, 10, 1, 1, 0.07), "lo < hi"},
        {params(IP_BIN_FIXED, 10, 2, 1, 0.07), "lo < hi"},
        {params(IP_BIN_FIXED, 10, NAN, 1, 0.07), "lo < hi"},
        {params(IP_BIN_FIXED, 10, -1, INFINITY, 0.07), "lo < hi"},
        {params(IP_BIN_WIDTH, 10, -1, 1, 0), "width"},
        {params(IP_BIN_WIDTH, 10, -1, 1, -0.1), "width"},
        {params(IP_BIN_WIDTH, 10, -1, 1, NAN), "width"},
        {params(IP_BIN_WIDTH, 10, -1, 1, INFINITY), "width"},
        {params((ip_binning_range)9, 10, -1, 1, 0.1), "range"},
    };
    double a[2] = {0, 1}, h;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        expect_error(ip_binning_params_check(&bad[k].p), IP_ERR, bad[k].frag);
        expect_error(ip_binning_entropy(a, 2, 1, 1, &bad[k].p, &h, NULL, NULL), IP_ERR, bad[k].frag);
    }
    /* What a mode does not use is not checked: WIDTH ignores bins and lo/hi, LAYER ignores lo/hi. */
    assert_int_equal(ip_binning_params_check(&bad[0].p), IP_ERR);
    ip_binning_params ok = params(IP_BIN_WIDTH, 0, 5, -5, 0.1);
    assert_int_equal(ip_binning_params_check(&ok), IP_OK);
    ok = params(IP_BIN_LAYER, IP_BINNING_MAX_BINS, 5, -5, 0);
    assert_int_equal(ip_binning_params_check(&ok), IP_OK);
    assert_string_equal(ip_binning_range_names[IP_BIN_FIXED], "fixed");
    assert_null(ip_binning_range_names[4]);
}

/* ---- NumPy reference -------------------------------------------------------------------------- */

static void numpy_ref(const char *what, const ip_binning_params *p, const char *fa, const char *fb, double *v)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/binning_ref.py %s %s %d %.17g %.17g %.17g %s %s 2>&1", what,
             ip_binning_range_names[p->range], p->bins, p->lo, p->hi, p->width, fa, fb);
    ip_test_python_ref(cmd, v, 4);
}

static void test_numpy_reference(void **state)
{
    (void)state;
    char dir[] = "/tmp/ip_test_binning_XXXXXX", fa[300], fb[300], fy[300];
    assert_non_null(mkdtemp(dir));
    snprintf(fa, sizeof fa, "%s/a.csv", dir);
    snprintf(fb, sizeof fb, "%s/b.csv", dir);
    snprintf(fy, sizeof fy, "%s/y.csv", dir);
    int slow = ip_test_slow_env(), m = slow ? 300 : 2000, da = 4, db = 2, nk = 5;
    ip_rng r;
    ip_rng_seed(&r, 26);
    double *a = malloc((size_t)m * da * sizeof *a), *b = malloc((size_t)m * db * sizeof *b), *yd = malloc(m * sizeof *yd);
    int *y = malloc(m * sizeof *y);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < da; j++) a[i * da + j] = j == 3 ? 0.5 : tanh(ip_rng_normal(&r) + (j ? a[i * da] : 0));
        for (int j = 0; j < db; j++) b[i * db + j] = a[i * da + j] + 0.5 * ip_rng_normal(&r);
        yd[i] = y[i] = (int)((a[i * da] + 1) * 2.5 + ip_rng_uniform(&r)) % nk;
    }
    assert_int_equal(ip_csv_write_matrix(fa, a, m, da, da), IP_OK);
    assert_int_equal(ip_csv_write_matrix(fb, b, m, db, db), IP_OK);
    assert_int_equal(ip_csv_write_matrix(fy, yd, m, 1, 1), IP_OK);
    ip_binning_params ps[] = {params(IP_BIN_LAYER, 8, 0, 0, 0), params(IP_BIN_UNIT, 5, 0, 0, 0),
                              params(IP_BIN_FIXED, 7, -0.6, 0.9, 0), params(IP_BIN_WIDTH, 0, 0, 0, 0.35)};
    double worst = 0;
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        double got[8], want[8];
        ip_mi_terms t;
        assert_int_equal(ip_binning_mi_labels(a, m, da, da, y, nk, &ps[k], &got[1], &t), IP_OK);
        got[0] = t.h_a, got[2] = t.h_b, got[3] = t.h_ab;
        assert_int_equal(ip_binning_mi(a, m, da, da, b, db, db, &ps[k], &got[7], &t), IP_OK);
        got[4] = t.h_a, got[5] = t.h_b, got[6] = t.h_ab;
        numpy_ref("labels", &ps[k], fa, fy, want);
        numpy_ref("mi", &ps[k], fa, fb, want + 4);
        double e = ip_test_max_rel_err(got, want, 8, 1e-300);
        printf("  %-5s H(T) %.15f I(T;Y) %.15f I(A;B) %.15f  max rel err vs NumPy %.1e\n",
               ip_binning_range_names[ps[k].range], got[0], got[1], got[7], e);
        if (e > 1e-12) fail_msg("relative error %.3g against NumPy exceeds 1e-12", e);
        worst = fmax(worst, e);
    }
    printf("  largest relative error against NumPy np.unique: %.2e\n", worst);
    remove(fa), remove(fb), remove(fy), rmdir(dir);
    free(a), free(b), free(yd), free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discrete_equals_plugin),
        cmocka_unit_test(test_labels_function_of_t),
        cmocka_unit_test(test_range_modes_and_edges),
        cmocka_unit_test(test_constant_columns),
        cmocka_unit_test(test_one_sample),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_permutation_invariance),
        cmocka_unit_test(test_nonfinite_data),
        cmocka_unit_test(test_params_check),
        cmocka_unit_test(test_numpy_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
