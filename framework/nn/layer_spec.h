/* What a layer is, as the config describes it: its kind, sizes and activation, plus the
 * weight initialisations. These types belong to nn/; config/ fills them from YAML. Each enum
 * has one name table here (indexed by its values, NULL-terminated) used for parsing,
 * messages and the run description alike. */
#ifndef IP_LAYER_SPEC_H
#define IP_LAYER_SPEC_H

#define IP_MAX_LAYERS 64 /* layers of a network, and entries of model.hidden / model.channels */

typedef enum {
    IP_ACT_LINEAR = 0,
    IP_ACT_TANH,
    IP_ACT_RELU,
    IP_ACT_SIGMOID,
    IP_ACT_LEAKY_RELU,
    IP_ACT_GELU,
    IP_ACT_SOFTSIGN
} ip_activation;

typedef enum {
    IP_LAYER_DENSE = 0,
    IP_LAYER_CONV2D,
    IP_LAYER_MAXPOOL,
    IP_LAYER_AVGPOOL,   /* adaptive average pool to out_h x out_w */
    IP_LAYER_LAYERNORM, /* over all features of a sample, no affine */
    IP_LAYER_FLATTEN,
    IP_LAYER_ACTIVATION
} ip_layer_kind;

typedef enum { IP_INIT_PYTORCH = 0, IP_INIT_TRUNCNORM, IP_INIT_XAVIER } ip_init_kind;

typedef struct {
    ip_layer_kind kind;
    int units;                       /* dense: output units */
    int channels;                    /* conv2d: output channels */
    int kernel, stride, padding;     /* conv2d, maxpool */
    int out_h, out_w;                /* avgpool (adaptive) */
    ip_activation activation;        /* activation layer */
    float slope;                     /* leaky relu negative slope (default 0.01) */
    int record;                      /* 1: this layer's output is a recorded "layer" T_l */
} ip_layer_spec;

/* The name tables: "linear", "tanh", ...; "dense", "conv2d", ...; "pytorch", ... */
extern const char *const ip_activation_names[];
extern const char *const ip_layer_kind_names[];
extern const char *const ip_init_names[];

/* The name of a value ("unknown" outside the enum). */
const char *ip_activation_name(ip_activation a);
const char *ip_layer_kind_name(ip_layer_kind k);

#endif
