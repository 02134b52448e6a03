/* 2-D convolution (PyTorch's nn.Conv2d, square kernel, stride, zero padding) by im2col and
 * sgemm; col2im in the backward pass. Weights are [out_c x in_c x k x k] then bias [out_c], so
 * the weight matrix is (OC x C*k*k).
 * The batch runs in pieces of a few samples whose column matrix fits in the L2 cache (a whole
 * batch's would be tens of MB, written by im2col and read back by sgemm from memory), and the
 * backward pass rebuilds each piece's columns instead of keeping them. Threads: the conv sgemms
 * are small (8-32 output channels), so BLAS's own threading gains little on them; instead the
 * batch is cut into CONV_GROUPS fixed groups of samples, the thread pool takes whole groups, and
 * BLAS runs single-threaded on each worker. The gradients are summed per group and the groups
 * added in order, so the result does not depend on the thread count. The workspace does not grow
 * with the batch.
 * "Same" convolutions (stride 1, k = 2 pad + 1: the conv nets' 3x3 pad 1 layers) skip im2col and
 * sgemm: the direct kernels of kernels_conv.h compute each sample's output and input gradient
 * from its tap planes, and the weight gradient in 16-lane sums per group, reduced in a fixed
 * order; same groups, same thread-count independence. */
#include <stdint.h>
#include <string.h>

#include "../core/blas.h"
#include "../core/parallel.h"
#include "../core/status.h"
#include "kernels_conv.h"
#include "layer_kinds.h"

typedef struct {
    int C, H, W, OC, OH, OW, k, s, pad;
    int CKK, P; /* rows of col; output pixels per channel */
    int sub;    /* samples per piece: col (CKK x sub*P) stays in the L2 cache */
} conv_dims;

/* Floats of a piece's column matrix to aim for (192 KB), so im2col's output is still in cache when
 * sgemm reads it, and sgemm's output when col2im or the unpacking reads it. */
#define CONV_PIECE_FLOATS 49152
/* The backward pass takes this many pieces at a time: its weight-gradient sgemm sums over the
 * piece's pixels and is inefficient when they are few. */
#define CONV_BWD_PIECES 8

static conv_dims dims_of(const ip_layer *l)
{
    conv_dims d = {l->in.c, l->in.h, l->in.w, l->out.c, l->out.h, l->out.w, l->spec.kernel, l->spec.stride,
                   l->spec.padding, 0, 0, 0};
    d.CKK = d.C * d.k * d.k;
    d.P = d.OH * d.OW;
    size_t per = (size_t)d.CKK * d.P;
    d.sub = per >= CONV_PIECE_FLOATS ? 1 : (int)(CONV_PIECE_FLOATS / per);
    return d;
}

/* Fixed groups of samples per batch (fewer when the batch has fewer samples): the weight and
 * bias gradients are summed per group, and the groups added in order, so the result is the same
 * for any thread count. */
#define CONV_GROUPS 8

/* Scratch: per group the bias gradient partials (OC doubles = 2 OC floats) and the weight
 * gradient partials (OC x CKK); then per worker a piece's col (CKK x sub*P), tmp (OC x sub*P) and
 * the two padded planes of im2col_s1. */
static size_t group_floats(const conv_dims *d) /* a multiple of 16: keeps the doubles aligned */
{
    return (2 * (size_t)d->OC + (size_t)d->OC * d->CKK + 15) / 16 * 16;
}
/* The zero-padded input planes of the stride-1 im2col: 2 x (H + 2 pad) x (W + 2 pad). */
static size_t padded_floats(const conv_dims *d)
{
    return 2 * (((size_t)(d->H + 2 * d->pad) * (d->W + 2 * d->pad) + 15) / 16 * 16);
}
static int is_same(const conv_dims *d);

/* The column masks of a same convolution (k x P ints), rounded to 16 floats. */
static size_t mask_floats(const conv_dims *d)
{
    return ((size_t)d->k * d->P + 15) / 16 * 16;
}
/* The direct input gradient's weights (C x OC x k x k, flipped) and zero bias (C). */
static size_t flip_floats(const conv_dims *d)
{
    return ((size_t)d->OC * d->CKK + d->C + 15) / 16 * 16;
}
/* A sample's tap planes for the direct kernels (kernels_conv.h). */
static size_t planes_floats(const conv_dims *d)
{
    return (size_t)d->C * d->k * ip_convd_plane_floats(d->H, d->W, d->k);
}
/* The direct backward pass: dout rows padded to a multiple of 16 floats; samples per chunk (their
 * tap planes and padded dout kept together, about 256 KB); the floats a worker needs: 16-lane
 * weight-gradient sums, a chunk, and the tap planes of one sample's dout. */
static size_t dout_row(const conv_dims *d) { return ((size_t)d->P + 15) / 16 * 16; }
static int direct_chunk(const conv_dims *d)
{
    size_t per = planes_floats(d) + (size_t)d->OC * dout_row(d);
    size_t s = 65536 / per;
    return s < 1 ? 1 : s > 16 ? 16 : (int)s;
}
static size_t direct_floats(const conv_dims *d)
{
    return (size_t)d->OC * d->CKK * 16 + (size_t)direct_chunk(d) * (planes_floats(d) + (size_t)d->OC * dout_row(d)) +
           (size_t)d->OC * d->k * ip_convd_plane_floats(d->H, d->W, d->k);
}
static size_t worker_floats(const conv_dims *d)
{
    /* same convolutions run the direct kernels only, the others im2col pieces only */
    size_t area = is_same(d) ? direct_floats(d) : (size_t)(d->CKK + d->OC) * d->sub * CONV_BWD_PIECES * d->P;
    return (area + 15) / 16 * 16 + padded_floats(d);
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

/* dst (n) <- src (n) for short rows, inline: n >= 4 as 4-float vectors, the last one overlapping. */
static inline __attribute__((always_inline)) void copy_row(float *dst, const float *src, int n)
{
    if (n < 4) {
        for (int i = 0; i < n; i++) dst[i] = src[i];
        return;
    }
    int i = 0;
    for (; i + 4 <= n; i += 4) memcpy(dst + i, src + i, 4 * sizeof(float));
    if (i < n) memmove(dst + n - 4, src + n - 4, 4 * sizeof(float));
}

/* im2col of the whole piece (nb samples) for stride 1: each input plane is copied once into a
 * zero-padded plane, from which every row of every window is a plain copy (no bounds). The same
 * values as im2col. pbuf holds two padded planes, used in turn: plane i+1 is copied in before
 * plane i is read, so the reads (unaligned, each spanning two of the copy's stores) do not wait
 * for the copy's stores to leave the store buffer, as they would on a small plane. */
static void im2col_s1(float *col, const float *in, int nb, const conv_dims *d, float *pbuf)
{
    int Wp = d->W + 2 * d->pad, k = d->k, planes = nb * d->C;
    size_t ld = (size_t)nb * d->P, pf = padded_floats(d) / 2;
    memset(pbuf, 0, 2 * pf * sizeof *pbuf);
    for (int i = 0; i <= planes; i++) {
        if (i < planes) { /* plane i = (b, c) into buffer i % 2 */
            const float *img = in + (size_t)i * d->H * d->W;
            float *pb = pbuf + (size_t)(i & 1) * pf;
            for (int h = 0; h < d->H; h++) copy_row(pb + (size_t)(h + d->pad) * Wp + d->pad, img + (size_t)h * d->W, d->W);
        }
        if (i == 0) continue;
        int p = i - 1, b = p / d->C, c = p % d->C; /* plane i-1, copied one step ago */
        const float *pb = pbuf + (size_t)(p & 1) * pf;
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                float *row = col + ((size_t)(c * k + ki) * k + kj) * ld + (size_t)b * d->P;
                for (int oh = 0; oh < d->OH; oh++)
                    copy_row(row + (size_t)oh * d->OW, pb + (size_t)(oh + ki) * Wp + kj, d->OW);
            }
    }
}

/* "Same" convolutions (stride 1, k = 2 pad + 1, so OH = H and OW = W; the 3x3 pad 1 layers of the
 * conv nets) run by the direct kernels of kernels_conv.h instead of im2col and sgemm. */
static int is_same(const conv_dims *d)
{
    return d->s == 1 && d->k == 2 * d->pad + 1 && d->OH == d->H && d->OW == d->W;
}

/* mask (k x P) for ip_convd_planes: per kj, all ones where output column ow reads inside the
 * image (ow + kj - pad in [0, W)), else 0. */
static void same_masks(int32_t *mask, const conv_dims *d)
{
    for (int kj = 0; kj < d->k; kj++)
        for (int p = 0; p < d->P; p++) {
            int iw = p % d->W + kj - d->pad;
            mask[(size_t)kj * d->P + p] = iw >= 0 && iw < d->W ? -1 : 0;
        }
}

/* col (CKK, nb*P) <- the receptive fields of the nb samples at in, pbuf a padded_floats area. */
static void im2col_piece(float *col, const float *in, int nb, const conv_dims *d, float *pbuf)
{
    if (d->s == 1)
        im2col_s1(col, in, nb, d, pbuf);
    else
        im2col(col, in, nb, 0, nb, d);
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

/* dst (n) += src (n), 4-float vectors then one at a time. */
static inline __attribute__((always_inline)) void add_row(float *dst, const float *src, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f a, b;
        memcpy(&a, dst + i, sizeof a);
        memcpy(&b, src + i, sizeof b);
        a += b;
        memcpy(dst + i, &a, sizeof a);
    }
    for (; i < n; i++) dst[i] += src[i];
}

/* col2im of the whole piece for stride 1: each plane is summed in the zero-padded plane pbuf
 * (window rows added in the same (ki, kj) order as col2im, so the same sums), whose interior is
 * then copied to din. */
static void col2im_s1(float *din, const float *col, int nb, const conv_dims *d, float *pbuf)
{
    int Wp = d->W + 2 * d->pad, Hp = d->H + 2 * d->pad, k = d->k;
    size_t ld = (size_t)nb * d->P;
    for (int b = 0; b < nb; b++)
        for (int c = 0; c < d->C; c++) {
            memset(pbuf, 0, (size_t)Hp * Wp * sizeof *pbuf);
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++) {
                    const float *row = col + ((size_t)(c * k + ki) * k + kj) * ld + (size_t)b * d->P;
                    for (int oh = 0; oh < d->OH; oh++)
                        add_row(pbuf + (size_t)(oh + ki) * Wp + kj, row + (size_t)oh * d->OW, d->OW);
                }
            float *img = din + ((size_t)b * d->C + c) * d->H * d->W;
            for (int h = 0; h < d->H; h++) copy_row(img + (size_t)h * d->W, pbuf + (size_t)(h + d->pad) * Wp + d->pad, d->W);
        }
}

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

/* What the groups of one batch need. */
typedef struct {
    conv_dims d;
    int batch, groups;
    const float *in, *Wt, *bias;
    float *out;          /* forward */
    const float *dout;   /* backward */
    float *din;          /* backward, or NULL */
    float *gpart, *work; /* group partials and worker areas in the scratch */
    const int32_t *mask; /* same convolutions: the column masks (k x P) in the scratch */
    int direct;          /* by the direct kernels (kernels_conv.h) */
    float *flip;         /* direct: flipped weights and zero bias for the input gradient */
} conv_job;

static int group_begin(const conv_job *j, int g) { return (int)((long long)j->batch * g / j->groups); }

/* Groups [g0, g1), a piece of sub samples at a time: col <- im2col, tmp (OC x n) <- W col,
 * out <- tmp (sample-major) + bias. */
static void forward_groups(void *ctx, int g0, int g1, int worker)
{
    conv_job *j = ctx;
    const conv_dims *d = &j->d;
    size_t in_per = (size_t)d->C * d->H * d->W;
    float *col = j->work + (size_t)worker * worker_floats(d), *pbuf = col + worker_floats(d) - padded_floats(d);
    if (j->direct) {
        size_t out_per = (size_t)d->OC * d->P;
        ip_convd_planes_clear(col, d->C, d->H, d->W, d->k);
        for (int b = group_begin(j, g0), end = group_begin(j, g1); b < end; b++) {
            ip_convd_planes(col, j->in + (size_t)b * in_per, j->mask, d->C, d->H, d->W, d->k);
            ip_convd_forward(j->out + (size_t)b * out_per, col, j->Wt, j->bias, d->C, d->H, d->W, d->OC, d->k);
        }
        return;
    }
    for (int b0 = group_begin(j, g0), end = group_begin(j, g1); b0 < end; b0 += d->sub) {
        int nb = end - b0 < d->sub ? end - b0 : d->sub, n = nb * d->P;
        float *tmp = col + (size_t)d->CKK * n;
        im2col_piece(col, j->in + (size_t)b0 * in_per, nb, d, pbuf);
        /* tmp (OC x n) <- W (OC x CKK) * col (CKK x n) */
        ip_sgemm(0, 0, d->OC, n, d->CKK, 1.0f, j->Wt, d->CKK, col, n, 0.0f, tmp, n);
        for (int b = 0; b < nb; b++)
            for (int oc = 0; oc < d->OC; oc++) {
                const float *src = tmp + (size_t)oc * n + (size_t)b * d->P;
                float *dst = j->out + ((size_t)(b0 + b) * d->OC + oc) * d->P;
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

/* dst (n) <- src (n), inline in 4-float vectors. */
static inline void copy_floats(float *restrict dst, const float *restrict src, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) memcpy(dst + i, src + i, 4 * sizeof(float));
    for (; i < n; i++) dst[i] = src[i];
}

/* backward_groups by the direct kernels, area the worker's floats: per chunk of samples their
 * tap planes and padded dout, the bias sums, and the input gradient of each sample as the
 * convolution of its dout with the flipped weights; then the chunk's weight gradient into
 * 16-lane sums, reduced once per group. */
static void backward_direct(conv_job *j, int g0, int g1, float *area)
{
    const conv_dims *d = &j->d;
    size_t in_per = (size_t)d->C * d->P, out_per = (size_t)d->OC * d->P, nw = (size_t)d->OC * d->CKK;
    size_t xs = planes_floats(d), dr = dout_row(d), ds = (size_t)d->OC * dr;
    int S = direct_chunk(d);
    float *acc = area, *xk = acc + nw * 16, *dp = xk + (size_t)S * xs, *dplanes = dp + (size_t)S * ds;
    for (int s = 0; s < S; s++) {
        ip_convd_planes_clear(xk + (size_t)s * xs, d->C, d->H, d->W, d->k);
        for (int oc = 0; oc < d->OC; oc++) /* the rows' tails stay zero */
            memset(dp + (size_t)s * ds + (size_t)oc * dr + d->P, 0, (dr - d->P) * sizeof *dp);
    }
    if (j->din) ip_convd_planes_clear(dplanes, d->OC, d->H, d->W, d->k);
    for (int g = g0; g < g1; g++) {
        double *bs = (double *)(j->gpart + (size_t)g * group_floats(d));
        float *dWs = (float *)(bs + d->OC);
        memset(bs, 0, (size_t)d->OC * sizeof *bs);
        memset(acc, 0, nw * 16 * sizeof *acc);
        for (int b0 = group_begin(j, g), end = group_begin(j, g + 1); b0 < end; b0 += S) {
            int nb = end - b0 < S ? end - b0 : S;
            for (int s = 0; s < nb; s++) {
                const float *dout = j->dout + (size_t)(b0 + s) * out_per;
                ip_convd_planes(xk + (size_t)s * xs, j->in + (size_t)(b0 + s) * in_per, j->mask, d->C, d->H, d->W,
                                d->k);
                for (int oc = 0; oc < d->OC; oc++) {
                    copy_floats(dp + (size_t)s * ds + (size_t)oc * dr, dout + (size_t)oc * d->P, d->P);
                    bs[oc] += sum_floats(dout + (size_t)oc * d->P, d->P);
                }
                if (j->din) {
                    ip_convd_planes(dplanes, dout, j->mask, d->OC, d->H, d->W, d->k);
                    ip_convd_forward(j->din + (size_t)(b0 + s) * in_per, dplanes, j->flip, j->flip + nw, d->OC, d->H,
                                     d->W, d->C, d->k);
                }
            }
            ip_convd_dweights(acc, xk, xs, dp, ds, dr, nb, d->C, d->H, d->W, d->OC, d->k);
        }
        ip_convd_reduce(dWs, acc, nw);
    }
}

/* Groups [g0, g1), a piece at a time: col <- im2col (again: cheaper than keeping a whole batch's
 * columns out of cache), tmp <- dout channel-major, the group's dW partial += tmp col^T and bias
 * partial += sums of dout; when din is wanted, col <- W^T tmp and din <- col2im(col). */
static void backward_groups(void *ctx, int g0, int g1, int worker)
{
    conv_job *j = ctx;
    const conv_dims *d = &j->d;
    size_t in_per = (size_t)d->C * d->H * d->W;
    float *col = j->work + (size_t)worker * worker_floats(d), *pbuf = col + worker_floats(d) - padded_floats(d);
    if (j->direct) {
        backward_direct(j, g0, g1, col);
        return;
    }
    for (int g = g0; g < g1; g++) {
        double *bs = (double *)(j->gpart + (size_t)g * group_floats(d));
        float *dWs = (float *)(bs + d->OC);
        memset(bs, 0, (size_t)d->OC * sizeof *bs);
        memset(dWs, 0, (size_t)d->OC * d->CKK * sizeof *dWs);
        int sub = d->sub * CONV_BWD_PIECES;
        for (int b0 = group_begin(j, g), end = group_begin(j, g + 1); b0 < end; b0 += sub) {
            int nb = end - b0 < sub ? end - b0 : sub, n = nb * d->P;
            float *tmp = col + (size_t)d->CKK * n;
            im2col_piece(col, j->in + (size_t)b0 * in_per, nb, d, pbuf);
            for (int b = 0; b < nb; b++)
                for (int oc = 0; oc < d->OC; oc++) {
                    const float *src = j->dout + ((size_t)(b0 + b) * d->OC + oc) * d->P;
                    memcpy(tmp + (size_t)oc * n + (size_t)b * d->P, src, (size_t)d->P * sizeof(float));
                    bs[oc] += sum_floats(src, d->P);
                }
            /* dWs (OC x CKK) += dout piece (OC x n) * col^T (n x CKK) */
            ip_sgemm(0, 1, d->OC, d->CKK, n, 1.0f, tmp, n, col, n, 1.0f, dWs, d->CKK);
            if (!j->din) continue;
            /* dcol (CKK x n) <- W^T (CKK x OC) * dout piece (OC x n); col is done with */
            ip_sgemm(1, 0, d->CKK, n, d->OC, 1.0f, j->Wt, d->CKK, tmp, n, 0.0f, col, n);
            if (d->s == 1)
                col2im_s1(j->din + (size_t)b0 * in_per, col, nb, d, pbuf);
            else
                col2im(j->din + (size_t)b0 * in_per, col, nb, 0, nb, d);
        }
    }
}

static conv_job make_job(ip_layer *l, int batch)
{
    conv_job j = {.d = dims_of(l), .batch = batch, .Wt = l->params, .bias = l->params + l->n_weights};
    j.groups = batch < CONV_GROUPS ? batch : CONV_GROUPS;
    j.gpart = l->scratch;
    int32_t *mask = (int32_t *)(l->scratch + ((size_t)CONV_GROUPS * group_floats(&j.d) + 15) / 16 * 16);
    if (is_same(&j.d)) same_masks(mask, &j.d);
    j.mask = mask;
    j.flip = (float *)mask + mask_floats(&j.d);
    j.work = j.flip + flip_floats(&j.d);
    j.direct = is_same(&j.d);
    return j;
}

/* out (B, OC, OH, OW) <- conv(in (B, C, H, W)) + bias. */
static void conv_forward(ip_layer *l, float *out, const float *in, int batch)
{
    conv_job j = make_job(l, batch);
    j.in = in;
    j.out = out;
    ip_parallel_for_blas(j.groups, 1, forward_groups, &j);
}

/* dW += dout conv in; db += sums of dout over samples and pixels; din <- the transposed conv. */
static void conv_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                          int batch)
{
    conv_job j = make_job(l, batch);
    j.in = in;
    j.dout = dout;
    j.din = din;
    if (j.direct && din) { /* flip[c][oc][ki][kj] = W[oc][c][k-1-ki][k-1-kj]; then C zeros */
        const conv_dims *d = &j.d;
        int k = d->k, kk = k * k;
        for (int oc = 0; oc < d->OC; oc++)
            for (int c = 0; c < d->C; c++)
                for (int t = 0; t < kk; t++)
                    j.flip[((size_t)c * d->OC + oc) * kk + (kk - 1 - t)] = j.Wt[((size_t)oc * d->C + c) * kk + t];
        memset(j.flip + (size_t)d->OC * d->CKK, 0, (size_t)d->C * sizeof *j.flip);
    }
    ip_parallel_for_blas(j.groups, 1, backward_groups, &j);
    const conv_dims *d = &j.d;
    float *dW = l->grads, *db = l->grads + l->n_weights;
    size_t nw = (size_t)d->OC * d->CKK;
    for (int oc = 0; oc < d->OC; oc++) {
        double s = 0; /* a bias sums up to batch*P terms; groups in order, whatever the threads */
        for (int g = 0; g < j.groups; g++) s += ((const double *)(j.gpart + (size_t)g * group_floats(d)))[oc];
        db[oc] += (float)s;
    }
    for (int g = 0; g < j.groups; g++) {
        const float *part = j.gpart + (size_t)g * group_floats(d) + 2 * (size_t)d->OC;
        for (size_t i = 0; i < nw; i++) dW[i] += part[i];
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
    l->scratch_floats = ((size_t)CONV_GROUPS * group_floats(&d) + 15) / 16 * 16 + mask_floats(&d) + flip_floats(&d) +
                        IP_PAR_MAX_THREADS * worker_floats(&d);
    return IP_OK;
}
