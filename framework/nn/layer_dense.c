/* Fully connected layer, PyTorch's nn.Linear: out = in W^T + b with W [out x in], b [out].
 * A non-flat input (C,H,W) is used as its flat C*H*W vector, as after a flatten. */
#include <string.h>

#include "../core/blas.h"
#include "../core/status.h"
#include "layer_kinds.h"

/* out (B, O) <- in (B, I) W^T + b; params = W (O, I) then b (O). */
static void dense_forward(ip_layer *l, float *out, const float *in, int batch)
{
    int I = ip_shape_size(l->in), O = l->out.c;
    const float *W = l->params, *b = l->params + (size_t)O * I;
    for (int r = 0; r < batch; r++) memcpy(out + (size_t)r * O, b, (size_t)O * sizeof *out);
    /* out (B x O) <- in (B x I) * W^T (I x O) + out (the bias rows) */
    ip_sgemm(0, 1, batch, O, I, 1.0f, in, I, W, I, 1.0f, out, O);
}

/* dW (O, I) += dout^T in; db (O) += column sums of dout (B, O); din (B, I) <- dout W. */
static void dense_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                           int batch)
{
    int I = ip_shape_size(l->in), O = l->out.c;
    const float *W = l->params;
    float *dW = l->grads, *db = l->grads + (size_t)O * I;
    /* dW (O x I) += dout^T (O x B) * in (B x I) */
    ip_sgemm(1, 0, O, I, batch, 1.0f, dout, O, in, I, 1.0f, dW, I);
    for (int r = 0; r < batch; r++) {
        const float *d = dout + (size_t)r * O;
        for (int o = 0; o < O; o++) db[o] += d[o];
    }
    /* din (B x I) <- dout (B x O) * W (O x I) */
    if (din) ip_sgemm(0, 0, batch, I, O, 1.0f, dout, O, W, I, 0.0f, din, I);
}

static const ip_layer_ops dense_ops = {"dense", dense_forward, dense_backward};

int ip_dense_setup(ip_layer *l, int max_batch, int index)
{
    int I = ip_shape_size(l->in), O = l->spec.units;
    if (O <= 0) return ip_fail(IP_ERR_FORMAT, "layer %d (dense): units must be positive, not %d", index, O);
    l->ops = &dense_ops;
    l->out = (ip_shape){O, 1, 1};
    l->n_weights = (size_t)O * I;
    l->n_params = l->n_weights + (size_t)O;
    l->fan_in = I;
    l->fan_out = O;
    l->scratch_floats = 0;
    return IP_OK;
}
