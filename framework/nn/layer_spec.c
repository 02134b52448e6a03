/* The name tables of the layer-spec enums (layer_spec.h): one per enum, in enum order. */
#include "layer_spec.h"

#include "../core/names.h"

const char *const ip_activation_names[] = {"linear",     "tanh", "relu",     "sigmoid",
                                           "leaky_relu", "gelu", "softsign", NULL};
const char *const ip_layer_kind_names[] = {"dense",     "conv2d",  "maxpool",    "avgpool",
                                           "layernorm", "flatten", "activation", NULL};
const char *const ip_init_names[] = {"pytorch", "truncated_normal", "xavier", NULL};

const char *ip_activation_name(ip_activation a) { return ip_name_of(ip_activation_names, (int)a); }
const char *ip_layer_kind_name(ip_layer_kind k) { return ip_name_of(ip_layer_kind_names, (int)k); }
