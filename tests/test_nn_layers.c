/* Layer tests: every layer kind and every activation against a direct reference forward pass,
 * and their backward passes against finite differences (for parameters and inputs, along
 * random directions and element by element). The loss is L = sum(R * out) for a fixed random R,
 * accumulated in double; derivatives use the 4-point central stencil
 * (-L(2h) + 8 L(h) - 8 L(-h) + L(-2h)) / 12h, whose truncation error is O(h^4), so h can be
 * large enough (2^-4) that float32 rounding in the forward pass stays far below the 1e-3
 * tolerance. Points and directions lie on binary grids (inputs and parameters multiples of
 * 2^-12, direction entries multiples of 2^-8 in [-1, 1]), so every perturbed point x + t h d is
 * exactly representable in float32 and the stencil sees exactly the step it divides by.
 * Inputs of relu, leaky relu and maxpool keep a margin from their kinks larger than 2h, so the
 * stencil never straddles one. */
#include "testutil.h"

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "nn/layer.h"
#include "nn/layer_kinds.h"

#define GC_H (1.0 / 16)
#define GC_TOL 1e-3

typedef enum { GEN_NORMAL, GEN_MARGIN, GEN_DISTINCT } gen_kind;

/* One layer with its own buffers, set up for `batch` samples. */
typedef struct {
    ip_layer l;
    int batch;
    size_t nin, nout;
    float *params, *grads, *scratch, *in, *out, *R, *din;
} harness;

static void fill_normal(float *a, size_t n, ip_rng *rng, double scale)
{
    for (size_t i = 0; i < n; i++) a[i] = (float)(scale * ip_rng_normal(rng));
}

/* Round to multiples of q (a power of two). */
static void quantize(float *a, size_t n, double q)
{
    for (size_t i = 0; i < n; i++) a[i] = (float)(nearbyint(a[i] / q) * q);
}

/* Values of magnitude in [0.25, 1.75] with random signs: 0.25 > 2h keeps the stencil off 0. */
static void fill_margin(float *a, size_t n, ip_rng *rng)
{
    for (size_t i = 0; i < n; i++) {
        float m = (float)(0.25 + 1.5 * ip_rng_uniform(rng));
        a[i] = ip_rng_uniform(rng) < 0.5 ? -m : m;
    }
}

/* Per sample a random permutation of 0.3 * (i - n/2): any two values differ by >= 0.3 > 4h, so
 * no window's maximum changes under the stencil. */
static void fill_distinct(float *a, size_t n_per, int batch, ip_rng *rng)
{
    int *perm = malloc(n_per * sizeof *perm);
    assert_non_null(perm);
    for (int b = 0; b < batch; b++) {
        for (size_t i = 0; i < n_per; i++) perm[i] = (int)i;
        ip_rng_shuffle_int(rng, perm, (int)n_per);
        for (size_t i = 0; i < n_per; i++) a[(size_t)b * n_per + i] = 0.3f * ((float)perm[i] - (float)n_per / 2);
    }
    free(perm);
}

static void harness_setup(harness *h, ip_layer_spec spec, ip_shape in, int batch, gen_kind gen, ip_rng *rng)
{
    memset(h, 0, sizeof *h);
    int rc = ip_layer_setup(&h->l, &spec, in, batch, 0);
    if (rc != IP_OK) fail_msg("setup: %s", ip_error_message());
    h->batch = batch;
    h->nin = (size_t)batch * ip_shape_size(in);
    h->nout = (size_t)batch * ip_shape_size(h->l.out);
    h->params = ip_calloc(h->l.n_params + 1, sizeof(float));
    h->grads = ip_calloc(h->l.n_params + 1, sizeof(float));
    h->scratch = ip_aligned_alloc((h->l.scratch_floats + 1) * sizeof(float));
    h->in = ip_calloc(h->nin, sizeof(float));
    h->din = ip_calloc(h->nin, sizeof(float));
    h->out = ip_calloc(h->nout, sizeof(float));
    h->R = ip_calloc(h->nout, sizeof(float));
    assert_true(h->params && h->grads && h->scratch && h->in && h->din && h->out && h->R);
    h->l.params = h->params;
    h->l.grads = h->grads;
    h->l.scratch = h->scratch;
    fill_normal(h->params, h->l.n_params, rng, 0.5);
    if (gen == GEN_NORMAL) fill_normal(h->in, h->nin, rng, 1.0);
    if (gen == GEN_MARGIN) fill_margin(h->in, h->nin, rng);
    if (gen == GEN_DISTINCT) fill_distinct(h->in, (size_t)ip_shape_size(in), batch, rng);
    fill_normal(h->R, h->nout, rng, 1.0);
    quantize(h->params, h->l.n_params, 1.0 / 4096);
    quantize(h->in, h->nin, 1.0 / 4096);
}

static void harness_free(harness *h)
{
    free(h->params);
    free(h->grads);
    free(h->scratch);
    free(h->in);
    free(h->din);
    free(h->out);
    free(h->R);
}

static double loss(harness *h)
{
    h->l.ops->forward(&h->l, h->out, h->in, h->batch);
    double s = 0;
    for (size_t i = 0; i < h->nout; i++) s += (double)h->R[i] * h->out[i];
    return s;
}

/* Analytic gradients at the current point: grads and din. */
static void analytic(harness *h)
{
    memset(h->grads, 0, h->l.n_params * sizeof(float));
    loss(h);
    h->l.ops->backward(&h->l, h->din, h->R, h->in, h->out, h->batch);
}

/* dL/dt of L(base + t dir) at t = 0 by the 4-point stencil; base is restored bit for bit. */
static double numeric_dir(harness *h, float *base, const float *dir, size_t n)
{
    float *save = malloc(n * sizeof *save);
    assert_non_null(save);
    memcpy(save, base, n * sizeof *save);
    static const double ts[4] = {2, 1, -1, -2}, ws[4] = {-1, 8, -8, 1};
    double acc = 0;
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < n; i++) base[i] = save[i] + (float)(ts[k] * GC_H) * dir[i];
        acc += ws[k] * loss(h);
    }
    memcpy(base, save, n * sizeof *save);
    free(save);
    return acc / (12 * GC_H);
}

static double numeric_elem(harness *h, float *base, size_t i)
{
    float save = base[i];
    static const double ts[4] = {2, 1, -1, -2}, ws[4] = {-1, 8, -8, 1};
    double acc = 0;
    for (int k = 0; k < 4; k++) {
        base[i] = save + (float)(ts[k] * GC_H);
        acc += ws[k] * loss(h);
    }
    base[i] = save;
    return acc / (12 * GC_H);
}

/* Relative error of a directional derivative. */
static double rel(double num, double ana) { return fabs(num - ana) / fmax(1e-12, fmax(fabs(num), fabs(ana))); }

/* Checks grads and din of h along 3 random directions, then (when per_element) every element,
 * where an element's error is relative to max(|num|, |ana|, 1e-3 * the largest |gradient|):
 * entries that are exactly zero analytically are judged on the tensor's scale. */
static void check_layer(harness *h, const char *name, int per_element, ip_rng *rng)
{
    analytic(h);
    size_t np = h->l.n_params, ni = h->nin;
    float *gp = malloc((np + 1) * sizeof *gp), *gi = malloc(ni * sizeof *gi), *dir = malloc((np + ni + 1) * sizeof *dir);
    assert_true(gp && gi && dir);
    memcpy(gp, h->grads, np * sizeof *gp);
    memcpy(gi, h->din, ni * sizeof *gi);
    double worst_dir = 0, worst_elem = 0;
    for (int rep = 0; rep < 3; rep++) {
        struct { float *base, *g; size_t n; } parts[2] = {{h->params, gp, np}, {h->in, gi, ni}};
        for (int p = 0; p < 2; p++) {
            if (parts[p].n == 0) continue;
            /* |dir_i| <= 1 keeps every element's move below the kink margins. Each entry agrees in
             * sign with its gradient entry with probability 3/4: a purely random direction makes the
             * directional derivative a sum that cancels down to the forward pass's float noise
             * (|sum| ~ sqrt(n) against n terms), while this one stays of the order of its terms. */
            for (size_t i = 0; i < parts[p].n; i++) {
                float u = (float)ip_rng_uniform(rng), sg = parts[p].g[i] < 0 ? -1.0f : 1.0f;
                dir[i] = ip_rng_uniform(rng) < 0.75 ? sg * u : -sg * u;
            }
            quantize(dir, parts[p].n, 1.0 / 256);
            double ana = 0;
            for (size_t i = 0; i < parts[p].n; i++) ana += (double)parts[p].g[i] * dir[i];
            double e = rel(numeric_dir(h, parts[p].base, dir, parts[p].n), ana);
            if (e > worst_dir) worst_dir = e;
        }
    }
    if (per_element) {
        struct { float *base, *g; size_t n; } parts[2] = {{h->params, gp, np}, {h->in, gi, ni}};
        for (int p = 0; p < 2; p++) {
            double gmax = 0;
            for (size_t i = 0; i < parts[p].n; i++) gmax = fmax(gmax, fabs(parts[p].g[i]));
            for (size_t i = 0; i < parts[p].n; i++) {
                double num = numeric_elem(h, parts[p].base, i), ana = parts[p].g[i];
                double e = fabs(num - ana) / fmax(1e-3 * gmax + 1e-30, fmax(fabs(num), fabs(ana)));
                if (!(e <= worst_elem)) worst_elem = e;
            }
        }
    }
    printf("  %-34s params %5zu inputs %5zu: worst rel err directional %.2e, per element %.2e\n", name, np, ni,
           worst_dir, worst_elem);
    free(gp);
    free(gi);
    free(dir);
    if (!(worst_dir < GC_TOL) || !(worst_elem < GC_TOL))
        fail_msg("%s: gradient check failed (directional %.3e, per element %.3e, tolerance %g)", name, worst_dir,
                 worst_elem, GC_TOL);
}

static void gradcheck(ip_layer_spec spec, ip_shape in, int batch, gen_kind gen, const char *name, uint64_t seed)
{
    ip_rng rng;
    ip_rng_seed(&rng, seed);
    harness h;
    harness_setup(&h, spec, in, batch, gen, &rng);
    check_layer(&h, name, 1, &rng);
    harness_free(&h);
}

static const char *act_name(ip_activation a)
{
    static const char *names[] = {"linear", "tanh", "relu", "sigmoid", "leaky_relu", "gelu", "softsign"};
    return names[a];
}

/* ---- reference forward passes ---- */

static void test_dense_forward(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 1);
    harness h;
    ip_layer_spec s = {.kind = IP_LAYER_DENSE, .units = 7};
    harness_setup(&h, s, (ip_shape){2, 2, 3}, 5, GEN_NORMAL, &rng); /* a 12-feature non-flat input */
    assert_int_equal(h.l.n_params, 7 * 12 + 7);
    assert_int_equal(h.l.fan_in, 12);
    loss(&h);
    double worst = 0;
    for (int b = 0; b < 5; b++)
        for (int o = 0; o < 7; o++) {
            double r = h.params[7 * 12 + o];
            for (int i = 0; i < 12; i++) r += (double)h.params[o * 12 + i] * h.in[b * 12 + i];
            worst = fmax(worst, fabs(r - h.out[b * 7 + o]) / fmax(1, fabs(r)));
        }
    printf("  dense forward: worst error %.2e\n", worst);
    assert_true(worst < 1e-6);
    harness_free(&h);
}

/* Direct convolution in double for (k, stride, padding) on a C x H x W input. */
static void test_conv_forward(void **state)
{
    static const int cfg[][6] = {/* C, H, W, OC, k, s, p packed below */ {2, 7, 6, 3, 3, 1}, {1, 8, 8, 4, 2, 2},
                                 {3, 5, 9, 2, 3, 2}, {2, 6, 6, 5, 5, 1}, {1, 4, 4, 2, 1, 1}};
    static const int pads[] = {1, 0, 2, 0, 0};
    double worst = 0;
    for (size_t t = 0; t < sizeof cfg / sizeof *cfg; t++) {
        int C = cfg[t][0], H = cfg[t][1], W = cfg[t][2], OC = cfg[t][3], k = cfg[t][4], s = cfg[t][5], p = pads[t];
        ip_rng rng;
        ip_rng_seed(&rng, 10 + t);
        harness h;
        ip_layer_spec spec = {.kind = IP_LAYER_CONV2D, .channels = OC, .kernel = k, .stride = s, .padding = p};
        harness_setup(&h, spec, (ip_shape){C, H, W}, 3, GEN_NORMAL, &rng);
        int OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
        assert_int_equal(h.l.out.h, OH);
        assert_int_equal(h.l.out.w, OW);
        assert_int_equal(h.l.fan_in, C * k * k);
        loss(&h);
        for (int b = 0; b < 3; b++)
            for (int oc = 0; oc < OC; oc++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++) {
                        double r = h.params[(size_t)OC * C * k * k + oc];
                        for (int c = 0; c < C; c++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++) {
                                    int ih = oh * s - p + ki, iw = ow * s - p + kj;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    r += (double)h.params[((oc * C + c) * k + ki) * k + kj] *
                                         h.in[((b * C + c) * H + ih) * W + iw];
                                }
                        double got = h.out[((b * OC + oc) * OH + oh) * OW + ow];
                        worst = fmax(worst, fabs(r - got) / fmax(1, fabs(r)));
                    }
        harness_free(&h);
    }
    printf("  conv2d forward: worst error %.2e\n", worst);
    assert_true(worst < 1e-5);
}

static void test_maxpool_forward(void **state)
{
    /* 1 x 4 x 5 input, k 3, s 2, p 1: output 2 x 3; padding never wins even for negative inputs */
    ip_rng rng;
    ip_rng_seed(&rng, 3);
    harness h;
    ip_layer_spec spec = {.kind = IP_LAYER_MAXPOOL, .kernel = 3, .stride = 2, .padding = 1};
    harness_setup(&h, spec, (ip_shape){1, 4, 5}, 1, GEN_NORMAL, &rng);
    for (int i = 0; i < 20; i++) h.in[i] = -100.0f - (float)i; /* all negative: max is the least negative */
    loss(&h);
    assert_int_equal(h.l.out.h, 2);
    assert_int_equal(h.l.out.w, 3);
    /* window (0,0) covers rows 0..1, cols 0..1: max is in[0] = -100 */
    static const float expect[6] = {-100, -101, -103, -105, -106, -108};
    for (int i = 0; i < 6; i++) assert_float_equal(h.out[i], expect[i], 0);
    harness_free(&h);
}

/* PyTorch's adaptive rule on 5 -> 3: windows [0,2), [1,4), [3,5); on 4 -> 2: [0,2), [2,4). */
static void test_avgpool_forward(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 4);
    harness h;
    ip_layer_spec spec = {.kind = IP_LAYER_AVGPOOL, .out_h = 2, .out_w = 3};
    harness_setup(&h, spec, (ip_shape){2, 4, 5}, 2, GEN_NORMAL, &rng);
    loss(&h);
    static const int r0[2] = {0, 2}, r1[2] = {2, 4}, c0[3] = {0, 1, 3}, c1[3] = {2, 4, 5};
    double worst = 0;
    for (int plane = 0; plane < 4; plane++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int a = r0[i]; a < r1[i]; a++)
                    for (int b = c0[j]; b < c1[j]; b++) s += h.in[plane * 20 + a * 5 + b];
                s /= (r1[i] - r0[i]) * (c1[j] - c0[j]);
                worst = fmax(worst, fabs(s - h.out[plane * 6 + i * 3 + j]));
            }
    printf("  avgpool forward: worst error %.2e\n", worst);
    assert_true(worst < 1e-6);
    harness_free(&h);
    /* upsampling (output larger than input) is legal in PyTorch too: 2 -> 3 averages [0,1),[0,2),[1,2) */
    ip_layer_spec up = {.kind = IP_LAYER_AVGPOOL, .out_h = 1, .out_w = 3};
    harness_setup(&h, up, (ip_shape){1, 1, 2}, 1, GEN_NORMAL, &rng);
    h.in[0] = 1;
    h.in[1] = 3;
    loss(&h);
    assert_float_equal(h.out[0], 1, 0);
    assert_float_equal(h.out[1], 2, 0);
    assert_float_equal(h.out[2], 3, 0);
    harness_free(&h);
}

static void test_layernorm_forward(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 5);
    harness h;
    ip_layer_spec spec = {.kind = IP_LAYER_LAYERNORM};
    harness_setup(&h, spec, (ip_shape){3, 4, 4}, 3, GEN_NORMAL, &rng);
    for (size_t i = 0; i < h.nin; i++) h.in[i] = 3.0f * h.in[i] + 5.0f; /* an offset and a scale */
    loss(&h);
    double worst = 0;
    for (int b = 0; b < 3; b++) {
        double m = 0, v = 0;
        for (int i = 0; i < 48; i++) m += h.in[b * 48 + i];
        m /= 48;
        for (int i = 0; i < 48; i++) v += (h.in[b * 48 + i] - m) * (h.in[b * 48 + i] - m);
        v /= 48;
        for (int i = 0; i < 48; i++)
            worst = fmax(worst, fabs((h.in[b * 48 + i] - m) / sqrt(v + 1e-5) - h.out[b * 48 + i]));
    }
    printf("  layernorm forward: worst error %.2e\n", worst);
    assert_true(worst < 2e-6);
    harness_free(&h);
}

/* Activations against double-precision libm, over a grid that includes 0, tiny, large and
 * saturating inputs (the tail of the vector kernels included: odd n). */
static void test_activation_values(void **state)
{
    enum { N = 2003 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    assert_true(x && y);
    for (int i = 0; i < N; i++) x[i] = (float)((i - N / 2) * 0.02);
    x[0] = -100;
    x[1] = 100;
    x[2] = 1e-30f;
    x[3] = -1e-6f;
    x[4] = 0.6249f;
    x[5] = 0.6251f;
    x[6] = -88.5f;
    x[7] = 95.0f;
    for (int a = IP_ACT_LINEAR; a <= IP_ACT_SOFTSIGN; a++) {
        ip_activation_forward(y, x, N, (ip_activation)a, 0.05f);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double v = x[i], r = 0;
            switch ((ip_activation)a) {
            case IP_ACT_LINEAR: r = v; break;
            case IP_ACT_TANH: r = tanh(v); break;
            case IP_ACT_RELU: r = v > 0 ? v : 0; break;
            case IP_ACT_SIGMOID: r = 1 / (1 + exp(-v)); break;
            case IP_ACT_LEAKY_RELU: r = v > 0 ? v : v * (double)0.05f; break;
            case IP_ACT_GELU: r = 0.5 * v * (1 + erf(v / sqrt(2.0))); break;
            case IP_ACT_SOFTSIGN: r = v / (1 + fabs(v)); break;
            }
            /* relative, with a floor far below float's resolution of values near 1 */
            double e = fabs(y[i] - r) / fmax(fabs(r), 1e-30);
            if (fabs(r) < 1e-37) e = fabs(y[i] - r) / 1e-37; /* subnormal range: absolute */
            if (!(e <= worst)) worst = e;
        }
        printf("  %-10s worst rel err vs double libm %.2e\n", act_name((ip_activation)a), worst);
        if (!(worst < 5e-7)) fail_msg("activation %d: worst relative error %.3e", a, worst);
    }
    free(x);
    free(y);
}

/* ---- gradient checks ---- */

static void test_grad_dense(void **state)
{
    gradcheck((ip_layer_spec){.kind = IP_LAYER_DENSE, .units = 5}, (ip_shape){6, 1, 1}, 4, GEN_NORMAL, "dense 6->5", 20);
    gradcheck((ip_layer_spec){.kind = IP_LAYER_DENSE, .units = 3}, (ip_shape){2, 3, 2}, 3, GEN_NORMAL,
              "dense 2x3x2->3", 21);
}

static void test_grad_conv2d(void **state)
{
    struct { ip_shape in; int oc, k, s, p; const char *name; } cases[] = {
        {{2, 5, 5}, 3, 3, 1, 1, "conv 3x3 s1 p1"},  {{1, 6, 7}, 2, 2, 2, 0, "conv 2x2 s2 p0"},
        {{2, 5, 4}, 2, 3, 2, 2, "conv 3x3 s2 p2"},  {{3, 6, 6}, 2, 5, 1, 0, "conv 5x5 s1 p0"},
        {{2, 3, 3}, 4, 1, 1, 0, "conv 1x1"},        {{1, 7, 5}, 2, 4, 3, 1, "conv 4x4 s3 p1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        gradcheck((ip_layer_spec){.kind = IP_LAYER_CONV2D, .channels = cases[i].oc, .kernel = cases[i].k,
                                  .stride = cases[i].s, .padding = cases[i].p},
                  cases[i].in, 2, GEN_NORMAL, cases[i].name, 30 + i);
}

static void test_grad_maxpool(void **state)
{
    struct { ip_shape in; int k, s, p; const char *name; } cases[] = {
        {{2, 7, 7}, 3, 2, 1, "maxpool 3 s2 p1"}, {{1, 6, 6}, 2, 2, 0, "maxpool 2 s2"},
        {{2, 5, 6}, 3, 1, 0, "maxpool 3 s1 (overlapping)"}, {{1, 7, 5}, 3, 2, 0, "maxpool 3 s2 p0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        gradcheck((ip_layer_spec){.kind = IP_LAYER_MAXPOOL, .kernel = cases[i].k, .stride = cases[i].s,
                                  .padding = cases[i].p},
                  cases[i].in, 2, GEN_DISTINCT, cases[i].name, 40 + i);
}

static void test_grad_avgpool(void **state)
{
    gradcheck((ip_layer_spec){.kind = IP_LAYER_AVGPOOL, .out_h = 3, .out_w = 2}, (ip_shape){2, 5, 7}, 2, GEN_NORMAL,
              "avgpool 5x7->3x2", 50);
    gradcheck((ip_layer_spec){.kind = IP_LAYER_AVGPOOL, .out_h = 4, .out_w = 3}, (ip_shape){1, 3, 2}, 2, GEN_NORMAL,
              "avgpool 3x2->4x3 (upsampling)", 51);
}

static void test_grad_layernorm(void **state)
{
    gradcheck((ip_layer_spec){.kind = IP_LAYER_LAYERNORM}, (ip_shape){2, 3, 3}, 3, GEN_NORMAL, "layernorm 2x3x3", 60);
    gradcheck((ip_layer_spec){.kind = IP_LAYER_LAYERNORM}, (ip_shape){7, 1, 1}, 2, GEN_NORMAL, "layernorm 7", 61);
}

static void test_grad_flatten(void **state)
{
    gradcheck((ip_layer_spec){.kind = IP_LAYER_FLATTEN}, (ip_shape){2, 3, 2}, 2, GEN_NORMAL, "flatten", 70);
}

static void test_grad_activations(void **state)
{
    for (int a = IP_ACT_LINEAR; a <= IP_ACT_SOFTSIGN; a++) {
        /* softsign's second derivative jumps at 0, which the O(h^4) stencil needs smooth */
        int kinked = a == IP_ACT_RELU || a == IP_ACT_LEAKY_RELU || a == IP_ACT_SOFTSIGN;
        char name[64];
        snprintf(name, sizeof name, "activation %s", act_name((ip_activation)a));
        gradcheck((ip_layer_spec){.kind = IP_LAYER_ACTIVATION, .activation = (ip_activation)a, .slope = 0.1f},
                  (ip_shape){3, 2, 2}, 3, kinked ? GEN_MARGIN : GEN_NORMAL, name, 80 + a);
    }
}

/* A layer stack's input gradients chained by hand, on bigger shapes, along random directions
 * only: conv -> layernorm -> tanh -> maxpool, each checked on the real upstream activations. */
static void test_grad_bigger_directional(void **state)
{
    int batch = ip_test_slow_env() ? 2 : 8;
    ip_rng rng;
    ip_rng_seed(&rng, 90);
    harness h;
    harness_setup(&h, (ip_layer_spec){.kind = IP_LAYER_CONV2D, .channels = 8, .kernel = 3, .stride = 1, .padding = 1},
                  (ip_shape){3, 12, 12}, batch, GEN_NORMAL, &rng);
    check_layer(&h, "conv 3->8 12x12 (directional)", 0, &rng);
    harness_free(&h);
    harness_setup(&h, (ip_layer_spec){.kind = IP_LAYER_DENSE, .units = 40}, (ip_shape){100, 1, 1}, batch, GEN_NORMAL,
                  &rng);
    check_layer(&h, "dense 100->40 (directional)", 0, &rng);
    harness_free(&h);
    harness_setup(&h, (ip_layer_spec){.kind = IP_LAYER_LAYERNORM}, (ip_shape){8, 12, 12}, batch, GEN_NORMAL, &rng);
    check_layer(&h, "layernorm 8x12x12 (directional)", 0, &rng);
    harness_free(&h);
}

/* Batches larger than the conv workspace run in chunks (im2col recomputed in backward): the
 * results must equal those of the same samples in one-chunk batches. */
static void test_conv_chunked(void **state)
{
    if (ip_test_slow_env()) skip(); /* ~250 samples of 64x64: seconds under ASan or valgrind */
    ip_shape in = {1, 64, 64};
    ip_layer_spec spec = {.kind = IP_LAYER_CONV2D, .channels = 16, .kernel = 3, .stride = 1, .padding = 1};
    ip_layer probe;
    assert_int_equal(ip_layer_setup(&probe, &spec, in, 100000, 0), IP_OK);
    size_t per = (size_t)(9 + 16) * 64 * 64;
    int chunk = (int)(probe.scratch_floats / per);
    int batch = chunk + chunk / 2 + 1; /* two chunks, the second partial */
    ip_rng rng;
    ip_rng_seed(&rng, 91);
    harness big, small;
    harness_setup(&big, spec, in, batch, GEN_NORMAL, &rng);
    assert_true(big.l.scratch_floats / per < (size_t)batch);
    harness_setup(&small, spec, in, 1, GEN_NORMAL, &rng);
    memcpy(small.params, big.params, big.l.n_params * sizeof(float));
    analytic(&big);
    float *gsum = calloc(big.l.n_params, sizeof *gsum);
    double *gsum_d = calloc(big.l.n_params, sizeof *gsum_d);
    assert_true(gsum && gsum_d);
    double worst_out = 0, worst_in = 0;
    size_t nin1 = 64 * 64, nout1 = 16 * 64 * 64;
    for (int b = 0; b < batch; b++) {
        memcpy(small.in, big.in + b * nin1, nin1 * sizeof(float));
        memcpy(small.R, big.R + b * nout1, nout1 * sizeof(float));
        analytic(&small);
        for (size_t i = 0; i < nout1; i++) worst_out = fmax(worst_out, fabs(small.out[i] - big.out[b * nout1 + i]));
        for (size_t i = 0; i < nin1; i++) worst_in = fmax(worst_in, fabs(small.din[i] - big.din[b * nin1 + i]));
        for (size_t i = 0; i < big.l.n_params; i++) gsum_d[i] += small.grads[i];
    }
    double worst_g = 0, gmax = 0;
    for (size_t i = 0; i < big.l.n_params; i++) gmax = fmax(gmax, fabs(gsum_d[i]));
    for (size_t i = 0; i < big.l.n_params; i++) worst_g = fmax(worst_g, fabs(gsum_d[i] - big.grads[i]) / gmax);
    printf("  conv chunked (batch %d, chunk %d): out %.2e, din %.2e, grads rel %.2e\n", batch, chunk, worst_out,
           worst_in, worst_g);
    assert_true(worst_out < 1e-5 && worst_in < 1e-5 && worst_g < 1e-4);
    free(gsum);
    free(gsum_d);
    harness_free(&big);
    harness_free(&small);
}

/* Specs that do not fit their input are reported, not run. */
static void test_setup_errors(void **state)
{
    ip_layer l;
    ip_layer_spec conv = {.kind = IP_LAYER_CONV2D, .channels = 2, .kernel = 5, .stride = 1, .padding = 0};
    assert_true(ip_layer_setup(&l, &conv, (ip_shape){1, 3, 3}, 4, 7) < 0);
    assert_non_null(strstr(ip_error_message(), "layer 7"));
    ip_layer_spec pool = {.kind = IP_LAYER_MAXPOOL, .kernel = 3, .stride = 2, .padding = 2};
    assert_true(ip_layer_setup(&l, &pool, (ip_shape){1, 9, 9}, 4, 0) < 0); /* padding > kernel/2 */
    ip_layer_spec dense = {.kind = IP_LAYER_DENSE, .units = 0};
    assert_true(ip_layer_setup(&l, &dense, (ip_shape){4, 1, 1}, 4, 0) < 0);
    ip_layer_spec avg = {.kind = IP_LAYER_AVGPOOL, .out_h = 0, .out_w = 2};
    assert_true(ip_layer_setup(&l, &avg, (ip_shape){4, 4, 4}, 4, 0) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_forward),     cmocka_unit_test(test_conv_forward),
        cmocka_unit_test(test_maxpool_forward),   cmocka_unit_test(test_avgpool_forward),
        cmocka_unit_test(test_layernorm_forward), cmocka_unit_test(test_activation_values),
        cmocka_unit_test(test_grad_dense),        cmocka_unit_test(test_grad_conv2d),
        cmocka_unit_test(test_grad_maxpool),      cmocka_unit_test(test_grad_avgpool),
        cmocka_unit_test(test_grad_layernorm),    cmocka_unit_test(test_grad_flatten),
        cmocka_unit_test(test_grad_activations),  cmocka_unit_test(test_grad_bigger_directional),
        cmocka_unit_test(test_conv_chunked),      cmocka_unit_test(test_setup_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
