/* What the sparse-input kernels of the dense layer share (dense_sparse.c, dense_fixed.c):
 * the output block and input band sizes, the sixteen-float vector type, and the weight tile.
 * Internal to framework/nn. */
#ifndef IP_DENSE_SPARSE_COMMON_H
#define IP_DENSE_SPARSE_COMMON_H

#include <stddef.h>
#include <string.h>

/* Outputs are computed in blocks of BW columns, inputs taken in bands of BAND columns: a band's
 * weight tile (BAND x BW floats, 32 KB) stays in L1. */
#define BW 64
#define BAND 128

/* Sixteen floats, the kernels' unit. Built three times (AVX-512, AVX2, SSE) and picked at load
 * time; the ISO C mode the project builds in (no FP contraction) gives all three the same
 * multiply-then-add arithmetic, so the same results. */
typedef float v16 __attribute__((vector_size(64)));
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

/* Macros rather than functions: a function returning a 64-byte vector draws a psABI warning in
 * the clones built without AVX-512. */
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

/* tile (n x BW) <- rows o0 .. o0+w of W (O x I), columns j0 .. j0+n, transposed; zero beyond w.
 * Written row by row: the 64 source rows' current cache lines stay in L1 across 16 rows of
 * the tile, and the tile is written contiguously. */
static inline void ip_transpose_into_tile(float *tile, const float *W, int I, int o0, int w, int j0, int n)
{
    const float *src = W + (size_t)o0 * I + j0;
    for (int j = 0; j < n; j++) {
        float *t = tile + (size_t)j * BW;
        for (int i = 0; i < w; i++) t[i] = src[(size_t)i * I + j];
        for (int i = w; i < BW; i++) t[i] = 0.0f;
    }
}

#endif
