/* Max pooling (PyTorch's nn.MaxPool2d, square window, stride, implicit -inf padding,
 * floor mode). The forward pass saves each output's argmax in the scratch for the backward. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../core/status.h"
#include "layer_kinds.h"

_Static_assert(sizeof(int) == sizeof(float), "maxpool stores int argmaxes in float scratch");

/* The output columns ow in [0, n_out) whose input column ow*s - pad + kk lies in [0, n_in): [*lo, *hi). */
static void valid_range(int *lo, int *hi, int n_out, int n_in, int s, int pad, int kk)
{
    int first = pad - kk, last = n_in - 1 + pad - kk;
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    int b = last < 0 ? 0 : last / s + 1;
    *hi = b < n_out ? b : n_out;
}

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* For n <= 4 neighbouring outputs: where row[iw + j*s] beats best[j] (or is a NaN), take it and
 * its index rowoff + iw + j*s. Done with lane masks, not branches: which value wins is
 * data-dependent and a branch on it mispredicts about once per window. Unused lanes hold -inf,
 * which never wins. */
static inline void update4(float *best, int *bi, const float *row, int iw, int s, int rowoff, int n)
{
    v4f v = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, b = v;
    v4i idx = {0, 0, 0, 0}, cur;
    for (int j = 0; j < n; j++) {
        v[j] = row[iw + j * s];
        b[j] = best[j];
        idx[j] = bi[j];
    }
    cur = (v4i){0, s, 2 * s, 3 * s} + (rowoff + iw);
    v4i take = (v > b) | (v != v);
    b = (v4f)(((v4i)v & take) | ((v4i)b & ~take));
    idx = (cur & take) | (idx & ~take);
    for (int j = 0; j < n; j++) {
        best[j] = b[j];
        bi[j] = idx[j];
    }
}

/* out (B, C, OH, OW) <- window maxima of in (B, C, H, W); argmax (B, C, OH, OW) in scratch holds
 * the flat index ih*W + iw of each maximum (the first one in row-major window order, or the last
 * NaN: as in PyTorch, a NaN wins its window). The window offset (ki, kj) is the outer loop and
 * the output column the inner one, so the updates of neighbouring outputs are independent and
 * pipeline instead of waiting on one running maximum. */
static void maxpool_forward(ip_layer *l, float *out, const float *in, int batch)
{
    int C = l->in.c, H = l->in.h, W = l->in.w, OH = l->out.h, OW = l->out.w;
    int k = l->spec.kernel, s = l->spec.stride, pad = l->spec.padding;
    int *argmax = (int *)l->scratch;
    for (size_t plane = 0; plane < (size_t)batch * C; plane++) {
        const float *img = in + plane * H * W;
        for (int oh = 0; oh < OH; oh++) {
            float *best = out + plane * OH * OW + (size_t)oh * OW;
            int *bi = argmax + plane * OH * OW + (size_t)oh * OW;
            int h0 = oh * s - pad < 0 ? 0 : oh * s - pad;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * s - pad < 0 ? 0 : ow * s - pad;
                best[ow] = -INFINITY;
                bi[ow] = h0 * W + w0; /* PyTorch's starting index */
            }
            for (int ki = 0; ki < k; ki++) {
                int ih = oh * s - pad + ki;
                if (ih < 0 || ih >= H) continue;
                const float *row = img + (size_t)ih * W;
                for (int kj = 0; kj < k; kj++) {
                    int lo, hi;
                    valid_range(&lo, &hi, OW, W, s, pad, kj);
                    for (int ow = lo; ow < hi; ow += 4)
                        update4(best + ow, bi + ow, row, ow * s - pad + kj, s, ih * W, hi - ow < 4 ? hi - ow : 4);
                }
            }
        }
    }
}

/* din (B, C, H, W) <- dout routed to the saved argmaxes (summed where windows overlap). */
static void maxpool_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                             int batch)
{
    if (!din) return; /* no parameters */
    int C = l->in.c, HW = l->in.h * l->in.w, OP = l->out.h * l->out.w;
    const int *argmax = (const int *)l->scratch;
    memset(din, 0, (size_t)batch * C * HW * sizeof *din);
    for (size_t plane = 0; plane < (size_t)batch * C; plane++) {
        float *d = din + plane * HW;
        const float *g = dout + plane * OP;
        const int *am = argmax + plane * OP;
        for (int p = 0; p < OP; p++) d[am[p]] += g[p];
    }
}

static const ip_layer_ops maxpool_ops = {"maxpool", maxpool_forward, maxpool_backward};

int ip_maxpool_setup(ip_layer *l, int max_batch, int index)
{
    const ip_layer_spec *s = &l->spec;
    if (s->kernel <= 0 || s->stride <= 0 || s->padding < 0 || s->padding > s->kernel / 2)
        return ip_fail(IP_ERR_FORMAT,
                       "layer %d (maxpool): kernel and stride must be positive and 0 <= padding <= kernel/2 "
                       "(got kernel %d, stride %d, padding %d)",
                       index, s->kernel, s->stride, s->padding);
    int oh = ip_window_out(l->in.h, s->kernel, s->stride, s->padding);
    int ow = ip_window_out(l->in.w, s->kernel, s->stride, s->padding);
    if (oh <= 0 || ow <= 0)
        return ip_fail(IP_ERR_FORMAT, "layer %d (maxpool): kernel %d with padding %d does not fit the %dx%d input",
                       index, s->kernel, s->padding, l->in.h, l->in.w);
    l->ops = &maxpool_ops;
    l->out = (ip_shape){l->in.c, oh, ow};
    l->scratch_floats = (size_t)max_batch * ip_shape_size(l->out);
    return IP_OK;
}
