/* One layer of a network: a small table of functions per layer kind (layer_dense.c,
 * layer_conv2d.c, ...) and the sizes the network needs to carve out its buffers.
 * Activations are float32, row-major, one sample per row, features in C,H,W order
 * (the same as PyTorch's NCHW). Parameters use PyTorch's layouts: dense weight
 * [out x in] then bias [out]; conv weight [out_c x in_c x k x k] then bias [out_c]. */
#ifndef IP_LAYER_H
#define IP_LAYER_H

#include <stddef.h>
#include "layer_spec.h"

typedef struct { int c, h, w; } ip_shape; /* dense features: c = units, h = w = 1 */

static inline int ip_shape_size(ip_shape s) { return s.c * s.h * s.w; }

typedef struct ip_layer ip_layer;

typedef struct {
    const char *name;
    /* out is (batch, out_size) <- layer(in is (batch, in_size)). May use l->scratch. */
    void (*forward)(ip_layer *l, float *out, const float *in, int batch);
    /* grads += dLoss/dparams; din (batch, in_size) <- dLoss/din unless din is NULL.
     * in and out are the forward pass's input and output for the same batch;
     * dout is (batch, out_size). */
    void (*backward)(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                     int batch);
} ip_layer_ops;

struct ip_layer {
    const ip_layer_ops *ops;
    ip_layer_spec spec;
    ip_shape in, out;
    size_t n_params;      /* weights first, then bias */
    size_t n_weights;     /* the weight part of n_params (fan-in based inits need it) */
    int fan_in, fan_out;
    float *params, *grads; /* views into the network's single parameter/gradient allocations */
    size_t scratch_floats; /* workspace per batch of max_batch samples, set by the layer's setup */
    float *scratch;       /* view into the network's scratch allocation */
};

/* Set up l (ops, out shape, n_params, scratch_floats) from spec and the input shape.
 * Returns IP_OK or an error naming the layer index when the spec does not fit the input. */
int ip_layer_setup(ip_layer *l, const ip_layer_spec *spec, ip_shape in, int max_batch, int index);

#endif
