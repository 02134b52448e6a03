/* What the sparse-input products of the dense layer share (dense_sparse.c, dense_fixed.c and
 * their kernels, kernels_sparse.c): the output block and input band sizes, and the weight tile.
 * Internal to framework/nn. */
#ifndef IP_DENSE_SPARSE_COMMON_H
#define IP_DENSE_SPARSE_COMMON_H

#include <stddef.h>
#include <string.h>

/* Outputs are computed in blocks of BW columns, inputs taken in bands of BAND columns: a band's
 * weight tile (BAND x BW floats, 32 KB) stays in L1. */
#define BW 64
#define BAND 128

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
