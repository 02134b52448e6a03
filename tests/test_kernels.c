/* Every kernel family (framework/nn/kernels_*.c) at every kernel level (core/cpu.h) this machine
 * runs, on edge shapes: lengths that are no multiple of 4, 8 or 16, zero lengths, NaN and Inf
 * inputs. Each level's results are compared with the reference level's, bit for bit where the
 * family promises the same bits (all but the conv kernels, whose wide builds use FMA: there a
 * tolerance), and every level with a plain oracle (double sums, naive loops). A level the CPU
 * cannot run is a skipped test, named; under valgrind (IP_UNDER_VALGRIND), which cannot run
 * AVX-512, the AVX-512 tests are skipped too, so the 4- and 8-lane builds are the ones checked
 * there. Tests: <family>/<level>. */
#include "testutil.h"

#include <float.h>

#include "core/cpu.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "nn/dense_fixed.h"
#include "nn/dense_sparse.h"
#include "nn/kernels_activation.h"
#include "nn/kernels_conv.h"
#include "nn/kernels_layernorm.h"
#include "nn/kernels_sparse.h"
#include "nn/network.h"

static const ip_kernel_level levels[IP_KERNELS_N_LEVELS] = {IP_KERNELS_REFERENCE, IP_KERNELS_AVX2,
                                                            IP_KERNELS_AVX512};

/* The test's level, or a skip saying why it cannot run here. */
static ip_kernel_level level_of(void **state)
{
    ip_kernel_level L = *(const ip_kernel_level *)*state;
    if (L == IP_KERNELS_AVX512 && ip_test_valgrind()) {
        print_message("skipped: valgrind cannot run AVX-512 (the reference and AVX2 builds run here)\n");
        skip();
    }
    if (!ip_cpu_supports_level(L)) {
        print_message("skipped: this CPU (or build) cannot run kernel level %s\n", ip_cpu_level_name(L));
        skip();
    }
    return L;
}

static void use(ip_kernel_level L)
{
    if (ip_cpu_set_level(L) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(ip_cpu_level(), L);
}

static float *falloc(size_t n)
{
    float *p = ip_aligned_alloc((n ? n : 1) * sizeof(float));
    assert_non_null(p);
    return p;
}

/* n floats of a and b the same bits, else a failure naming the first difference. */
static void assert_same_bits(const float *a, const float *b, size_t n, const char *what, ip_kernel_level L)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            fail_msg("%s at %s: element %zu is %.9g, the reference gives %.9g", what, ip_cpu_level_name(L), i,
                     (double)a[i], (double)b[i]);
}

static const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1.4e-45f, -1e-40f, 1e-30f, 0.6249f,
                                 0.625f, 0.6251f, 8.99f, 9.0f, 9.01f, -88.5f, 88.7f, 95.0f, -104.0f, -105.0f,
                                 FLT_MAX, -FLT_MAX, 1.0f, -1.0f};
#define N_SPECIALS (sizeof specials / sizeof *specials)

/* ---- Activations: tanh, sigmoid and their derivatives ---- */

static double tanh_exact(double v) { return tanh(v); }
static double sigmoid_exact(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Relative error, absolute in float's subnormal range (as test_nn_layers). */
static double act_err(float got, double want)
{
    if (fabs(want) < 1e-37) return fabs(got - want) / 1e-37;
    return fabs(got - want) / fabs(want);
}

typedef void (*map_fn)(float *, const float *, size_t);
typedef void (*grad_fn)(float *, const float *, const float *, size_t);

static void test_activation(void **state)
{
    ip_kernel_level L = level_of(state);
    static const size_t lengths[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 257};
    const map_fn maps[2] = {ip_kern_tanh, ip_kern_sigmoid};
    const grad_fn grads[2] = {ip_kern_tanh_grad, ip_kern_sigmoid_grad};
    double (*exact[2])(double) = {tanh_exact, sigmoid_exact};
    const char *names[2] = {"tanh", "sigmoid"};
    ip_rng rng;
    ip_rng_seed(&rng, 1);
    enum { ROOM = 257 + 16 };
    float *x = falloc(ROOM), *dy = falloc(ROOM), *want = falloc(ROOM), *got = falloc(ROOM);
    double worst = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
        size_t n = lengths[li];
        for (size_t i = 0; i < n; i++) {
            x[i] = (i + li) % 3 == 0 ? specials[(i + li) % N_SPECIALS] : (float)(4 * ip_rng_normal(&rng));
            dy[i] = (float)ip_rng_normal(&rng);
        }
        for (int f = 0; f < 2; f++) {
            /* forward: the reference's bits, in place too, nothing written past n */
            use(IP_KERNELS_REFERENCE);
            maps[f](want, x, n);
            use(L);
            for (size_t i = 0; i < ROOM; i++) got[i] = -7.0f;
            maps[f](got, x, n);
            assert_same_bits(got, want, n, names[f], L);
            for (size_t i = n; i < ROOM; i++) assert_true(got[i] == -7.0f);
            memcpy(got, x, n * sizeof *got);
            maps[f](got, got, n);
            assert_same_bits(got, want, n, names[f], L);
            for (size_t i = 0; i < n; i++) {
                if (isnan(x[i])) continue; /* NaN in gives +-1 (tanh) or 1 (sigmoid), not NaN: see the report */
                double e = act_err(want[i], exact[f](x[i]));
                if (!(e <= worst)) worst = e;
                if (!(e < 5e-7)) fail_msg("%s(%.9g) = %.9g at %s: relative error %.3g", names[f], (double)x[i],
                                          (double)want[i], ip_cpu_level_name(L), e);
            }
            /* derivative at the forward's outputs: the reference's bits and the formula's */
            use(IP_KERNELS_REFERENCE);
            float *y = falloc(ROOM), *dwant = falloc(ROOM);
            memcpy(y, want, n * sizeof *y);
            grads[f](dwant, dy, y, n);
            use(L);
            for (size_t i = 0; i < ROOM; i++) got[i] = -7.0f;
            grads[f](got, dy, y, n);
            assert_same_bits(got, dwant, n, names[f], L);
            for (size_t i = n; i < ROOM; i++) assert_true(got[i] == -7.0f);
            for (size_t i = 0; i < n; i++) {
                float r = f == 0 ? dy[i] * (1.0f - y[i] * y[i]) : dy[i] * (y[i] * (1.0f - y[i]));
                assert_same_bits(&got[i], &r, 1, "derivative vs its formula", L);
            }
            free(y);
            free(dwant);
        }
    }
    print_message("  %s: tanh/sigmoid worst relative error vs double libm %.2e\n", ip_cpu_level_name(L), worst);
    free(x), free(dy), free(want), free(got);
}

/* ---- Max pooling (through a one-layer network, so the layer's scratch is laid out as in use) ---- */

typedef struct {
    int C, H, W, k, s, pad;
} pool_case;

/* out, argmax of one plane by the rule itself: windows in row-major order, a later value wins
 * only if greater or NaN; a window of padding only gives -inf at its first real position. */
static void pool_oracle(float *out, int *am, const float *img, const pool_case *c, int OH, int OW)
{
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
            int h0 = oh * c->s - c->pad, w0 = ow * c->s - c->pad;
            float best = -INFINITY;
            int bi = (h0 < 0 ? 0 : h0) * c->W + (w0 < 0 ? 0 : w0);
            for (int ki = 0; ki < c->k; ki++)
                for (int kj = 0; kj < c->k; kj++) {
                    int ih = h0 + ki, iw = w0 + kj;
                    if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                    float v = img[ih * c->W + iw];
                    if (v > best || v != v) best = v, bi = ih * c->W + iw;
                }
            out[oh * OW + ow] = best;
            am[oh * OW + ow] = bi;
        }
}

static void test_maxpool(void **state)
{
    ip_kernel_level L = level_of(state);
    /* 7x7 -> 4x4 and 3x3 take the AVX-512 gather; the others the row kernels (OW 1 .. 35) */
    static const pool_case cases[] = {{2, 7, 7, 3, 2, 1}, {3, 7, 7, 2, 2, 0}, {1, 5, 6, 3, 1, 0},
                                      {2, 28, 28, 2, 2, 0}, {1, 13, 11, 3, 2, 1}, {1, 1, 1, 1, 1, 0},
                                      {1, 9, 17, 4, 3, 2}, {1, 33, 35, 5, 1, 2}, {2, 8, 8, 8, 1, 0},
                                      {1, 6, 6, 7, 1, 3}, {1, 4, 19, 3, 3, 1}};
    const int batch = 3;
    ip_rng rng;
    ip_rng_seed(&rng, 2);
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        const pool_case *c = &cases[ci];
        ip_layer_spec spec = {.kind = IP_LAYER_MAXPOOL, .kernel = c->k, .stride = c->s, .padding = c->pad};
        ip_network *net = NULL;
        assert_int_equal(ip_network_create(&net, &spec, 1, (ip_shape){c->C, c->H, c->W}, batch), IP_OK);
        int OH = net->layers[0].out.h, OW = net->layers[0].out.w;
        size_t n_in = (size_t)batch * c->C * c->H * c->W, n_out = (size_t)batch * c->C * OH * OW;
        float *x = falloc(n_in), *want = falloc(n_out), *ref = falloc(n_out);
        int *am_want = ip_malloc(n_out * sizeof(int)), *am_ref = ip_malloc(n_out * sizeof(int));
        assert_true(am_want && am_ref);
        /* few distinct values (ties), and NaN, +-Inf in some planes */
        for (size_t i = 0; i < n_in; i++) x[i] = (float)ip_rng_below(&rng, 5) - 2.0f;
        x[n_in / 3] = NAN, x[n_in / 2] = INFINITY, x[n_in - 1] = -INFINITY, x[0] = NAN;
        if (n_in > 7) x[7] = NAN;
        for (int p = 0; p < batch * c->C; p++)
            pool_oracle(want + (size_t)p * OH * OW, am_want + (size_t)p * OH * OW, x + (size_t)p * c->H * c->W,
                        c, OH, OW);
        use(IP_KERNELS_REFERENCE);
        memcpy(ref, ip_network_forward(net, x, batch, NULL), n_out * sizeof *ref);
        memcpy(am_ref, net->layers[0].scratch, n_out * sizeof *am_ref);
        use(L);
        const float *got = ip_network_forward(net, x, batch, NULL);
        const int *am = (const int *)net->layers[0].scratch;
        assert_same_bits(got, ref, n_out, "maxpool", L);
        assert_memory_equal(am, am_ref, n_out * sizeof *am);
        assert_same_bits(got, want, n_out, "maxpool vs the rule", L);
        for (size_t i = 0; i < n_out; i++)
            if (am[i] != am_want[i])
                fail_msg("maxpool case %zu at %s: output %zu's argmax is %d, the rule gives %d", ci,
                         ip_cpu_level_name(L), i, am[i], am_want[i]);
        ip_network_free(net);
        free(x), free(want), free(ref), free(am_want), free(am_ref);
    }
}

/* ---- Finding nonzeros ---- */

static void test_nonzeros(void **state)
{
    ip_kernel_level L = level_of(state);
    enum { N = 300 };
    float *x = falloc(N), *val = falloc(N + 16);
    int *col = ip_malloc((N + 16) * sizeof(int));
    assert_non_null(col);
    ip_rng rng;
    ip_rng_seed(&rng, 3);
    for (int i = 0; i < N; i++)
        x[i] = i % 4 == 0 ? specials[(size_t)i / 4 % N_SPECIALS] : ip_rng_uniform(&rng) < 0.5 ? 0.0f : (float)i;
    static const int starts[] = {0, 3, 16, 100}, lengths[] = {0, 1, 15, 16, 17, 31, 32, 33, 128, 196};
    use(L);
    for (size_t si = 0; si < sizeof starts / sizeof *starts; si++)
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
            int j0 = starts[si], j1 = j0 + lengths[li];
            if (j1 > N) continue;
            for (int i = 0; i < N + 16; i++) col[i] = -5, val[i] = -5.0f;
            int n = ip_kern_nonzeros(col, val, x, j0, j1), m = 0;
            for (int j = j0; j < j1; j++) {
                if (x[j] == 0.0f) continue; /* -0 too; NaN is kept */
                if (m >= n || col[m] != j || memcmp(&val[m], &x[j], sizeof(float)) != 0)
                    fail_msg("nonzeros [%d, %d) at %s: slot %d should hold column %d", j0, j1, ip_cpu_level_name(L),
                             m, j);
                m++;
            }
            assert_int_equal(n, m);
            for (int i = j1 - j0; i < N + 16; i++) assert_true(col[i] == -5 && val[i] == -5.0f);
        }
    free(x), free(val), free(col);
}

/* ---- The dense layer's sparse products and prepared rows ---- */

typedef struct {
    int batch, I, O;
} dense_case;

/* in (batch x I) about 80% zeros, with a NaN in row 0 and an Inf in the last row when asked. */
static void sparse_input(float *in, int batch, int I, int specials_in, ip_rng *rng)
{
    for (size_t i = 0; i < (size_t)batch * I; i++) in[i] = ip_rng_uniform(rng) < 0.8 ? 0.0f : (float)ip_rng_normal(rng);
    if (specials_in) {
        in[5] = NAN;
        in[(size_t)(batch - 1) * I + I - 1] = INFINITY;
    }
}

static void test_sparse(void **state)
{
    ip_kernel_level L = level_of(state);
    static const dense_case cases[] = {{1, 256, 1}, {3, 257, 70}, {33, 300, 130}, {64, 784, 64}, {5, 1000, 10}};
    ip_rng rng;
    ip_rng_seed(&rng, 4);
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        int B = cases[ci].batch, I = cases[ci].I, O = cases[ci].O, sp = ci % 2 == 1;
        float *in = falloc((size_t)B * I), *W = falloc((size_t)O * I), *b = falloc(O), *dout = falloc((size_t)B * O);
        float *out = falloc((size_t)B * O), *ref = falloc((size_t)B * O), *dW0 = falloc((size_t)O * I);
        float *dW = falloc((size_t)O * I), *dW_ref = falloc((size_t)O * I);
        float *scratch = falloc(ip_dense_sparse_scratch_floats(B, I, O));
        sparse_input(in, B, I, sp, &rng);
        for (size_t i = 0; i < (size_t)O * I; i++) W[i] = (float)(0.1 * ip_rng_normal(&rng)), dW0[i] = (float)i;
        for (int o = 0; o < O; o++) b[o] = (float)ip_rng_normal(&rng);
        for (size_t i = 0; i < (size_t)B * O; i++) dout[i] = (float)ip_rng_normal(&rng);
        assert_int_equal(ip_dense_sparse_takes(in, B, I), 1);
        for (int pass = 0; pass < 2; pass++) {
            use(pass == 0 ? IP_KERNELS_REFERENCE : L);
            float *o = pass == 0 ? ref : out, *g = pass == 0 ? dW_ref : dW;
            memcpy(g, dW0, (size_t)O * I * sizeof *g);
            assert_int_equal(ip_dense_sparse_forward(o, in, W, b, B, I, O, scratch), 1);
            assert_int_equal(ip_dense_sparse_weight_grad(g, dout, in, B, I, O, scratch), 1);
        }
        assert_same_bits(out, ref, (size_t)B * O, "sparse forward", L);
        assert_same_bits(dW, dW_ref, (size_t)O * I, "sparse weight gradient", L);
        /* the products in double, for the rows without NaN or Inf */
        for (int r = 0; r < B; r++) {
            if (sp && (r == 0 || r == B - 1)) {
                for (int o = 0; o < O; o++) assert_false(isfinite(out[(size_t)r * O + o]));
                continue;
            }
            for (int o = 0; o < O; o++) {
                double s = b[o], mag = fabs(b[o]);
                for (int j = 0; j < I; j++) {
                    double t = (double)in[(size_t)r * I + j] * W[(size_t)o * I + j];
                    s += t, mag += fabs(t);
                }
                assert_close(out[(size_t)r * O + o], s, 0, 1e-6 * mag + 1e-30);
            }
        }
        if (!sp)
            for (int o = 0; o < O; o++)
                for (int j = 0; j < I; j++) {
                    double s = dW0[(size_t)o * I + j], mag = fabs(s);
                    for (int r = 0; r < B; r++) {
                        double t = (double)dout[(size_t)r * O + o] * in[(size_t)r * I + j];
                        s += t, mag += fabs(t);
                    }
                    assert_close(dW[(size_t)o * I + j], s, 0, 1e-6 * mag + 1e-30);
                }
        /* prepared rows (batches of 16, the last shorter): the reference's bits, and the sparse
         * route's at this level */
        int fb = 16;
        ip_fixed_rows *f = ip_fixed_rows_build(in, B, I, fb);
        assert_non_null(f);
        for (int r0 = 0; r0 < B; r0 += fb) {
            int m = B - r0 < fb ? B - r0 : fb;
            use(IP_KERNELS_REFERENCE);
            assert_int_equal(ip_dense_fixed_forward(ref, f, r0, m, W, b, I, O), 1);
            use(L);
            assert_int_equal(ip_dense_fixed_forward(out, f, r0, m, W, b, I, O), 1);
            assert_same_bits(out, ref, (size_t)m * O, "prepared rows", L);
            assert_int_equal(ip_dense_sparse_forward(ref, in + (size_t)r0 * I, W, b, m, I, O, scratch), 1);
            assert_same_bits(out, ref, (size_t)m * O, "prepared rows vs the sparse route", L);
        }
        ip_fixed_rows_free(f);
        free(in), free(W), free(b), free(dout), free(out), free(ref), free(dW0), free(dW), free(dW_ref), free(scratch);
    }
}

/* ---- Direct convolution ---- */

/* GCC contracts multiply-adds into FMA at -O2 and above only (its widening_mul pass): in the
 * sanitizer (-O1) and debug (-O0) builds every level gives the reference's bits. */
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
#define WIDE_USES_FMA 0
#else
#define WIDE_USES_FMA 1
#endif

typedef struct {
    int C, H, W, OC, k;
} conv_case;

/* The conv kernels' outputs at the current level: out (OC x P) and dW (OC x C x k x k) over S
 * samples of x (S x C x P), dout (S x OC x P). */
static void conv_run(float *out, float *dW, const conv_case *c, int S, const float *x, const float *Wt,
                     const float *bias, const float *dout, float *planes_out)
{
    int P = c->H * c->W, k = c->k, pad = (k - 1) / 2, kk = k * k;
    size_t PL = ip_convd_plane_floats(c->H, c->W, k), xs = (size_t)c->C * k * PL, dr = (P + 15) / 16 * 16;
    int32_t *mask = ip_malloc((size_t)k * P * sizeof *mask);
    float *xk = falloc(xs * S), *dp = falloc((size_t)S * c->OC * dr), *acc = falloc((size_t)c->OC * c->C * kk * 16);
    assert_non_null(mask);
    for (int kj = 0; kj < k; kj++)
        for (int p = 0; p < P; p++) {
            int iw = p % c->W + kj - pad;
            mask[(size_t)kj * P + p] = iw >= 0 && iw < c->W ? -1 : 0;
        }
    memset(dp, 0, (size_t)S * c->OC * dr * sizeof *dp);
    for (int s = 0; s < S; s++) {
        ip_convd_planes_clear(xk + s * xs, c->C, c->H, c->W, k);
        ip_convd_planes(xk + s * xs, x + (size_t)s * c->C * P, mask, c->C, c->H, c->W, k);
        ip_convd_forward(out + (size_t)s * c->OC * P, xk + s * xs, Wt, bias, c->C, c->H, c->W, c->OC, k);
        for (int oc = 0; oc < c->OC; oc++)
            memcpy(dp + ((size_t)s * c->OC + oc) * dr, dout + ((size_t)s * c->OC + oc) * P, (size_t)P * sizeof *dp);
    }
    memcpy(planes_out, xk, xs * S * sizeof *xk);
    memset(acc, 0, (size_t)c->OC * c->C * kk * 16 * sizeof *acc);
    ip_convd_dweights(acc, xk, xs, dp, (size_t)c->OC * dr, dr, S, c->C, c->H, c->W, c->OC, k);
    ip_convd_reduce(dW, acc, (size_t)c->OC * c->C * kk);
    free(mask), free(xk), free(dp), free(acc);
}

/* |a - b| within tol times the magnitude of the terms (mag), per element. */
static void assert_conv_close(const float *a, const float *b, const double *mag, size_t n, double tol,
                              const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)a[i] - b[i]) <= tol * mag[i] + 1e-30))
            fail_msg("%s: element %zu is %.9g, expected %.9g (terms' magnitude %.3g)", what, i, (double)a[i],
                     (double)b[i], mag[i]);
}

static void test_conv(void **state)
{
    ip_kernel_level L = level_of(state);
    static const conv_case cases[] = {{1, 5, 7, 3, 3}, {2, 4, 4, 5, 1}, {3, 6, 5, 6, 5},
                                      {2, 7, 9, 4, 7}, {1, 1, 1, 1, 1}, {2, 14, 14, 6, 3}};
    const int S = 2;
    ip_rng rng;
    ip_rng_seed(&rng, 5);
    size_t n_bits_differ = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        const conv_case *c = &cases[ci];
        int P = c->H * c->W, k = c->k, pad = (k - 1) / 2, kk = k * k;
        size_t n_x = (size_t)S * c->C * P, n_out = (size_t)S * c->OC * P, n_w = (size_t)c->OC * c->C * kk;
        size_t n_planes = (size_t)S * c->C * k * ip_convd_plane_floats(c->H, c->W, k);
        float *x = falloc(n_x), *Wt = falloc(n_w), *bias = falloc(c->OC), *dout = falloc(n_out);
        float *out[2] = {falloc(n_out), falloc(n_out)}, *dW[2] = {falloc(n_w), falloc(n_w)};
        float *planes[2] = {falloc(n_planes), falloc(n_planes)}, *avx2_out = falloc(n_out), *avx2_dW = falloc(n_w);
        float *want = falloc(n_out), *want_dW = falloc(n_w);
        double *mag = malloc(n_out * sizeof *mag), *mag_dW = malloc(n_w * sizeof *mag_dW);
        assert_true(mag && mag_dW);
        for (size_t i = 0; i < n_x; i++) x[i] = (float)ip_rng_normal(&rng);
        for (size_t i = 0; i < n_w; i++) Wt[i] = (float)ip_rng_normal(&rng);
        for (int o = 0; o < c->OC; o++) bias[o] = (float)ip_rng_normal(&rng);
        for (size_t i = 0; i < n_out; i++) dout[i] = (float)ip_rng_normal(&rng);
        /* the oracle in double: out = bias + sum W x over the zero-padded window; dW = sum dout x */
        for (size_t i = 0; i < n_w; i++) want_dW[i] = 0, mag_dW[i] = 0;
        for (int s = 0; s < S; s++)
            for (int oc = 0; oc < c->OC; oc++)
                for (int p = 0; p < P; p++) {
                    double sum = bias[oc], m = fabs(bias[oc]);
                    float g = dout[((size_t)s * c->OC + oc) * P + p];
                    for (int ch = 0; ch < c->C; ch++)
                        for (int ki = 0; ki < k; ki++)
                            for (int kj = 0; kj < k; kj++) {
                                int ih = p / c->W + ki - pad, iw = p % c->W + kj - pad;
                                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                                double xv = x[((size_t)s * c->C + ch) * P + ih * c->W + iw];
                                size_t wi = (((size_t)oc * c->C + ch) * k + ki) * k + kj;
                                sum += Wt[wi] * xv, m += fabs(Wt[wi] * xv);
                                want_dW[wi] += g * xv, mag_dW[wi] += fabs(g * xv);
                            }
                    want[((size_t)s * c->OC + oc) * P + p] = (float)sum, mag[((size_t)s * c->OC + oc) * P + p] = m;
                }
        use(IP_KERNELS_REFERENCE);
        conv_run(out[0], dW[0], c, S, x, Wt, bias, dout, planes[0]);
        use(L);
        conv_run(out[1], dW[1], c, S, x, Wt, bias, dout, planes[1]);
        /* the planes are copies: the same bits at every level */
        assert_same_bits(planes[1], planes[0], n_planes, "conv tap planes", L);
        /* float sums of up to 98 (forward) and 392 (gradient) terms */
        assert_conv_close(out[1], want, mag, n_out, 1e-5, "conv forward vs double");
        assert_conv_close(dW[1], want_dW, mag_dW, n_w, 1e-4, "conv weight gradient vs double");
        assert_conv_close(out[1], out[0], mag, n_out, 1e-5, "conv forward vs the reference");
        assert_conv_close(dW[1], dW[0], mag_dW, n_w, 1e-4, "conv weight gradient vs the reference");
        for (size_t i = 0; i < n_out; i++) n_bits_differ += memcmp(&out[1][i], &out[0][i], sizeof(float)) != 0;
        if (L == IP_KERNELS_AVX512) { /* both wide builds use FMA: the same bits */
            use(IP_KERNELS_AVX2);
            conv_run(avx2_out, avx2_dW, c, S, x, Wt, bias, dout, planes[0]);
            assert_same_bits(out[1], avx2_out, n_out, "conv forward vs avx2", L);
            assert_same_bits(dW[1], avx2_dW, n_w, "conv weight gradient vs avx2", L);
        }
        free(x), free(Wt), free(bias), free(dout), free(out[0]), free(out[1]), free(dW[0]), free(dW[1]);
        free(planes[0]), free(planes[1]), free(avx2_out), free(avx2_dW), free(want), free(want_dW), free(mag);
        free(mag_dW);
    }
    /* The wide builds contract into FMA, the reference does not: somewhere the bits differ, which
     * shows that the level reached the kernels. */
    print_message("  %s: %zu conv outputs differ in bits from the reference\n", ip_cpu_level_name(L), n_bits_differ);
    if (L != IP_KERNELS_REFERENCE && WIDE_USES_FMA) assert_true(n_bits_differ > 0);
    if (L == IP_KERNELS_REFERENCE) assert_int_equal(n_bits_differ, 0);
}

/* ---- Layer normalisation ---- */

static void test_layernorm(void **state)
{
    ip_kernel_level L = level_of(state);
    static const int lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 100, 1000};
    ip_rng rng;
    ip_rng_seed(&rng, 6);
    float *x = falloc(1000), *g = falloc(1000), *y[2] = {falloc(2016), falloc(2016)};
    for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++)
        for (int special = 0; special < 2; special++) {
            int n = lengths[li];
            for (int i = 0; i < n; i++) x[i] = (float)(3 + ip_rng_normal(&rng)), g[i] = (float)ip_rng_normal(&rng);
            if (special && n > 0) x[n / 2] = NAN, g[n - 1] = INFINITY;
            double s[2][4];
            float m = 0.25f, r = 1.5f, mg = -0.125f, mgx = 0.75f;
            for (int pass = 0; pass < 2; pass++) {
                use(pass == 0 ? IP_KERNELS_REFERENCE : L);
                ip_kern_ln_sums_sq(&s[pass][0], &s[pass][1], x, n);
                ip_kern_ln_sums(&s[pass][2], &s[pass][3], g, x, n);
                for (int i = 0; i < n + 16; i++) y[pass][i] = -7.0f;
                ip_kern_ln_normalize(y[pass], x, m, r, n);
                for (int i = n; i < n + 16; i++) assert_true(y[pass][i] == -7.0f);
                ip_kern_ln_apply_grad(y[pass] + n, g, x, r, mg, mgx, n); /* after the normalised row */
            }
            assert_memory_equal(s[0], s[1], sizeof s[0]);
            assert_same_bits(y[1], y[0], 2 * (size_t)n, "layernorm", L);
            for (int i = 0; i < n; i++) { /* element-wise: exactly the scalar expressions */
                float a = (x[i] - m) * r, d = r * (g[i] - mg - x[i] * mgx);
                assert_same_bits(&y[1][i], &a, 1, "layernorm normalize vs its formula", L);
                assert_same_bits(&y[1][n + i], &d, 1, "layernorm gradient vs its formula", L);
            }
            if (special && n > 0) {
                assert_true(isnan(s[1][0]) && isnan(s[1][1]) && isnan(s[1][3]));
                continue;
            }
            double sx = 0, sxx = 0, sg = 0, sgx = 0, mx = 0, mg2 = 0, mgx2 = 0;
            for (int i = 0; i < n; i++) {
                sx += x[i], sxx += (double)x[i] * x[i], sg += g[i], sgx += (double)g[i] * x[i];
                mx += fabs(x[i]), mg2 += fabs(g[i]), mgx2 += fabs((double)g[i] * x[i]);
            }
            assert_close(s[1][0], sx, 0, 1e-12 * mx + 1e-300);
            assert_close(s[1][1], sxx, 0, 1e-12 * sxx + 1e-300);
            assert_close(s[1][2], sg, 0, 1e-12 * mg2 + 1e-300);
            assert_close(s[1][3], sgx, 0, 1e-12 * mgx2 + 1e-300);
        }
    free(x), free(g), free(y[0]), free(y[1]);
}

/* Each test restores the level the process started with. */
static ip_kernel_level start_level;

static int restore_level(void **state)
{
    (void)state;
    return ip_cpu_set_level(start_level) == IP_OK ? 0 : -1;
}

#define AT_LEVEL(name, fn, L) {name, fn, NULL, restore_level, (void *)&levels[L]}
#define AT_LEVELS(name, fn)                                                                           \
    AT_LEVEL(name "/reference", fn, IP_KERNELS_REFERENCE), AT_LEVEL(name "/avx2", fn, IP_KERNELS_AVX2), \
        AT_LEVEL(name "/avx512", fn, IP_KERNELS_AVX512)

int main(void)
{
    start_level = ip_cpu_level();
    print_message("kernel levels: this CPU runs up to %s; the process started at %s\n",
                  ip_cpu_level_name(ip_cpu_best_level()), ip_cpu_level_name(start_level));
    const struct CMUnitTest tests[] = {
        AT_LEVELS("activation", test_activation), AT_LEVELS("maxpool", test_maxpool),
        AT_LEVELS("nonzeros", test_nonzeros),     AT_LEVELS("sparse", test_sparse),
        AT_LEVELS("conv", test_conv),             AT_LEVELS("layernorm", test_layernorm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
