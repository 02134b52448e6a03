/* ip_model_build: expands the model section of a config into layer specs (the named
 * architectures, generic mlp/cnn, or a custom list) and checks the result against the input
 * shape by setting every layer up once, so a misfit is reported before any training. */
#include <string.h>

#include "builder.h"
#include "core/status.h"
#include "nn/model.h"

int ipm_add(ipm_builder *b, ip_layer_spec s)
{
    if (b->n >= IP_MAX_LAYERS)
        return ip_fail(IP_ERR_FORMAT, "model %s: more than %d layers", b->arch, IP_MAX_LAYERS);
    b->specs[b->n++] = s;
    return IP_OK;
}

int ipm_dense(ipm_builder *b, int units, int record)
{
    return ipm_add(b, (ip_layer_spec){.kind = IP_LAYER_DENSE, .units = units, .record = record});
}

int ipm_activation(ipm_builder *b, ip_activation act, int record)
{
    return ipm_add(b, (ip_layer_spec){.kind = IP_LAYER_ACTIVATION, .activation = act, .slope = IPM_LEAKY_SLOPE,
                                      .record = record});
}

int ipm_mlp(ipm_builder *b, const int *widths, int n_widths, ip_activation act, int n_classes)
{
    int rc;
    for (int i = 0; i < n_widths; i++) {
        if (widths[i] <= 0)
            return ip_fail(IP_ERR_FORMAT, "model %s: hidden width %d is %d, must be positive", b->arch, i, widths[i]);
        if ((rc = ipm_dense(b, widths[i], 0)) != IP_OK || (rc = ipm_activation(b, act, 1)) != IP_OK) return rc;
    }
    return ipm_dense(b, n_classes, 1);
}

int ipm_cnn(ipm_builder *b, const int *channels, int n_channels, ip_activation act, int pool, int n_classes)
{
    int rc;
    for (int i = 0; i < n_channels; i++) {
        if (channels[i] <= 0)
            return ip_fail(IP_ERR_FORMAT, "model %s: channel count %d is %d, must be positive", b->arch, i,
                           channels[i]);
        ip_layer_spec conv = {.kind = IP_LAYER_CONV2D, .channels = channels[i], .kernel = 3, .stride = 1, .padding = 1};
        ip_layer_spec norm = {.kind = IP_LAYER_LAYERNORM};
        ip_layer_spec mp = {.kind = IP_LAYER_MAXPOOL, .kernel = 3, .stride = 2, .padding = 1, .record = 1};
        if ((rc = ipm_add(b, conv)) != IP_OK || (rc = ipm_add(b, norm)) != IP_OK ||
            (rc = ipm_activation(b, act, 0)) != IP_OK || (rc = ipm_add(b, mp)) != IP_OK)
            return rc;
    }
    ip_layer_spec avg = {.kind = IP_LAYER_AVGPOOL, .out_h = pool, .out_w = pool};
    ip_layer_spec flat = {.kind = IP_LAYER_FLATTEN};
    if ((rc = ipm_add(b, avg)) != IP_OK || (rc = ipm_add(b, flat)) != IP_OK) return rc;
    return ipm_dense(b, n_classes, 1);
}

/* Sets every layer up (batch 1) to check the shapes fit, and that the output has n_classes
 * values. */
static int check_shapes(const ipm_builder *b, ip_shape input, int n_classes)
{
    ip_shape s = input;
    for (int i = 0; i < b->n; i++) {
        ip_layer l;
        int rc = ip_layer_setup(&l, &b->specs[i], s, 1, i);
        if (rc != IP_OK) {
            ip_error_prefix("model %s on a %dx%dx%d input", b->arch, input.c, input.h, input.w);
            return rc;
        }
        s = l.out;
    }
    if (ip_shape_size(s) != n_classes)
        return ip_fail(IP_ERR_FORMAT, "model %s: the last layer gives %d outputs, the data has %d classes", b->arch,
                       ip_shape_size(s), n_classes);
    return IP_OK;
}

int ip_model_build(const ip_model_config *m, ip_shape input, int n_classes, ip_layer_spec *specs, int *n)
{
    ipm_builder b = {specs, 0, m->arch};
    int rc;
    *n = 0;
    if (n_classes < 2) return ip_fail(IP_ERR_FORMAT, "model %s: need at least 2 classes, not %d", m->arch, n_classes);
    if (m->n_hidden < 0 || m->n_hidden > IP_MAX_LAYERS || m->n_channels < 0 || m->n_channels > IP_MAX_LAYERS)
        return ip_fail(IP_ERR_FORMAT, "model %s: bad hidden/channels list length", m->arch);
    if (!strcmp(m->arch, "tishby"))
        rc = ipm_tishby(&b, m, n_classes);
    else if (!strcmp(m->arch, "mnist_fnn"))
        rc = ipm_mnist_fnn(&b, m, n_classes);
    else if (!strcmp(m->arch, "mnist_cnn"))
        rc = ipm_mnist_cnn(&b, m, n_classes);
    else if (!strcmp(m->arch, "mlp"))
        rc = ipm_mlp(&b, m->hidden, m->n_hidden, m->activation, n_classes);
    else if (!strcmp(m->arch, "cnn")) {
        if (m->n_channels == 0) return ip_fail(IP_ERR_FORMAT, "model cnn: model.channels is empty");
        rc = ipm_cnn(&b, m->channels, m->n_channels, m->activation, 2, n_classes);
    } else if (!strcmp(m->arch, "custom")) {
        if (m->n_layers <= 0 || m->n_layers > IP_MAX_LAYERS)
            return ip_fail(IP_ERR_FORMAT, "model custom: model.layers must list 1..%d layers, not %d", IP_MAX_LAYERS,
                           m->n_layers);
        memcpy(specs, m->layers, (size_t)m->n_layers * sizeof *specs);
        b.n = m->n_layers;
        specs[b.n - 1].record = 1; /* the logits are always a recorded layer */
        rc = IP_OK;
    } else
        return ip_fail(IP_ERR_FORMAT,
                       "model.arch: unknown architecture '%s' (expected tishby, mnist_fnn, mnist_cnn, mlp, cnn or custom)",
                       m->arch);
    if (rc == IP_OK) rc = check_shapes(&b, input, n_classes);
    if (rc == IP_OK) *n = b.n;
    return rc;
}
