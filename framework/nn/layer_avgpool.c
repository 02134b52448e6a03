/* Adaptive average pooling to out_h x out_w (PyTorch's nn.AdaptiveAvgPool2d): output cell i
 * averages input rows floor(i*H/OH) .. ceil((i+1)*H/OH)-1, and likewise for columns. */
#include <string.h>

#include "../core/parallel.h"
#include "../core/status.h"
#include "layer_kinds.h"

static int start_index(int i, int in, int out) { return (int)(((long)i * in) / out); }
static int end_index(int i, int in, int out) { return (int)(((long)(i + 1) * in + out - 1) / out); }

/* What the planes of one pass need: the cells' row and column ranges, computed once per pass
 * (the divisions cost more than the sums), and the buffers. */
typedef struct {
    int H, W, OH, OW;
    int *h0, *h1, *w0, *w1; /* OH, OH, OW, OW ints in the layer's scratch */
    float *dst;
    const float *src;
} avg_job;

/* j's ranges into the scratch of l. */
static void avg_ranges(avg_job *j, const ip_layer *l)
{
    _Static_assert(sizeof(int) == sizeof(float), "avgpool keeps int ranges in float scratch");
    j->h0 = (int *)l->scratch;
    j->h1 = j->h0 + j->OH;
    j->w0 = j->h1 + j->OH;
    j->w1 = j->w0 + j->OW;
    for (int i = 0; i < j->OH; i++) {
        j->h0[i] = start_index(i, j->H, j->OH);
        j->h1[i] = end_index(i, j->H, j->OH);
    }
    for (int i = 0; i < j->OW; i++) {
        j->w0[i] = start_index(i, j->W, j->OW);
        j->w1[i] = end_index(i, j->W, j->OW);
    }
}

/* Cell means of planes [p0, p1). */
static void forward_planes(void *ctx, int p0, int p1, int worker)
{
    const avg_job *j = ctx;
    int H = j->H, W = j->W, OH = j->OH, OW = j->OW;
    for (size_t plane = (size_t)p0; plane < (size_t)p1; plane++) {
        const float *img = j->src + plane * H * W;
        float *o = j->dst + plane * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = j->h0[oh], h1 = j->h1[oh];
            for (int ow = 0; ow < OW; ow++) {
                int w0 = j->w0[ow], w1 = j->w1[ow];
                float sum = 0.0f;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) sum += img[ih * W + iw];
                o[oh * OW + ow] = sum / (float)((h1 - h0) * (w1 - w0));
            }
        }
    }
}

/* The input gradient of planes [p0, p1): each dout cell spread evenly over its window. */
static void backward_planes(void *ctx, int p0, int p1, int worker)
{
    const avg_job *j = ctx;
    int H = j->H, W = j->W, OH = j->OH, OW = j->OW;
    memset(j->dst + (size_t)p0 * H * W, 0, (size_t)(p1 - p0) * H * W * sizeof *j->dst);
    for (size_t plane = (size_t)p0; plane < (size_t)p1; plane++) {
        float *d = j->dst + plane * H * W;
        const float *g = j->src + plane * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = j->h0[oh], h1 = j->h1[oh];
            for (int ow = 0; ow < OW; ow++) {
                int w0 = j->w0[ow], w1 = j->w1[ow];
                float share = g[oh * OW + ow] / (float)((h1 - h0) * (w1 - w0));
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) d[ih * W + iw] += share;
            }
        }
    }
}

/* Planes per worker at least: below that, waking the pool costs more than the cells. */
#define AVG_PAR_MIN 256

/* out (B, C, OH, OW) <- cell means of in (B, C, H, W); planes split over the thread pool (each
 * plane's sums are the same whoever does them). */
static void avgpool_forward(ip_layer *l, float *out, const float *in, int batch)
{
    avg_job j = {.H = l->in.h, .W = l->in.w, .OH = l->out.h, .OW = l->out.w, .dst = out, .src = in};
    int planes = batch * l->in.c;
    avg_ranges(&j, l);
    ip_parallel_for(planes, AVG_PAR_MIN, forward_planes, &j);
}

/* din (B, C, H, W) <- each dout cell spread evenly over its input window (summed on overlaps). */
static void avgpool_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                             int batch)
{
    if (!din) return;
    avg_job j = {.H = l->in.h, .W = l->in.w, .OH = l->out.h, .OW = l->out.w, .dst = din, .src = dout};
    int planes = batch * l->in.c;
    avg_ranges(&j, l);
    ip_parallel_for(planes, AVG_PAR_MIN, backward_planes, &j);
}

static const ip_layer_ops avgpool_ops = {"avgpool", avgpool_forward, avgpool_backward};

int ip_avgpool_setup(ip_layer *l, int max_batch, int index)
{
    if (l->spec.out_h <= 0 || l->spec.out_w <= 0)
        return ip_fail(IP_ERR_FORMAT, "layer %d (avgpool): output size must be positive, not %dx%d", index,
                       l->spec.out_h, l->spec.out_w);
    l->ops = &avgpool_ops;
    l->out = (ip_shape){l->in.c, l->spec.out_h, l->spec.out_w};
    l->scratch_floats = 2 * ((size_t)l->out.h + l->out.w); /* the cell ranges */
    return IP_OK;
}
