/* Internal to framework/nn: the per-kind setup functions that ip_layer_setup dispatches to,
 * and the element-wise activation kernels (shared by the activation layer and by tests).
 * Code outside nn/ should use layer.h and network.h instead. */
#ifndef IP_LAYER_KINDS_H
#define IP_LAYER_KINDS_H

#include "layer.h"

/* Each setup fills l->ops, l->out, l->n_params, l->n_weights, l->fan_in, l->fan_out and
 * l->scratch_floats from l->spec and l->in (already set by ip_layer_setup), for batches of
 * up to max_batch samples. Returns IP_OK or ip_fail(IP_ERR_FORMAT, ...) naming layer `index`. */
int ip_dense_setup(ip_layer *l, int max_batch, int index);
int ip_conv2d_setup(ip_layer *l, int max_batch, int index);
int ip_maxpool_setup(ip_layer *l, int max_batch, int index);
int ip_avgpool_setup(ip_layer *l, int max_batch, int index);
int ip_layernorm_setup(ip_layer *l, int max_batch, int index);
int ip_flatten_setup(ip_layer *l, int max_batch, int index);
int ip_activation_setup(ip_layer *l, int max_batch, int index);

/* The dense layer's route for a fixed set of input rows (dense_fixed.h): prepared for batches of
 * `batch` rows (NULL when l is not a dense layer with a sparse route or the rows do not suit), and
 * the forward product of the prepared batch at row0 (0, nothing written, when it cannot). */
struct ip_fixed_rows *ip_dense_prepare_rows(const ip_layer *l, const float *x, int n, int batch);
int ip_dense_forward_fixed(ip_layer *l, float *out, struct ip_fixed_rows *f, int row0, int batch);

/* y (n) <- act(x (n)); slope is the leaky relu's negative slope. y may alias x. */
void ip_activation_forward(float *y, const float *x, size_t n, ip_activation act, float slope);
/* dx (n) <- dy (n) * act'(x), given x and y = act(x) (n each). dx may alias dy. */
void ip_activation_backward(float *dx, const float *dy, const float *x, const float *y, size_t n,
                            ip_activation act, float slope);

/* The PyTorch output length of a conv/pool window: floor((in + 2 pad - k) / stride) + 1,
 * or 0 when the window does not fit. */
static inline int ip_window_out(int in, int k, int stride, int pad)
{
    int span = in + 2 * pad - k;
    return span < 0 ? 0 : span / stride + 1;
}

#endif
