/* 2-D convolution (PyTorch's nn.Conv2d, square kernel, stride, zero padding) by im2col and
 * sgemm; col2im in the backward pass. Weights are [out_c x in_c x k x k] then bias [out_c], so
 * the weight matrix is (OC x C*k*k).
 * Threads: the conv sgemms are small (8-32 output channels), so BLAS's own threading gains little
 * on them. Instead a chunk of the batch is cut into CONV_SLICES fixed slices of samples, and the
 * thread pool runs im2col -> sgemm -> unpack (forward) or pack -> sgemms -> col2im (backward) of
 * whole slices, with BLAS single-threaded on each worker. The weight gradient is summed per slice
 * and the slices added in order, so the result does not depend on the thread count. */
#include <string.h>

#include "../core/blas.h"
#include "../core/parallel.h"
#include "../core/status.h"
#include "layer_kinds.h"

/* The scratch holds, for a chunk of up to `chunk` samples, the column matrix col (CKK x chunk*P)
 * and the channel-major result tmp (OC x chunk*P). Whole batches up to the chunk size run as one
 * sgemm; larger batches (e.g. evaluating a big analysis set) run in chunks so the workspace stays
 * bounded at about CONV_SCRATCH_FLOATS floats. */
#define CONV_SCRATCH_FLOATS ((size_t)1 << 24)

typedef struct {
    int C, H, W, OC, OH, OW, k, s, pad;
    int CKK, P; /* rows of col; output pixels per channel */
} conv_dims;

static conv_dims dims_of(const ip_layer *l)
{
    conv_dims d = {l->in.c, l->in.h, l->in.w, l->out.c, l->out.h, l->out.w, l->spec.kernel, l->spec.stride,
                   l->spec.padding, 0, 0};
    d.CKK = d.C * d.k * d.k;
    d.P = d.OH * d.OW;
    return d;
}

/* Slices of samples per chunk (fewer when the chunk has fewer samples): a fixed number, so the
 * weight gradient's summation order is the same for any thread count. */
#define CONV_SLICES 8

/* Scratch per sample of a chunk: its columns of col and tmp. After chunk samples' worth of those
 * come chunk x OC doubles of bias partial sums (2 floats each, 8-byte aligned), then
 * CONV_SLICES weight-gradient partials (OC x CKK each). */
static size_t per_sample_floats(const conv_dims *d) { return (size_t)(d->CKK + d->OC) * d->P; }
static size_t bsum_offset_pad(const conv_dims *d, int chunk) { return ((size_t)chunk * per_sample_floats(d)) & 1; }
static size_t fixed_floats(const conv_dims *d) { return 1 + (size_t)CONV_SLICES * d->OC * d->CKK; }
static size_t scratch_for(const conv_dims *d, int chunk)
{
    return (size_t)chunk * (per_sample_floats(d) + 2 * (size_t)d->OC) + fixed_floats(d);
}

/* The chunk size setup chose, recovered from the scratch size. */
static int chunk_size(const ip_layer *l, const conv_dims *d)
{
    return (int)((l->scratch_floats - fixed_floats(d)) / (per_sample_floats(d) + 2 * (size_t)d->OC));
}

/* The output positions o in [0, n_out) whose input index o*s - pad + kk lies in [0, n_in):
 * [*lo, *hi) (empty when *lo >= *hi). */
static void valid_range(int *lo, int *hi, int n_out, int n_in, int s, int pad, int kk)
{
    int first = pad - kk; /* o*s >= first */
    int a = first <= 0 ? 0 : (first + s - 1) / s;
    int last = n_in - 1 + pad - kk; /* o*s <= last */
    int b = last < 0 ? 0 : last / s + 1;
    *lo = a;
    *hi = b < n_out ? b : n_out;
}

/* Columns of samples [b0, b1) of col (CKK, nb*P) <- the receptive fields of in (nb, C, H, W);
 * column b*P + oh*OW + ow. */
static void im2col(float *col, const float *in, int nb, int b0, int b1, const conv_dims *d)
{
    size_t ld = (size_t)nb * d->P;
    for (int c = 0; c < d->C; c++)
        for (int ki = 0; ki < d->k; ki++)
            for (int kj = 0; kj < d->k; kj++) {
                float *row = col + ((size_t)(c * d->k + ki) * d->k + kj) * ld;
                int wlo, whi;
                valid_range(&wlo, &whi, d->OW, d->W, d->s, d->pad, kj);
                for (int b = b0; b < b1; b++) {
                    const float *img = in + ((size_t)b * d->C + c) * d->H * d->W;
                    for (int oh = 0; oh < d->OH; oh++) {
                        float *dst = row + (size_t)b * d->P + (size_t)oh * d->OW;
                        int ih = oh * d->s - d->pad + ki;
                        if (ih < 0 || ih >= d->H || wlo >= whi) {
                            memset(dst, 0, (size_t)d->OW * sizeof *dst);
                            continue;
                        }
                        const float *src = img + (size_t)ih * d->W - d->pad + kj;
                        for (int ow = 0; ow < wlo; ow++) dst[ow] = 0.0f;
                        if (d->s == 1)
                            memcpy(dst + wlo, src + wlo, (size_t)(whi - wlo) * sizeof *dst);
                        else
                            for (int ow = wlo; ow < whi; ow++) dst[ow] = src[ow * d->s];
                        for (int ow = whi; ow < d->OW; ow++) dst[ow] = 0.0f;
                    }
                }
            }
}

/* Samples [b0, b1) of din (nb, C, H, W) <- the sum of col (CKK, nb*P) scattered back to the
 * input pixels. Each sample's sums run in the same order whichever worker does it. */
static void col2im(float *din, const float *col, int nb, int b0, int b1, const conv_dims *d)
{
    size_t ld = (size_t)nb * d->P, plane = (size_t)d->H * d->W;
    memset(din + (size_t)b0 * d->C * plane, 0, (size_t)(b1 - b0) * d->C * plane * sizeof *din);
    for (int c = 0; c < d->C; c++)
        for (int ki = 0; ki < d->k; ki++)
            for (int kj = 0; kj < d->k; kj++) {
                const float *row = col + ((size_t)(c * d->k + ki) * d->k + kj) * ld;
                int wlo, whi;
                valid_range(&wlo, &whi, d->OW, d->W, d->s, d->pad, kj);
                if (wlo >= whi) continue;
                for (int b = b0; b < b1; b++) {
                    float *img = din + ((size_t)b * d->C + c) * plane;
                    for (int oh = 0; oh < d->OH; oh++) {
                        int ih = oh * d->s - d->pad + ki;
                        if (ih < 0 || ih >= d->H) continue;
                        const float *src = row + (size_t)b * d->P + (size_t)oh * d->OW;
                        float *dst = img + (size_t)ih * d->W - d->pad + kj;
                        if (d->s == 1) /* the common case, contiguous: let it vectorise */
                            for (int ow = wlo; ow < whi; ow++) dst[ow] += src[ow];
                        else
                            for (int ow = wlo; ow < whi; ow++) dst[ow * d->s] += src[ow];
                    }
                }
            }
}

typedef float v4f __attribute__((vector_size(16)));

/* Sum of x (n) in four independent float lanes (a single running sum would be bound by the
 * add latency), combined in double. */
static double sum_floats(const float *x, int n)
{
    v4f acc = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f v;
        memcpy(&v, x + i, sizeof v);
        acc += v;
    }
    double t = ((double)acc[0] + acc[1]) + ((double)acc[2] + acc[3]);
    for (; i < n; i++) t += x[i];
    return t;
}

/* What the slices of one chunk of the batch need. */
typedef struct {
    conv_dims d;
    int nb, b0;      /* chunk size and its first sample in the batch */
    int slices;
    size_t N;        /* nb * P: the leading dimension of col and tmp */
    float *col, *tmp;
    const float *in; /* the whole batch */
    float *out;      /* forward: the whole batch's output */
    const float *dout, *Wt, *bias;
    double *bsum;    /* backward: per sample and channel sums of dout (nb x OC) */
    float *dWpart;   /* backward: per slice weight gradients (slices x OC x CKK) */
    float *din;      /* backward: the whole batch's input gradient, or NULL */
    int need_im2col; /* backward: col must be rebuilt (the batch ran in several chunks) */
} conv_job;

static int slice_begin(const conv_job *j, int s) { return (int)((long long)j->nb * s / j->slices); }

/* Slices [s0, s1): col <- im2col, tmp (OC x n) <- W col, out <- tmp (sample-major) + bias. */
static void forward_slices(void *ctx, int s0, int s1, int worker)
{
    conv_job *j = ctx;
    const conv_dims *d = &j->d;
    const float *in = j->in + (size_t)j->b0 * d->C * d->H * d->W;
    for (int sl = s0; sl < s1; sl++) {
        int b0 = slice_begin(j, sl), b1 = slice_begin(j, sl + 1);
        if (b0 >= b1) continue;
        size_t off = (size_t)b0 * d->P;
        int n = (b1 - b0) * d->P;
        im2col(j->col, in, j->nb, b0, b1, d);
        /* tmp[:, slice] (OC x n) <- W (OC x CKK) * col[:, slice] (CKK x n) */
        ip_sgemm(0, 0, d->OC, n, d->CKK, 1.0f, j->Wt, d->CKK, j->col + off, (int)j->N, 0.0f, j->tmp + off,
                 (int)j->N);
        for (int b = b0; b < b1; b++)
            for (int oc = 0; oc < d->OC; oc++) {
                const float *src = j->tmp + (size_t)oc * j->N + (size_t)b * d->P;
                float *dst = j->out + ((size_t)(j->b0 + b) * d->OC + oc) * d->P;
                float bv = j->bias[oc];
                v4f bvv = {bv, bv, bv, bv};
                int p = 0;
                for (; p + 4 <= d->P; p += 4) {
                    v4f v;
                    memcpy(&v, src + p, sizeof v);
                    v += bvv;
                    memcpy(dst + p, &v, sizeof v);
                }
                for (; p < d->P; p++) dst[p] = src[p] + bv;
            }
    }
}

/* Slices [s0, s1): tmp <- dout channel-major (and per-sample channel sums for the bias),
 * dWpart[slice] <- tmp col^T, then when din is wanted col <- W^T tmp and din <- col2im(col). */
static void backward_slices(void *ctx, int s0, int s1, int worker)
{
    conv_job *j = ctx;
    const conv_dims *d = &j->d;
    const float *in = j->in + (size_t)j->b0 * d->C * d->H * d->W;
    for (int sl = s0; sl < s1; sl++) {
        int b0 = slice_begin(j, sl), b1 = slice_begin(j, sl + 1);
        float *dWs = j->dWpart + (size_t)sl * d->OC * d->CKK;
        if (b0 >= b1) {
            memset(dWs, 0, (size_t)d->OC * d->CKK * sizeof *dWs);
            continue;
        }
        size_t off = (size_t)b0 * d->P;
        int n = (b1 - b0) * d->P;
        if (j->need_im2col) im2col(j->col, in, j->nb, b0, b1, d);
        for (int b = b0; b < b1; b++)
            for (int oc = 0; oc < d->OC; oc++) {
                const float *src = j->dout + ((size_t)(j->b0 + b) * d->OC + oc) * d->P;
                memcpy(j->tmp + (size_t)oc * j->N + (size_t)b * d->P, src, (size_t)d->P * sizeof(float));
                j->bsum[(size_t)b * d->OC + oc] = sum_floats(src, d->P);
            }
        /* dWs (OC x CKK) <- dout[:, slice] (OC x n) * col[:, slice]^T (n x CKK) */
        ip_sgemm(0, 1, d->OC, d->CKK, n, 1.0f, j->tmp + off, (int)j->N, j->col + off, (int)j->N, 0.0f, dWs,
                 d->CKK);
        if (!j->din) continue;
        /* dcol[:, slice] (CKK x n) <- W^T (CKK x OC) * dout[:, slice] (OC x n); col is done with */
        ip_sgemm(1, 0, d->CKK, n, d->OC, 1.0f, j->Wt, d->CKK, j->tmp + off, (int)j->N, 0.0f, j->col + off,
                 (int)j->N);
        col2im(j->din + (size_t)j->b0 * d->C * d->H * d->W, j->col, j->nb, b0, b1, d);
    }
}

/* The job for the chunk of samples starting at b0, over the scratch layout described above. */
static conv_job chunk_job(ip_layer *l, const conv_dims *d, int chunk, int b0, int batch)
{
    conv_job j = {.d = *d, .b0 = b0, .Wt = l->params, .bias = l->params + l->n_weights};
    j.nb = batch - b0 < chunk ? batch - b0 : chunk;
    j.slices = j.nb < CONV_SLICES ? j.nb : CONV_SLICES;
    j.N = (size_t)j.nb * d->P;
    j.col = l->scratch;
    j.tmp = l->scratch + (size_t)d->CKK * j.N;
    size_t o = (size_t)chunk * per_sample_floats(d) + bsum_offset_pad(d, chunk);
    j.bsum = (double *)(l->scratch + o);
    j.dWpart = l->scratch + o + 2 * (size_t)chunk * d->OC;
    return j;
}

/* out (B, OC, OH, OW) <- conv(in (B, C, H, W)) + bias. */
static void conv_forward(ip_layer *l, float *out, const float *in, int batch)
{
    conv_dims d = dims_of(l);
    int chunk = chunk_size(l, &d);
    for (int b0 = 0; b0 < batch; b0 += chunk) {
        conv_job j = chunk_job(l, &d, chunk, b0, batch);
        j.in = in;
        j.out = out;
        ip_parallel_for_blas(j.slices, 1, forward_slices, &j);
    }
}

/* dW += dout conv in; db += sums of dout over samples and pixels; din <- the transposed conv. */
static void conv_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                          int batch)
{
    conv_dims d = dims_of(l);
    int chunk = chunk_size(l, &d);
    float *dW = l->grads, *db = l->grads + l->n_weights;
    size_t nw = (size_t)d.OC * d.CKK;
    for (int b0 = 0; b0 < batch; b0 += chunk) {
        conv_job j = chunk_job(l, &d, chunk, b0, batch);
        j.in = in;
        j.dout = dout;
        j.din = din;
        /* The forward pass of this batch left col intact when the batch was one chunk. */
        j.need_im2col = batch > chunk;
        ip_parallel_for_blas(j.slices, 1, backward_slices, &j);
        for (int oc = 0; oc < d.OC; oc++) {
            double s = 0; /* a bias sums up to batch*P terms; samples in order, whatever the threads */
            for (int b = 0; b < j.nb; b++) s += j.bsum[(size_t)b * d.OC + oc];
            db[oc] += (float)s;
        }
        for (int sl = 0; sl < j.slices; sl++) {
            const float *part = j.dWpart + (size_t)sl * nw;
            for (size_t i = 0; i < nw; i++) dW[i] += part[i];
        }
    }
}

static const ip_layer_ops conv_ops = {"conv2d", conv_forward, conv_backward};

int ip_conv2d_setup(ip_layer *l, int max_batch, int index)
{
    const ip_layer_spec *s = &l->spec;
    if (s->channels <= 0 || s->kernel <= 0 || s->stride <= 0 || s->padding < 0)
        return ip_fail(IP_ERR_FORMAT,
                       "layer %d (conv2d): channels, kernel and stride must be positive and padding >= 0 "
                       "(got channels %d, kernel %d, stride %d, padding %d)",
                       index, s->channels, s->kernel, s->stride, s->padding);
    int oh = ip_window_out(l->in.h, s->kernel, s->stride, s->padding);
    int ow = ip_window_out(l->in.w, s->kernel, s->stride, s->padding);
    if (oh <= 0 || ow <= 0)
        return ip_fail(IP_ERR_FORMAT, "layer %d (conv2d): kernel %d with padding %d does not fit the %dx%d input",
                       index, s->kernel, s->padding, l->in.h, l->in.w);
    l->ops = &conv_ops;
    l->out = (ip_shape){s->channels, oh, ow};
    int kk = s->kernel * s->kernel;
    l->n_weights = (size_t)s->channels * l->in.c * kk;
    l->n_params = l->n_weights + (size_t)s->channels;
    l->fan_in = l->in.c * kk; /* PyTorch's fan computation for conv weights */
    l->fan_out = s->channels * kk;
    conv_dims d = dims_of(l);
    size_t per = per_sample_floats(&d);
    size_t chunk = CONV_SCRATCH_FLOATS / per;
    if (chunk < 1) chunk = 1;
    if (chunk > (size_t)max_batch) chunk = (size_t)max_batch;
    l->scratch_floats = scratch_for(&d, (int)chunk);
    return IP_OK;
}
