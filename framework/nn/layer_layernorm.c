/* Layer normalisation without affine parameters over all C*H*W features of each sample, as
 * torch.nn.functional.layer_norm(x, x.shape[1:]) with eps = 1e-5 (biased variance). */
#include <math.h>
#include <string.h>

#include "../core/parallel.h"
#include "../core/status.h"
#include "layer_kinds.h"

#define LN_EPS 1e-5

/* The double sums are the costly part, and a v8d is one AVX-512 register, two AVX ones or four
 * SSE2 ones: where the CPU has AVX-512F or AVX2, a clone compiled for it is picked at load time.
 * The arithmetic is the same (eight lanes in every clone; no FMA: -std=c11 keeps contraction
 * off), so are the results. The element-wise passes are cloned likewise. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LN_CLONES
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
typedef double v8d __attribute__((vector_size(64)));

/* The eight lanes of a summed in a fixed order. */
static inline double hsum8(const v8d *v) /* by pointer: a 64-byte vector argument has no fixed ABI */
{
    const v8d a = *v;
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* Sums of x (n) and of x*y (n) in double, eight lanes at a time (the lanes keep the adds
 * independent, so they pipeline). */
LN_CLONES static void sums(double *sx, double *sxy, const float *x, const float *y, int n)
{
    v8d ax = {0}, axy = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f xv, yv;
        memcpy(&xv, x + i, sizeof xv);
        v8d xd = __builtin_convertvector(xv, v8d);
        ax += xd;
        memcpy(&yv, y + i, sizeof yv);
        axy += xd * __builtin_convertvector(yv, v8d);
    }
    double tx = hsum8(&ax), txy = hsum8(&axy);
    for (; i < n; i++) {
        tx += x[i];
        txy += (double)x[i] * y[i];
    }
    *sx = tx;
    *sxy = txy;
}

/* Sums of x (n) and of x^2 (n) in double, eight lanes at a time. The variance comes out as
 * E[x^2] - mean^2: in double, with float inputs, the cancellation costs at most
 * (mean/std)^2 * 2^-53 relative, far below float's resolution for any sane activation. */
LN_CLONES static void sums_sq(double *sx, double *sxx, const float *x, int n)
{
    v8d ax = {0}, axx = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f xv;
        memcpy(&xv, x + i, sizeof xv);
        v8d xd = __builtin_convertvector(xv, v8d);
        ax += xd;
        axx += xd * xd;
    }
    double tx = hsum8(&ax), txx = hsum8(&axx);
    for (; i < n; i++) {
        tx += x[i];
        txx += (double)x[i] * x[i];
    }
    *sx = tx;
    *sxx = txx;
}

/* y (n) <- (x - m) * r, element-wise (16-float vectors, then one at a time: the same operations). */
LN_CLONES static void normalize(float *y, const float *x, float m, float r, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f v;
        memcpy(&v, x + i, sizeof v);
        v = (v - m) * r;
        memcpy(y + i, &v, sizeof v);
    }
    for (; i < n; i++) y[i] = (x[i] - m) * r;
}

/* d (n) <- r * (g - mg - xh * mgx), element-wise as normalize. */
LN_CLONES static void apply_grad(float *d, const float *g, const float *xh, float r, float mg, float mgx, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f gv, xv;
        memcpy(&gv, g + i, sizeof gv);
        memcpy(&xv, xh + i, sizeof xv);
        gv = r * (gv - mg - xv * mgx);
        memcpy(d + i, &gv, sizeof gv);
    }
    for (; i < n; i++) d[i] = r * (g[i] - mg - xh[i] * mgx);
}

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
        sums_sq(&s, &ss, x, N);
        double mu = s / N, var = ss / N - mu * mu;
        if (var < 0) var = 0; /* rounding, for a constant row */
        double r = 1.0 / sqrt(var + LN_EPS);
        float muf = (float)mu, rf = (float)r;
        normalize(y, x, muf, rf, N);
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
        sums(&sg, &sgx, g, xh, N);
        float mg = (float)(sg / N), mgx = (float)(sgx / N), r = j->rstd[b];
        apply_grad(d, g, xh, r, mg, mgx, N);
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
