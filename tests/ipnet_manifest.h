/* Writes a network's layer list in the line format tests/torch/ipnet.py reads, so the PyTorch
 * twin of a network (cross-check and training benchmark) is never described twice. */
#ifndef IP_IPNET_MANIFEST_H
#define IP_IPNET_MANIFEST_H

#include <stdio.h>

#include "config/config.h"

/* One "layer ..." line per spec, in order. */
static inline void ip_write_ipnet_layers(FILE *f, const ip_layer_spec *specs, int n)
{
    for (int i = 0; i < n; i++) {
        const ip_layer_spec *l = &specs[i];
        switch (l->kind) {
        case IP_LAYER_DENSE: fprintf(f, "layer dense %d\n", l->units); break;
        case IP_LAYER_CONV2D:
            fprintf(f, "layer conv2d %d %d %d %d\n", l->channels, l->kernel, l->stride, l->padding);
            break;
        case IP_LAYER_MAXPOOL: fprintf(f, "layer maxpool %d %d %d\n", l->kernel, l->stride, l->padding); break;
        case IP_LAYER_AVGPOOL: fprintf(f, "layer avgpool %d %d\n", l->out_h, l->out_w); break;
        case IP_LAYER_LAYERNORM: fprintf(f, "layer layernorm\n"); break;
        case IP_LAYER_FLATTEN: fprintf(f, "layer flatten\n"); break;
        case IP_LAYER_ACTIVATION:
            fprintf(f, "layer act %s %.9g\n", ip_activation_name(l->activation), (double)l->slope);
            break;
        }
    }
}

#endif
