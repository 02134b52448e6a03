/* The vector kernels of layer normalisation (kernels_layernorm.c): a row's sums in double and the
 * element-wise passes. Every level (core/cpu.h) gives the same bits: the sums run in eight double
 * lanes combined in a fixed order at every level, without FMA. Internal to framework/nn
 * (layer_layernorm.c). */
#ifndef IP_KERNELS_LAYERNORM_H
#define IP_KERNELS_LAYERNORM_H

/* *sx <- sum of x (n), *sxx <- sum of x^2, in double. */
void ip_kern_ln_sums_sq(double *sx, double *sxx, const float *x, int n);

/* *sx <- sum of x (n), *sxy <- sum of x y (n), in double. */
void ip_kern_ln_sums(double *sx, double *sxy, const float *x, const float *y, int n);

/* y (n) <- (x - m) r, element-wise; y may be x. */
void ip_kern_ln_normalize(float *y, const float *x, float m, float r, int n);

/* d (n) <- r (g - mg - xh mgx), element-wise; d may be g. */
void ip_kern_ln_apply_grad(float *d, const float *g, const float *xh, float r, float mg, float mgx, int n);

#endif
