/* Layer normalisation without affine parameters over all C*H*W features of each sample, as
 * torch.nn.functional.layer_norm(x, x.shape[1:]) with eps = 1e-5 (biased variance). The row sums
 * and element-wise passes are the vector kernels of kernels_layernorm.c. */
#include <math.h>
#include <string.h>

#include "../core/parallel.h"
#include "../core/status.h"
#include "kernels_layernorm.h"
#include "layer_kinds.h"

#define LN_EPS 1e-5

typedef struct {
    float *y, *mean, *rstd;
    const float *x, *g;
    int N;
} ln_job;

/* Samples [b0, b1): statistics in one pass over the row, then the normalisation. */
static void forward_part(void *ctx, int b0, int b1, int worker)
{
    ln_job *j = ctx;
    int N = j->N;
    for (int b = b0; b < b1; b++) {
        const float *x = j->x + (size_t)b * N;
        float *y = j->y + (size_t)b * N;
        double s, ss;
        ip_kern_ln_sums_sq(&s, &ss, x, N);
        double mu = s / N, var = ss / N - mu * mu;
        if (var < 0) var = 0; /* rounding, for a constant row */
        double r = 1.0 / sqrt(var + LN_EPS);
        float muf = (float)mu, rf = (float)r;
        ip_kern_ln_normalize(y, x, muf, rf, N);
        j->mean[b] = muf;
        j->rstd[b] = rf;
    }
}

/* out (B, N) <- (in - mean) * rstd per row; scratch keeps mean (B) then rstd (B) for backward.
 * The statistics are accumulated in double, so large N loses nothing. Samples are split over
 * the thread pool; each row's arithmetic is the same whatever the thread count. */
static void layernorm_forward(ip_layer *l, float *out, const float *in, int batch)
{
    ln_job j = {out, l->scratch, l->scratch + batch, in, NULL, ip_shape_size(l->in)};
    ip_parallel_for(batch, 4, forward_part, &j);
}

static void backward_part(void *ctx, int b0, int b1, int worker)
{
    ln_job *j = ctx;
    int N = j->N;
    for (int b = b0; b < b1; b++) {
        const float *g = j->g + (size_t)b * N, *xh = j->x + (size_t)b * N;
        float *d = j->y + (size_t)b * N;
        double sg, sgx;
        ip_kern_ln_sums(&sg, &sgx, g, xh, N);
        float mg = (float)(sg / N), mgx = (float)(sgx / N), r = j->rstd[b];
        ip_kern_ln_apply_grad(d, g, xh, r, mg, mgx, N);
    }
}

/* din (B, N) <- rstd * (dout - mean(dout) - xhat * mean(dout * xhat)), xhat = out. */
static void layernorm_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                               int batch)
{
    if (!din) return;
    ln_job j = {din, NULL, l->scratch + batch, out, dout, ip_shape_size(l->in)};
    ip_parallel_for(batch, 4, backward_part, &j);
}

static const ip_layer_ops layernorm_ops = {"layernorm", layernorm_forward, layernorm_backward};

int ip_layernorm_setup(ip_layer *l, int max_batch, int index)
{
    l->ops = &layernorm_ops;
    l->out = l->in;
    l->scratch_floats = 2 * (size_t)max_batch;
    return IP_OK;
}
