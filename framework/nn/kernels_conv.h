/* Direct kernels for "same" convolutions (stride 1, odd kernel k, padding (k-1)/2, so the output
 * is H x W like the input), used by layer_conv2d.c where they beat im2col + sgemm: the conv nets'
 * 3x3 pad 1 layers with few channels. One sample at a time. Paths per kernel level (core/cpu.h):
 * the AVX2 and AVX-512 levels give the same bits (both use FMA); the reference rounds each product
 * before its add, so it differs from them in the last bits.
 *
 * The input of a sample is first laid out as C x k "tap planes": plane (c, kj) holds
 * (H + k - 1) rows of W floats, row r = input row r - pad of channel c shifted by kj - pad columns,
 * zero outside the image, then IP_CONVD_SLACK zero floats. Tap (ki, kj) of output pixel p = oh W + ow
 * is then plane (c, kj)[p + ki W]: a plain vector load for every tap. */
#ifndef IP_KERNELS_CONV_H
#define IP_KERNELS_CONV_H

#include <stddef.h>
#include <stdint.h>

#define IP_CONVD_SLACK 64

/* Floats of one tap plane (a multiple of 16). */
size_t ip_convd_plane_floats(int H, int W, int k);

/* xk (C x k planes) <- 0: the padding rows and slack of the planes, which ip_convd_planes never
 * writes, so one clear serves any number of samples. */
void ip_convd_planes_clear(float *xk, int C, int H, int W, int k);

/* The interiors of the tap planes xk (C x k, cleared once) <- x (C x H x W); mask (k x H W) is
 * all ones where output column ow of plane kj reads inside the image (ow + kj - pad in [0, W)),
 * else 0. */
void ip_convd_planes(float *xk, const float *x, const int32_t *mask, int C, int H, int W, int k);

/* out (OC x H x W) <- conv(x) + bias, xk the sample's tap planes, Wt (OC x C x k x k). Every
 * output is ((0 + w x) + w x ...) + bias over (c, ki, kj) in order, whatever the vector width. */
void ip_convd_forward(float *out, const float *xk, const float *Wt, const float *bias, int C, int H, int W,
                      int OC, int k);

/* Weight gradient in 16-lane partial sums (the same lane structure at every level): acc (OC x C x k x k x 16) +=
 * the products of dout and the tap inputs of S samples. Sample s: tap planes at
 * xk + s xk_stride, dout row oc at dp + s dp_stride + oc dp_row, zero from H W up to a multiple
 * of 16. */
void ip_convd_dweights(float *acc, const float *xk, size_t xk_stride, const float *dp, size_t dp_stride,
                       size_t dp_row, int S, int C, int H, int W, int OC, int k);

/* dW (n) <- the sums of the 16 lanes of acc (n x 16), in a fixed order. */
void ip_convd_reduce(float *dW, const float *acc, size_t n);

#endif
