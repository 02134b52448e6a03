/* The MNIST MLP of Zhouyin & Liu (arXiv 2105.03705): 784-1024-20-20-20-10. Records the four
 * hidden activations and the logits (the paper's "5 layers"). model.hidden overrides the widths. */
#include "builder.h"

int ipm_mnist_fnn(ipm_builder *b, const ip_model_config *m, int n_classes)
{
    static const int widths[] = {1024, 20, 20, 20};
    if (m->n_hidden > 0) return ipm_mlp(b, m->hidden, m->n_hidden, m->activation, n_classes);
    return ipm_mlp(b, widths, 4, m->activation, n_classes);
}
