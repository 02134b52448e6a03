/* The max-pooling forward kernels (kernels_pool.c): window maxima and their argmaxes over whole
 * planes, on 4-float vectors (reference), 8 (AVX2) or, for small planes, AVX-512F gathers. Every
 * level (core/cpu.h) gives the same maxima and argmaxes, bit for bit: PyTorch's first maximum in
 * row-major window order, or the last NaN. Internal to framework/nn (layer_maxpool.c). */
#ifndef IP_KERNELS_POOL_H
#define IP_KERNELS_POOL_H

#include <stddef.h>
#include <stdint.h>

/* A pooling's sizes: input planes C x H x W, output OH x OW, window k, stride s, padding pad;
 * then what the kernels derive from them. Made by ip_kern_maxpool_dims. */
typedef struct {
    int C, H, W, OH, OW, k, s, pad;
    int OWV;           /* OW rounded up to 8, the widest row vector */
    int rowbuf;        /* floats of a padded row */
    size_t per_worker; /* floats of one worker's area (a multiple of 16) */
} ip_pool_dims;

ip_pool_dims ip_kern_maxpool_dims(int C, int H, int W, int OH, int OW, int k, int s, int pad);

/* Floats of the gather kernel's tables for d (0 where it is never used: large planes, or a build
 * without the AVX-512 path). The same at every level. */
size_t ip_kern_maxpool_table_floats(const ip_pool_dims *d);

/* out (planes x OH x OW) <- the window maxima of in (planes x H x W), argmax (same shape) <- the
 * flat index ih W + iw of each, on the thread pool. work: IP_PAR_MAX_THREADS areas of
 * d->per_worker floats, 64-byte aligned; tables: ip_kern_maxpool_table_floats(d) floats (filled
 * here when used). k <= 64. */
void ip_kern_maxpool_forward(float *out, int *argmax, const float *in, int planes, const ip_pool_dims *d,
                             float *work, int32_t *tables);

#endif
