/* Kernels of the costly element-wise activations, tanh and sigmoid, and of their derivatives
 * (kernels_activation.c); the cheap ones are plain loops in activation.c. Every level (core/cpu.h)
 * gives the same bits. Internal to framework/nn. */
#ifndef IP_KERNELS_ACTIVATION_H
#define IP_KERNELS_ACTIVATION_H

#include <stddef.h>

/* y (n) <- tanh(x (n)) / sigmoid(x (n)); y may be x. Within 2e-7 relative of the exact values;
 * +-Inf gives +-1 (tanh) or 1 / 0 (sigmoid). A NaN gives +-1 (tanh) or 1 (sigmoid), not NaN (the
 * clamps take it for a large value): so it was before the kernels moved here, and is left so. */
void ip_kern_tanh(float *y, const float *x, size_t n);
void ip_kern_sigmoid(float *y, const float *x, size_t n);

/* dx (n) <- dy * (1 - y^2) (tanh) / dy * (y * (1 - y)) (sigmoid), y the forward output;
 * dx may be dy. */
void ip_kern_tanh_grad(float *dx, const float *dy, const float *y, size_t n);
void ip_kern_sigmoid_grad(float *dx, const float *dy, const float *y, size_t n);

#endif
