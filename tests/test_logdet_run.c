/* Tests for the LogDet block route (framework/estimate/logdet_run.h): every number an epoch
 * produces must equal the library's direct computation (ip_logdet_mi and friends) to ~1e-10
 * relative, on MLP-like layers with dead, saturated and duplicated units, a layer wider than
 * the sample count, a wide input, both modes, default and explicit betas, several epochs. */
#include "testutil.h"

#include "core/rng.h"
#include "core/status.h"
#include "estimate/logdet_run.h"

#define MAXL 6

typedef struct {
    int m, d_x, k, L, units[MAXL];
    double *x, *t[MAXL];
    int *y;
} fixture;

/* X with constant pixels; T_l = act(T_{l-1} W_l) with tanh/relu, plus deliberately degenerate units. */
static void make_fixture(fixture *f, ip_rng *r, int m, int d_x, int k, int L, const int *units, double scale)
{
    f->m = m;
    f->d_x = d_x;
    f->k = k;
    f->L = L;
    memcpy(f->units, units, (size_t)L * sizeof *units);
    f->x = malloc((size_t)m * d_x * sizeof *f->x);
    f->y = malloc((size_t)m * sizeof *f->y);
    for (int i = 0; i < m; i++) {
        f->y[i] = (int)ip_rng_below(r, (uint64_t)k);
        for (int j = 0; j < d_x; j++)
            f->x[i * d_x + j] = j % 5 == 0 ? 0.0 : ip_rng_uniform(r) + 0.3 * f->y[i] * (j % 3 == 0);
    }
    const double *prev = f->x;
    int dp = d_x;
    for (int l = 0; l < L; l++) {
        int d = units[l];
        double *w = malloc((size_t)dp * d * sizeof *w), *t = calloc((size_t)m * d, sizeof *t);
        for (int i = 0; i < dp * d; i++) w[i] = scale * ip_rng_normal(r) / sqrt(dp);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int q = 0; q < dp; q++) s += prev[i * dp + q] * w[q * d + j];
                t[i * d + j] = l % 2 ? fmax(s, 0) : tanh(s);
            }
        if (d >= 4)
            for (int i = 0; i < m; i++) {
                t[i * d + 0] = 0.0;              /* dead unit */
                t[i * d + 1] = 1.0;              /* saturated unit */
                t[i * d + 2] = t[i * d + 3];     /* duplicated unit */
            }
        free(w);
        f->t[l] = t;
        prev = t;
        dp = d;
    }
}

static void free_fixture(fixture *f)
{
    free(f->x);
    free(f->y);
    for (int l = 0; l < f->L; l++) free(f->t[l]);
}

static void check_epoch(const fixture *f, ip_logdet_mode mode, double beta, double layer_beta, ip_logdet_run *run)
{
    double ixt[MAXL], ity[MAXL], itt[MAXL], ht[MAXL], want[4 * MAXL], got[4 * MAXL];
    int rc = ip_logdet_run_epoch(run, (const double *const *)f->t, ixt, ity, itt, ht);
    if (rc != IP_OK) fail_msg("epoch: %s", ip_error_message());
    double b = beta > 0 ? beta : 100.0 * f->d_x;
    int n = 0;
    for (int l = 0; l < f->L; l++) {
        int d = f->units[l];
        double v;
        assert_int_equal(ip_logdet_mi(f->x, f->m, f->d_x, f->d_x, f->t[l], d, d, mode, b, &v, NULL), IP_OK);
        want[n] = v, got[n++] = ixt[l];
        assert_int_equal(ip_logdet_mi_labels(f->t[l], f->m, d, d, f->y, f->k, mode, b, &v, NULL), IP_OK);
        want[n] = v, got[n++] = ity[l];
        assert_int_equal(ip_logdet_entropy(f->t[l], f->m, d, d, mode, b, &v), IP_OK);
        want[n] = v, got[n++] = ht[l];
        if (l + 1 < f->L) {
            int d2 = f->units[l + 1];
            double bl = layer_beta > 0 ? layer_beta : 100.0 * (d + d2);
            assert_close(ip_logdet_run_layer_beta(run, l), bl, 0, 0);
            assert_int_equal(ip_logdet_mi(f->t[l], f->m, d, d, f->t[l + 1], d2, d2, mode, bl, &v, NULL), IP_OK);
            want[n] = v, got[n++] = itt[l];
        }
    }
    for (int i = 0; i < n; i++) assert_true(isfinite(got[i]));
    double e = ip_test_max_rel_err(got, want, (size_t)n, 1e-6);
    if (e > 1e-10) {
        for (int i = 0; i < n; i++) printf("  %2d block %.17g direct %.17g\n", i, got[i], want[i]);
        fail_msg("block route differs from the direct route by %.3g relative (mode %s)", e, ip_logdet_mode_name(mode));
    }
}

static void run_case(int m, int d_x, int k, int L, const int *units, double beta, double layer_beta, uint64_t seed)
{
    ip_rng r;
    ip_rng_seed(&r, seed);
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        make_fixture(&f, &r, m, d_x, k, L, units, 2.0);
        ip_logdet_run *run = NULL;
        ip_logdet_run_settings s = {(ip_logdet_mode)mode, beta, layer_beta};
        if (ip_logdet_run_create(&run, f.x, m, d_x, f.y, k, L, units, &s) != IP_OK)
            fail_msg("create: %s", ip_error_message());
        double hx;
        assert_int_equal(ip_logdet_entropy(f.x, m, d_x, d_x, s.mode, ip_logdet_run_beta(run), &hx), IP_OK);
        assert_close(ip_logdet_run_hx(run), hx, 1e-12, 0);
        check_epoch(&f, s.mode, beta, layer_beta, run);
        /* A second epoch with other activations reuses the cached X and Y factors. */
        fixture g;
        make_fixture(&g, &r, m, d_x, k, L, units, 0.7);
        for (int l = 0; l < L; l++) {
            double *t = f.t[l];
            f.t[l] = g.t[l];
            g.t[l] = t;
        }
        check_epoch(&f, s.mode, beta, layer_beta, run);
        ip_logdet_run_free(run);
        free_fixture(&f);
        free_fixture(&g);
    }
}

/* The paper's MLP shape, shrunk: input wider than the layers, a wide first layer. */
static void test_block_matches_direct_mlp(void **state)
{
    (void)state;
    int slow = ip_test_slow_env(), units[] = {slow ? 48 : 120, 8, 8, 8, 5};
    run_case(slow ? 150 : 400, slow ? 40 : 98, 5, 5, units, 0, 0, 21);
}

/* Explicit betas, a layer wider than the sample count (the library's Sylvester fallback). */
static void test_block_wide_layer_and_explicit_beta(void **state)
{
    (void)state;
    int units[] = {90, 12, 3};
    run_case(60, 20, 3, 3, units, 500, 40, 22);
}

/* An input wider than the sample count (X through the Sylvester route every epoch). */
static void test_block_wide_input(void **state)
{
    (void)state;
    int units[] = {10, 4};
    run_case(30, 70, 4, 2, units, 0, 0, 23);
}

static void test_run_bad_arguments(void **state)
{
    (void)state;
    double x[6] = {0, 1, 2, 3, 4, 5};
    int y[3] = {0, 1, 3}, units[1] = {2};
    ip_logdet_run *run = NULL;
    ip_logdet_run_settings s = {IP_MODE_COV, 0, 0};
    assert_int_not_equal(ip_logdet_run_create(&run, x, 3, 2, y, 2, 1, units, &s), IP_OK);
    assert_non_null(strstr(ip_error_message(), "label 3"));
    assert_null(run);
    y[2] = 1;
    s.beta = -2;
    assert_int_not_equal(ip_logdet_run_create(&run, x, 3, 2, y, 2, 1, units, &s), IP_OK);
    assert_non_null(strstr(ip_error_message(), "beta"));
    s.beta = 0;
    assert_int_equal(ip_logdet_run_create(&run, x, 3, 2, y, 2, 1, units, &s), IP_OK);
    double t[6] = {1, 2, NAN, 4, 5, 6}, v;
    const double *layers[1] = {t};
    assert_int_not_equal(ip_logdet_run_epoch(run, layers, &v, &v, NULL, NULL), IP_OK);
    assert_non_null(strstr(ip_error_message(), "layer 1"));
    ip_logdet_run_free(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_matches_direct_mlp),
        cmocka_unit_test(test_block_wide_layer_and_explicit_beta),
        cmocka_unit_test(test_block_wide_input),
        cmocka_unit_test(test_run_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
