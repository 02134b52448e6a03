/* The model section: arch, activation, init, the widths of the named architectures, and the
 * layer list of arch custom, each layer checked against what its kind takes (docs/config.md). */
#include "config_fields.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "core/status.h"

CFG_INT_SIZED_ENUM(ip_activation);
CFG_INT_SIZED_ENUM(ip_layer_kind);
CFG_INT_SIZED_ENUM(ip_init_kind);

/* The config's own choice: the builders of models/ (ip_model_build) know these. */
static const char *const arch_names[] = {"tishby", "mnist_fnn", "mnist_cnn", "mlp", "cnn", "custom", NULL};

static int fn_hidden(void *base, const cfg_node *v, const char *key)
{
    ip_model_config *m = &((ip_config *)base)->model;
    return cfg_convert_int_list(v, key, 1, IP_MAX_LAYERS, m->hidden, &m->n_hidden);
}

static int fn_channels(void *base, const cfg_node *v, const char *key)
{
    ip_model_config *m = &((ip_config *)base)->model;
    return cfg_convert_int_list(v, key, 1, IP_MAX_LAYERS, m->channels, &m->n_channels);
}

/* avgpool's output size: "size: 6" or "size: [6, 6]". */
static int fn_layer_size(void *base, const cfg_node *v, const char *key)
{
    ip_layer_spec *l = base;
    int hw[2], n = 0;
    if (v->kind == CFG_SCALAR) {
        int rc = cfg_convert_int(v, key, 1, INT_MAX, &l->out_h);
        l->out_w = l->out_h;
        return rc;
    }
    if (v->kind != CFG_SEQ || v->n != 2)
        return cfg_fail_expected(v, key, "a positive integer or a list [height, width]");
    int rc = cfg_convert_int_list(v, key, 1, 2, hw, &n);
    if (rc != IP_OK) return rc;
    l->out_h = hw[0];
    l->out_w = hw[1];
    return IP_OK;
}

#define K(kind) (1u << (kind))
#define K_ALL 0x7fu
static const cfg_field layer_fields[] = {
    {"type", F_FN, 0, NOLIM, NULL, 0, NULL, K_ALL}, /* read first, by convert_layer */
    {"units", F_INT, offsetof(ip_layer_spec, units), 1, INT_MAX, 0, 0, NULL, 0, NULL, K(IP_LAYER_DENSE)},
    {"channels", F_INT, offsetof(ip_layer_spec, channels), 1, INT_MAX, 0, 0, NULL, 0, NULL, K(IP_LAYER_CONV2D)},
    {"kernel", F_INT, offsetof(ip_layer_spec, kernel), 1, INT_MAX, 0, 0, NULL, 0, NULL,
     K(IP_LAYER_CONV2D) | K(IP_LAYER_MAXPOOL)},
    {"stride", F_INT, offsetof(ip_layer_spec, stride), 1, INT_MAX, 0, 0, NULL, 0, NULL,
     K(IP_LAYER_CONV2D) | K(IP_LAYER_MAXPOOL)},
    {"padding", F_INT, offsetof(ip_layer_spec, padding), 0, INT_MAX, 0, 0, NULL, 0, NULL,
     K(IP_LAYER_CONV2D) | K(IP_LAYER_MAXPOOL)},
    {"out_h", F_INT, offsetof(ip_layer_spec, out_h), 1, INT_MAX, 0, 0, NULL, 0, NULL, K(IP_LAYER_AVGPOOL)},
    {"out_w", F_INT, offsetof(ip_layer_spec, out_w), 1, INT_MAX, 0, 0, NULL, 0, NULL, K(IP_LAYER_AVGPOOL)},
    {"size", F_FN, 0, NOLIM, NULL, 0, fn_layer_size, K(IP_LAYER_AVGPOOL)},
    {"activation", F_ENUM, offsetof(ip_layer_spec, activation), NOLIM, ip_activation_names, 0, NULL,
     K(IP_LAYER_ACTIVATION)},
    {"slope", F_REAL, offsetof(ip_layer_spec, slope), 0, HUGE_VAL, 0, 0, NULL, 0, NULL, K(IP_LAYER_ACTIVATION)},
    {"record", F_BOOL, offsetof(ip_layer_spec, record), NOLIM, NULL, 0, NULL, K_ALL},
};

/* One entry of model.layers. The type comes first because it decides which keys are allowed
 * and what the defaults are; then every other key, then what each kind cannot do without. */
static int convert_layer(ip_layer_spec *l, const cfg_node *map, const char *key)
{
    char buf[512], sub[192];
    if (map->kind != CFG_MAP)
        return cfg_fail_expected(map, key, "a layer mapping such as {type: dense, units: 10}");
    const cfg_node *type = cfg_map_get(map, "type", NULL);
    if (!type)
        return cfg_node_fail(map, "%s: missing 'type' (one of %s)", key,
                             ip_names_join(buf, sizeof buf, ip_layer_kind_names));
    snprintf(sub, sizeof sub, "%s.type", key);
    int kind;
    cfg_field type_field = {"type", F_ENUM, 0, NOLIM, ip_layer_kind_names, 0, NULL, 0};
    int rc = cfg_convert_field(&kind, &type_field, type, sub);
    if (rc != IP_OK) return rc;

    memset(l, 0, sizeof *l);
    l->kind = (ip_layer_kind)kind;
    l->slope = 0.01f;
    /* Recorded by default: activation outputs, the "T" of every information-plane paper. */
    l->record = kind == IP_LAYER_ACTIVATION;
    if (kind == IP_LAYER_CONV2D) l->kernel = 3, l->stride = 1;
    if (kind == IP_LAYER_MAXPOOL) l->kernel = 2;

    for (int i = 0; i < map->n; i++) {
        const char *name = map->keys[i]->value;
        if (strcmp(name, "type") == 0) continue;
        const cfg_field *f = cfg_find_field(layer_fields, N_OF(layer_fields), name);
        if (!f)
            return cfg_node_fail(map->keys[i], "%s: unknown key '%.64s' (a %s layer takes: %s)", key, name,
                                 ip_layer_kind_names[kind],
                                 cfg_field_list(buf, sizeof buf, layer_fields, N_OF(layer_fields), K(kind)));
        if (!(f->kinds & K(kind)))
            return cfg_node_fail(map->keys[i], "%s: '%s' does not apply to a %s layer (it takes: %s)", key, name,
                                 ip_layer_kind_names[kind],
                                 cfg_field_list(buf, sizeof buf, layer_fields, N_OF(layer_fields), K(kind)));
        snprintf(sub, sizeof sub, "%s.%s", key, name);
        if (strcmp(name, "slope") == 0) {
            /* slope is a float in the struct, the table converts doubles. */
            double s;
            cfg_field sf = *f;
            sf.off = 0;
            if ((rc = cfg_convert_field(&s, &sf, map->items[i], sub)) != IP_OK) return rc;
            l->slope = (float)s;
            continue;
        }
        if ((rc = cfg_convert_field(l, f, map->items[i], sub)) != IP_OK) return rc;
    }

    const cfg_node *size = cfg_map_get(map, "size", NULL), *oh = cfg_map_get(map, "out_h", NULL),
                   *ow = cfg_map_get(map, "out_w", NULL), *slope = cfg_map_get(map, "slope", NULL),
                   *stride = cfg_map_get(map, "stride", NULL);
    switch (l->kind) {
    case IP_LAYER_DENSE:
        if (!cfg_map_get(map, "units", NULL)) return cfg_node_fail(map, "%s: a dense layer needs 'units'", key);
        break;
    case IP_LAYER_CONV2D:
        if (!cfg_map_get(map, "channels", NULL))
            return cfg_node_fail(map, "%s: a conv2d layer needs 'channels' (output channels)", key);
        break;
    case IP_LAYER_MAXPOOL:
        /* ip_maxpool_setup's limit: its row kernel holds at most 64 window rows. */
        if (l->kernel > 64) {
            snprintf(sub, sizeof sub, "%s.kernel", key);
            return cfg_fail_expected(cfg_map_get(map, "kernel", NULL), sub, "an integer in 1..64 for a maxpool");
        }
        if (!stride) l->stride = l->kernel; /* PyTorch's MaxPool2d default */
        if (l->padding > l->kernel / 2)
            return cfg_node_fail(map, "%s: maxpool padding %d is more than half the kernel %d", key, l->padding,
                                 l->kernel);
        break;
    case IP_LAYER_AVGPOOL:
        if (size && (oh || ow))
            return cfg_node_fail(size, "%s: give either 'size' or 'out_h'/'out_w', not both", key);
        if (!size && !(oh && ow))
            return cfg_node_fail(map, "%s: an avgpool layer needs its output size: 'size: N', 'size: [H, W]' or "
                                      "'out_h' and 'out_w'", key);
        break;
    case IP_LAYER_ACTIVATION:
        if (!cfg_map_get(map, "activation", NULL))
            return cfg_node_fail(map, "%s: an activation layer needs 'activation' (one of %s)", key,
                                 ip_names_join(buf, sizeof buf, ip_activation_names));
        if (slope && l->activation != IP_ACT_LEAKY_RELU)
            return cfg_node_fail(slope, "%s: 'slope' only applies to leaky_relu, not %s", key,
                                 ip_activation_names[l->activation]);
        break;
    default:
        break;
    }
    return IP_OK;
}

static int fn_layers(void *base, const cfg_node *v, const char *key)
{
    ip_model_config *m = &((ip_config *)base)->model;
    char sub[128];
    if (v->kind != CFG_SEQ)
        return cfg_fail_expected(v, key, "a list of layer mappings such as [{type: dense, units: 10}]");
    if (v->n > IP_MAX_LAYERS) return cfg_node_fail(v, "%s: at most %d layers, got %d", key, IP_MAX_LAYERS, v->n);
    for (int i = 0; i < v->n; i++) {
        snprintf(sub, sizeof sub, "%s[%d]", key, i);
        int rc = convert_layer(&m->layers[i], v->items[i], sub);
        if (rc != IP_OK) return rc;
    }
    m->n_layers = v->n;
    return IP_OK;
}

static const cfg_field model_fields[] = {
    NAME_F(ip_config, "arch", model.arch, arch_names),
    ENUM_F(ip_config, "activation", model.activation, ip_activation_names),
    ENUM_F(ip_config, "init", model.init, ip_init_names),
    FN_F("hidden", fn_hidden),
    FN_F("channels", fn_channels),
    FN_F("layers", fn_layers),
};

/* arch: custom is exactly the case with an explicit layer list; the widths of the named
 * architectures make no sense there, and a layer list elsewhere would be silently ignored. */
static int check_model(ip_config *cfg, const cfg_node *section)
{
    const cfg_node *arch = cfg_map_get(section, "arch", NULL), *layers = cfg_map_get(section, "layers", NULL);
    const char *where_key = arch ? "model.arch" : "model";
    const cfg_node *where = arch ? arch : section;
    int custom = strcmp(cfg->model.arch, "custom") == 0;
    if (custom && cfg->model.n_layers == 0)
        return cfg_node_fail(layers ? layers : where, "%s: arch custom needs a non-empty 'layers' list", where_key);
    if (strcmp(cfg->model.arch, "cnn") == 0 && cfg->model.n_channels == 0) {
        const cfg_node *ch = cfg_map_get(section, "channels", NULL);
        return cfg_node_fail(ch ? ch : where, "%s: arch cnn needs model.channels, e.g. [8, 16, 32]",
                             ch ? "model.channels" : where_key);
    }
    if (!custom && layers)
        return cfg_node_fail(layers, "model.layers: only used with arch: custom (arch is %s); named "
                                     "architectures take 'hidden' and 'channels'", cfg->model.arch);
    static const char *const list_keys[] = {"hidden", "channels"};
    for (int i = 0; i < 2; i++) {
        const cfg_node *v = cfg_map_get(section, list_keys[i], NULL);
        if (custom && v)
            return cfg_node_fail(v, "model.%s: not used with arch: custom (its 'layers' list says everything)",
                                 list_keys[i]);
    }
    return IP_OK;
}

const cfg_section cfg_model_section = {"model", model_fields, N_OF(model_fields), check_model};
