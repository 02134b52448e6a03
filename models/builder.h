/* Internal to models/: appending layer specs with a bounds check, and the building blocks the
 * named architectures share (a dense+activation MLP, the conv -> layernorm -> activation ->
 * maxpool blocks of the paper's conv net). */
#ifndef IP_MODELS_BUILDER_H
#define IP_MODELS_BUILDER_H

#include "config/config.h"
#include "nn/layer.h"

typedef struct {
    ip_layer_spec *specs; /* room for IP_MAX_LAYERS */
    int n;
    const char *arch;     /* for messages */
} ipm_builder;

/* Each returns IP_OK or an error (naming the architecture) when IP_MAX_LAYERS would be exceeded. */
int ipm_add(ipm_builder *b, ip_layer_spec s);
int ipm_dense(ipm_builder *b, int units, int record);
int ipm_activation(ipm_builder *b, ip_activation act, int record);

/* Hidden layers dense(width) -> activation (recorded) for each width, then dense(n_classes)
 * (recorded, the logits). */
int ipm_mlp(ipm_builder *b, const int *widths, int n_widths, ip_activation act, int n_classes);

/* Per channel count: conv k=3 stride 1 padding 1 -> layernorm -> activation -> maxpool k=3
 * stride 2 padding 1 (recorded); then adaptive avgpool to pool x pool, flatten, dense(n_classes)
 * (recorded). See docs/models.md for why the paddings. */
int ipm_cnn(ipm_builder *b, const int *channels, int n_channels, ip_activation act, int pool, int n_classes);

/* The named architectures, one file each. */
int ipm_tishby(ipm_builder *b, const ip_model_config *m, int n_classes);
int ipm_mnist_fnn(ipm_builder *b, const ip_model_config *m, int n_classes);
int ipm_mnist_cnn(ipm_builder *b, const ip_model_config *m, int n_classes);

/* The negative slope named architectures give leaky relu (PyTorch's default). */
#define IPM_LEAKY_SLOPE 0.01f

#endif
