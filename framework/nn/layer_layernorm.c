/* Layer normalisation without affine parameters over all C*H*W features of each sample, as
 * torch.nn.functional.layer_norm(x, x.shape[1:]) with eps = 1e-5 (biased variance). */
#include <math.h>
#include <string.h>

#include "../core/status.h"
#include "layer_kinds.h"

#define LN_EPS 1e-5

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

/* Sums of x (n) and of x*y (n) in double, four lanes at a time (the lanes keep the adds
 * independent, so they pipeline), with y = NULL meaning only the first sum. */
static void sums(double *sx, double *sxy, const float *x, const float *y, int n)
{
    v4d ax = {0, 0, 0, 0}, axy = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f xv, yv;
        memcpy(&xv, x + i, sizeof xv);
        v4d xd = __builtin_convertvector(xv, v4d);
        ax += xd;
        if (y) {
            memcpy(&yv, y + i, sizeof yv);
            axy += xd * __builtin_convertvector(yv, v4d);
        }
    }
    double tx = (ax[0] + ax[1]) + (ax[2] + ax[3]), txy = (axy[0] + axy[1]) + (axy[2] + axy[3]);
    for (; i < n; i++) {
        tx += x[i];
        if (y) txy += (double)x[i] * y[i];
    }
    *sx = tx;
    if (sxy) *sxy = txy;
}

/* Sum of (x - mu)^2 over x (n), in double lanes. */
static double centered_sq(const float *x, double mu, int n)
{
    v4d acc = {0, 0, 0, 0}, m = {mu, mu, mu, mu};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f xv;
        memcpy(&xv, x + i, sizeof xv);
        v4d d = __builtin_convertvector(xv, v4d) - m;
        acc += d * d;
    }
    double t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; i < n; i++) t += (x[i] - mu) * (x[i] - mu);
    return t;
}

/* out (B, N) <- (in - mean) * rstd per row; scratch keeps mean (B) then rstd (B) for backward.
 * The statistics are accumulated in double (two passes), so large N loses nothing. */
static void layernorm_forward(ip_layer *l, float *out, const float *in, int batch)
{
    int N = ip_shape_size(l->in);
    float *mean = l->scratch, *rstd = l->scratch + batch;
    for (int b = 0; b < batch; b++) {
        const float *x = in + (size_t)b * N;
        float *y = out + (size_t)b * N;
        double s;
        sums(&s, NULL, x, NULL, N);
        double mu = s / N;
        double r = 1.0 / sqrt(centered_sq(x, mu, N) / N + LN_EPS);
        float muf = (float)mu, rf = (float)r;
        for (int i = 0; i < N; i++) y[i] = (x[i] - muf) * rf;
        mean[b] = muf;
        rstd[b] = rf;
    }
}

/* din (B, N) <- rstd * (dout - mean(dout) - xhat * mean(dout * xhat)), xhat = out. */
static void layernorm_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                               int batch)
{
    if (!din) return;
    int N = ip_shape_size(l->in);
    const float *rstd = l->scratch + batch;
    for (int b = 0; b < batch; b++) {
        const float *g = dout + (size_t)b * N, *xh = out + (size_t)b * N;
        float *d = din + (size_t)b * N;
        double sg, sgx;
        sums(&sg, &sgx, g, xh, N);
        float mg = (float)(sg / N), mgx = (float)(sgx / N), r = rstd[b];
        for (int i = 0; i < N; i++) d[i] = r * (g[i] - mg - xh[i] * mgx);
    }
}

static const ip_layer_ops layernorm_ops = {"layernorm", layernorm_forward, layernorm_backward};

int ip_layernorm_setup(ip_layer *l, int max_batch, int index)
{
    l->ops = &layernorm_ops;
    l->out = l->in;
    l->scratch_floats = 2 * (size_t)max_batch;
    return IP_OK;
}
