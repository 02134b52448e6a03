/* Tests for the matrix-based Renyi entropy (framework/estimate/renyi.h): the cluster limit log C,
 * identical points, the alpha = 2 closed form, the labels' block joint against the full Hadamard
 * eigensolve, the two LAPACK drivers against each other, invariances, NumPy/SciPy, bad arguments. */
#include "testutil.h"

#include "core/csv.h"
#include "core/rng.h"
#include "core/status.h"
#include "estimate/renyi.h"

static double *randn(ip_rng *r, int m, int d)
{
    double *a = malloc((size_t)m * d * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < (size_t)m * d; i++) a[i] = ip_rng_normal(r);
    return a;
}

static double *gram(const double *a, int m, int d, double sigma)
{
    double *g = malloc((size_t)m * m * sizeof *g);
    assert_non_null(g);
    if (ip_renyi_gram(a, m, d, d, sigma, g) != IP_OK) fail_msg("ip_renyi_gram: %s", ip_error_message());
    return g;
}

static double entropy_of(const double *g, int m, double alpha)
{
    double *c = malloc((size_t)m * m * sizeof *c), h = NAN;
    assert_non_null(c);
    memcpy(c, g, (size_t)m * m * sizeof *c);
    if (ip_renyi_entropy_gram(c, m, alpha, &h) != IP_OK) fail_msg("entropy: %s", ip_error_message());
    free(c);
    return h;
}

/* C tight clusters far apart: A is nearly block diagonal with C blocks of 1/C, S -> log C. */
static void test_clusters_log_c(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 1);
    int C = 4, per = ip_test_slow_env() ? 10 : 50, m = C * per, d = 3;
    double *a = randn(&r, m, d);
    for (int i = 0; i < m; i++)
        for (int c = 0; c < d; c++) a[i * d + c] = 0.001 * a[i * d + c] + 100.0 * (i / per) * (c == 0);
    ip_renyi_params p = {1.0001, 1.0}; /* within a cluster K ~ 0.9999, across exp(-5000) */
    double h;
    assert_int_equal(ip_renyi_entropy(a, m, d, d, &p, &h), IP_OK);
    printf("  %d clusters, alpha %g: S = %.12f, log C = %.12f\n", C, p.alpha, h, log(C));
    assert_close(h, log(C), 1e-3, 0);
    free(a);
}

static void test_identical_points_zero(void **state)
{
    (void)state;
    int m = 30, d = 5;
    double *a = malloc((size_t)m * d * sizeof *a);
    for (int i = 0; i < m * d; i++) a[i] = 0.3 + (i % d);
    ip_renyi_params p;
    ip_renyi_params_default(&p);
    double h = NAN;
    assert_int_equal(ip_renyi_entropy(a, m, d, d, &p, &h), IP_OK);
    assert_close(h, 0.0, 0, 1e-12);
    free(a);
}

/* alpha = 2: sum lambda^2 = ||A||_F^2 for symmetric A, no eigenvalues needed. */
static void test_alpha2_frobenius(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 2);
    int m = ip_test_slow_env() ? 40 : 300, d = 6;
    double *a = randn(&r, m, d), *g = gram(a, m, d, 1.5), f = 0;
    for (int i = 0; i < m * m; i++) f += g[i] * g[i];
    double h = entropy_of(g, m, 2.0);
    printf("  S_2 = %.15f, -log ||A||_F^2 = %.15f\n", h, -log(f));
    assert_close(h, -log(f), 1e-12, 0);
    free(a);
    free(g);
}

/* The labels' joint through per-class blocks against the full m x m eigensolve of A o Y. */
static void test_label_blocks_match_full(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 3);
    int m = ip_test_slow_env() ? 60 : 400, d = 4, K = 5;
    double *a = randn(&r, m, d);
    int *y = malloc((size_t)m * sizeof *y);
    for (int i = 0; i < m; i++) {
        y[i] = (int)ip_rng_below(&r, K);
        a[i * d] += y[i]; /* some dependence */
    }
    ip_renyi_params p = {1.01, 1.0};
    double mi, *ga = gram(a, m, d, 1.0), *gy = malloc((size_t)m * m * sizeof *gy), *w = malloc((size_t)m * m * sizeof *w);
    ip_mi_terms t;
    assert_int_equal(ip_renyi_mi_labels(a, m, d, d, y, K, &p, &mi, &t), IP_OK);
    assert_int_equal(ip_renyi_gram_labels(y, m, gy), IP_OK);
    double hay, hy = entropy_of(gy, m, p.alpha), ha = entropy_of(ga, m, p.alpha);
    assert_int_equal(ip_renyi_joint_entropy_gram(ga, gy, m, p.alpha, w, &hay), IP_OK);
    printf("  blocks: S(A,Y) %.15f; full: %.15f; I %.15f vs %.15f\n", t.h_ab, hay, mi, ha + hy - hay);
    assert_close(t.h_ab, hay, 1e-11, 0);
    assert_close(t.h_b, hy, 1e-12, 0);
    assert_close(t.h_a, ha, 1e-11, 0);
    assert_close(mi, ha + hy - hay, 1e-10, 1e-12);
    assert_true(mi > 0.05);
    free(a);
    free(y);
    free(ga);
    free(gy);
    free(w);
}

static void test_drivers_agree(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 4);
    int m = ip_test_slow_env() ? 80 : 600, d = 10;
    double *a = randn(&r, m, d), *g = gram(a, m, d, 2.0), h[2];
    for (int s = 0; s < 2; s++) {
        ip_renyi_set_eig_driver(s ? IP_RENYI_EIG_TWO_STAGE : IP_RENYI_EIG_PLAIN);
        h[s] = entropy_of(g, m, 1.01);
    }
    ip_renyi_set_eig_driver(IP_RENYI_EIG_AUTO);
    printf("  dsyevd %.16f, dsyevd_2stage %.16f (diff %.1e)\n", h[0], h[1], fabs(h[0] - h[1]));
    assert_close(h[1], h[0], 1e-10, 0);
    free(a);
    free(g);
}

static void test_permutation_translation(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 5);
    int m = ip_test_slow_env() ? 50 : 250, da = 3, db = 2;
    double *a = randn(&r, m, da), *b = randn(&r, m, db), *a2 = malloc((size_t)m * da * sizeof *a2),
           *b2 = malloc((size_t)m * db * sizeof *b2);
    for (int i = 0; i < m * db; i++) b[i] += a[(i / db) * da];
    int *perm = malloc((size_t)m * sizeof *perm);
    for (int i = 0; i < m; i++) perm[i] = i;
    ip_rng_shuffle_int(&r, perm, m);
    for (int i = 0; i < m; i++) {
        for (int c = 0; c < da; c++) a2[i * da + c] = a[perm[i] * da + c] + 1000.0 * (c + 1);
        for (int c = 0; c < db; c++) b2[i * db + c] = b[perm[i] * db + c] - 7.5;
    }
    ip_renyi_params p = {1.01, 0.8};
    double i1, i2;
    assert_int_equal(ip_renyi_mi(a, m, da, da, b, db, db, &p, &i1, NULL), IP_OK);
    assert_int_equal(ip_renyi_mi(a2, m, da, da, b2, db, db, &p, &i2, NULL), IP_OK);
    printf("  I = %.15f, permuted and translated %.15f\n", i1, i2);
    assert_close(i2, i1, 1e-9, 0);
    free(a);
    free(b);
    free(a2);
    free(b2);
    free(perm);
}

static void expect_error(int rc, const char *fragment)
{
    if (rc == IP_OK) fail_msg("call succeeded, expected an error mentioning '%s'", fragment);
    if (!strstr(ip_error_message(), fragment)) fail_msg("message \"%s\" lacks \"%s\"", ip_error_message(), fragment);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    ip_renyi_params p;
    ip_renyi_params_default(&p);
    assert_int_equal(ip_renyi_params_check(&p), IP_OK);
    assert_true(p.alpha == 1.01 && p.sigma == 0);
    assert_true(ip_renyi_rule_sigma(3000, 10) > 0 && ip_renyi_rule_sigma(3000, 10) < 0.8);
    ip_renyi_params bad[] = {{1, 0}, {0, 0}, {-2, 0}, {NAN, 0}, {INFINITY, 0}, {1.01, -1}, {1.01, NAN}};
    const char *why[] = {"Shannon", "alpha", "alpha", "alpha", "alpha", "sigma", "sigma"};
    for (int i = 0; i < 7; i++) expect_error(ip_renyi_params_check(&bad[i]), why[i]);
    double a[6] = {1, 2, 3, 4, 5, 7}, h;
    expect_error(ip_renyi_entropy(a, 3, 2, 2, &bad[0], &h), "Shannon");
    a[3] = NAN;
    expect_error(ip_renyi_entropy(a, 3, 2, 2, &p, &h), "NaN");
    int y[3] = {0, 1, 2};
    a[3] = 4;
    expect_error(ip_renyi_mi_labels(a, 3, 2, 2, y, 2, &p, &h, NULL), "label 2 of sample 3");
    expect_error(ip_renyi_gram(a, 3, 2, 2, 0.0, a), "width");
}

/* ---- NumPy / SciPy reference ------------------------------------------------------------- */

static void test_numpy_reference(void **state)
{
    (void)state;
    char dir[] = "/tmp/ip_test_renyi_XXXXXX", fa[128], fb[128], fy[128], cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(fa, sizeof fa, "%s/a.csv", dir);
    snprintf(fb, sizeof fb, "%s/b.csv", dir);
    snprintf(fy, sizeof fy, "%s/y.csv", dir);
    ip_rng r;
    ip_rng_seed(&r, 6);
    int m = ip_test_slow_env() ? 60 : 500, da = 12, db = 3, K = 4;
    double *a = randn(&r, m, da), *b = randn(&r, m, db), *yd = malloc((size_t)m * sizeof *yd);
    int *y = malloc((size_t)m * sizeof *y);
    for (int i = 0; i < m; i++) {
        y[i] = (int)ip_rng_below(&r, K);
        yd[i] = y[i];
        for (int c = 0; c < db; c++) b[i * db + c] = tanh(b[i * db + c] + a[i * da + c]);
        a[i * da] += y[i];
    }
    assert_int_equal(ip_csv_write_matrix(fa, a, m, da, da), IP_OK);
    assert_int_equal(ip_csv_write_matrix(fb, b, m, db, db), IP_OK);
    assert_int_equal(ip_csv_write_matrix(fy, yd, m, 1, 1), IP_OK);
    ip_renyi_params p;
    ip_renyi_params_default(&p);
    double sa = ip_renyi_rule_sigma(m, da) * 4, sb = 0.5;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/renyi_ref.py %.17g %.17g %.17g %s %s %s 2>&1", p.alpha, sa,
             sb, fa, fb, fy);
    double want[7], got[7];
    ip_test_python_ref(cmd, want, 7);
    double *ga = gram(a, m, da, sa), *gb = gram(b, m, db, sb), *w = malloc((size_t)m * m * sizeof *w);
    got[0] = entropy_of(ga, m, p.alpha);
    got[1] = entropy_of(gb, m, p.alpha);
    assert_int_equal(ip_renyi_joint_entropy_gram(ga, gb, m, p.alpha, w, &got[2]), IP_OK);
    got[3] = got[0] + got[1] - got[2];
    ip_mi_terms t;
    p.sigma = sa;
    assert_int_equal(ip_renyi_mi_labels(a, m, da, da, y, K, &p, &got[6], &t), IP_OK);
    got[4] = t.h_b;
    got[5] = t.h_ab;
    double e = ip_test_max_rel_err(got, want, 7, 1e-300);
    printf("  m=%d: S(A) %.12g S(B) %.12g S(A,B) %.12g I %.12g S(Y) %.12g S(A,Y) %.12g I(A;Y) %.12g\n", m, got[0],
           got[1], got[2], got[3], got[4], got[5], got[6]);
    printf("  largest relative error against NumPy eigvalsh: %.2e\n", e);
    if (e > 1e-10) fail_msg("relative error %.3g against NumPy exceeds 1e-10", e);
    remove(fa);
    remove(fb);
    remove(fy);
    rmdir(dir);
    free(a);
    free(b);
    free(yd);
    free(y);
    free(ga);
    free(gb);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clusters_log_c),          cmocka_unit_test(test_identical_points_zero),
        cmocka_unit_test(test_alpha2_frobenius),        cmocka_unit_test(test_label_blocks_match_full),
        cmocka_unit_test(test_drivers_agree),           cmocka_unit_test(test_permutation_translation),
        cmocka_unit_test(test_bad_arguments),           cmocka_unit_test(test_numpy_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
