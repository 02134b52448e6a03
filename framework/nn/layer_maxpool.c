/* Max pooling (PyTorch's nn.MaxPool2d, square window, stride, implicit -inf padding,
 * floor mode). The forward pass saves each output's argmax in the scratch for the backward.
 * Planes (sample x channel) are split across the thread pool; each plane's work is the same
 * whatever the thread count, so results are too. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../core/parallel.h"
#include "../core/status.h"
#include "layer_kinds.h"

_Static_assert(sizeof(int) == sizeof(float), "maxpool stores int argmaxes in float scratch");

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* Per worker, after the argmaxes: a padded input row (-inf in the padding) and, for the k
 * most recent input rows, each output column's row maximum and its column. */
typedef struct {
    int C, H, W, OH, OW, k, s, pad;
    int OW4;   /* OW rounded up to 4 */
    int rowbuf; /* floats of the padded row */
    size_t per_worker;
} pool_dims;

static pool_dims dims_of(const ip_layer *l)
{
    pool_dims d = {l->in.c, l->in.h, l->in.w, l->out.h, l->out.w, l->spec.kernel, l->spec.stride, l->spec.padding,
                   0, 0, 0};
    d.OW4 = (d.OW + 3) / 4 * 4;
    /* the last vector reads up to s*(OW4-1) + k - 1 + 4*s (two-vector loads for s = 2) */
    d.rowbuf = (d.OW4 + 2) * d.s + d.k + 8;
    d.per_worker = (size_t)d.rowbuf + 2 * (size_t)d.k * d.OW4 + 16;
    return d;
}

/* The lanes {p[0], p[s], p[2s], p[3s]}: contiguous loads and a shuffle for the common s = 2. */
static inline v4f gather4(const float *p, int s)
{
    v4f a, b;
    switch (s) {
    case 1: memcpy(&a, p, sizeof a); return a;
    case 2:
        memcpy(&a, p, sizeof a);
        memcpy(&b, p + 4, sizeof b);
        return __builtin_shuffle(a, b, (v4i){0, 2, 4, 6});
    default: return (v4f){p[0], p[s], p[2 * s], p[3 * s]};
    }
}

/* Where v beats best (or is a NaN), take v and its index: lane masks, not branches, since which
 * value wins is data-dependent. This "later wins only if greater or NaN" rule is associative, so
 * taking row maxima first and then the maximum over rows gives exactly the sequential answer in
 * row-major window order: the first maximum, or the last NaN, as in PyTorch. */
static inline void take4(v4f *best, v4i *bi, v4f v, v4i idx)
{
    v4i take = (v > *best) | (v != v);
    *best = (v4f)(((v4i)v & take) | ((v4i)*best & ~take));
    *bi = (idx & take) | (*bi & ~take);
}

/* rv, rc (OW4) <- per output column, the maximum over the window's columns of input row `row`
 * (W) and the column it sits in; windows made only of padding give -inf and column w0. */
static void row_max(float *rv, int *rc, float *buf, const float *row, const pool_dims *d)
{
    int s = d->s, pad = d->pad;
    for (int i = 0; i < pad; i++) buf[i] = -INFINITY;
    memcpy(buf + pad, row, (size_t)d->W * sizeof *buf);
    for (int i = pad + d->W; i < d->rowbuf; i++) buf[i] = -INFINITY;
    for (int ow = 0; ow < d->OW4; ow += 4) {
        v4f best = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
        v4i bi;
        for (int j = 0; j < 4; j++) {
            int w0 = (ow + j) * s - pad;
            bi[j] = w0 < 0 ? 0 : w0; /* PyTorch's starting index */
        }
        v4i col = (v4i){0, s, 2 * s, 3 * s} + (ow * s - pad);
        for (int kj = 0; kj < d->k; kj++) take4(&best, &bi, gather4(buf + ow * s + kj, s), col + kj);
        memcpy(rv + ow, &best, sizeof best);
        memcpy(rc + ow, &bi, sizeof bi);
    }
}

typedef struct {
    const ip_layer *l;
    float *out;
    const float *in;
    int *argmax;
    float *work;
    pool_dims d;
} fwd_ctx;

/* out and argmax of planes [p0, p1): the row maxima of each input row once (kept for the k most
 * recent rows, which overlapping windows share), then the maximum over each window's rows.
 * argmax holds the flat index ih*W + iw of each maximum. */
static void forward_planes(void *vctx, int p0, int p1, int worker)
{
    fwd_ctx *c = vctx;
    const pool_dims *d = &c->d;
    int H = d->H, W = d->W, OW = d->OW, k = d->k, s = d->s, pad = d->pad;
    float *buf = c->work + (size_t)worker * d->per_worker;
    float *rv = buf + d->rowbuf;
    int *rc = (int *)(rv + (size_t)k * d->OW4);
    int held[64]; /* which input row each of the k slots holds; k <= 64 is checked at setup */
    for (size_t plane = (size_t)p0; plane < (size_t)p1; plane++) {
        const float *img = c->in + plane * H * W;
        float *out = c->out + plane * d->OH * OW;
        int *am = c->argmax + plane * d->OH * OW;
        for (int i = 0; i < k; i++) held[i] = -1;
        for (int oh = 0; oh < d->OH; oh++) {
            int h0 = oh * s - pad < 0 ? 0 : oh * s - pad;
            /* the window's rows that exist, their row maxima computed once */
            const float *rvp[64];
            const int *rcp[64];
            int base[64], nr = 0;
            for (int ki = 0; ki < k; ki++) {
                int ih = oh * s - pad + ki;
                if (ih < 0 || ih >= H) continue;
                int slot = ih % k;
                float *v = rv + (size_t)slot * d->OW4;
                int *cc = rc + (size_t)slot * d->OW4;
                if (held[slot] != ih) {
                    row_max(v, cc, buf, img + (size_t)ih * W, d);
                    held[slot] = ih;
                }
                rvp[nr] = v;
                rcp[nr] = cc;
                base[nr++] = ih * W;
            }
            for (int ow = 0; ow < OW; ow += 4) {
                v4f best = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
                v4i bi;
                for (int j = 0; j < 4; j++) {
                    int w0 = (ow + j) * s - pad;
                    bi[j] = h0 * W + (w0 < 0 ? 0 : w0);
                }
                for (int r = 0; r < nr; r++) {
                    v4f vv;
                    v4i ci;
                    memcpy(&vv, rvp[r] + ow, sizeof vv);
                    memcpy(&ci, rcp[r] + ow, sizeof ci);
                    take4(&best, &bi, vv, ci + base[r]);
                }
                int n = OW - ow < 4 ? OW - ow : 4;
                memcpy(out + (size_t)oh * OW + ow, &best, (size_t)n * sizeof(float));
                memcpy(am + (size_t)oh * OW + ow, &bi, (size_t)n * sizeof(int));
            }
        }
    }
}

/* out (B, C, OH, OW) <- window maxima of in (B, C, H, W); argmax (B, C, OH, OW) in scratch. */
static void maxpool_forward(ip_layer *l, float *out, const float *in, int batch)
{
    pool_dims d = dims_of(l);
    fwd_ctx c = {l, out, in, (int *)l->scratch, l->scratch + l->scratch_floats - IP_PAR_MAX_THREADS * d.per_worker,
                 d};
    ip_parallel_for(batch * d.C, 8, forward_planes, &c);
}

typedef struct {
    float *din;
    const float *dout;
    const int *argmax;
    int HW, OP;
} bwd_ctx;

/* din of planes [p0, p1) <- dout routed to the saved argmaxes, in output order. */
static void backward_planes(void *vctx, int p0, int p1, int worker)
{
    bwd_ctx *c = vctx;
    memset(c->din + (size_t)p0 * c->HW, 0, (size_t)(p1 - p0) * c->HW * sizeof *c->din);
    for (size_t plane = (size_t)p0; plane < (size_t)p1; plane++) {
        float *d = c->din + plane * c->HW;
        const float *g = c->dout + plane * c->OP;
        const int *am = c->argmax + plane * c->OP;
        for (int p = 0; p < c->OP; p++) d[am[p]] += g[p];
    }
}

/* din (B, C, H, W) <- dout routed to the saved argmaxes (summed where windows overlap). */
static void maxpool_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                             int batch)
{
    if (!din) return; /* no parameters */
    bwd_ctx c = {din, dout, (const int *)l->scratch, l->in.h * l->in.w, l->out.h * l->out.w};
    ip_parallel_for(batch * l->in.c, 8, backward_planes, &c);
}

static const ip_layer_ops maxpool_ops = {"maxpool", maxpool_forward, maxpool_backward};

int ip_maxpool_setup(ip_layer *l, int max_batch, int index)
{
    const ip_layer_spec *s = &l->spec;
    if (s->kernel <= 0 || s->kernel > 64 || s->stride <= 0 || s->padding < 0 || s->padding > s->kernel / 2)
        return ip_fail(IP_ERR_FORMAT,
                       "layer %d (maxpool): need 0 < kernel <= 64, stride > 0 and 0 <= padding <= kernel/2 "
                       "(got kernel %d, stride %d, padding %d)",
                       index, s->kernel, s->stride, s->padding);
    int oh = ip_window_out(l->in.h, s->kernel, s->stride, s->padding);
    int ow = ip_window_out(l->in.w, s->kernel, s->stride, s->padding);
    if (oh <= 0 || ow <= 0)
        return ip_fail(IP_ERR_FORMAT, "layer %d (maxpool): kernel %d with padding %d does not fit the %dx%d input",
                       index, s->kernel, s->padding, l->in.h, l->in.w);
    l->ops = &maxpool_ops;
    l->out = (ip_shape){l->in.c, oh, ow};
    pool_dims d = dims_of(l);
    /* argmaxes, rounded to 16 floats so the per-worker area stays aligned, then the workers' areas */
    l->scratch_floats = ((size_t)max_batch * ip_shape_size(l->out) + 15) / 16 * 16 + IP_PAR_MAX_THREADS * d.per_worker;
    return IP_OK;
}
