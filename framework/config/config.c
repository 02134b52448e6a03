/* YAML config -> validated ip_config. The file becomes a cfg_node tree (config_tree.c), the
 * --set overrides replace nodes in that tree, and the tree is converted to the struct once,
 * through the tables below: every key, its type and its range live in exactly one place. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_tree.h"
#include "core/mem.h"
#include "core/names.h"
#include "core/status.h"

/* F_ENUM writes an enum through an int pointer: that is only sound when they match. */
_Static_assert(sizeof(ip_activation) == sizeof(int), "enums must be int-sized");
_Static_assert(sizeof(ip_layer_kind) == sizeof(int), "enums must be int-sized");
_Static_assert(sizeof(ip_data_scale) == sizeof(int), "enums must be int-sized");
_Static_assert(sizeof(ip_lr_schedule) == sizeof(int), "enums must be int-sized");

/* ---- names ---------------------------------------------------------------------------- */

/* The tables of the enums live with their owners (nn/, record/, estimate/, data/); these are
 * the config's own choices. NULL-terminated so they double as "valid" lists. */
#define activation_names ip_activation_names
#define layer_kind_names ip_layer_kind_names
#define init_names ip_init_names
#define optimizer_names ip_optimizer_names
#define lr_schedule_names ip_lr_schedule_names
#define mode_names ip_logdet_mode_names
#define scale_names ip_data_scale_names
#define dataset_names ip_dataset_names
static const char *const units_names[] = {"nats", "bits", NULL}; /* index = analysis.bits */
static const char *const arch_names[] = {"tishby", "mnist_fnn", "mnist_cnn", "mlp", "cnn", "custom", NULL};
static const char *const format_names[] = {"png", "pdf", "svg", NULL};
static const char *const estimator_names[] = {"logdet", "binning", "kde", "renyi", "knn", NULL};

#define join_names ip_names_join
#define find_name ip_name_find

/* ---- defaults ------------------------------------------------------------------------- */

void ip_config_defaults(ip_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 1;

    snprintf(cfg->model.arch, sizeof cfg->model.arch, "mlp");
    cfg->model.activation = IP_ACT_TANH;
    cfg->model.init = IP_INIT_PYTORCH;

    snprintf(cfg->data.dataset, sizeof cfg->data.dataset, "mnist");
    cfg->data.train_fraction = 0.85;
    cfg->data.gaussian_samples = 1000;
    cfg->data.gaussian_dim = 10;
    cfg->data.gaussian_classes = 2;
    cfg->data.gaussian_separation = 2.0;

    cfg->train.epochs = 10;
    cfg->train.batch_size = 128;
    cfg->train.optim.optimizer = IP_OPT_ADAM;
    cfg->train.optim.lr = 1e-3;
    cfg->train.optim.momentum = 0;
    cfg->train.optim.weight_decay = 0;
    cfg->train.optim.beta1 = 0.9;
    cfg->train.optim.beta2 = 0.999;
    cfg->train.optim.eps = 1e-8;
    cfg->train.threads = 0;
    cfg->train.shuffle = 1;

    cfg->record.samples = 3000;
    cfg->record.test_samples = 0;
    cfg->record.epochs = IP_SCHED_ALL;
    cfg->record.compression = 0; /* zlib manages ~12 MB/s on activations: level 4 costs ~1 s per MLP epoch */

    cfg->analysis.n_estimators = 1;
    snprintf(cfg->analysis.estimators[0], sizeof cfg->analysis.estimators[0], "logdet");
    cfg->analysis.mode = IP_MODE_COV;
    cfg->analysis.beta = 0;
    cfg->analysis.bits = 1;

    snprintf(cfg->plot.format, sizeof cfg->plot.format, "png");
    cfg->plot.width = 900;
    cfg->plot.height = 700;
}

void ip_config_free(ip_config *cfg)
{
    if (!cfg) return;
    free(cfg->text);
    free(cfg->overrides);
    cfg->text = NULL;
    cfg->overrides = NULL;
}

/* ---- scalar conversion ---------------------------------------------------------------- */

/* How a node looks, for "got ..." in messages. Quoted strings are told apart from plain text
 * because a quoted "10" is a string in YAML, not a number. */
static const char *describe(const cfg_node *v, char *buf, size_t size)
{
    if (v->kind == CFG_MAP) return "a mapping";
    if (v->kind == CFG_SEQ) return "a list";
    if (cfg_node_is_null(v)) return "nothing";
    const char *dots = strlen(v->value) > 60 ? "..." : "";
    if (v->plain)
        snprintf(buf, size, "'%.60s%s'", v->value, dots);
    else
        snprintf(buf, size, "the quoted string \"%.60s%s\" (numbers and booleans are written without quotes)",
                 v->value, dots);
    return buf;
}

static int fail_expected(const cfg_node *v, const char *key, const char *expected)
{
    char got[192];
    return cfg_node_fail(v, "%s: expected %s, got %s", key, expected, describe(v, got, sizeof got));
}

/* A plain decimal integer ("12", "+3", "-1"), whole text consumed. */
static int parse_ll(const cfg_node *v, long long *out)
{
    if (v->kind != CFG_SCALAR || !v->plain || cfg_node_is_null(v)) return 0;
    const char *s = v->value;
    if (!((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9'))) return 0;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || errno) return 0;
    *out = x;
    return 1;
}

/* A plain finite number ("1e-3", "0.5", "2"). strtod's "inf", "nan" and hex forms are refused
 * because they are not YAML numbers and a NaN learning rate is never meant. */
static int parse_real(const cfg_node *v, double *out)
{
    if (v->kind != CFG_SCALAR || !v->plain || cfg_node_is_null(v)) return 0;
    const char *s = v->value;
    for (const char *c = s; *c; c++)
        if (!strchr("0123456789+-.eE", *c)) return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || !isfinite(x)) return 0;
    *out = x;
    return 1;
}

static int parse_bool(const cfg_node *v, int *out)
{
    if (v->kind != CFG_SCALAR || !v->plain) return 0;
    static const char *const yes[] = {"true", "yes", "on", NULL}, *const no[] = {"false", "no", "off", NULL};
    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(v->value, yes[i]) == 0) return *out = 1, 1;
        if (strcasecmp(v->value, no[i]) == 0) return *out = 0, 1;
    }
    return 0;
}

/* "a positive integer", "an integer in 0..9", ... for an integer range [lo, hi]. */
static const char *int_range_text(char *buf, size_t size, long long lo, long long hi)
{
    if (hi >= INT_MAX) {
        if (lo == 0) return "a non-negative integer";
        if (lo == 1) return "a positive integer";
        snprintf(buf, size, "an integer >= %lld", lo);
    } else {
        snprintf(buf, size, "an integer in %lld..%lld", lo, hi);
    }
    return buf;
}

static int convert_int(const cfg_node *v, const char *key, long long lo, long long hi, int *out)
{
    long long x;
    char range[64];
    if (!parse_ll(v, &x) || x < lo || x > hi) return fail_expected(v, key, int_range_text(range, sizeof range, lo, hi));
    *out = (int)x;
    return IP_OK;
}

/* ---- the key tables ------------------------------------------------------------------- */

typedef enum { F_INT, F_U64, F_REAL, F_BOOL, F_ENUM, F_NAME, F_PATH, F_FN } field_type;

typedef int (*field_fn)(void *base, const cfg_node *v, const char *key);

typedef struct {
    const char *name;
    field_type type;
    size_t off;                /* into the base struct (ip_config, or ip_layer_spec for layers) */
    double lo, hi;             /* F_INT, F_REAL: the allowed range */
    int lo_open, hi_open;      /* F_REAL: 1 when that bound itself is excluded */
    const char *const *names;  /* F_ENUM (index stored as int), F_NAME (text stored) */
    size_t size;               /* F_NAME, F_PATH: the buffer size */
    field_fn fn;               /* F_FN */
    unsigned kinds;            /* layer keys: bit (1 << ip_layer_kind) for each kind it applies to */
} field;

#define NOLIM 0, 0, 0, 0
#define INT_F(T, nm, m, lo, hi) {nm, F_INT, offsetof(T, m), lo, hi, 0, 0, NULL, 0, NULL, 0}
#define REAL_F(T, nm, m, lo, hi, lo_open, hi_open)                                                     \
    {nm, F_REAL, offsetof(T, m), lo, hi, lo_open, hi_open, NULL, 0, NULL, 0}
#define BOOL_F(T, nm, m) {nm, F_BOOL, offsetof(T, m), NOLIM, NULL, 0, NULL, 0}
#define ENUM_F(T, nm, m, names) {nm, F_ENUM, offsetof(T, m), NOLIM, names, 0, NULL, 0}
#define NAME_F(T, nm, m, names) {nm, F_NAME, offsetof(T, m), NOLIM, names, sizeof(((T *)0)->m), NULL, 0}
#define PATH_F(T, nm, m) {nm, F_PATH, offsetof(T, m), NOLIM, NULL, sizeof(((T *)0)->m), NULL, 0}
#define FN_F(nm, fn) {nm, F_FN, 0, NOLIM, NULL, 0, fn, 0}
#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *real_range_text(char *buf, size_t size, const field *f)
{
    if (f->hi == HUGE_VAL)
        snprintf(buf, size, "a number %s %g", f->lo_open ? ">" : ">=", f->lo);
    else
        snprintf(buf, size, "a number in %c%g, %g%c", f->lo_open ? '(' : '[', f->lo, f->hi, f->hi_open ? ')' : ']');
    return buf;
}

/* Convert v into the member f describes of the struct at base, checking type and range. */
static int convert_field(void *base, const field *f, const cfg_node *v, const char *key)
{
    char *member = (char *)base + f->off;
    char buf[512], range[128];
    switch (f->type) {
    case F_INT:
        return convert_int(v, key, (long long)f->lo, (long long)f->hi, (int *)(void *)member);
    case F_U64: {
        /* The whole uint64 range: strtoull, but only on digits, since it would wrap "-1". */
        const char *s = v->kind == CFG_SCALAR && v->plain ? v->value : "";
        char *end = NULL;
        unsigned long long x = 0;
        errno = 0;
        if (s[0] >= '0' && s[0] <= '9') x = strtoull(s, &end, 10);
        if (!end || *end || errno) return fail_expected(v, key, "a non-negative integer up to 18446744073709551615");
        uint64_t u = (uint64_t)x;
        memcpy(member, &u, sizeof u);
        return IP_OK;
    }
    case F_REAL: {
        double x;
        if (!parse_real(v, &x) || x < f->lo || (f->lo_open && x == f->lo) || x > f->hi || (f->hi_open && x == f->hi))
            return fail_expected(v, key, real_range_text(range, sizeof range, f));
        memcpy(member, &x, sizeof x);
        return IP_OK;
    }
    case F_BOOL: {
        int b;
        if (!parse_bool(v, &b)) return fail_expected(v, key, "true or false");
        memcpy(member, &b, sizeof b);
        return IP_OK;
    }
    case F_ENUM:
    case F_NAME: {
        int i = v->kind == CFG_SCALAR ? find_name(f->names, v->value) : -1;
        if (i < 0) {
            char got[192];
            if (v->kind != CFG_SCALAR || cfg_node_is_null(v))
                return cfg_node_fail(v, "%s: expected one of %s, got %s", key, join_names(buf, sizeof buf, f->names),
                                     describe(v, got, sizeof got));
            return cfg_node_fail(v, "%s: unknown value '%.60s' (valid: %s)", key, v->value,
                                 join_names(buf, sizeof buf, f->names));
        }
        if (f->type == F_ENUM)
            memcpy(member, &i, sizeof i);
        else
            snprintf(member, f->size, "%s", f->names[i]);
        return IP_OK;
    }
    case F_PATH:
        if (v->kind != CFG_SCALAR) return fail_expected(v, key, "a path");
        if (strlen(v->value) >= f->size)
            return cfg_node_fail(v, "%s: path longer than %zu characters", key, f->size - 1);
        snprintf(member, f->size, "%s", cfg_node_is_null(v) ? "" : v->value);
        return IP_OK;
    case F_FN:
        return f->fn(base, v, key);
    }
    return ip_fail(IP_ERR, "%s: internal error: unknown field type", key);
}

static const field *find_field(const field *fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0) return &fields[i];
    return NULL;
}

/* "a, b, c" of the keys in a table (all of them when kinds is 0, else those for that kind). */
static const char *field_list(char *buf, size_t size, const field *fields, int n, unsigned kinds)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (kinds && !(fields[i].kinds & kinds)) continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", fields[i].name);
        if (w < 0 || (size_t)w >= size - used) break;
        used += (size_t)w;
    }
    return buf;
}

/* Accept one positive integer or a list of them (e.g. hidden: [1024, 20, 20]) into out[max]. */
static int convert_int_list(const cfg_node *v, const char *key, int lo, int max, int *out, int *n_out)
{
    char item_key[160];
    if (v->kind == CFG_MAP) return fail_expected(v, key, "a list of positive integers");
    if (v->kind == CFG_SCALAR) {
        if (cfg_node_is_null(v)) return fail_expected(v, key, "a list of positive integers");
        *n_out = 1;
        return convert_int(v, key, lo, INT_MAX, &out[0]);
    }
    if (v->n > max) return cfg_node_fail(v, "%s: at most %d entries, got %d", key, max, v->n);
    for (int i = 0; i < v->n; i++) {
        snprintf(item_key, sizeof item_key, "%s[%d]", key, i);
        int rc = convert_int(v->items[i], item_key, lo, INT_MAX, &out[i]);
        if (rc != IP_OK) return rc;
    }
    *n_out = v->n;
    return IP_OK;
}

/* ---- model ---------------------------------------------------------------------------- */

static int fn_hidden(void *base, const cfg_node *v, const char *key)
{
    ip_model_config *m = &((ip_config *)base)->model;
    return convert_int_list(v, key, 1, IP_MAX_LAYERS, m->hidden, &m->n_hidden);
}

static int fn_channels(void *base, const cfg_node *v, const char *key)
{
    ip_model_config *m = &((ip_config *)base)->model;
    return convert_int_list(v, key, 1, IP_MAX_LAYERS, m->channels, &m->n_channels);
}

/* avgpool's output size: "size: 6" or "size: [6, 6]". */
static int fn_layer_size(void *base, const cfg_node *v, const char *key)
{
    ip_layer_spec *l = base;
    int hw[2], n = 0;
    if (v->kind == CFG_SCALAR) {
        int rc = convert_int(v, key, 1, INT_MAX, &l->out_h);
        l->out_w = l->out_h;
        return rc;
    }
    if (v->kind != CFG_SEQ || v->n != 2) return fail_expected(v, key, "a positive integer or a list [height, width]");
    int rc = convert_int_list(v, key, 1, 2, hw, &n);
    if (rc != IP_OK) return rc;
    l->out_h = hw[0];
    l->out_w = hw[1];
    return IP_OK;
}

#define K(kind) (1u << (kind))
#define K_ALL 0x7fu
static const field layer_fields[] = {
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
    {"activation", F_ENUM, offsetof(ip_layer_spec, activation), NOLIM, activation_names, 0, NULL,
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
        return fail_expected(map, key, "a layer mapping such as {type: dense, units: 10}");
    const cfg_node *type = cfg_map_get(map, "type", NULL);
    if (!type)
        return cfg_node_fail(map, "%s: missing 'type' (one of %s)", key, join_names(buf, sizeof buf, layer_kind_names));
    snprintf(sub, sizeof sub, "%s.type", key);
    int kind;
    field type_field = {"type", F_ENUM, 0, NOLIM, layer_kind_names, 0, NULL, 0};
    int rc = convert_field(&kind, &type_field, type, sub);
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
        const field *f = find_field(layer_fields, N_OF(layer_fields), name);
        if (!f)
            return cfg_node_fail(map->keys[i], "%s: unknown key '%.64s' (a %s layer takes: %s)", key, name,
                                 layer_kind_names[kind],
                                 field_list(buf, sizeof buf, layer_fields, N_OF(layer_fields), K(kind)));
        if (!(f->kinds & K(kind)))
            return cfg_node_fail(map->keys[i], "%s: '%s' does not apply to a %s layer (it takes: %s)", key, name,
                                 layer_kind_names[kind],
                                 field_list(buf, sizeof buf, layer_fields, N_OF(layer_fields), K(kind)));
        snprintf(sub, sizeof sub, "%s.%s", key, name);
        if (strcmp(name, "slope") == 0) {
            /* slope is a float in the struct, the table converts doubles. */
            double s;
            field sf = *f;
            sf.off = 0;
            if ((rc = convert_field(&s, &sf, map->items[i], sub)) != IP_OK) return rc;
            l->slope = (float)s;
            continue;
        }
        if ((rc = convert_field(l, f, map->items[i], sub)) != IP_OK) return rc;
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
                                 join_names(buf, sizeof buf, activation_names));
        if (slope && l->activation != IP_ACT_LEAKY_RELU)
            return cfg_node_fail(slope, "%s: 'slope' only applies to leaky_relu, not %s", key,
                                 activation_names[l->activation]);
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
    if (v->kind != CFG_SEQ) return fail_expected(v, key, "a list of layer mappings such as [{type: dense, units: 10}]");
    if (v->n > IP_MAX_LAYERS) return cfg_node_fail(v, "%s: at most %d layers, got %d", key, IP_MAX_LAYERS, v->n);
    for (int i = 0; i < v->n; i++) {
        snprintf(sub, sizeof sub, "%s[%d]", key, i);
        int rc = convert_layer(&m->layers[i], v->items[i], sub);
        if (rc != IP_OK) return rc;
    }
    m->n_layers = v->n;
    return IP_OK;
}

static const field model_fields[] = {
    NAME_F(ip_config, "arch", model.arch, arch_names),
    ENUM_F(ip_config, "activation", model.activation, activation_names),
    ENUM_F(ip_config, "init", model.init, init_names),
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

/* ---- data ----------------------------------------------------------------------------- */

static const field data_fields[] = {
    NAME_F(ip_config, "dataset", data.dataset, dataset_names),
    PATH_F(ip_config, "path", data.path),
    PATH_F(ip_config, "train_images", data.train_images),
    PATH_F(ip_config, "train_labels", data.train_labels),
    PATH_F(ip_config, "test_images", data.test_images),
    PATH_F(ip_config, "test_labels", data.test_labels),
    INT_F(ip_config, "train_size", data.train_size, 0, INT_MAX),
    INT_F(ip_config, "test_size", data.test_size, 0, INT_MAX),
    REAL_F(ip_config, "train_fraction", data.train_fraction, 0, 1, 1, 0),
    INT_F(ip_config, "gaussian_samples", data.gaussian_samples, 1, INT_MAX),
    INT_F(ip_config, "gaussian_dim", data.gaussian_dim, 1, INT_MAX),
    INT_F(ip_config, "gaussian_classes", data.gaussian_classes, 2, INT_MAX),
    REAL_F(ip_config, "gaussian_separation", data.gaussian_separation, 0, HUGE_VAL, 0, 0),
    ENUM_F(ip_config, "scale", data.scale, scale_names),
};

/* The idx dataset has no directory convention: its files must be named. */
static int check_data(ip_config *cfg, const cfg_node *section)
{
    const ip_data_config *d = &cfg->data;
    const cfg_node *ds = cfg_map_get(section, "dataset", NULL);
    if (strcmp(d->dataset, "idx") == 0 && (!d->train_images[0] || !d->train_labels[0]))
        return cfg_node_fail(ds ? ds : section, "data.dataset: idx needs data.train_images and data.train_labels");
    if (!d->test_images[0] != !d->test_labels[0]) {
        const cfg_node *v = cfg_map_get(section, d->test_images[0] ? "test_images" : "test_labels", NULL);
        return cfg_node_fail(v ? v : section, "data: test_images and test_labels go together; give both or neither");
    }
    return IP_OK;
}

/* ---- train ---------------------------------------------------------------------------- */

static const field train_fields[] = {
    INT_F(ip_config, "epochs", train.epochs, 0, INT_MAX),
    INT_F(ip_config, "batch_size", train.batch_size, 1, INT_MAX),
    ENUM_F(ip_config, "optimizer", train.optim.optimizer, optimizer_names),
    REAL_F(ip_config, "lr", train.optim.lr, 0, HUGE_VAL, 1, 0),
    REAL_F(ip_config, "momentum", train.optim.momentum, 0, 1, 0, 1),
    REAL_F(ip_config, "weight_decay", train.optim.weight_decay, 0, HUGE_VAL, 0, 0),
    REAL_F(ip_config, "beta1", train.optim.beta1, 0, 1, 0, 1),
    REAL_F(ip_config, "beta2", train.optim.beta2, 0, 1, 0, 1),
    REAL_F(ip_config, "eps", train.optim.eps, 0, HUGE_VAL, 1, 0),
    INT_F(ip_config, "threads", train.threads, 0, 4096),
    BOOL_F(ip_config, "shuffle", train.shuffle),
    ENUM_F(ip_config, "lr_schedule", train.optim.lr_schedule, lr_schedule_names),
    INT_F(ip_config, "augment_shift", train.augment_shift, 0, 1000),
};

/* ---- record --------------------------------------------------------------------------- */

/* epochs: all | log | {every: K} | [0, 1, 2, 5, ...] */
static int fn_record_epochs(void *base, const cfg_node *v, const char *key)
{
    ip_record_config *r = &((ip_config *)base)->record;
    const char *expected = "all, log, {every: K} or an ascending list of epochs";
    char sub[160];
    r->every = 0;
    r->n_list = 0;
    if (v->kind == CFG_SCALAR) {
        if (strcmp(v->value, "all") == 0) {
            r->epochs = IP_SCHED_ALL;
            return IP_OK;
        }
        if (strcmp(v->value, "log") == 0) {
            r->epochs = IP_SCHED_LOG;
            return IP_OK;
        }
        long long k;
        char got[192];
        if (parse_ll(v, &k))
            return cfg_node_fail(v, "%s: expected %s, got %s (every K-th epoch is written {every: %lld})", key,
                                 expected, describe(v, got, sizeof got), k);
        return fail_expected(v, key, expected);
    }
    if (v->kind == CFG_MAP) {
        for (int i = 0; i < v->n; i++)
            if (strcmp(v->keys[i]->value, "every") != 0)
                return cfg_node_fail(v->keys[i], "%s: unknown key '%.64s' (allowed: every)", key, v->keys[i]->value);
        const cfg_node *every = cfg_map_get(v, "every", NULL);
        if (!every) return fail_expected(v, key, expected);
        snprintf(sub, sizeof sub, "%s.every", key);
        r->epochs = IP_SCHED_EVERY;
        return convert_int(every, sub, 1, INT_MAX, &r->every);
    }
    if (v->n > IP_MAX_LIST) return cfg_node_fail(v, "%s: at most %d epochs in a list, got %d", key, IP_MAX_LIST, v->n);
    for (int i = 0; i < v->n; i++) {
        snprintf(sub, sizeof sub, "%s[%d]", key, i);
        int rc = convert_int(v->items[i], sub, 0, INT_MAX, &r->list[i]);
        if (rc != IP_OK) return rc;
        if (i > 0 && r->list[i] <= r->list[i - 1])
            return cfg_node_fail(v->items[i], "%s: the list must be strictly ascending (%d comes after %d)", sub,
                                 r->list[i], r->list[i - 1]);
    }
    r->epochs = IP_SCHED_LIST;
    r->n_list = v->n;
    return IP_OK;
}

static const field record_fields[] = {
    INT_F(ip_config, "samples", record.samples, 0, INT_MAX),
    INT_F(ip_config, "test_samples", record.test_samples, 0, INT_MAX),
    FN_F("epochs", fn_record_epochs),
    INT_F(ip_config, "compression", record.compression, 0, 9),
};

/* ---- analysis ------------------------------------------------------------------------- */

static int fn_estimators(void *base, const cfg_node *v, const char *key)
{
    ip_analysis_config *a = &((ip_config *)base)->analysis;
    char names[128], sub[160];
    const cfg_node *one = v;
    int n = v->kind == CFG_SEQ ? v->n : 1;
    if (v->kind == CFG_MAP || n == 0 || cfg_node_is_null(v))
        return cfg_node_fail(v, "%s: expected one or a list of %s (to skip the analysis use 'infoplane train')", key,
                             join_names(names, sizeof names, estimator_names));
    if (n > 5) return cfg_node_fail(v, "%s: at most 5 estimators, got %d", key, n);
    field f = {"estimators", F_NAME, 0, NOLIM, estimator_names, IP_NAME_LEN, NULL, 0};
    for (int i = 0; i < n; i++) {
        if (v->kind == CFG_SEQ) one = v->items[i];
        snprintf(sub, sizeof sub, v->kind == CFG_SEQ ? "%s[%d]" : "%s", key, i);
        int rc = convert_field(a->estimators[i], &f, one, sub);
        if (rc != IP_OK) return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(a->estimators[j], a->estimators[i]) == 0)
                return cfg_node_fail(one, "%s: '%s' is listed twice", key, a->estimators[i]);
    }
    a->n_estimators = n;
    return IP_OK;
}

/* beta: a positive number, or auto (stored as 0) for the paper's 100 * d_X. */
static int fn_beta(void *base, const cfg_node *v, const char *key)
{
    ip_analysis_config *a = &((ip_config *)base)->analysis;
    double b;
    if (v->kind == CFG_SCALAR && strcmp(v->value, "auto") == 0) {
        a->beta = 0;
        return IP_OK;
    }
    if (!parse_real(v, &b) || !(b > 0)) return fail_expected(v, key, "a number > 0 or auto");
    a->beta = b;
    return IP_OK;
}

static const field analysis_fields[] = {
    FN_F("estimators", fn_estimators),
    ENUM_F(ip_config, "mode", analysis.mode, mode_names),
    FN_F("beta", fn_beta),
    ENUM_F(ip_config, "units", analysis.bits, units_names),
};

/* ---- plot ----------------------------------------------------------------------------- */

static const field plot_fields[] = {
    NAME_F(ip_config, "format", plot.format, format_names),
    INT_F(ip_config, "width", plot.width, 64, 20000),
    INT_F(ip_config, "height", plot.height, 64, 20000),
};

/* ---- the top level -------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const field *fields;
    int n;
    int (*check)(ip_config *cfg, const cfg_node *section); /* across keys, after all of them */
} section_def;

static const section_def sections[] = {
    {"model", model_fields, N_OF(model_fields), check_model},
    {"data", data_fields, N_OF(data_fields), check_data},
    {"train", train_fields, N_OF(train_fields), NULL},
    {"record", record_fields, N_OF(record_fields), NULL},
    {"analysis", analysis_fields, N_OF(analysis_fields), NULL},
    {"plot", plot_fields, N_OF(plot_fields), NULL},
};
static const field seed_field = {"seed", F_U64, offsetof(ip_config, seed), NOLIM, NULL, 0, NULL, 0};
#define TOP_KEYS "seed, model, data, train, record, analysis, plot"

static const section_def *find_section(const char *name)
{
    for (int i = 0; i < N_OF(sections); i++)
        if (strcmp(sections[i].name, name) == 0) return &sections[i];
    return NULL;
}

static int expect_section_map(const cfg_node *v, const section_def *s)
{
    char keys[512], what[600];
    if (v->kind == CFG_MAP || cfg_node_is_null(v)) return IP_OK;
    snprintf(what, sizeof what, "a mapping of keys (%s)", field_list(keys, sizeof keys, s->fields, s->n, 0));
    return fail_expected(v, s->name, what);
}

static int unknown_key(const cfg_node *at, const char *name, const section_def *s)
{
    char keys[512];
    return cfg_node_fail(at, "unknown key '%.64s' in section '%s' (allowed: %s)", name, s->name,
                         field_list(keys, sizeof keys, s->fields, s->n, 0));
}

static int convert_section(ip_config *cfg, const section_def *s, const cfg_node *v)
{
    char key[160];
    int rc = expect_section_map(v, s);
    if (rc != IP_OK || v->kind != CFG_MAP) return rc; /* a null section ("plot:") is an empty one */
    for (int i = 0; i < v->n; i++) {
        const field *f = find_field(s->fields, s->n, v->keys[i]->value);
        if (!f) return unknown_key(v->keys[i], v->keys[i]->value, s);
        snprintf(key, sizeof key, "%s.%s", s->name, f->name);
        if ((rc = convert_field(cfg, f, v->items[i], key)) != IP_OK) return rc;
    }
    return s->check ? s->check(cfg, v) : IP_OK;
}

static int convert_root(ip_config *cfg, const cfg_node *root)
{
    for (int i = 0; i < root->n; i++) {
        const char *name = root->keys[i]->value;
        int rc;
        if (strcmp(name, "seed") == 0) {
            rc = convert_field(cfg, &seed_field, root->items[i], "seed");
        } else {
            const section_def *s = find_section(name);
            if (!s)
                return cfg_node_fail(root->keys[i], "unknown key '%.64s' at the top level (allowed: " TOP_KEYS ")",
                                     name);
            rc = convert_section(cfg, s, root->items[i]);
        }
        if (rc != IP_OK) return rc;
    }
    /* Across sections: shifting needs images. The flat data sets are known by name here; an idx
     * file of flat vectors is refused by the trainer once its shape is known. */
    if (cfg->train.augment_shift > 0 &&
        (strcmp(cfg->data.dataset, "tishby") == 0 || strcmp(cfg->data.dataset, "gaussian") == 0)) {
        const cfg_node *train = cfg_map_get(root, "train", NULL);
        const cfg_node *v = train && train->kind == CFG_MAP ? cfg_map_get(train, "augment_shift", NULL) : NULL;
        return cfg_node_fail(v ? v : root,
                             "train.augment_shift: %d, but data.dataset %s has flat samples, not images "
                             "(only 0 is allowed)",
                             cfg->train.augment_shift, cfg->data.dataset);
    }
    return IP_OK;
}

/* ---- overrides ------------------------------------------------------------------------ */

/* Set the value under `name` in map to v (replacing the old value, or appending the key).
 * Takes ownership of v. */
static int map_set(cfg_node *map, const char *name, cfg_node *v, const char *origin)
{
    int index;
    if (cfg_map_get(map, name, &index)) {
        cfg_node_free(map->items[index]);
        map->items[index] = v;
        return IP_OK;
    }
    cfg_node *key = cfg_node_new(CFG_SCALAR, origin);
    if (key) key->value = ip_malloc(strlen(name) + 1);
    if (!key || !key->value) {
        cfg_node_free(key);
        cfg_node_free(v);
        return IP_ERR_NOMEM;
    }
    strcpy(key->value, name);
    key->plain = 1;
    return cfg_map_append(map, key, v);
}

/* Apply one "section.key=value" to the tree. `origin` is "--set <text>", used in messages and
 * stored in the new nodes (it outlives the tree). Unknown keys fail here, with the same list of
 * allowed keys a file would get; the value itself is checked with the rest, by convert_root. */
static int apply_override(cfg_node *root, const char *text, const char *origin)
{
    cfg_node at = {.origin = origin}, *value = NULL;
    char path[256];
    int rc = IP_OK;
    while (*text == ' ' || *text == '\t') text++;
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) return cfg_node_fail(&at, "expected key=value, e.g. --set train.epochs=3");
    size_t klen = (size_t)(eq - text);
    while (klen > 0 && (text[klen - 1] == ' ' || text[klen - 1] == '\t')) klen--;
    if (klen == 0 || klen >= sizeof path) return cfg_node_fail(&at, "expected key=value, e.g. --set train.epochs=3");
    memcpy(path, text, klen);
    path[klen] = '\0';

    char *dot = strchr(path, '.');
    const char *sec_name = path;
    char *key_name = dot ? dot + 1 : NULL;
    if (dot) *dot = '\0';
    const section_def *s = NULL;
    if (strcmp(sec_name, "seed") == 0) {
        if (key_name) return cfg_node_fail(&at, "'seed' is a value, not a section: write --set seed=N");
    } else {
        s = find_section(sec_name);
        if (!s) return cfg_node_fail(&at, "unknown key '%s' at the top level (allowed: " TOP_KEYS ")", sec_name);
        if (!key_name)
            return cfg_node_fail(&at, "give a key inside section '%s', e.g. --set %s.%s=...", s->name, s->name,
                                 s->fields[0].name);
        if (strchr(key_name, '.')) {
            *strchr(key_name, '.') = '\0';
            return cfg_node_fail(&at, "only section.key can be set; give the whole value of %s.%s, e.g. "
                                      "--set record.epochs={every: 5}", sec_name, key_name);
        }
        if (!find_field(s->fields, s->n, key_name)) return unknown_key(&at, key_name, s);
    }

    const char *vtext = eq + 1;
    if ((rc = cfg_tree_parse(&value, vtext, strlen(vtext), origin, 0)) != IP_OK) return rc;
    if (!value) { /* "key=" (or only a comment): YAML's null, which the key's check will refuse */
        if (!(value = cfg_node_new(CFG_SCALAR, origin))) return IP_ERR_NOMEM;
        value->plain = 1;
        if (!(value->value = ip_calloc(1, 1))) {
            cfg_node_free(value);
            return IP_ERR_NOMEM;
        }
    }
    if (!s) return map_set(root, "seed", value, origin);

    cfg_node *section = cfg_map_get(root, s->name, NULL);
    if (section && (rc = expect_section_map(section, s)) != IP_OK) {
        cfg_node_free(value);
        return rc;
    }
    if (!section || section->kind != CFG_MAP) { /* absent, or "train:" with nothing: start one */
        cfg_node *map = cfg_node_new(CFG_MAP, origin);
        if (!map) {
            cfg_node_free(value);
            return IP_ERR_NOMEM;
        }
        if ((rc = map_set(root, s->name, map, origin)) != IP_OK) {
            cfg_node_free(value);
            return rc;
        }
        section = map;
    }
    return map_set(section, key_name, value, origin);
}

/* ---- loading -------------------------------------------------------------------------- */

/* The common path: takes ownership of `text` (stored in cfg->text on success). */
static int load_owned(ip_config *cfg, char *text, size_t len, const char *name, int n_overrides, char **overrides)
{
    int rc = IP_OK;
    cfg_node *root = NULL;
    char **origins = NULL;
    size_t total = 1;

    ip_config_defaults(cfg);
    cfg->text = text;
    if (strlen(name) >= sizeof cfg->source) {
        rc = ip_fail(IP_ERR_IO, "%.200s...: file name longer than %zu characters", name, sizeof cfg->source - 1);
        goto out;
    }
    snprintf(cfg->source, sizeof cfg->source, "%s", name);
    if (memchr(text, '\0', len)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: contains a NUL byte; a config is YAML text", name);
        goto out;
    }

    /* The overrides as run, one per line, and "--set <text>" for messages and node origins. */
    if (n_overrides < 0 || (n_overrides > 0 && !overrides)) {
        rc = ip_fail(IP_ERR, "%s: bad override list", name);
        goto out;
    }
    if (!(origins = ip_calloc((size_t)n_overrides + 1, sizeof *origins))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < n_overrides; i++) total += strlen(overrides[i]) + 1;
    if (!(cfg->overrides = ip_malloc(total))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    cfg->overrides[0] = '\0';
    for (int i = 0; i < n_overrides; i++) {
        strcat(cfg->overrides, overrides[i]);
        strcat(cfg->overrides, "\n");
        size_t size = strlen(overrides[i]) + 8;
        if (!(origins[i] = ip_malloc(size))) {
            rc = IP_ERR_NOMEM;
            goto out;
        }
        snprintf(origins[i], size, "--set %s", overrides[i]);
    }

    if ((rc = cfg_tree_parse(&root, text, len, name, 1)) != IP_OK) goto out;
    if (!root || cfg_node_is_null(root)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: the config is empty; expected a mapping with sections " TOP_KEYS, name);
        goto out;
    }
    if (root->kind != CFG_MAP) {
        char got[192];
        rc = cfg_node_fail(root, "expected a mapping with sections " TOP_KEYS ", got %s",
                           describe(root, got, sizeof got));
        goto out;
    }
    for (int i = 0; i < n_overrides; i++)
        if ((rc = apply_override(root, overrides[i], origins[i])) != IP_OK) goto out;
    rc = convert_root(cfg, root);

out:
    cfg_node_free(root);
    if (origins)
        for (int i = 0; i < n_overrides; i++) free(origins[i]);
    free(origins);
    if (rc != IP_OK) {
        ip_config_free(cfg);
        ip_config_defaults(cfg); /* no half-converted values left behind */
    }
    return rc;
}

int ip_config_load_text(ip_config *cfg, const char *text, const char *name, int n_overrides, char **overrides)
{
    if (!name) name = "<config>";
    size_t len = strlen(text);
    char *copy = ip_malloc(len + 1);
    if (!copy) {
        ip_config_defaults(cfg);
        return IP_ERR_NOMEM;
    }
    memcpy(copy, text, len + 1);
    return load_owned(cfg, copy, len, name, n_overrides, overrides);
}

int ip_config_load(ip_config *cfg, const char *path, int n_overrides, char **overrides)
{
    int rc = IP_OK;
    size_t len = 0, cap = 4096;
    char *text = NULL;
    FILE *f = fopen(path, "rb");
    ip_config_defaults(cfg);
    if (!f) return ip_fail(IP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!(text = ip_malloc(cap))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (ferror(f)) {
            rc = ip_fail(IP_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            goto out;
        }
        if (feof(f)) break;
        if (cap - len - 1 == 0) {
            if (cap > (size_t)64 << 20) { /* a config is a page of text; this is not one */
                rc = ip_fail(IP_ERR_FORMAT, "%s: larger than 64 MiB; not a config file", path);
                goto out;
            }
            char *bigger = realloc(text, cap * 2);
            if (!bigger) {
                rc = ip_fail(IP_ERR_NOMEM, "%s: out of memory reading", path);
                goto out;
            }
            text = bigger;
            cap *= 2;
        }
    }
    text[len] = '\0';
    fclose(f);
    f = NULL;
    rc = load_owned(cfg, text, len, path, n_overrides, overrides);
    text = NULL; /* load_owned owns it now */

out:
    if (f) fclose(f);
    free(text);
    return rc;
}
