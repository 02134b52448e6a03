/* Max pooling (PyTorch's nn.MaxPool2d, square window, stride, implicit -inf padding,
 * floor mode). The forward pass saves each output's argmax in the scratch for the backward.
 * Planes (sample x channel) are split across the thread pool; each plane's work is the same
 * whatever the thread count, so results are too. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../core/parallel.h"
#include "../core/cpu.h"
#include "../core/status.h"
#include "layer_kinds.h"

_Static_assert(sizeof(int) == sizeof(float), "maxpool stores int argmaxes in float scratch");

/* Per worker, after the argmaxes: the padded input plane (H rows of rowbuf floats, -inf in the
 * padding) and, for the k most recent input rows, each output column's row maximum and its
 * column. The whole plane is copied in before any row is read back, so the vector loads do not
 * wait on the copy's stores still in flight (a load spanning several recent stores stalls). */
typedef struct {
    int C, H, W, OH, OW, k, s, pad;
    int OWV;    /* OW rounded up to 8, the widest vector */
    int rowbuf; /* floats of a padded row */
    size_t per_worker;
} pool_dims;

static pool_dims dims_of(const ip_layer *l)
{
    pool_dims d = {l->in.c, l->in.h, l->in.w, l->out.h, l->out.w, l->spec.kernel, l->spec.stride, l->spec.padding,
                   0, 0, 0};
    d.OWV = (d.OW + 7) / 8 * 8;
    /* the last vector reads up to s*(OWV-1) + k - 1 + 8*s (two-vector loads for s = 2) */
    d.rowbuf = (d.OWV + 2) * d.s + d.k + 16;
    d.per_worker = ((size_t)d.H * d.rowbuf + 2 * (size_t)d.k * d.OWV + 16 + 15) / 16 * 16;
    return d;
}

typedef struct {
    const ip_layer *l;
    float *out;
    const float *in;
    int *argmax;
    float *work;
    pool_dims d;
} fwd_ctx;

/* The padding of the padded plane buf: -inf before and after the W values of each row, which
 * copy_plane fills in for each plane. */
static void pad_plane(float *buf, const pool_dims *d)
{
    for (int h = 0; h < d->H; h++) {
        float *row = buf + (size_t)h * d->rowbuf;
        for (int i = 0; i < d->pad; i++) row[i] = -INFINITY;
        for (int i = d->pad + d->W; i < d->rowbuf; i++) row[i] = -INFINITY;
    }
}

/* The rows of img (H x W) into the padded plane buf, between their padding. */
static void copy_plane(float *buf, const float *img, const pool_dims *d)
{
    int W = d->W;
    for (int h = 0; h < d->H; h++) { /* inline 4-float copies: a memcpy call per short row costs more */
        float *dst = buf + (size_t)h * d->rowbuf + d->pad;
        const float *src = img + (size_t)h * W;
        int i = 0;
        for (; i + 4 <= W; i += 4) memcpy(dst + i, src + i, 4 * sizeof(float));
        for (; i < W; i++) dst[i] = src[i];
    }
}

/* The forward kernels on vectors VF/VI of N lanes, names ending in SUF: compiled for 4 lanes
 * and, where the CPU has AVX2, 8. Lanes are independent output columns getting the same
 * operations, so both give the same results.
 *
 * gather: the lanes {p[0], p[s], p[2s], ...}: contiguous loads and a shuffle for the common s = 2.
 * take: where v beats best (or is a NaN), take v and its index: lane masks, not branches, since
 *   which value wins is data-dependent. This "later wins only if greater or NaN" rule is
 *   associative, so taking row maxima first and then the maximum over rows gives exactly the
 *   sequential answer in row-major window order: the first maximum, or the last NaN, as in PyTorch.
 * starts: the first column of each window starting at output column ow: PyTorch's starting
 *   index max(ow*s - pad, 0).
 * row_max: rv, rc (OWV) <- per output column, the maximum over the window's columns of input
 *   row (its padded copy in buf) and the column it sits in; windows made only of padding give
 *   -inf and their start column. Inlined with constant k and
 *   s for the common 3/2 window, so the tap loop unrolls.
 * forward_planes: out and argmax of planes [p0, p1): the row maxima of each input row once (kept
 *   for the k most recent rows, which overlapping windows share), then the maximum over each
 *   window's rows. argmax holds the flat index ih*W + iw of each maximum. */
#define DEFINE_POOL_KERNELS(VF, VI, N, SUF)                                                                      \
    static inline VF gather##SUF(const float *p, int s)                                                        \
    {                                                                                                           \
        VF a, b;                                                                                                \
        switch (s) {                                                                                            \
        case 1: memcpy(&a, p, sizeof a); return a;                                                              \
        case 2:                                                                                                 \
            memcpy(&a, p, sizeof a);                                                                            \
            memcpy(&b, p + N, sizeof b);                                                                        \
            return __builtin_shuffle(a, b, EVEN_LANES##SUF);                                                    \
        default:                                                                                                \
            for (int j = 0; j < N; j++) a[j] = p[j * s];                                                        \
            return a;                                                                                           \
        }                                                                                                       \
    }                                                                                                           \
    static inline void take##SUF(VF *best, VI *bi, VF v, VI idx)                                               \
    {                                                                                                           \
        VI take = (v > *best) | (v != v);                                                                       \
        *best = (VF)(((VI)v & take) | ((VI)*best & ~take));                                                     \
        *bi = (idx & take) | (*bi & ~take);                                                                     \
    }                                                                                                           \
    static inline VI starts##SUF(int ow, int s, int pad)                                                        \
    {                                                                                                           \
        VI col = IOTA##SUF * s + (ow * s - pad);                                                                \
        return col & ~(col < 0);                                                                                \
    }                                                                                                           \
    static inline __attribute__((always_inline)) void row_max_ks##SUF(float *rv, int *rc, const float *buf,    \
                                                                      const pool_dims *d, int k, int s)        \
    {                                                                                                           \
        int pad = d->pad;                                                                                       \
        for (int ow = 0; ow < d->OW; ow += N) {                                                                 \
            VF best = (VF){0} - INFINITY;                                                                       \
            VI bi = starts##SUF(ow, s, pad);                                                                    \
            VI col = IOTA##SUF * s + (ow * s - pad);                                                            \
            for (int kj = 0; kj < k; kj++) take##SUF(&best, &bi, gather##SUF(buf + ow * s + kj, s), col + kj);  \
            memcpy(rv + ow, &best, sizeof best);                                                                \
            memcpy(rc + ow, &bi, sizeof bi);                                                                    \
        }                                                                                                       \
    }                                                                                                           \
    static void row_max##SUF(float *rv, int *rc, const float *buf, const pool_dims *d)                         \
    {                                                                                                           \
        if (d->k == 3 && d->s == 2)                                                                             \
            row_max_ks##SUF(rv, rc, buf, d, 3, 2);                                                              \
        else                                                                                                    \
            row_max_ks##SUF(rv, rc, buf, d, d->k, d->s);                                                        \
    }                                                                                                           \
    static void forward_planes##SUF(void *vctx, int p0, int p1, int worker)                                    \
    {                                                                                                           \
        fwd_ctx *c = vctx;                                                                                      \
        const pool_dims *d = &c->d;                                                                             \
        int H = d->H, W = d->W, OW = d->OW, k = d->k, s = d->s, pad = d->pad;                                   \
        float *buf = c->work + (size_t)worker * d->per_worker;                                                  \
        float *rv = buf + (size_t)H * d->rowbuf;                                                                \
        int *rc = (int *)(rv + (size_t)k * d->OWV);                                                             \
        int held[64]; /* which input row each of the k slots holds; k <= 64 is checked at setup */             \
        pad_plane(buf, d);                                                                                      \
        for (size_t plane = (size_t)p0; plane < (size_t)p1; plane++) {                                          \
            const float *img = c->in + plane * H * W;                                                           \
            float *out = c->out + plane * d->OH * OW;                                                           \
            int *am = c->argmax + plane * d->OH * OW;                                                           \
            for (int i = 0; i < k; i++) held[i] = -1;                                                           \
            copy_plane(buf, img, d);                                                                            \
            for (int oh = 0; oh < d->OH; oh++) {                                                                \
                int h0 = oh * s - pad < 0 ? 0 : oh * s - pad;                                                   \
                /* the window's rows that exist, their row maxima computed once */                             \
                const float *rvp[64];                                                                           \
                const int *rcp[64];                                                                             \
                int base[64], nr = 0;                                                                           \
                for (int ki = 0; ki < k; ki++) {                                                                \
                    int ih = oh * s - pad + ki;                                                                 \
                    if (ih < 0 || ih >= H) continue;                                                            \
                    int slot = ih % k;                                                                          \
                    float *v = rv + (size_t)slot * d->OWV;                                                      \
                    int *cc = rc + (size_t)slot * d->OWV;                                                       \
                    if (held[slot] != ih) {                                                                     \
                        row_max##SUF(v, cc, buf + (size_t)ih * d->rowbuf, d);                                   \
                        held[slot] = ih;                                                                        \
                    }                                                                                           \
                    rvp[nr] = v;                                                                                \
                    rcp[nr] = cc;                                                                               \
                    base[nr++] = ih * W;                                                                        \
                }                                                                                               \
                for (int ow = 0; ow < OW; ow += N) {                                                            \
                    VF best = (VF){0} - INFINITY;                                                               \
                    VI bi = starts##SUF(ow, s, pad) + h0 * W;                                                   \
                    for (int r = 0; r < nr; r++) {                                                              \
                        VF vv;                                                                                  \
                        VI ci;                                                                                  \
                        memcpy(&vv, rvp[r] + ow, sizeof vv);                                                    \
                        memcpy(&ci, rcp[r] + ow, sizeof ci);                                                    \
                        take##SUF(&best, &bi, vv, ci + base[r]);                                                \
                    }                                                                                           \
                    int n = OW - ow < N ? OW - ow : N;                                                          \
                    if (n == N) {                                                                               \
                        memcpy(out + (size_t)oh * OW + ow, &best, sizeof best);                                 \
                        memcpy(am + (size_t)oh * OW + ow, &bi, sizeof bi);                                      \
                    } else                                                                                      \
                        for (int t = 0; t < n; t++) {                                                           \
                            out[(size_t)oh * OW + ow + t] = best[t];                                            \
                            am[(size_t)oh * OW + ow + t] = bi[t];                                               \
                        }                                                                                       \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
#define EVEN_LANES_4 ((v4i){0, 2, 4, 6})
#define IOTA_4 ((v4i){0, 1, 2, 3})
DEFINE_POOL_KERNELS(v4f, v4i, 4, _4)

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_POOL8 1
#pragma GCC push_options
#pragma GCC target("avx2")
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#define EVEN_LANES_8 ((v8i){0, 2, 4, 6, 8, 10, 12, 14})
#define IOTA_8 ((v8i){0, 1, 2, 3, 4, 5, 6, 7})
DEFINE_POOL_KERNELS(v8f, v8i, 8, _8)
#pragma GCC pop_options

#else
#define HAVE_POOL8 0
#endif

/* out (B, C, OH, OW) <- window maxima of in (B, C, H, W); argmax (B, C, OH, OW) in scratch. */
static void maxpool_forward(ip_layer *l, float *out, const float *in, int batch)
{
    pool_dims d = dims_of(l);
    fwd_ctx c = {l, out, in, (int *)l->scratch, l->scratch + l->scratch_floats - IP_PAR_MAX_THREADS * d.per_worker,
                 d};
    ip_par_fn fn = forward_planes_4;
#if HAVE_POOL8
    if (ip_cpu_has_avx2()) fn = forward_planes_8;
#endif
    ip_parallel_for(batch * d.C, 8, fn, &c);
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
