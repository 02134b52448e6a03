/* Kernels of tanh and sigmoid and their derivatives (kernels_activation.h), one path per kernel
 * level (core/cpu.h): 4-float vectors (GCC vector extensions, so SSE2 or NEON) for the reference,
 * 8 floats with AVX2, 16 with AVX-512F. The costly part, tanh and sigmoid, uses our own exp:
 * glibc's tanhf takes ~17 ns an element here, more than the 784x1024 sgemm per sample. Accuracy:
 * within 2e-7 relative. Every path applies element by element the same operations (ISO C mode:
 * no FMA contraction), the tail through a zero-padded vector, so all levels give the same bits. */
#include "kernels_activation.h"

#include <stdint.h>
#include <string.h>

#include "../core/cpu.h"

/* The kernels, written once for any float vector type V (int vector VI of the same width) and
 * instantiated for 4, 8 and 16 floats. Vector-scalar operations broadcast the scalar.
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

/* dx (n) <- f(dy, y) W floats at a time, the tail as MAP_W's. */
#define MAP2_W(V, W, dx, dy, y, n, f)                                                                 \
    do {                                                                                              \
        size_t i_ = 0;                                                                                \
        for (; i_ + (W) <= (n); i_ += (W)) {                                                          \
            V g_, y_;                                                                                 \
            memcpy(&g_, (dy) + i_, sizeof g_);                                                        \
            memcpy(&y_, (y) + i_, sizeof y_);                                                         \
            g_ = f(g_, y_);                                                                           \
            memcpy((dx) + i_, &g_, sizeof g_);                                                        \
        }                                                                                             \
        if (i_ < (n)) {                                                                               \
            V g_ = {0}, y_ = {0};                                                                     \
            memcpy(&g_, (dy) + i_, ((n)-i_) * sizeof(float));                                         \
            memcpy(&y_, (y) + i_, ((n)-i_) * sizeof(float));                                          \
            g_ = f(g_, y_);                                                                           \
            memcpy((dx) + i_, &g_, ((n)-i_) * sizeof(float));                                         \
        }                                                                                             \
    } while (0)

/* The four maps on vectors of W floats: tanh_map##W, sigmoid_map##W, tanh_grad_map##W,
 * sigmoid_grad_map##W. */
#define DEFINE_MAPS(V, W)                                                                             \
    static inline __attribute__((always_inline)) V tanh_grad_##W(V g, V y)                            \
    {                                                                                                 \
        return g * (SPLAT_##W(1.0f) - y * y);                                                         \
    }                                                                                                 \
    static inline __attribute__((always_inline)) V sigmoid_grad_##W(V g, V y)                         \
    {                                                                                                 \
        return g * (y * (SPLAT_##W(1.0f) - y));                                                       \
    }                                                                                                 \
    static void tanh_map##W(float *y, const float *x, size_t n) { MAP_W(V, W, y, x, n, tanh_##W); }   \
    static void sigmoid_map##W(float *y, const float *x, size_t n) { MAP_W(V, W, y, x, n, sigmoid_##W); } \
    static void tanh_grad_map##W(float *dx, const float *dy, const float *y, size_t n)                \
    {                                                                                                 \
        MAP2_W(V, W, dx, dy, y, n, tanh_grad_##W);                                                    \
    }                                                                                                 \
    static void sigmoid_grad_map##W(float *dx, const float *dy, const float *y, size_t n)             \
    {                                                                                                 \
        MAP2_W(V, W, dx, dy, y, n, sigmoid_grad_##W);                                                 \
    }

/* The reference: 4 floats. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
DEFINE_KERNELS(v4f, v4i, 4)
DEFINE_MAPS(v4f, 4)

#if IP_CPU_X86_KERNELS
/* AVX2: 8 floats. */
#pragma GCC push_options
#pragma GCC target("avx2")
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
DEFINE_KERNELS(v8f, v8i, 8)
DEFINE_MAPS(v8f, 8)
#pragma GCC pop_options

/* AVX-512F: 16 floats. */
#pragma GCC push_options
#pragma GCC target("avx512f")
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
DEFINE_KERNELS(v16f, v16i, 16)
DEFINE_MAPS(v16f, 16)
#pragma GCC pop_options
#endif

/* The dispatch: the path of the current level (ip_cpu_level, a cached read). */
#if IP_CPU_X86_KERNELS
#define DISPATCH(name, ...)                                                                           \
    do {                                                                                              \
        switch (ip_cpu_level()) {                                                                     \
        case IP_KERNELS_AVX512: name##16(__VA_ARGS__); return;                                        \
        case IP_KERNELS_AVX2: name##8(__VA_ARGS__); return;                                           \
        default: name##4(__VA_ARGS__); return;                                                        \
        }                                                                                             \
    } while (0)
#else
#define DISPATCH(name, ...) name##4(__VA_ARGS__)
#endif

void ip_kern_tanh(float *y, const float *x, size_t n) { DISPATCH(tanh_map, y, x, n); }
void ip_kern_sigmoid(float *y, const float *x, size_t n) { DISPATCH(sigmoid_map, y, x, n); }
void ip_kern_tanh_grad(float *dx, const float *dy, const float *y, size_t n) { DISPATCH(tanh_grad_map, dx, dy, y, n); }
void ip_kern_sigmoid_grad(float *dx, const float *dy, const float *y, size_t n)
{
    DISPATCH(sigmoid_grad_map, dx, dy, y, n);
}
