/* Direct kernels for same convolutions (kernels_conv.h), one path per kernel level (core/cpu.h).
 * The forward kernel is written once for a float vector type of L lanes and compiled for 4 lanes
 * (the reference: SSE2 or NEON), and on x86-64 for 8 (AVX2 + FMA) and 16 (AVX-512F + FMA). Lanes
 * are independent output pixels that get the same operations in the same order. The two wide
 * builds contract each multiply-add into an FMA (the kernels' throughput is bound by instruction
 * count), the reference does not (-std=c11 keeps contraction off): the AVX2 and AVX-512 levels
 * give the same results, the reference rounds slightly differently (each product rounded before
 * its add). The weight gradient likewise. Building the tap planes is bitwise and copies: the same
 * at every level. */
#include "kernels_conv.h"

#include <stdint.h>
#include <string.h>

#include "kernels_levels.h"

size_t ip_convd_plane_floats(int H, int W, int k)
{
    return ((size_t)(H + k - 1) * W + IP_CONVD_SLACK + 15) / 16 * 16;
}

void ip_convd_planes_clear(float *xk, int C, int H, int W, int k)
{
    memset(xk, 0, (size_t)C * k * ip_convd_plane_floats(H, W, k) * sizeof *xk);
}

typedef int32_t v16i __attribute__((vector_size(64)));

/* Plane (c, kj) interior [p] <- x[c][p + kj - pad] & mask[kj][p], for the p whose source lies in
 * x (the others are masked columns, left at zero); bitwise and copies, the same at every level. */
IP_KERNEL_BODY void planes_body(float *xk, const float *x, const int32_t *mask, int C, int H, int W, int k)
{
    int pad = (k - 1) / 2, P = H * W;
    size_t PL = ip_convd_plane_floats(H, W, k);
    for (int c = 0; c < C; c++)
        for (int kj = 0; kj < k; kj++) {
            int sh = kj - pad, a = sh < 0 ? -sh : 0, e = sh > 0 ? P - sh : P, p = a;
            float *dst = xk + ((size_t)c * k + kj) * PL + (size_t)pad * W;
            const float *src = x + (size_t)c * P + sh;
            if (sh == 0) {
                for (; p + 16 <= e; p += 16) {
                    v16i v;
                    memcpy(&v, src + p, sizeof v);
                    memcpy(dst + p, &v, sizeof v);
                }
                for (; p < e; p++) dst[p] = src[p];
                continue;
            }
            const int32_t *m = mask + (size_t)kj * P;
            for (; p + 16 <= e; p += 16) {
                v16i v, mv;
                memcpy(&v, src + p, sizeof v);
                memcpy(&mv, m + p, sizeof mv);
                v &= mv;
                memcpy(dst + p, &v, sizeof v);
            }
            for (; p < e; p++) {
                int32_t v;
                memcpy(&v, src + p, sizeof v);
                v &= m[p];
                memcpy(dst + p, &v, sizeof v);
            }
        }
}

#define PLANES_ARGS float *xk, const float *x, const int32_t *mask, int C, int H, int W, int k
#define PLANES_PASS xk, x, mask, C, H, W, k
IP_KERNEL_LEVELS(planes, "avx2", "avx512f", PLANES_ARGS, PLANES_PASS)

void ip_convd_planes(float *xk, const float *x, const int32_t *mask, int C, int H, int W, int k)
{
    planes_level(PLANES_PASS);
}

/* 16, 8 or 4: the lanes of the current level's kernels. */
#if IP_CPU_X86_KERNELS
static int lanes(void)
{
    switch (ip_cpu_level()) {
    case IP_KERNELS_AVX512: return 16;
    case IP_KERNELS_AVX2: return 8;
    default: return 4;
    }
}
#endif

#define UNROLL _Pragma("GCC unroll 4")

/* fwd_tile: outputs [off, off + NV L) of channels [oc0, oc0 + OCB); lanes past P are computed
 * (from the planes' zero slack or the next rows) and not stored.
 * fwd_all: every tile, 4 channels x 2 vectors where they fit. */
#define DEFINE_FWD(V, L, SUF, NV4)                                                                                \
    static inline __attribute__((always_inline)) void fwd_tile##SUF(                                            \
        float *out, const float *xk, const float *Wt, const float *bias, int C, int W, int P, size_t PL, int k, \
        int oc0, int off, const int OCB, const int NV)                                                        \
    {                                                                                                         \
        V acc[4][4];                                                                                          \
        UNROLL for (int o = 0; o < OCB; o++)                                                                  \
            UNROLL for (int v = 0; v < NV; v++) acc[o][v] = (V){0};                                                  \
        int kk = k * k;                                                                                       \
        for (int c = 0; c < C; c++)                                                                           \
            for (int ki = 0; ki < k; ki++)                                                                    \
                for (int kj = 0; kj < k; kj++) {                                                              \
                    const float *xp = xk + ((size_t)c * k + kj) * PL + (size_t)ki * W + off;                  \
                    V x[4];                                                                                   \
                    UNROLL for (int v = 0; v < NV; v++) memcpy(&x[v], xp + v * L, sizeof(V));                        \
                    const float *wp = Wt + ((size_t)oc0 * C + c) * kk + ki * k + kj;                          \
                    UNROLL for (int o = 0; o < OCB; o++) {                                                    \
                        float w = wp[(size_t)o * C * kk];                                                     \
                        UNROLL for (int v = 0; v < NV; v++) acc[o][v] += w * x[v];                                   \
                    }                                                                                         \
                }                                                                                             \
        UNROLL for (int o = 0; o < OCB; o++)                                                                  \
            UNROLL for (int v = 0; v < NV; v++) {                                                             \
                V r = acc[o][v] + bias[oc0 + o];                                                              \
                int p = off + v * L, n = P - p;                                                               \
                float *dst = out + (size_t)(oc0 + o) * P + p;                                                 \
                if (n >= L)                                                                                   \
                    memcpy(dst, &r, sizeof r);                                                                \
                else if (n > 0)                                                                               \
                    memcpy(dst, &r, (size_t)n * sizeof(float));                                               \
            }                                                                                                 \
    }                                                                                                         \
    static inline __attribute__((always_inline)) void fwd_all##SUF(float *out, const float *xk, const float *Wt, \
                                                                   const float *bias, int C, int H, int W,      \
                                                                   int OC, int k)                              \
    {                                                                                                         \
        int P = H * W, nv = (P + L - 1) / L;                                                                  \
        size_t PL = ip_convd_plane_floats(H, W, k);                                                           \
        int oc = 0;                                                                                           \
        for (; oc + 4 <= OC; oc += 4) {                                                                       \
            int v = 0;                                                                                        \
            if (NV4) /* 16 sums in registers: only where there are 32 */                                     \
                for (; v + 4 <= nv; v += 4) fwd_tile##SUF(out, xk, Wt, bias, C, W, P, PL, k, oc, v * L, 4, 4); \
            for (; v + 2 <= nv; v += 2) fwd_tile##SUF(out, xk, Wt, bias, C, W, P, PL, k, oc, v * L, 4, 2);    \
            if (v < nv) fwd_tile##SUF(out, xk, Wt, bias, C, W, P, PL, k, oc, v * L, 4, 1);                   \
        }                                                                                                     \
        for (; oc < OC; oc++) {                                                                               \
            int v = 0;                                                                                        \
            for (; v + 2 <= nv; v += 2) fwd_tile##SUF(out, xk, Wt, bias, C, W, P, PL, k, oc, v * L, 1, 2);    \
            if (v < nv) fwd_tile##SUF(out, xk, Wt, bias, C, W, P, PL, k, oc, v * L, 1, 1);                   \
        }                                                                                                     \
    }                                                                                                         \
    static void forward##SUF(float *out, const float *xk, const float *Wt, const float *bias, int C, int H,   \
                             int W, int OC, int k)                                                             \
    {                                                                                                         \
        if (k == 3)                                                                                           \
            fwd_all##SUF(out, xk, Wt, bias, C, H, W, OC, 3);                                                  \
        else                                                                                                  \
            fwd_all##SUF(out, xk, Wt, bias, C, H, W, OC, k);                                                  \
    }

typedef float v4f __attribute__((vector_size(16)));
DEFINE_FWD(v4f, 4, _4, 0)

#if IP_CPU_X86_KERNELS
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC optimize("fp-contract=fast")
typedef float v8f __attribute__((vector_size(32)));
DEFINE_FWD(v8f, 8, _8, 0)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#pragma GCC optimize("fp-contract=fast")
typedef float v16f __attribute__((vector_size(64)));
DEFINE_FWD(v16f, 16, _16, 1)
#pragma GCC pop_options
#endif

void ip_convd_forward(float *out, const float *xk, const float *Wt, const float *bias, int C, int H, int W,
                      int OC, int k)
{
#if IP_CPU_X86_KERNELS
    int L = lanes();
    if (L == 16) {
        forward_16(out, xk, Wt, bias, C, H, W, OC, k);
        return;
    }
    if (L == 8) {
        forward_8(out, xk, Wt, bias, C, H, W, OC, k);
        return;
    }
#endif
    forward_4(out, xk, Wt, bias, C, H, W, OC, k);
}

/* ---- Weight gradient. Lanes are pixels, so the lane structure must not depend on the level: every
 * build works on 16-lane vectors (AVX-512: one register, AVX2: two, SSE2: four), each lane
 * summing the same products in the same order (with FMA in the wide builds, as the forward). */
typedef float v16f_dw __attribute__((vector_size(64)));

/* acc (OC x C x k x k x 16) += per lane the products dout * tap input over the S samples:
 * sample s's tap planes at xk + s * xk_stride, its dout rows at dp + s * dp_stride + oc * dp_row,
 * each row zero from P up to a multiple of 16. Channel c outer, so the S samples' planes of c
 * stay in L1 while OCB output channels' sums sit in registers. */
#define DW_TILE(K, OCB)                                                                                       \
    do {                                                                                                      \
        v16f_dw a[OCB][(K) * (K)];                                                                            \
        UNROLL9 for (int o = 0; o < (OCB); o++) UNROLL9 for (int t = 0; t < kk; t++)                          \
            memcpy(&a[o][t], acc + (((size_t)(oc + o) * C + c) * kk + t) * 16, sizeof a[o][t]);                \
        for (int s = 0; s < S; s++) {                                                                         \
            const float *dr = dp + (size_t)s * dp_stride + (size_t)oc * dp_row;                               \
            const float *xc = xk + (size_t)s * xk_stride + (size_t)c * (K) * PL;                              \
            for (int v = 0; v < nv; v++) {                                                                    \
                v16f_dw d[OCB];                                                                               \
                UNROLL9 for (int o = 0; o < (OCB); o++) memcpy(&d[o], dr + o * dp_row + v * 16, sizeof d[o]); \
                UNROLL9 for (int ki = 0; ki < (K); ki++)                                                      \
                    UNROLL9 for (int kj = 0; kj < (K); kj++) {                                                \
                        v16f_dw x;                                                                            \
                        memcpy(&x, xc + (size_t)kj * PL + (size_t)ki * W + v * 16, sizeof x);                 \
                        DW_PIN(x);                                                                            \
                        UNROLL9 for (int o = 0; o < (OCB); o++) a[o][ki * (K) + kj] += d[o] * x;              \
                    }                                                                                         \
            }                                                                                                 \
        }                                                                                                     \
        UNROLL9 for (int o = 0; o < (OCB); o++) UNROLL9 for (int t = 0; t < kk; t++)                          \
            memcpy(acc + (((size_t)(oc + o) * C + c) * kk + t) * 16, &a[o][t], sizeof a[o][t]);                \
    } while (0)
#define DW_BODY(K)                                                                                            \
    do {                                                                                                      \
        int kk = (K) * (K), nv = (P + 15) / 16;                                                               \
        for (int c = 0; c < C; c++) {                                                                         \
            int oc = 0;                                                                                       \
            for (; oc + DW_OCB <= OC; oc += DW_OCB) DW_TILE(K, DW_OCB);                                       \
            for (; oc < OC; oc++) DW_TILE(K, 1);                                                              \
        }                                                                                                     \
    } while (0)
#define UNROLL9 _Pragma("GCC unroll 9")

#define DEFINE_DW(SUF)                                                                                        \
    static void dweights##SUF(float *acc, const float *xk, size_t xk_stride, const float *dp, size_t dp_stride, \
                              size_t dp_row, int S, int C, int H, int W, int OC, int k)                         \
    {                                                                                                         \
        int P = H * W;                                                                                        \
        size_t PL = ip_convd_plane_floats(H, W, k);                                                           \
        if (k == 3)                                                                                           \
            DW_BODY(3);                                                                                       \
        else if (k == 1)                                                                                      \
            DW_BODY(1);                                                                                       \
        else if (k == 5)                                                                                      \
            DW_BODY(5);                                                                                       \
        else {                                                                                                \
            int kk = k * k, nv = (P + 15) / 16;                                                               \
            for (int oc = 0; oc < OC; oc++)                                                                   \
                for (int c = 0; c < C; c++)                                                                   \
                    for (int t = 0; t < kk; t++) {                                                            \
                        float *ap = acc + (((size_t)oc * C + c) * kk + t) * 16;                               \
                        v16f_dw a;                                                                            \
                        memcpy(&a, ap, sizeof a);                                                             \
                        for (int s = 0; s < S; s++) {                                                         \
                            const float *dr = dp + (size_t)s * dp_stride + (size_t)oc * dp_row;               \
                            const float *xc = xk + (size_t)s * xk_stride + ((size_t)c * k + t % k) * PL +     \
                                              (size_t)(t / k) * W;                                            \
                            for (int v = 0; v < nv; v++) {                                                    \
                                v16f_dw d, x;                                                                 \
                                memcpy(&d, dr + v * 16, sizeof d);                                            \
                                memcpy(&x, xc + v * 16, sizeof x);                                            \
                                a += d * x;                                                                   \
                            }                                                                                 \
                        }                                                                                     \
                        memcpy(ap, &a, sizeof a);                                                             \
                    }                                                                                         \
        }                                                                                                     \
    }

/* DW_PIN(x) keeps a loaded tap vector in a register (AVX-512: one register), where the compiler
 * would fold the load into each of the OCB multiply-adds and so load it OCB times. */
#define DW_OCB 1
#define DW_PIN(x) ((void)0)
DEFINE_DW(_4)
#if IP_CPU_X86_KERNELS
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC optimize("fp-contract=fast")
DEFINE_DW(_8)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#pragma GCC optimize("fp-contract=fast")
#undef DW_OCB
#define DW_OCB 2 /* 32 registers: 2 x 9 sums */
#undef DW_PIN
#define DW_PIN(x) __asm__("" : "+v"(x))
DEFINE_DW(_16)
#pragma GCC pop_options
#endif

void ip_convd_dweights(float *acc, const float *xk, size_t xk_stride, const float *dp, size_t dp_stride,
                       size_t dp_row, int S, int C, int H, int W, int OC, int k)
{
#if IP_CPU_X86_KERNELS
    int L = lanes();
    if (L == 16) {
        dweights_16(acc, xk, xk_stride, dp, dp_stride, dp_row, S, C, H, W, OC, k);
        return;
    }
    if (L == 8) {
        dweights_8(acc, xk, xk_stride, dp, dp_stride, dp_row, S, C, H, W, OC, k);
        return;
    }
#endif
    dweights_4(acc, xk, xk_stride, dp, dp_stride, dp_row, S, C, H, W, OC, k);
}

void ip_convd_reduce(float *dW, const float *acc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float *a = acc + i * 16;
        float h[8];
        for (int l = 0; l < 8; l++) h[l] = a[l] + a[l + 8];
        float q0 = h[0] + h[4], q1 = h[1] + h[5], q2 = h[2] + h[6], q3 = h[3] + h[7];
        dW[i] = (q0 + q2) + (q1 + q3);
    }
}
