/* Element-wise activations (tanh, relu, sigmoid, leaky relu, exact-erf gelu, softsign, linear)
 * as functions and as a layer. tanh and sigmoid, the costly ones in the paper's nets, and their
 * derivatives run in the vector kernels of kernels_activation.c; the others are plain loops here.
 * The layer splits the batch over the thread pool. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../core/parallel.h"
#include "../core/status.h"
#include "kernels_activation.h"
#include "layer_kinds.h"

static float gelu1(float x) { return (float)(0.5 * x * (1.0 + erf(x * M_SQRT1_2))); }

static float gelu_grad1(float x)
{
    double cdf = 0.5 * (1.0 + erf(x * M_SQRT1_2)), pdf = exp(-0.5 * (double)x * x) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
    return (float)(cdf + x * pdf);
}

void ip_activation_forward(float *y, const float *x, size_t n, ip_activation act, float slope)
{
    switch (act) {
    case IP_ACT_LINEAR:
        if (y != x) memmove(y, x, n * sizeof *y);
        break;
    case IP_ACT_TANH: ip_kern_tanh(y, x, n); break;
    case IP_ACT_SIGMOID: ip_kern_sigmoid(y, x, n); break;
    case IP_ACT_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case IP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : x[i] * slope;
        break;
    case IP_ACT_GELU:
        for (size_t i = 0; i < n; i++) y[i] = gelu1(x[i]);
        break;
    case IP_ACT_SOFTSIGN:
        for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + fabsf(x[i]));
        break;
    }
}

/* Derivatives as PyTorch defines them at the kinks: relu'(0) = 0, leaky'(0) = slope. */
void ip_activation_backward(float *dx, const float *dy, const float *x, const float *y, size_t n,
                            ip_activation act, float slope)
{
    switch (act) {
    case IP_ACT_LINEAR:
        if (dx != dy) memmove(dx, dy, n * sizeof *dx);
        break;
    case IP_ACT_TANH: ip_kern_tanh_grad(dx, dy, y, n); break;
    case IP_ACT_SIGMOID: ip_kern_sigmoid_grad(dx, dy, y, n); break;
    case IP_ACT_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case IP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * slope;
        break;
    case IP_ACT_GELU:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * gelu_grad1(x[i]);
        break;
    case IP_ACT_SOFTSIGN:
        for (size_t i = 0; i < n; i++) {
            float d = 1.0f + fabsf(x[i]);
            dx[i] = dy[i] / (d * d);
        }
        break;
    }
}

typedef struct {
    const ip_layer *l;
    float *y;
    const float *x, *dy, *yv;
    size_t N;
} act_job;

static void forward_part(void *ctx, int b0, int b1, int worker)
{
    act_job *j = ctx;
    size_t o = (size_t)b0 * j->N;
    ip_activation_forward(j->y + o, j->x + o, (size_t)(b1 - b0) * j->N, j->l->spec.activation, j->l->spec.slope);
}

static void backward_part(void *ctx, int b0, int b1, int worker)
{
    act_job *j = ctx;
    size_t o = (size_t)b0 * j->N;
    ip_activation_backward(j->y + o, j->dy + o, j->x + o, j->yv + o, (size_t)(b1 - b0) * j->N,
                           j->l->spec.activation, j->l->spec.slope);
}

/* Below this many elements a batch is not worth waking the pool for. */
#define ACT_PAR_MIN 16384

/* out (B, N) <- act(in (B, N)), samples split over the thread pool (element-wise, so the
 * split changes nothing). */
static void act_forward(ip_layer *l, float *out, const float *in, int batch)
{
    act_job j = {l, out, in, NULL, NULL, (size_t)ip_shape_size(l->in)};
    if ((size_t)batch * j.N < ACT_PAR_MIN)
        forward_part(&j, 0, batch, 0);
    else
        ip_parallel_for(batch, 1, forward_part, &j);
}

/* din (B, N) <- dout * act'(in). */
static void act_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                         int batch)
{
    if (!din) return;
    act_job j = {l, din, in, dout, out, (size_t)ip_shape_size(l->in)};
    if ((size_t)batch * j.N < ACT_PAR_MIN)
        backward_part(&j, 0, batch, 0);
    else
        ip_parallel_for(batch, 1, backward_part, &j);
}

static const ip_layer_ops act_ops = {"activation", act_forward, act_backward};

int ip_activation_setup(ip_layer *l, int max_batch, int index)
{
    if ((unsigned)l->spec.activation > (unsigned)IP_ACT_SOFTSIGN)
        return ip_fail(IP_ERR_FORMAT, "layer %d (activation): unknown activation %d", index, (int)l->spec.activation);
    if (!isfinite(l->spec.slope))
        return ip_fail(IP_ERR_FORMAT, "layer %d (activation): leaky relu slope is not finite", index);
    l->ops = &act_ops;
    l->out = l->in;
    return IP_OK;
}
