/* Element-wise activations (tanh, relu, sigmoid, leaky relu, exact-erf gelu, softsign, linear)
 * as kernels and as a layer. tanh and sigmoid, the costly ones in the paper's nets, use our own
 * exp on 4-float vectors (GCC vector extensions, so SSE2 or NEON; 8 floats with AVX2): glibc's
 * tanhf takes ~17 ns an element here, more than the 784x1024 sgemm per sample. Accuracy: within
 * 2e-7 relative. The layer splits the batch over the thread pool. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../core/parallel.h"
#include "../core/cpu.h"
#include "../core/status.h"
#include "layer_kinds.h"

/* The kernels, written once for any float vector type V (int vector VI of the same width) and
 * instantiated for 4 floats (SSE2 or NEON) and, on x86-64, 8 (AVX2) and 16 (AVX-512F) floats (see MAP_W). Vector-scalar
 * operations broadcast the scalar.
 * exp_W: e^x for x in [-104, 88.7] (callers clamp): Cody-Waite reduction x = n ln2 + r and Cephes'
 * expf polynomial, then 2^n applied as two exponent-bit scales so that results down in the
 * subnormal range (x < -87.3) come out right too. Max error ~1 ulp.
 * tanh_W: an odd polynomial below |x| = 0.625 (Cephes' tanhf, where 1 - 2/(e^2x + 1) would cancel),
 * 1 - 2/(e^{2|x|} + 1) with the sign of x above; |x| is clamped at 9, where tanh is 1.0f.
 * sigmoid_W: with e = e^{-|x|} (never overflows): 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0,
 * which keeps full relative accuracy far into the negative tail (down to float's subnormals).
 * (SPLAT_W(a) is 0 + a in every lane, which would turn a -0 into +0: no constant here is -0.) */
#define DEFINE_KERNELS(V, VI, W) \
static inline __attribute__((always_inline)) V SPLAT_##W(float a) { return (V){0} + a; } \
static inline __attribute__((always_inline)) V select_##W(VI mask, V yes, V no) \
{ return (V)(((VI)yes & mask) | ((VI)no & ~mask)); } \
 \
static inline __attribute__((always_inline)) V exp_##W(V x) \
{ \
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding and subtracting rounds */ \
    V n = (x * SPLAT_##W(1.44269504088896341f) + SPLAT_##W(magic)) - SPLAT_##W(magic); \
    V r = x - n * SPLAT_##W(0.693359375f); \
    r = r - n * SPLAT_##W(-2.12194440e-4f); \
    V p = SPLAT_##W(1.9875691500e-4f); \
    p = p * r + SPLAT_##W(1.3981999507e-3f); \
    p = p * r + SPLAT_##W(8.3334519073e-3f); \
    p = p * r + SPLAT_##W(4.1665795894e-2f); \
    p = p * r + SPLAT_##W(1.6666665459e-1f); \
    p = p * r + SPLAT_##W(5.0000001201e-1f); \
    p = p * r * r + r + SPLAT_##W(1.0f); \
    VI ni = __builtin_convertvector(n, VI), n1 = ni >> 1, n2 = ni - n1; \
    return p * (V)((n1 + 127) << 23) * (V)((n2 + 127) << 23); \
} \
 \
static inline __attribute__((always_inline)) V tanh_##W(V x) \
{ \
    VI sign = (VI)x & (int32_t)0x80000000, absbits = (VI)x & 0x7fffffff; \
    V a = (V)absbits; \
    V z = x * x; \
    V small = SPLAT_##W(-5.70498872745e-3f); \
    small = small * z + SPLAT_##W(2.06390887954e-2f); \
    small = small * z - SPLAT_##W(5.37397155531e-2f); \
    small = small * z + SPLAT_##W(1.33314422036e-1f); \
    small = small * z - SPLAT_##W(3.33332819422e-1f); \
    small = small * z * x + x; \
    V ac = select_##W(a < SPLAT_##W(9.0f), a, SPLAT_##W(9.0f)); \
    V e = exp_##W(ac + ac); \
    V large = SPLAT_##W(1.0f) - SPLAT_##W(2.0f) / (e + SPLAT_##W(1.0f)); \
    large = (V)((VI)large | sign); \
    return select_##W(a < SPLAT_##W(0.625f), small, large); \
} \
 \
static inline __attribute__((always_inline)) V sigmoid_##W(V x) \
{ \
    V a = (V)((VI)x & 0x7fffffff); \
    V t = -a; \
    t = select_##W(t > SPLAT_##W(-104.0f), t, SPLAT_##W(-104.0f)); \
    V e = exp_##W(t); \
    V inv = SPLAT_##W(1.0f) / (SPLAT_##W(1.0f) + e); \
    return select_##W(x < SPLAT_##W(0.0f), e * inv, inv); \
}

/* y (n) <- f(x (n)) W floats at a time in vectors of type V; the tail goes through a zero-padded
 * vector so every element gets exactly the same arithmetic wherever it sits. */
#define MAP_W(V, W, y, x, n, f)                                                                       \
    do {                                                                                              \
        size_t i_ = 0;                                                                                \
        for (; i_ + (W) <= (n); i_ += (W)) {                                                          \
            V v_;                                                                                     \
            memcpy(&v_, (x) + i_, sizeof v_);                                                         \
            v_ = f(v_);                                                                               \
            memcpy((y) + i_, &v_, sizeof v_);                                                         \
        }                                                                                             \
        if (i_ < (n)) {                                                                               \
            V v_ = {0};                                                                               \
            memcpy(&v_, (x) + i_, ((n)-i_) * sizeof(float));                                          \
            v_ = f(v_);                                                                               \
            memcpy((y) + i_, &v_, ((n)-i_) * sizeof(float));                                          \
        }                                                                                             \
    } while (0)

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
DEFINE_KERNELS(v4f, v4i, 4)
#define splat SPLAT_4
#define tanh4 tanh_4
#define sigmoid4 sigmoid_4

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* The same kernels on 8 floats where the CPU has AVX2 (checked at run time): twice the work per
 * instruction, and element by element the same operations, so the same results. */
#define HAVE_MAP8 1
#pragma GCC push_options
#pragma GCC target("avx2")
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
DEFINE_KERNELS(v8f, v8i, 8)

static void tanh_map8(float *y, const float *x, size_t n) { MAP_W(v8f, 8, y, x, n, tanh_8); }
static void sigmoid_map8(float *y, const float *x, size_t n) { MAP_W(v8f, 8, y, x, n, sigmoid_8); }
#pragma GCC pop_options

/* And on 16 floats where the CPU has AVX-512F: again element by element the same operations. */
#pragma GCC push_options
#pragma GCC target("avx512f")
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
DEFINE_KERNELS(v16f, v16i, 16)

static void tanh_map16(float *y, const float *x, size_t n) { MAP_W(v16f, 16, y, x, n, tanh_16); }
static void sigmoid_map16(float *y, const float *x, size_t n) { MAP_W(v16f, 16, y, x, n, sigmoid_16); }

/* dx (n) <- dy (n) * (1 - y (n)^2), the tanh derivative, sixteen at a time (as MAP4_2). */
static void tanh_grad_map16(float *dx, const float *dy, const float *y, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f g, t;
        memcpy(&g, dy + i, sizeof g);
        memcpy(&t, y + i, sizeof t);
        g = g * (SPLAT_16(1.0f) - t * t);
        memcpy(dx + i, &g, sizeof g);
    }
    for (; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
#pragma GCC pop_options

#else
#define HAVE_MAP8 0
#endif

#define MAP4(y, x, n, f) MAP_W(v4f, 4, y, x, n, f)

/* dx (n) <- f(dy, y) four at a time (by hand: -O2 does not vectorise loops with a remainder);
 * the same arithmetic as the scalar loop, element by element. */
#define MAP4_2(dx, dy, y, n, f)                                                                       \
    do {                                                                                              \
        size_t i_ = 0;                                                                                \
        for (; i_ + 4 <= (n); i_ += 4) {                                                              \
            v4f g_, y_;                                                                               \
            memcpy(&g_, (dy) + i_, sizeof g_);                                                        \
            memcpy(&y_, (y) + i_, sizeof y_);                                                         \
            g_ = f(g_, y_);                                                                           \
            memcpy((dx) + i_, &g_, sizeof g_);                                                        \
        }                                                                                             \
        if (i_ < (n)) {                                                                               \
            v4f g_ = splat(0.0f), y_ = splat(0.0f);                                                   \
            memcpy(&g_, (dy) + i_, ((n)-i_) * sizeof(float));                                         \
            memcpy(&y_, (y) + i_, ((n)-i_) * sizeof(float));                                          \
            g_ = f(g_, y_);                                                                           \
            memcpy((dx) + i_, &g_, ((n)-i_) * sizeof(float));                                         \
        }                                                                                             \
    } while (0)

static inline v4f tanh_grad4(v4f g, v4f y) { return g * (splat(1.0f) - y * y); }
static inline v4f sigmoid_grad4(v4f g, v4f y) { return g * (y * (splat(1.0f) - y)); }

static float gelu1(float x) { return (float)(0.5 * x * (1.0 + erf(x * M_SQRT1_2))); }

static float gelu_grad1(float x)
{
    double cdf = 0.5 * (1.0 + erf(x * M_SQRT1_2)), pdf = exp(-0.5 * (double)x * x) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
    return (float)(cdf + x * pdf);
}

void ip_activation_forward(float *y, const float *x, size_t n, ip_activation act, float slope)
{
    switch (act) {
    case IP_ACT_LINEAR:
        if (y != x) memmove(y, x, n * sizeof *y);
        break;
    case IP_ACT_TANH:
#if HAVE_MAP8
        if (ip_cpu_has_avx512f()) {
            tanh_map16(y, x, n);
            break;
        }
        if (ip_cpu_has_avx2()) {
            tanh_map8(y, x, n);
            break;
        }
#endif
        MAP4(y, x, n, tanh4);
        break;
    case IP_ACT_SIGMOID:
#if HAVE_MAP8
        if (ip_cpu_has_avx512f()) {
            sigmoid_map16(y, x, n);
            break;
        }
        if (ip_cpu_has_avx2()) {
            sigmoid_map8(y, x, n);
            break;
        }
#endif
        MAP4(y, x, n, sigmoid4);
        break;
    case IP_ACT_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case IP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : x[i] * slope;
        break;
    case IP_ACT_GELU:
        for (size_t i = 0; i < n; i++) y[i] = gelu1(x[i]);
        break;
    case IP_ACT_SOFTSIGN:
        for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + fabsf(x[i]));
        break;
    }
}

/* Derivatives as PyTorch defines them at the kinks: relu'(0) = 0, leaky'(0) = slope. */
void ip_activation_backward(float *dx, const float *dy, const float *x, const float *y, size_t n,
                            ip_activation act, float slope)
{
    switch (act) {
    case IP_ACT_LINEAR:
        if (dx != dy) memmove(dx, dy, n * sizeof *dx);
        break;
    case IP_ACT_TANH:
#if HAVE_MAP8
        if (ip_cpu_has_avx512f()) {
            tanh_grad_map16(dx, dy, y, n);
            break;
        }
#endif
        MAP4_2(dx, dy, y, n, tanh_grad4);
        break;
    case IP_ACT_SIGMOID: MAP4_2(dx, dy, y, n, sigmoid_grad4); break;
    case IP_ACT_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case IP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * slope;
        break;
    case IP_ACT_GELU:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * gelu_grad1(x[i]);
        break;
    case IP_ACT_SOFTSIGN:
        for (size_t i = 0; i < n; i++) {
            float d = 1.0f + fabsf(x[i]);
            dx[i] = dy[i] / (d * d);
        }
        break;
    }
}

typedef struct {
    const ip_layer *l;
    float *y;
    const float *x, *dy, *yv;
    size_t N;
} act_job;

static void forward_part(void *ctx, int b0, int b1, int worker)
{
    act_job *j = ctx;
    size_t o = (size_t)b0 * j->N;
    ip_activation_forward(j->y + o, j->x + o, (size_t)(b1 - b0) * j->N, j->l->spec.activation, j->l->spec.slope);
}

static void backward_part(void *ctx, int b0, int b1, int worker)
{
    act_job *j = ctx;
    size_t o = (size_t)b0 * j->N;
    ip_activation_backward(j->y + o, j->dy + o, j->x + o, j->yv + o, (size_t)(b1 - b0) * j->N,
                           j->l->spec.activation, j->l->spec.slope);
}

/* Below this many elements a batch is not worth waking the pool for. */
#define ACT_PAR_MIN 16384

/* out (B, N) <- act(in (B, N)), samples split over the thread pool (element-wise, so the
 * split changes nothing). */
static void act_forward(ip_layer *l, float *out, const float *in, int batch)
{
    act_job j = {l, out, in, NULL, NULL, (size_t)ip_shape_size(l->in)};
    if ((size_t)batch * j.N < ACT_PAR_MIN)
        forward_part(&j, 0, batch, 0);
    else
        ip_parallel_for(batch, 1, forward_part, &j);
}

/* din (B, N) <- dout * act'(in). */
static void act_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                         int batch)
{
    if (!din) return;
    act_job j = {l, din, in, dout, out, (size_t)ip_shape_size(l->in)};
    if ((size_t)batch * j.N < ACT_PAR_MIN)
        backward_part(&j, 0, batch, 0);
    else
        ip_parallel_for(batch, 1, backward_part, &j);
}

static const ip_layer_ops act_ops = {"activation", act_forward, act_backward};

int ip_activation_setup(ip_layer *l, int max_batch, int index)
{
    if ((unsigned)l->spec.activation > (unsigned)IP_ACT_SOFTSIGN)
        return ip_fail(IP_ERR_FORMAT, "layer %d (activation): unknown activation %d", index, (int)l->spec.activation);
    if (!isfinite(l->spec.slope))
        return ip_fail(IP_ERR_FORMAT, "layer %d (activation): leaky relu slope is not finite", index);
    l->ops = &act_ops;
    l->out = l->in;
    return IP_OK;
}
