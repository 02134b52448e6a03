/* ip_layer_setup: checks a layer spec against its input shape and hands it to the setup
 * function of its kind (one file per kind: layer_dense.c, layer_conv2d.c, ...). */
#include "layer.h"

#include <string.h>

#include "../core/status.h"
#include "layer_kinds.h"

int ip_layer_setup(ip_layer *l, const ip_layer_spec *spec, ip_shape in, int max_batch, int index)
{
    memset(l, 0, sizeof *l);
    l->spec = *spec;
    l->in = in;
    if (in.c <= 0 || in.h <= 0 || in.w <= 0)
        return ip_fail(IP_ERR_FORMAT, "layer %d (%s): empty input shape %dx%dx%d", index,
                       ip_layer_kind_name(spec->kind), in.c, in.h, in.w);
    if (max_batch <= 0) return ip_fail(IP_ERR_FORMAT, "layer %d: max_batch must be positive, not %d", index, max_batch);
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
