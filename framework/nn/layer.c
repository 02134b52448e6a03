/* ip_layer_setup: checks a layer spec against its input shape and hands it to the setup
 * function of its kind (one file per kind: layer_dense.c, layer_conv2d.c, ...). */
#include "layer.h"

#include <limits.h>
#include <string.h>

#include "../core/status.h"
#include "layer_kinds.h"

/* The layers index with int: a sample's values, a kernel's taps times channels, a batch's planes.
 * Sizes that would not fit are refused here, computed in 64 bits before any layer computes them
 * in int (where they would wrap). How much memory a network that fits needs is the caller's
 * question (ip_network_plan). */
static int fits_int(const char *what, const ip_layer_spec *spec, int index, long long a, long long b, long long c)
{
    long long ab, v;
    if (!__builtin_mul_overflow(a, b, &ab) && !__builtin_mul_overflow(ab, c, &v) && v <= INT_MAX) return IP_OK;
    return ip_fail(IP_ERR_FORMAT, "layer %d (%s): %s, %lld x %lld x %lld, is more than %d", index,
                   ip_layer_kind_name(spec->kind), what, a, b, c, INT_MAX);
}

static int check_int_sizes(const ip_layer_spec *s, ip_shape in, int max_batch, int index)
{
    int rc = IP_OK;
    long long k = s->kernel, pad = s->padding, stride = s->stride > 0 ? s->stride : 1;
    switch (s->kind) {
    case IP_LAYER_CONV2D:
    case IP_LAYER_MAXPOOL: {
        if (k <= 0 || pad < 0) return IP_OK; /* the kind's own check says what is wrong */
        long long ph = in.h + 2 * pad, pw = in.w + 2 * pad;
        if (ph > INT_MAX || pw > INT_MAX)
            return ip_fail(IP_ERR_FORMAT, "layer %d (%s): padding %lld makes the %dx%d input wider than %d", index,
                           ip_layer_kind_name(s->kind), pad, in.h, in.w, INT_MAX);
        long long oh = ph >= k ? (ph - k) / stride + 1 : 0, ow = pw >= k ? (pw - k) / stride + 1 : 0;
        long long oc = s->kind == IP_LAYER_CONV2D ? s->channels : in.c;
        if (s->kind == IP_LAYER_CONV2D &&
            ((rc = fits_int("the input channels times the kernel taps", s, index, in.c, k, k)) != IP_OK ||
             (rc = fits_int("the output channels times the kernel taps", s, index, oc, k, k)) != IP_OK))
            return rc;
        if ((rc = fits_int("the output values per sample", s, index, oc, oh, ow)) != IP_OK) return rc;
        if (s->kind == IP_LAYER_MAXPOOL)
            rc = fits_int("the planes of a batch", s, index, max_batch, in.c, 1);
        return rc;
    }
    case IP_LAYER_AVGPOOL:
        if ((rc = fits_int("the output values per sample", s, index, in.c, s->out_h, s->out_w)) != IP_OK) return rc;
        return fits_int("the planes of a batch", s, index, max_batch, in.c, 1);
    default:
        return IP_OK;
    }
}

int ip_layer_setup(ip_layer *l, const ip_layer_spec *spec, ip_shape in, int max_batch, int index)
{
    memset(l, 0, sizeof *l);
    l->spec = *spec;
    l->in = in;
    if (in.c <= 0 || in.h <= 0 || in.w <= 0)
        return ip_fail(IP_ERR_FORMAT, "layer %d (%s): empty input shape %dx%dx%d", index,
                       ip_layer_kind_name(spec->kind), in.c, in.h, in.w);
    if (max_batch <= 0) return ip_fail(IP_ERR_FORMAT, "layer %d: max_batch must be positive, not %d", index, max_batch);
    int rc = check_int_sizes(spec, in, max_batch, index);
    if (rc != IP_OK) return rc;
    switch (spec->kind) {
    case IP_LAYER_DENSE: return ip_dense_setup(l, max_batch, index);
    case IP_LAYER_CONV2D: return ip_conv2d_setup(l, max_batch, index);
    case IP_LAYER_MAXPOOL: return ip_maxpool_setup(l, max_batch, index);
    case IP_LAYER_AVGPOOL: return ip_avgpool_setup(l, max_batch, index);
    case IP_LAYER_LAYERNORM: return ip_layernorm_setup(l, max_batch, index);
    case IP_LAYER_FLATTEN: return ip_flatten_setup(l, max_batch, index);
    case IP_LAYER_ACTIVATION: return ip_activation_setup(l, max_batch, index);
    }
    return ip_fail(IP_ERR_FORMAT, "layer %d: unknown layer kind %d", index, (int)spec->kind);
}
