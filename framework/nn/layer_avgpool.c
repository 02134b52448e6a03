/* Adaptive average pooling to out_h x out_w (PyTorch's nn.AdaptiveAvgPool2d): output cell i
 * averages input rows floor(i*H/OH) .. ceil((i+1)*H/OH)-1, and likewise for columns. */
#include <string.h>

#include "../core/status.h"
#include "layer_kinds.h"

static int start_index(int i, int in, int out) { return (int)(((long)i * in) / out); }
static int end_index(int i, int in, int out) { return (int)(((long)(i + 1) * in + out - 1) / out); }

/* out (B, C, OH, OW) <- cell means of in (B, C, H, W). */
static void avgpool_forward(ip_layer *l, float *out, const float *in, int batch)
{
    int C = l->in.c, H = l->in.h, W = l->in.w, OH = l->out.h, OW = l->out.w;
    for (size_t plane = 0; plane < (size_t)batch * C; plane++) {
        const float *img = in + plane * H * W;
        float *o = out + plane * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = start_index(oh, H, OH), h1 = end_index(oh, H, OH);
            for (int ow = 0; ow < OW; ow++) {
                int w0 = start_index(ow, W, OW), w1 = end_index(ow, W, OW);
                float sum = 0.0f;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) sum += img[ih * W + iw];
                o[oh * OW + ow] = sum / (float)((h1 - h0) * (w1 - w0));
            }
        }
    }
}

/* din (B, C, H, W) <- each dout cell spread evenly over its input window (summed on overlaps). */
static void avgpool_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                             int batch)
{
    if (!din) return;
    int C = l->in.c, H = l->in.h, W = l->in.w, OH = l->out.h, OW = l->out.w;
    memset(din, 0, (size_t)batch * C * H * W * sizeof *din);
    for (size_t plane = 0; plane < (size_t)batch * C; plane++) {
        float *d = din + plane * H * W;
        const float *g = dout + plane * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = start_index(oh, H, OH), h1 = end_index(oh, H, OH);
            for (int ow = 0; ow < OW; ow++) {
                int w0 = start_index(ow, W, OW), w1 = end_index(ow, W, OW);
                float share = g[oh * OW + ow] / (float)((h1 - h0) * (w1 - w0));
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) d[ih * W + iw] += share;
            }
        }
    }
}

static const ip_layer_ops avgpool_ops = {"avgpool", avgpool_forward, avgpool_backward};

int ip_avgpool_setup(ip_layer *l, int max_batch, int index)
{
    if (l->spec.out_h <= 0 || l->spec.out_w <= 0)
        return ip_fail(IP_ERR_FORMAT, "layer %d (avgpool): output size must be positive, not %dx%d", index,
                       l->spec.out_h, l->spec.out_w);
    l->ops = &avgpool_ops;
    l->out = (ip_shape){l->in.c, l->spec.out_h, l->spec.out_w};
    return IP_OK;
}
