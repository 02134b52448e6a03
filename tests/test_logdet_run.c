/* Tests for the LogDet block route (framework/estimate/logdet_run.h): every number an epoch
 * produces must equal the library's direct computation (ip_logdet_mi and friends) to ~1e-10
 * relative, on MLP-like layers with dead, saturated and duplicated units, a layer wider than
 * the sample count, a wide input, both modes, default and explicit betas, several epochs.
 * The sparse route for X (inputs with many zeros) must equal the dense reference route to 1e-12,
 * NumPy's slogdet to 1e-9, and give the same bits run to run, at any thread count and kernel level. */
#include "testutil.h"

#include "core/blas.h"
#include "core/cpu.h"
#include "core/csv.h"
#include "core/rng.h"
#include "core/status.h"
#include "estimate/logdet_run.h"
#include "estimate/logdet_sparse.h"

#define MAXL 6

typedef struct {
    int m, d_x, k, L, units[MAXL];
    double *x, *t[MAXL];
    int *y;
} fixture;

/* X with constant pixels; T_l = act(T_{l-1} W_l) with tanh/relu, plus deliberately degenerate units.
 * density > 0: a sparse X instead, each entry nonzero with that probability, and column 3 all
 * zeros, column 7 constant 0.5, rows 0, 5 and 9 all zeros (when they exist). */
static void make_fixture_x(fixture *f, ip_rng *r, int m, int d_x, int k, int L, const int *units, double scale,
                           double density)
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
    if (density > 0)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < d_x; j++) {
                double u = ip_rng_uniform(r), v = 0.1 + ip_rng_uniform(r) + 0.3 * f->y[i] * (j % 3 == 0);
                f->x[i * d_x + j] = j == 7 ? 0.5 : (j == 3 || i == 0 || i == 5 || i == 9 || u >= density) ? 0.0 : v;
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

static void make_fixture(fixture *f, ip_rng *r, int m, int d_x, int k, int L, const int *units, double scale)
{
    make_fixture_x(f, r, m, d_x, k, L, units, scale, 0);
}

static void free_fixture(fixture *f)
{
    free(f->x);
    free(f->y);
    for (int l = 0; l < f->L; l++) free(f->t[l]);
}

/* floor: values below it are compared by their absolute difference over the floor (a tiny I is a
 * difference of entropies hundreds of times larger, whose rounding it inherits). */
static void check_epoch_floor(const fixture *f, ip_logdet_mode mode, double beta, double layer_beta,
                              ip_logdet_run *run, double floor_)
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
    double e = ip_test_max_rel_err(got, want, (size_t)n, floor_);
    if (e > 1e-10) {
        for (int i = 0; i < n; i++) printf("  %2d block %.17g direct %.17g\n", i, got[i], want[i]);
        fail_msg("block route differs from the direct route by %.3g relative (mode %s)", e, ip_logdet_mode_name(mode));
    }
}

static void check_epoch(const fixture *f, ip_logdet_mode mode, double beta, double layer_beta, ip_logdet_run *run)
{
    check_epoch_floor(f, mode, beta, layer_beta, run, 1e-6);
}

static void run_case(int m, int d_x, int k, int L, const int *units, double beta, double layer_beta, uint64_t seed)
{
    ip_rng r;
    ip_rng_seed(&r, seed);
    for (int mode = 0; mode < 2; mode++) {
        fixture f;
        make_fixture(&f, &r, m, d_x, k, L, units, 2.0);
        ip_logdet_run *run = NULL;
        ip_logdet_run_settings s = {(ip_logdet_mode)mode, beta, layer_beta, IP_LOGDET_X_AUTO};
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
    ip_logdet_run_settings s = {IP_MODE_COV, 0, 0, IP_LOGDET_X_AUTO};
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

/* ---- the sparse route ------------------------------------------------------------------- */

static ip_logdet_run *create_route(const fixture *f, ip_logdet_mode mode, double beta, double layer_beta,
                                   ip_logdet_x_route route)
{
    ip_logdet_run *run = NULL;
    ip_logdet_run_settings s = {mode, beta, layer_beta, route};
    if (ip_logdet_run_create(&run, f->x, f->m, f->d_x, f->y, f->k, f->L, f->units, &s) != IP_OK)
        fail_msg("create: %s", ip_error_message());
    return run;
}

/* Every output of one epoch, in a fixed order: i_xt, i_ty, h_t per layer, then i_tt. */
static int epoch_values(ip_logdet_run *run, const fixture *f, double *out)
{
    double ixt[MAXL], ity[MAXL], itt[MAXL], ht[MAXL];
    if (ip_logdet_run_epoch(run, (const double *const *)f->t, ixt, ity, itt, ht) != IP_OK)
        fail_msg("epoch: %s", ip_error_message());
    int n = 0;
    for (int l = 0; l < f->L; l++) out[n++] = ixt[l], out[n++] = ity[l], out[n++] = ht[l];
    for (int l = 0; l + 1 < f->L; l++) out[n++] = itt[l];
    return n;
}

/* H(A) in long double straight from the definition (centre, scale, Gram, Cholesky): the truth
 * both routes are measured against. */
static long double ld_entropy(const double *a, int m, int d, int lda, ip_logdet_mode mode, long double beta)
{
    long double *z = calloc((size_t)m * d, sizeof *z), *g = calloc((size_t)d * d, sizeof *g), h = 0;
    for (int j = 0; j < d; j++) {
        long double mu = 0, ss = 0;
        int varies = 0;
        for (int i = 0; i < m; i++) mu += a[i * lda + j], varies |= a[i * lda + j] != a[j];
        mu /= m;
        for (int i = 0; i < m; i++) z[i * d + j] = varies ? a[i * lda + j] - mu : 0, ss += z[i * d + j] * z[i * d + j];
        long double sc = mode == IP_MODE_PEARSON ? sqrtl(beta / (ss + 1e-8L)) : sqrtl(beta / m);
        for (int i = 0; i < m; i++) z[i * d + j] *= sc;
    }
    for (int p = 0; p < d; p++)
        for (int q = 0; q <= p; q++) {
            long double acc = p == q;
            for (int i = 0; i < m; i++) acc += z[i * d + p] * z[i * d + q];
            g[p * d + q] = acc;
        }
    for (int j = 0; j < d; j++) { /* lower Cholesky in place */
        long double v = g[j * d + j];
        for (int q = 0; q < j; q++) v -= g[j * d + q] * g[j * d + q];
        v = sqrtl(v);
        g[j * d + j] = v;
        h += logl(v);
        for (int i = j + 1; i < d; i++) {
            long double t = g[i * d + j];
            for (int q = 0; q < j; q++) t -= g[i * d + q] * g[j * d + q];
            g[i * d + j] = t / v;
        }
    }
    free(z);
    free(g);
    return h;
}

/* I(X;T_l) in long double. */
static long double ld_ixt(const fixture *f, int l, ip_logdet_mode mode, long double beta)
{
    int d = f->units[l], D = f->d_x + d;
    double *j = malloc(sizeof(double) * f->m * D);
    for (int i = 0; i < f->m; i++) {
        memcpy(j + i * D, f->x + i * f->d_x, sizeof(double) * f->d_x);
        memcpy(j + i * D + f->d_x, f->t[l] + i * d, sizeof(double) * d);
    }
    long double v = ld_entropy(f->x, f->m, f->d_x, f->d_x, mode, beta) + ld_entropy(f->t[l], f->m, d, d, mode, beta) -
                    ld_entropy(j, f->m, D, D, mode, beta);
    free(j);
    return v;
}

/* Forced sparse against forced dense (1e-12) and the auto route's choice, on one fixture, then the
 * direct library route (check_epoch, 1e-10) through the sparse run.
 * The 1e-12 is relative for values of 1 nat and more, absolute (1e-12 nats) below: an MI of 0.2
 * nats is a difference of entropies of ~10 nats, and both routes carry their rounding (~1e-14 of
 * the entropies). Measured against the long-double definition (printed when the routes differ by
 * more than 1e-13), the two routes are equally accurate on these fixtures: in the worst case seen,
 * I(X;T) = 0.2166 nats in pearson mode, dense 3.5e-13 and sparse 1.2e-12 off, both under 3e-13
 * nats; on other values either route is the closer one. (Under valgrind long double is double.) */
static void compare_routes(const fixture *f, ip_logdet_mode mode, double beta, double layer_beta, int want_sparse)
{
    ip_logdet_run *dense = create_route(f, mode, beta, layer_beta, IP_LOGDET_X_DENSE),
                  *sparse = create_route(f, mode, beta, layer_beta, IP_LOGDET_X_SPARSE),
                  *autor = create_route(f, mode, beta, layer_beta, IP_LOGDET_X_AUTO);
    assert_int_equal(ip_logdet_run_sparse(dense), 0);
    assert_int_equal(ip_logdet_run_sparse(sparse), 1);
    assert_int_equal(ip_logdet_run_sparse(autor), want_sparse);
    assert_true(ip_logdet_run_hx(sparse) == ip_logdet_run_hx(dense));
    assert_true(ip_logdet_run_hy(sparse) == ip_logdet_run_hy(dense));
    double a[4 * MAXL], b[4 * MAXL], c[4 * MAXL];
    int n = epoch_values(dense, f, a);
    epoch_values(sparse, f, b);
    epoch_values(autor, f, c);
    double e = ip_test_max_rel_err(b, a, (size_t)n, 1.0);
    printf("  m=%d d_x=%d density %.3f %s: sparse vs dense %.2e relative\n", f->m, f->d_x,
           ip_logdet_run_x_density(dense), ip_logdet_mode_name(mode), e);
    if (e > 1e-13 || getenv("IP_TEST_VERBOSE"))
        for (int i = 0; i < n; i++)
            if (a[i] != b[i]) {
                printf("  %2d sparse %.17g dense %.17g", i, b[i], a[i]);
                if (i < 3 * f->L && i % 3 == 0 && f->units[i / 3] <= f->m && f->d_x + f->units[i / 3] <= 300) {
                    long double t = ld_ixt(f, i / 3, mode, ip_logdet_run_beta(dense));
                    printf(" long double %.17Lg: sparse %.1Le dense %.1Le", t, (b[i] - t) / t, (a[i] - t) / t);
                }
                printf("\n");
            }
    if (e > 1e-12) {
        fail_msg("sparse route differs from the dense route by %.3g relative", e);
    }
    assert_memory_equal(c, want_sparse ? b : a, (size_t)n * sizeof *a);
    check_epoch_floor(f, mode, beta, layer_beta, sparse, 1.0);
    ip_logdet_run_free(dense);
    ip_logdet_run_free(sparse);
    ip_logdet_run_free(autor);
}

/* Inputs with many zeros (plus a zero column, a constant column, all-zero rows), both modes, the
 * MLP shape and a layer wider than the sample count, two epochs. */
static void test_sparse_matches_dense(void **state)
{
    (void)state;
    int slow = ip_test_slow_env();
    int mlp[] = {slow ? 48 : 120, 8, 8, 8, 5}, wide[] = {90, 12, 3};
    double dens[] = {0.05, 0.2, 0.45};
    ip_rng r;
    ip_rng_seed(&r, 31);
    for (int di = 0; di < 3; di++)
        for (int mode = 0; mode < 2; mode++) {
            fixture f, g;
            int m = slow ? 150 : 400, dx = slow ? 40 : 98;
            make_fixture_x(&f, &r, m, dx, 5, 5, mlp, 2.0, dens[di]);
            int want = dens[di] < IP_LOGDET_SPARSE_MAX_DENSITY; /* 0.45: the auto route goes dense */
            compare_routes(&f, (ip_logdet_mode)mode, 0, 0, want);
            make_fixture_x(&g, &r, m, dx, 5, 5, mlp, 0.7, dens[di]); /* another epoch: other activations */
            for (int l = 0; l < 5; l++) {
                double *t = f.t[l];
                f.t[l] = g.t[l];
                g.t[l] = t;
            }
            compare_routes(&f, (ip_logdet_mode)mode, 0, 0, want);
            free_fixture(&f);
            free_fixture(&g);
            make_fixture_x(&f, &r, 60, 20, 3, 3, wide, 2.0, dens[di]);
            compare_routes(&f, (ip_logdet_mode)mode, 500, 40, want);
            free_fixture(&f);
        }
}

/* The auto route by measured density on either side of the threshold; both routes agree there. */
static void test_sparse_density_threshold(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 32);
    int units[] = {16, 6, 4};
    for (int side = 0; side < 2; side++) {
        fixture f;
        make_fixture_x(&f, &r, 300, 50, 4, 3, units, 1.0, 0.5);
        /* entry (i, j) nonzero iff (i + j) % 100 < nz: density 0.34 / 0.36 */
        int nz = (int)(100 * IP_LOGDET_SPARSE_MAX_DENSITY + 0.5) + (side ? 1 : -1);
        for (int i = 0; i < f.m; i++)
            for (int j = 0; j < f.d_x; j++)
                f.x[i * f.d_x + j] = (i + j) % 100 < nz ? 0.2 + ip_rng_uniform(&r) + 0.2 * f.y[i] : 0.0;
        for (int mode = 0; mode < 2; mode++) {
            ip_logdet_run *run = create_route(&f, (ip_logdet_mode)mode, 0, 0, IP_LOGDET_X_AUTO);
            assert_close(ip_logdet_run_x_density(run), nz / 100.0, 1e-12, 0);
            ip_logdet_run_free(run);
            compare_routes(&f, (ip_logdet_mode)mode, 0, 0, !side);
        }
        free_fixture(&f);
    }
}

/* IP_LOGDET_SPARSE overrides the measured density; an explicit setting overrides it; a bad value
 * is an error naming the variable. */
static void test_sparse_env_switch(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 33);
    int units[] = {10, 4};
    fixture sp, dn;
    make_fixture_x(&sp, &r, 120, 30, 3, 2, units, 1.0, 0.1);
    make_fixture(&dn, &r, 120, 30, 3, 2, units, 1.0);
    ip_logdet_run *run;
    setenv("IP_LOGDET_SPARSE", "0", 1);
    run = create_route(&sp, IP_MODE_COV, 0, 0, IP_LOGDET_X_AUTO);
    assert_int_equal(ip_logdet_run_sparse(run), 0);
    ip_logdet_run_free(run);
    run = create_route(&sp, IP_MODE_COV, 0, 0, IP_LOGDET_X_SPARSE);
    assert_int_equal(ip_logdet_run_sparse(run), 1);
    ip_logdet_run_free(run);
    setenv("IP_LOGDET_SPARSE", "1", 1);
    run = create_route(&dn, IP_MODE_COV, 0, 0, IP_LOGDET_X_AUTO);
    assert_int_equal(ip_logdet_run_sparse(run), 1);
    check_epoch(&dn, IP_MODE_COV, 0, 0, run); /* a dense X through the sparse route is still right */
    ip_logdet_run_free(run);
    run = create_route(&dn, IP_MODE_COV, 0, 0, IP_LOGDET_X_DENSE);
    assert_int_equal(ip_logdet_run_sparse(run), 0);
    ip_logdet_run_free(run);
    setenv("IP_LOGDET_SPARSE", "yes", 1);
    run = NULL;
    ip_logdet_run_settings s = {IP_MODE_COV, 0, 0, IP_LOGDET_X_AUTO};
    assert_int_not_equal(ip_logdet_run_create(&run, sp.x, sp.m, sp.d_x, sp.y, sp.k, sp.L, sp.units, &s), IP_OK);
    assert_null(run);
    assert_non_null(strstr(ip_error_message(), "IP_LOGDET_SPARSE"));
    unsetenv("IP_LOGDET_SPARSE");
    run = create_route(&sp, IP_MODE_COV, 0, 0, IP_LOGDET_X_AUTO);
    assert_int_equal(ip_logdet_run_sparse(run), 1);
    ip_logdet_run_free(run);
    free_fixture(&sp);
    free_fixture(&dn);
}

/* 2, or 1 under valgrind: a started pool worker's thread stack shows as "possibly lost" there (the
 * pool lives for the process), and the two-thread runs are checked in the release and ASan runs. */
static int max_threads(void) { return ip_test_valgrind() ? 1 : 2; }

/* The sparse product itself: G = A^T Z over the nonzeros equals, bit for bit, the plain double loop
 * adding the same products in the same order, at every kernel level and with 1 or 2 threads;
 * widths on both sides of the 16-column bands, an empty column, an all-zero row. */
static void test_sparse_kernel_bits(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 36);
    int m = 173, d = 29, widths[] = {1, 15, 16, 17, 33, 100, 140};
    double *a = malloc(sizeof(double) * m * d);
    int cols[29], k = 0;
    for (int j = 0; j < d; j++)
        if (j != 4) cols[k++] = j; /* column 4 is skipped, as a constant column would be */
    for (int i = 0; i < m; i++)
        for (int j = 0; j < d; j++)
            a[i * d + j] = (j == 2 || i == 11 || ip_rng_uniform(&r) > 0.3) ? 0.0 : ip_rng_normal(&r);
    ip_ld_csc c;
    assert_int_equal(ip_ld_csc_build(&c, a, m, d, cols, k), IP_OK);
    assert_int_equal((int)c.nnz, (int)ip_ld_count_nonzeros(a, m, d, cols, k));
    int threads0 = ip_blas_threads();
    ip_kernel_level level0 = ip_cpu_level();
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++) {
        int n = widths[wi], ldz = n + 3;
        double *z = malloc(sizeof(double) * m * ldz), *want = malloc(sizeof(double) * k * n),
               *got = malloc(sizeof(double) * k * (n + 1));
        for (int i = 0; i < m * ldz; i++) z[i] = ip_rng_normal(&r);
        for (int cc = 0; cc < k; cc++)
            for (int q = 0; q < n; q++) {
                double acc = 0;
                for (int i = 0; i < m; i++)
                    if (a[i * d + cols[cc]] != 0.0) acc += a[i * d + cols[cc]] * z[i * ldz + q];
                want[cc * n + q] = acc;
            }
        for (int threads = 1; threads <= max_threads(); threads++)
            for (int level = 0; level < IP_KERNELS_N_LEVELS; level++) {
                if (!ip_cpu_supports_level((ip_kernel_level)level)) continue;
                ip_blas_set_threads(threads);
                assert_int_equal(ip_cpu_set_level((ip_kernel_level)level), IP_OK);
                for (int i = 0; i < k * (n + 1); i++) got[i] = NAN;
                ip_ld_csc_tmul(&c, z, n, ldz, got, n + 1);
                for (int cc = 0; cc < k; cc++) {
                    if (memcmp(got + cc * (n + 1), want + cc * n, (size_t)n * sizeof *got))
                        fail_msg("G row %d, width %d: other bits with %d threads at level %s", cc, n, threads,
                                 ip_cpu_level_name((ip_kernel_level)level));
                    assert_true(isnan(got[cc * (n + 1) + n])); /* nothing written past the row */
                }
            }
        free(z);
        free(want);
        free(got);
    }
    ip_blas_set_threads(threads0);
    ip_cpu_set_level(level0);
    ip_ld_csc_free(&c);
    ip_ld_csc_free(&c); /* safe twice */
    free(a);
}

/* The whole sparse route gives the same bits run to run and at every kernel level, at a given
 * thread count. (Across thread counts OpenBLAS's own products may differ in the last bits, in the
 * dense route too; the sparse product itself does not: test_sparse_kernel_bits.) */
static void test_sparse_bits(void **state)
{
    (void)state;
    ip_rng r;
    ip_rng_seed(&r, 34);
    int slow = ip_test_slow_env(), units[] = {slow ? 70 : 140, 9, 5}; /* 140: 8 bands of 16 and a tail */
    fixture f;
    make_fixture_x(&f, &r, slow ? 200 : 500, 60, 4, 3, units, 2.0, 0.2);
    int threads0 = ip_blas_threads();
    ip_kernel_level level0 = ip_cpu_level();
    for (int mode = 0; mode < 2; mode++)
        for (int threads = 1; threads <= max_threads(); threads++) {
            double first[4 * MAXL], v[4 * MAXL];
            int n = 0;
            ip_blas_set_threads(threads);
            for (int level = 0; level < IP_KERNELS_N_LEVELS; level++) {
                if (!ip_cpu_supports_level((ip_kernel_level)level)) continue;
                assert_int_equal(ip_cpu_set_level((ip_kernel_level)level), IP_OK);
                for (int rep = 0; rep < 2; rep++) {
                    ip_logdet_run *run = create_route(&f, (ip_logdet_mode)mode, 0, 0, IP_LOGDET_X_SPARSE);
                    if (!n) n = epoch_values(run, &f, first);
                    else {
                        epoch_values(run, &f, v);
                        if (memcmp(v, first, (size_t)n * sizeof *v))
                            fail_msg("sparse route: other bits with %d threads at level %s (repeat %d)", threads,
                                     ip_cpu_level_name((ip_kernel_level)level), rep);
                    }
                    ip_logdet_run_free(run);
                }
            }
        }
    ip_blas_set_threads(threads0);
    ip_cpu_set_level(level0);
    free_fixture(&f);
}

/* I(X;T) through the sparse route against NumPy's slogdet on the d x d matrices, to 1e-9. */
static void test_sparse_numpy_reference(void **state)
{
    (void)state;
    char dir[] = "/tmp/ip_test_logdet_run_XXXXXX", fx[256], ft[256], cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(fx, sizeof fx, "%s/x.csv", dir);
    snprintf(ft, sizeof ft, "%s/t.csv", dir);
    ip_rng r;
    ip_rng_seed(&r, 35);
    int units[] = {24, 6};
    fixture f;
    make_fixture_x(&f, &r, 300, 40, 4, 2, units, 2.0, 0.15);
    assert_int_equal(ip_csv_write_matrix(fx, f.x, f.m, f.d_x, f.d_x), IP_OK);
    for (int mode = 0; mode < 2; mode++) {
        ip_logdet_run *run = create_route(&f, (ip_logdet_mode)mode, 0, 0, IP_LOGDET_X_AUTO);
        assert_int_equal(ip_logdet_run_sparse(run), 1);
        double ixt[2], beta = ip_logdet_run_beta(run);
        assert_int_equal(ip_logdet_run_epoch(run, (const double *const *)f.t, ixt, NULL, NULL, NULL), IP_OK);
        for (int l = 0; l < 2; l++) {
            assert_int_equal(ip_csv_write_matrix(ft, f.t[l], f.m, units[l], units[l]), IP_OK);
            snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref/logdet_ref.py mi %s %.17g %s %s 2>&1",
                     ip_logdet_mode_name((ip_logdet_mode)mode), beta, fx, ft);
            double want;
            ip_test_python_ref(cmd, &want, 1);
            double e = fabs(ixt[l] - want) / fabs(want);
            printf("  %s layer %d: I(X;T) %.12g, NumPy %.12g, rel err %.1e\n",
                   ip_logdet_mode_name((ip_logdet_mode)mode), l + 1, ixt[l], want, e);
            if (e > 1e-9) fail_msg("relative error %.3g against NumPy exceeds 1e-9", e);
        }
        ip_logdet_run_free(run);
    }
    free_fixture(&f);
    remove(fx);
    remove(ft);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_matches_direct_mlp),
        cmocka_unit_test(test_block_wide_layer_and_explicit_beta),
        cmocka_unit_test(test_block_wide_input),
        cmocka_unit_test(test_run_bad_arguments),
        cmocka_unit_test(test_sparse_matches_dense),
        cmocka_unit_test(test_sparse_density_threshold),
        cmocka_unit_test(test_sparse_env_switch),
        cmocka_unit_test(test_sparse_kernel_bits),
        cmocka_unit_test(test_sparse_bits),
        cmocka_unit_test(test_sparse_numpy_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
