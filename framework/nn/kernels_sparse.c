/* Kernels of the dense layer's sparse-input products (kernels_sparse.h), one path per kernel
 * level (core/cpu.h). The products work on sixteen-float vectors whatever the level: each kernel
 * body is written once (inlined, *_body) and compiled three times, for x86-64-v4 (AVX-512: a
 * vector per register), x86-64-v3 (AVX2: two) and the build's baseline (the reference: SSE, four).
 * The ISO C mode the project builds in (no FP contraction) gives all three the same
 * multiply-then-add arithmetic, so the same results. Finding nonzeros has a plain loop
 * (reference, AVX2) and an AVX-512 compress (same output). */
#include "kernels_sparse.h"

#include <string.h>

#include "../core/cpu.h"
#include "dense_sparse_common.h"
#include "kernels_levels.h"

#if IP_CPU_X86_KERNELS
#include <immintrin.h>
#endif

/* ---- Nonzeros ---- */

static int nonzeros_ref(int *col, float *val, const float *x, int j0, int j1)
{
    int n = 0;
    for (int j = j0; j < j1; j++) {
        col[n] = j;
        val[n] = x[j];
        n += x[j] != 0.0f; /* the slot is written, the position advances only past nonzeros */
    }
    return n;
}

#if IP_CPU_X86_KERNELS
/* Sixteen at a time: a compare to a mask, compressed into registers (a compress straight to
 * memory is microcoded and slow on AMD), stored whole; the tail by the plain loop. */
__attribute__((target("avx512f"))) static int nonzeros_avx512(int *col, float *val, const float *x, int j0, int j1)
{
    int n = 0, j = j0;
    __m512i index = _mm512_add_epi32(_mm512_set1_epi32(j0),
                                     _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    for (; j + 16 <= j1; j += 16) {
        __m512 v = _mm512_loadu_ps(x + j);
        __mmask16 keep = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ); /* as C's != */
        _mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(keep, v));
        _mm512_storeu_si512(col + n, _mm512_maskz_compress_epi32(keep, index));
        n += __builtin_popcount(keep);
        index = _mm512_add_epi32(index, _mm512_set1_epi32(16));
    }
    return n + nonzeros_ref(col + n, val + n, x, j, j1);
}
#endif

int ip_kern_nonzeros(int *col, float *val, const float *x, int j0, int j1)
{
#if IP_CPU_X86_KERNELS
    if (ip_cpu_level() >= IP_KERNELS_AVX512) return nonzeros_avx512(col, val, x, j0, j1);
#endif
    return nonzeros_ref(col, val, x, j0, j1);
}

/* ---- The products ---- */

/* Sixteen floats, the products' unit. */
typedef float v16 __attribute__((vector_size(64)));

/* Macros rather than functions: a function returning a 64-byte vector draws a psABI warning where
 * it is built without AVX-512. */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v16))
#define STORE16(p, v) memcpy((p), &(v), sizeof(v16))
/* a0..a3 += x * p[0..64) */
#define MADD64(a0, a1, a2, a3, x, p)                                                                  \
    do {                                                                                              \
        v16 t0_, t1_, t2_, t3_;                                                                       \
        LOAD16(t0_, p), LOAD16(t1_, (p) + 16), LOAD16(t2_, (p) + 32), LOAD16(t3_, (p) + 48);         \
        a0 += (x)*t0_, a1 += (x)*t1_, a2 += (x)*t2_, a3 += (x)*t3_;                                   \
    } while (0)
#define LOAD64(a0, a1, a2, a3, p) (LOAD16(a0, p), LOAD16(a1, (p) + 16), LOAD16(a2, (p) + 32), LOAD16(a3, (p) + 48))
#define STORE64(p, a0, a1, a2, a3) (STORE16(p, a0), STORE16((p) + 16, a1), STORE16((p) + 32, a2), STORE16((p) + 48, a3))

_Static_assert(BW == 64, "the kernels hold a block of 64 outputs in four vectors");

/* Both sparse kernels take two output rows (dW columns) at a time: one row's sum is a chain of
 * dependent adds, and a second, independent chain keeps the FP units busy. */
IP_KERNEL_BODY void rows_band_body(float *part, const float *tile, int b, const float *bias, const int *order, int n,
                         const int *band, int stride, const int *col, const float *val)
{
    const int j0 = b * BAND;
    for (int p = 0; p < n; p += 2) {
        int r = order[p], q = p + 1 < n ? order[p + 1] : r;
        float *part_r = part + (size_t)r * BW, *part_q = part + (size_t)q * BW;
        v16 a0, a1, a2, a3, c0, c1, c2, c3;
        LOAD64(a0, a1, a2, a3, b == 0 ? bias : part_r);
        LOAD64(c0, c1, c2, c3, b == 0 ? bias : part_q);
        const int *band_r = band + (size_t)r * stride, *band_q = band + (size_t)q * stride;
        int k = band_r[b], k_end = band_r[b + 1], m = band_q[b], m_end = q != r ? band_q[b + 1] : m;
        for (; k < k_end && m < m_end; k++, m++) {
            MADD64(a0, a1, a2, a3, val[k], tile + (size_t)(col[k] - j0) * BW);
            MADD64(c0, c1, c2, c3, val[m], tile + (size_t)(col[m] - j0) * BW);
        }
        for (; k < k_end; k++) MADD64(a0, a1, a2, a3, val[k], tile + (size_t)(col[k] - j0) * BW);
        for (; m < m_end; m++) MADD64(c0, c1, c2, c3, val[m], tile + (size_t)(col[m] - j0) * BW);
        STORE64(part_r, a0, a1, a2, a3);
        if (q != r) STORE64(part_q, c0, c1, c2, c3);
    }
}

IP_KERNEL_BODY void cols_band_body(float *sums, const float *d, int b, const int *order, int I, const int *from,
                         const int *to, const int *row, const float *val)
{
    for (int p = 0; p < I; p += 2) {
        int j = order[p], q = p + 1 < I ? order[p + 1] : j;
        float *sum_j = sums + (size_t)j * BW, *sum_q = sums + (size_t)q * BW;
        v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
        if (b > 0) LOAD64(a0, a1, a2, a3, sum_j), LOAD64(c0, c1, c2, c3, sum_q);
        int k = from[j], k_end = to[j], m = from[q], m_end = q != j ? to[q] : m;
        for (; k < k_end && m < m_end; k++, m++) {
            MADD64(a0, a1, a2, a3, val[k], d + (size_t)row[k] * BW);
            MADD64(c0, c1, c2, c3, val[m], d + (size_t)row[m] * BW);
        }
        for (; k < k_end; k++) MADD64(a0, a1, a2, a3, val[k], d + (size_t)row[k] * BW);
        for (; m < m_end; m++) MADD64(c0, c1, c2, c3, val[m], d + (size_t)row[m] * BW);
        STORE64(sum_j, a0, a1, a2, a3);
        if (q != j) STORE64(sum_q, c0, c1, c2, c3);
    }
}

/* Four rows share each load of a tile row: 16 sums in registers (all 32 of AVX-512's). */
IP_KERNEL_BODY void fixed_band_body(float *part, const float *tile, int b, const float *bias, const int *rows_all,
                          const int *band_all, int nb, const int *col, const float *val, int g0, int g1)
{
    const int j0 = b * BAND;
    for (int g = g0; g < g1; g++) {
        const int *rows = rows_all + (size_t)g * 4, *band = band_all + (size_t)g * (nb + 1);
        float *p0 = part + (size_t)rows[0] * BW, *p1 = part + (size_t)rows[1] * BW;
        float *p2 = part + (size_t)rows[2] * BW, *p3 = part + (size_t)rows[3] * BW;
        v16 a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3;
        LOAD64(a0, a1, a2, a3, b == 0 ? bias : p0);
        LOAD64(b0, b1, b2, b3, b == 0 ? bias : p1);
        LOAD64(c0, c1, c2, c3, b == 0 ? bias : p2);
        LOAD64(d0, d1, d2, d3, b == 0 ? bias : p3);
        for (int k = band[b]; k < band[b + 1]; k++) {
            const float *t = tile + (size_t)(col[k] - j0) * BW, *x = val + (size_t)k * 4;
            v16 t0, t1, t2, t3;
            LOAD64(t0, t1, t2, t3, t);
            float x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
            a0 += x0 * t0, a1 += x0 * t1, a2 += x0 * t2, a3 += x0 * t3;
            b0 += x1 * t0, b1 += x1 * t1, b2 += x1 * t2, b3 += x1 * t3;
            c0 += x2 * t0, c1 += x2 * t1, c2 += x2 * t2, c3 += x2 * t3;
            d0 += x3 * t0, d1 += x3 * t1, d2 += x3 * t2, d3 += x3 * t3;
        }
        STORE64(p0, a0, a1, a2, a3);
        STORE64(p1, b0, b1, b2, b3);
        STORE64(p2, c0, c1, c2, c3);
        STORE64(p3, d0, d1, d2, d3);
    }
}

/* The bodies' parameters and arguments, for IP_KERNEL_LEVELS. */
#define ROWS_ARGS float *part, const float *tile, int b, const float *bias, const int *order, int n, \
                  const int *band, int stride, const int *col, const float *val
#define ROWS_PASS part, tile, b, bias, order, n, band, stride, col, val
#define COLS_ARGS float *sums, const float *d, int b, const int *order, int I, const int *from, const int *to, \
                  const int *row, const float *val
#define COLS_PASS sums, d, b, order, I, from, to, row, val
#define FIXED_ARGS float *part, const float *tile, int b, const float *bias, const int *rows, const int *band, \
                   int nb, const int *col, const float *val, int g0, int g1
#define FIXED_PASS part, tile, b, bias, rows, band, nb, col, val, g0, g1

/* The three builds of each body: x86-64-v3 and -v4, as the target_clones they replace. */
IP_KERNEL_LEVELS(rows_band, "arch=x86-64-v3", "arch=x86-64-v4", ROWS_ARGS, ROWS_PASS)
IP_KERNEL_LEVELS(cols_band, "arch=x86-64-v3", "arch=x86-64-v4", COLS_ARGS, COLS_PASS)
IP_KERNEL_LEVELS(fixed_band, "arch=x86-64-v3", "arch=x86-64-v4", FIXED_ARGS, FIXED_PASS)

void ip_kern_sparse_rows_band(float *part, const float *tile, int b, const float *bias, const int *order, int n,
                              const int *band, int stride, const int *col, const float *val)
{
    rows_band_level(ROWS_PASS);
}
void ip_kern_sparse_cols_band(float *sums, const float *d, int b, const int *order, int I, const int *from,
                              const int *to, const int *row, const float *val)
{
    cols_band_level(COLS_PASS);
}
void ip_kern_fixed_band(float *part, const float *tile, int b, const float *bias, const int *rows, const int *band,
                        int nb, const int *col, const float *val, int g0, int g1)
{
    fixed_band_level(FIXED_PASS);
}
