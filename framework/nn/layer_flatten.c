/* Flatten (C, H, W) to a vector of C*H*W features. The memory layout is unchanged, so both
 * passes are copies; it exists so that recorded shapes and layer lists read like PyTorch's. */
#include <string.h>

#include "../core/status.h"
#include "layer_kinds.h"

/* out (B, N) <- in (B, N). */
static void flatten_forward(ip_layer *l, float *out, const float *in, int batch)
{
    memcpy(out, in, (size_t)batch * ip_shape_size(l->in) * sizeof *out);
}

/* din (B, N) <- dout (B, N). */
static void flatten_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                             int batch)
{
    if (din) memcpy(din, dout, (size_t)batch * ip_shape_size(l->in) * sizeof *din);
}

static const ip_layer_ops flatten_ops = {"flatten", flatten_forward, flatten_backward};

int ip_flatten_setup(ip_layer *l, int max_batch, int index)
{
    l->ops = &flatten_ops;
    l->out = (ip_shape){ip_shape_size(l->in), 1, 1};
    return IP_OK;
}
