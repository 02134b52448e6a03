/* Tests for the KSG estimators (framework/estimate/ksg.h): correlated Gaussians against the true
 * MI, exact invariance under monotone maps (where LogDet moves), the labels' variant, the KL
 * entropy of a Gaussian, duplicates, the distance kernels at every level, SciPy, bad arguments. */
#include "testutil.h"

#include "core/cpu.h"
#include "core/csv.h"
#include "core/rng.h"
#include "core/status.h"
#include "estimate/ksg.h"
#include "estimate/logdet.h"

static double *randn(ip_rng *r, int m, int d)
{
    double *a = malloc((size_t)m * d * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < (size_t)m * d; i++) a[i] = ip_rng_normal(r);
    return a;
}

/* d pairs (a_c, b_c) with correlation rho: I = -d/2 log(1 - rho^2). */
static void correlated(ip_rng *r, int m, int d, double rho, double **a, double **b)
{
    *a = randn(r, m, d);
    *b = randn(r, m, d);
    for (int i = 0; i < m * d; i++) (*b)[i] = rho * (*a)[i] + sqrt(1 - rho * rho) * (*b)[i];
}

static double ksg(const double *a, int da, const double *b, int db, int m, int k)
{
    ip_ksg_params p = {k};
    double v = NAN;
    if (ip_ksg_mi(a, m, da, da, b, db, db, &p, &v, NULL) != IP_OK) fail_msg("ip_ksg_mi: %s", ip_error_message());
    return v;
}

/* Measured over seeds 1-20 at m = 2000, k = 3: |error| <= 0.035 nats (d = 1, 2; rho 0.5, 0.9). */
static void test_gaussian_true_mi(void **state)
{
    (void)state;
    int m = 2000; /* the same sizes everywhere: the tolerances are statistical */
    double tol = 0.05;
    struct { int d; double rho; } cs[] = {{1, 0.5}, {1, 0.9}, {2, 0.5}, {2, 0.9}};
    for (int c = 0; c < 4; c++) {
        ip_rng r;
        ip_rng_seed(&r, 10 + c);
        double *a, *b;
        correlated(&r, m, cs[c].d, cs[c].rho, &a, &b);
        double got = ksg(a, cs[c].d, b, cs[c].d, m, 3), want = -0.5 * cs[c].d * log(1 - cs[c].rho * cs[c].rho);
        printf("  d=%d rho=%.1f m=%d: KSG %.4f, true %.4f (tolerance %.2f)\n", cs[c].d, cs[c].rho, m, got, want, tol);
        assert_close(got, want, 0, tol);
        free(a);
        free(b);
    }
}

/* KSG's counts come from distances, not ranks, so a non-linear monotone map (x -> x^3,
 * y -> exp(y)) moves the estimate a little, within its sampling tolerance (0.05 nats at m = 2000),
 * while LogDet, a Gaussian-covariance estimate, moves by far more. Scaling both sides by 2 is exact
 * in floating point and leaves every comparison, so KSG's value, bit for bit unchanged. */
static void test_monotone_invariance(void **state)
{
    (void)state;
    int m = 2000; /* the same sizes everywhere: the tolerances are statistical */
    double tol = 0.05;
    ip_rng r;
    ip_rng_seed(&r, 20);
    double *a, *b;
    correlated(&r, m, 1, 0.9, &a, &b);
    double *a3 = malloc((size_t)m * sizeof *a3), *be = malloc((size_t)m * sizeof *be);
    double *a2 = malloc((size_t)m * sizeof *a2), *b2 = malloc((size_t)m * sizeof *b2);
    for (int i = 0; i < m; i++) {
        a3[i] = a[i] * a[i] * a[i];
        be[i] = exp(b[i]);
        a2[i] = 2 * a[i];
        b2[i] = 2 * b[i];
    }
    double k0 = ksg(a, 1, b, 1, m, 3), k1 = ksg(a3, 1, be, 1, m, 3), k2 = ksg(a2, 1, b2, 1, m, 3), l0, l1;
    assert_int_equal(ip_logdet_mi(a, m, 1, 1, b, 1, 1, IP_MODE_COV, 200, &l0, NULL), IP_OK);
    assert_int_equal(ip_logdet_mi(a3, m, 1, 1, be, 1, 1, IP_MODE_COV, 200, &l1, NULL), IP_OK);
    printf("  KSG %.6f -> %.6f (x^3, e^y), %.17g -> %.17g (x2); LogDet (cov, beta 200) %.6f -> %.6f; true %.6f\n",
           k0, k1, k0, k2, l0, l1, -0.5 * log(1 - 0.81));
    assert_true(k0 == k2);
    assert_close(k1, k0, 0, tol);
    assert_true(fabs(l1 - l0) > 0.2);
    assert_true(fabs(l1 - l0) > 4 * fabs(k1 - k0));
    free(a);
    free(b);
    free(a3);
    free(be);
    free(a2);
    free(b2);
}

static void test_labels(void **state)
{
    (void)state;
    int m = 3000, K = 4;
    ip_rng r;
    ip_rng_seed(&r, 30);
    double *a = malloc((size_t)m * 2 * sizeof *a);
    int *y = malloc((size_t)m * sizeof *y), *yi = malloc((size_t)m * sizeof *yi);
    for (int i = 0; i < m; i++) {
        a[2 * i] = ip_rng_uniform(&r);
        a[2 * i + 1] = ip_rng_uniform(&r);
        y[i] = (int)(a[2 * i] * K); /* Y a function of A: I(A;Y) = H(Y) ~ log K */
        yi[i] = (int)ip_rng_below(&r, K);
    }
    ip_ksg_params p;
    ip_ksg_params_default(&p);
    double dep, ind;
    assert_int_equal(ip_ksg_mi_labels(a, m, 2, 2, y, K, &p, &dep, NULL), IP_OK);
    assert_int_equal(ip_ksg_mi_labels(a, m, 2, 2, yi, K, &p, &ind, NULL), IP_OK);
    printf("  Y = f(A): %.4f (H(Y) ~ log 4 = %.4f); independent labels: %.4f\n", dep, log(K), ind);
    assert_close(dep, log(K), 0, 0.1);
    assert_close(ind, 0.0, 0, 0.05);
    /* From precomputed distances (what the run-level plane does): the same bits. */
    double *dist = malloc((size_t)m * m * sizeof *dist), dep2 = 0;
    assert_int_equal(ip_ksg_distances(a, m, 2, 2, dist), IP_OK);
    assert_int_equal(ip_ksg_mi_labels_distances(dist, m, y, K, &p, &dep2), IP_OK);
    assert_true(dep2 == dep);
    free(dist);
    free(a);
    free(y);
    free(yi);
}

static void test_kl_entropy_gaussian(void **state)
{
    (void)state;
    int m = 3000;
    ip_rng r;
    ip_rng_seed(&r, 40);
    double *a, *b;
    correlated(&r, m, 1, 0.6, &a, &b); /* (a, b) has covariance [[1, .6], [.6, 1]] */
    double *z = malloc((size_t)m * 2 * sizeof *z), h;
    for (int i = 0; i < m; i++) {
        z[2 * i] = a[i];
        z[2 * i + 1] = 2 * b[i];
    }
    ip_ksg_params p = {3};
    assert_int_equal(ip_ksg_entropy(z, m, 2, 2, &p, &h), IP_OK);
    double det = 4 * (1 - 0.36), want = 0.5 * log(pow(2 * M_PI * M_E, 2) * det);
    printf("  KL H = %.4f, 1/2 log det(2 pi e Sigma) = %.4f\n", h, want);
    assert_close(h, want, 0, 0.05);
    /* Duplicates: k or more copies of a point put its k-th neighbour at distance 0. */
    for (int i = 1; i <= 3; i++) memcpy(z + 2 * i, z, 2 * sizeof *z);
    int rc = ip_ksg_entropy(z, m, 2, 2, &p, &h);
    assert_int_equal(rc, IP_ERR_NUMERIC);
    assert_non_null(strstr(ip_error_message(), "duplicates"));
    free(a);
    free(b);
    free(z);
}

/* Every kernel level this CPU runs gives the same bits, and they are the max-norm distances. */
static void test_distance_levels(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 50);
    int m = ip_test_valgrind() ? 70 : 301, d = 37;
    double *a = randn(&r, m, d), *ref = malloc((size_t)m * m * sizeof *ref), *got = malloc((size_t)m * m * sizeof *got);
    ip_kernel_level keep = ip_cpu_level();
    assert_int_equal(ip_cpu_set_level(IP_KERNELS_REFERENCE), IP_OK);
    assert_int_equal(ip_ksg_distances(a, m, d, d, ref), IP_OK);
    for (int i = 0; i < m; i += 17)
        for (int j = 0; j < m; j += 13) {
            double v = 0;
            for (int k = 0; k < d; k++) v = fmax(v, fabs(a[i * d + k] - a[j * d + k]));
            assert_true(ref[(size_t)i * m + j] == v);
        }
    int tested = 0;
    for (int l = IP_KERNELS_AVX2; l < IP_KERNELS_N_LEVELS; l++) {
        if (!ip_cpu_supports_level((ip_kernel_level)l)) continue;
        assert_int_equal(ip_cpu_set_level((ip_kernel_level)l), IP_OK);
        assert_int_equal(ip_ksg_distances(a, m, d, d, got), IP_OK);
        printf("  %s against reference: %s\n", ip_cpu_level_name((ip_kernel_level)l),
               memcmp(got, ref, (size_t)m * m * sizeof *got) ? "DIFFER" : "identical");
        assert_memory_equal(got, ref, (size_t)m * m * sizeof *got);
        tested++;
    }
    printf("  %d vectorised level(s) compared\n", tested);
    ip_cpu_set_level(keep);
    free(a);
    free(ref);
    free(got);
}

static void test_digamma_and_bad_arguments(void **state)
{
    (void)state;
    assert_close(ip_digamma_int(1), -0.57721566490153286061, 1e-15, 0);
    assert_close(ip_digamma_int(2), 1 - 0.57721566490153286061, 1e-15, 0);
    double s = -0.57721566490153286061;
    for (int j = 1; j < 1000; j++) s += 1.0 / j;
    assert_close(ip_digamma_int(1000), s, 1e-14, 0);
    assert_close(ip_digamma_int(40), ip_digamma_int(39) + 1.0 / 39, 1e-15, 0);
    ip_ksg_params p = {0};
    assert_int_equal(ip_ksg_params_check(&p), IP_ERR);
    double a[8] = {1, 2, 3, 4, 5, 6, 7, 9}, v;
    p.k = 4;
    assert_int_equal(ip_ksg_mi(a, 4, 1, 1, a + 4, 1, 1, &p, &v, NULL), IP_ERR);
    assert_non_null(strstr(ip_error_message(), "more than k"));
    p.k = 1;
    a[5] = NAN;
    assert_int_equal(ip_ksg_mi(a, 4, 1, 1, a + 4, 1, 1, &p, &v, NULL), IP_ERR_NUMERIC);
    int y[4] = {0, 0, 1, 5};
    a[5] = 6;
    assert_int_equal(ip_ksg_mi_labels(a, 4, 1, 1, y, 2, &p, &v, NULL), IP_ERR_FORMAT);
}

static void test_scipy_reference(void **state)
{
    (void)state;
    char dir[] = "/tmp/ip_test_ksg_XXXXXX", fa[128], fb[128], fy[128], cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(fa, sizeof fa, "%s/a.csv", dir);
    snprintf(fb, sizeof fb, "%s/b.csv", dir);
    snprintf(fy, sizeof fy, "%s/y.csv", dir);
    ip_rng r;
    ip_rng_seed(&r, 60);
    int m = ip_test_slow_env() ? 120 : 600, da = 3, db = 2;
    double *a = randn(&r, m, da), *b = randn(&r, m, db), *yd = malloc((size_t)m * sizeof *yd);
    int *y = malloc((size_t)m * sizeof *y);
    for (int i = 0; i < m; i++) {
        y[i] = i < 3 ? 3 : (int)ip_rng_below(&r, 3); /* class 3 has 3 samples: left out at k = 3 */
        yd[i] = y[i];
        a[i * da] += y[i];
        for (int c = 0; c < db; c++) b[i * db + c] += 0.7 * a[i * da + c];
    }
    assert_int_equal(ip_csv_write_matrix(fa, a, m, da, da), IP_OK);
    assert_int_equal(ip_csv_write_matrix(fb, b, m, db, db), IP_OK);
    assert_int_equal(ip_csv_write_matrix(fy, yd, m, 1, 1), IP_OK);
    double worst = 0;
    for (int k = 3; k <= 20; k += 17) {
        ip_ksg_params p = {k};
        double got[3], want[3];
        got[0] = ksg(a, da, b, db, m, k);
        assert_int_equal(ip_ksg_mi_labels(a, m, da, da, y, 4, &p, &got[1], NULL), IP_OK);
        assert_int_equal(ip_ksg_entropy(a, m, da, da, &p, &got[2]), IP_OK);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/ksg_ref.py %d %s %s %s 2>&1", k, fa, fb, fy);
        ip_test_python_ref(cmd, want, 3);
        double e = ip_test_max_rel_err(got, want, 3, 1e-300);
        printf("  k=%d: I %.15f (SciPy %.15f), I(A;Y) %.15f (%.15f), H %.15f (%.15f): rel err %.1e\n", k, got[0],
               want[0], got[1], want[1], got[2], want[2], e);
        worst = fmax(worst, e);
    }
    printf("  largest relative error against SciPy: %.2e\n", worst);
    if (worst > 1e-10) fail_msg("relative error %.3g against SciPy exceeds 1e-10", worst);
    remove(fa);
    remove(fb);
    remove(fy);
    rmdir(dir);
    free(a);
    free(b);
    free(yd);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaussian_true_mi),    cmocka_unit_test(test_monotone_invariance),
        cmocka_unit_test(test_labels),              cmocka_unit_test(test_kl_entropy_gaussian),
        cmocka_unit_test(test_distance_levels),     cmocka_unit_test(test_digamma_and_bad_arguments),
        cmocka_unit_test(test_scipy_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
