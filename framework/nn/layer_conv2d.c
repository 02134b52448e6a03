/* 2-D convolution (PyTorch's nn.Conv2d, square kernel, stride, zero padding) by im2col over a
 * whole chunk of the batch and a single sgemm per chunk; col2im in the backward pass. Weights
 * are [out_c x in_c x k x k] then bias [out_c], so the weight matrix is (OC x C*k*k). */
#include <string.h>

#include "../core/blas.h"
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

static size_t per_sample_floats(const conv_dims *d) { return (size_t)(d->CKK + d->OC) * d->P; }

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

/* col (CKK, nb*P) <- the receptive fields of in (nb, C, H, W); column b*P + oh*OW + ow. */
static void im2col(float *col, const float *in, int nb, const conv_dims *d)
{
    size_t ld = (size_t)nb * d->P;
    for (int c = 0; c < d->C; c++)
        for (int ki = 0; ki < d->k; ki++)
            for (int kj = 0; kj < d->k; kj++) {
                float *row = col + ((size_t)(c * d->k + ki) * d->k + kj) * ld;
                int wlo, whi;
                valid_range(&wlo, &whi, d->OW, d->W, d->s, d->pad, kj);
                for (int b = 0; b < nb; b++) {
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

/* din (nb, C, H, W) <- the sum of col (CKK, nb*P) scattered back to the input pixels. */
static void col2im(float *din, const float *col, int nb, const conv_dims *d)
{
    size_t ld = (size_t)nb * d->P;
    memset(din, 0, (size_t)nb * d->C * d->H * d->W * sizeof *din);
    for (int c = 0; c < d->C; c++)
        for (int ki = 0; ki < d->k; ki++)
            for (int kj = 0; kj < d->k; kj++) {
                const float *row = col + ((size_t)(c * d->k + ki) * d->k + kj) * ld;
                int wlo, whi;
                valid_range(&wlo, &whi, d->OW, d->W, d->s, d->pad, kj);
                if (wlo >= whi) continue;
                for (int b = 0; b < nb; b++) {
                    float *img = din + ((size_t)b * d->C + c) * d->H * d->W;
                    for (int oh = 0; oh < d->OH; oh++) {
                        int ih = oh * d->s - d->pad + ki;
                        if (ih < 0 || ih >= d->H) continue;
                        const float *src = row + (size_t)b * d->P + (size_t)oh * d->OW;
                        float *dst = img + (size_t)ih * d->W - d->pad + kj;
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

/* out (B, OC, OH, OW) <- conv(in (B, C, H, W)) + bias. */
static void conv_forward(ip_layer *l, float *out, const float *in, int batch)
{
    conv_dims d = dims_of(l);
    int chunk = (int)(l->scratch_floats / per_sample_floats(&d));
    const float *Wt = l->params, *bias = l->params + l->n_weights;
    for (int b0 = 0; b0 < batch; b0 += chunk) {
        int nb = batch - b0 < chunk ? batch - b0 : chunk;
        size_t N = (size_t)nb * d.P;
        float *col = l->scratch, *tmp = l->scratch + (size_t)d.CKK * N;
        im2col(col, in + (size_t)b0 * d.C * d.H * d.W, nb, &d);
        /* tmp (OC x nb*P) <- W (OC x CKK) * col (CKK x nb*P) */
        ip_sgemm(0, 0, d.OC, (int)N, d.CKK, 1.0f, Wt, d.CKK, col, (int)N, 0.0f, tmp, (int)N);
        /* channel-major to sample-major (NCHW), adding the bias on the way */
        for (int b = 0; b < nb; b++)
            for (int oc = 0; oc < d.OC; oc++) {
                const float *src = tmp + (size_t)oc * N + (size_t)b * d.P;
                float *dst = out + ((size_t)(b0 + b) * d.OC + oc) * d.P;
                float bv = bias[oc];
                for (int p = 0; p < d.P; p++) dst[p] = src[p] + bv;
            }
    }
}

/* dW += dout conv in; db += sums of dout over samples and pixels; din <- the transposed conv. */
static void conv_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                          int batch)
{
    conv_dims d = dims_of(l);
    int chunk = (int)(l->scratch_floats / per_sample_floats(&d));
    const float *Wt = l->params;
    float *dW = l->grads, *db = l->grads + l->n_weights;
    for (int b0 = 0; b0 < batch; b0 += chunk) {
        int nb = batch - b0 < chunk ? batch - b0 : chunk;
        size_t N = (size_t)nb * d.P;
        float *col = l->scratch, *tmp = l->scratch + (size_t)d.CKK * N;
        /* The forward pass of this batch left col intact when the batch was one chunk. */
        if (batch > chunk) im2col(col, in + (size_t)b0 * d.C * d.H * d.W, nb, &d);
        for (int oc = 0; oc < d.OC; oc++) {
            double s = 0; /* a bias sums up to batch*P terms */
            for (int b = 0; b < nb; b++) {
                const float *src = dout + ((size_t)(b0 + b) * d.OC + oc) * d.P;
                float *dst = tmp + (size_t)oc * N + (size_t)b * d.P;
                memcpy(dst, src, (size_t)d.P * sizeof *dst);
                s += sum_floats(src, d.P);
            }
            db[oc] += (float)s;
        }
        /* dW (OC x CKK) += dout (OC x nb*P) * col^T (nb*P x CKK) */
        ip_sgemm(0, 1, d.OC, d.CKK, (int)N, 1.0f, tmp, (int)N, col, (int)N, 1.0f, dW, d.CKK);
        if (!din) continue;
        /* dcol (CKK x nb*P) <- W^T (CKK x OC) * dout (OC x nb*P); col is no longer needed */
        ip_sgemm(1, 0, d.CKK, (int)N, d.OC, 1.0f, Wt, d.CKK, tmp, (int)N, 0.0f, col, (int)N);
        col2im(din + (size_t)b0 * d.C * d.H * d.W, col, nb, &d);
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
    l->scratch_floats = chunk * per;
    return IP_OK;
}
