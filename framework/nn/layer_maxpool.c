/* Max pooling (PyTorch's nn.MaxPool2d, square window, stride, implicit -inf padding,
 * floor mode). The forward pass (its vector kernels: kernels_pool.c) saves each output's argmax
 * in the scratch for the backward. Planes (sample x channel) are split across the thread pool;
 * each plane's work is the same whatever the thread count, so results are too. */
#include <stdint.h>
#include <string.h>

#include "../core/parallel.h"
#include "../core/status.h"
#include "kernels_pool.h"
#include "layer_kinds.h"

_Static_assert(sizeof(int) == sizeof(float), "maxpool stores int argmaxes in float scratch");

static ip_pool_dims dims_of(const ip_layer *l)
{
    return ip_kern_maxpool_dims(l->in.c, l->in.h, l->in.w, l->out.h, l->out.w, l->spec.kernel, l->spec.stride,
                                l->spec.padding);
}

/* out (B, C, OH, OW) <- window maxima of in (B, C, H, W) (kernels_pool.c); argmax (B, C, OH, OW)
 * in scratch, then the gather kernel's tables, then the workers' areas. */
static void maxpool_forward(ip_layer *l, float *out, const float *in, int batch)
{
    ip_pool_dims d = dims_of(l);
    float *work = l->scratch + l->scratch_floats - IP_PAR_MAX_THREADS * d.per_worker;
    int32_t *tables = (int32_t *)(work - ip_kern_maxpool_table_floats(&d));
    ip_kern_maxpool_forward(out, (int *)l->scratch, in, batch * d.C, &d, work, tables);
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
    ip_pool_dims d = dims_of(l);
    /* argmaxes, rounded to 16 floats so the per-worker area stays aligned, then the workers' areas */
    l->scratch_floats = ((size_t)max_batch * ip_shape_size(l->out) + 15) / 16 * 16 + ip_kern_maxpool_table_floats(&d) +
                        IP_PAR_MAX_THREADS * d.per_worker;
    return IP_OK;
}
