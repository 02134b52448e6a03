/* Shwartz-Ziv & Tishby's network for the 12-bit task: 12-10-7-5-4-3-2, the hidden activation
 * from the config (tanh in the paper, relu in Saxe et al.'s counterpoint). Records the five
 * hidden activations and the logits. model.hidden overrides the widths. */
#include "builder.h"

int ipm_tishby(ipm_builder *b, const ip_model_config *m, int n_classes)
{
    static const int widths[] = {10, 7, 5, 4, 3};
    if (m->n_hidden > 0) return ipm_mlp(b, m->hidden, m->n_hidden, m->activation, n_classes);
    return ipm_mlp(b, widths, 5, m->activation, n_classes);
}
