/* The paper's "CaL" conv net fitted to 28x28: three blocks conv 3x3 (padding 1) -> layernorm ->
 * activation -> maxpool 3 stride 2 (padding 1), channels 8/16/32, so 28 -> 14 -> 7 -> 4; then
 * adaptive avgpool 2x2, flatten (128) and a linear layer. Unpadded, as in the paper, the maps
 * would go 28 -> 26 -> 12 -> 10 -> 4 -> 2 and the third pool would not fit. Records each
 * block's output and the logits; see docs/models.md. model.channels overrides the channel counts. */
#include "builder.h"

int ipm_mnist_cnn(ipm_builder *b, const ip_model_config *m, int n_classes)
{
    static const int channels[] = {8, 16, 32};
    if (m->n_channels > 0) return ipm_cnn(b, m->channels, m->n_channels, m->activation, 2, n_classes);
    return ipm_cnn(b, channels, 3, m->activation, 2, n_classes);
}
