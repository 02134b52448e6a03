/* Comparing loaded configurations (see config_compare.h). One table per section lists every
 * setting with its YAML key, type and place in ip_config; comparing and describing both walk it,
 * so a setting is compared exactly when it can be named. Fields are compared one by one (strings
 * up to their NUL, arrays up to their counts, numbers by value), never with memcmp over a struct:
 * padding bytes and the bytes after a string's NUL hold nothing meaningful. */
#include "config_compare.h"

#include "core/names.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A new field in one of these structs must be added to a table below (or be declared irrelevant
 * there); these sizes (LP64) trip the build until that is done. */
_Static_assert(sizeof(ip_model_config) == 3412, "ip_model_config changed: update model_fields in config_compare.c");
_Static_assert(sizeof(ip_layer_spec) == 44, "ip_layer_spec changed: update same_layer/layer_text in config_compare.c");
_Static_assert(sizeof(ip_data_config) == 5248, "ip_data_config changed: update data_fields in config_compare.c");
_Static_assert(sizeof(ip_train_config) == 88, "ip_train_config changed: update train_fields in config_compare.c");
_Static_assert(sizeof(ip_optimizer_settings) == 64, "ip_optimizer_settings changed: update train_fields in config_compare.c");
_Static_assert(sizeof(ip_record_config) == 2088, "ip_record_config changed: update record_fields in config_compare.c");
_Static_assert(sizeof(ip_analysis_config) == 1288, "ip_analysis_config changed: update analysis_fields in config_compare.c");
_Static_assert(sizeof(ip_plot_config) == 20, "ip_plot_config changed: update plot_fields in config_compare.c");
_Static_assert(sizeof(ip_config) == 13200, "ip_config changed (a new section?): update sections in config_compare.c");

typedef enum {
    F_INT,      /* int */
    F_REAL,     /* double */
    F_TEXT,     /* char[size] */
    F_ENUM,     /* an enum stored as int, named by `names` */
    F_BOOL,     /* int 0/1, shown as false/true */
    F_INTS,     /* int[] with its count (an int) at count_off */
    F_REALS,    /* double[] with its count (an int) at count_off */
    F_NAMES,    /* char[][IP_NAME_LEN] with its count at count_off */
    F_LAYERS,   /* ip_layer_spec[] with its count at count_off */
    F_SCHEDULE, /* an ip_schedule */
    F_STORE,    /* ip_record_config's store and store_epochs */
    F_BETA      /* double, 0 = auto */
} field_kind;

typedef struct {
    const char *key; /* as in the YAML file */
    field_kind kind;
    size_t off, size; /* in ip_config; size: F_TEXT's buffer */
    const char *const *names;
    size_t count_off;
} field;

#define AT(member) offsetof(ip_config, member)
#define INT(key, m) {key, F_INT, AT(m), 0, NULL, 0}
#define REAL(key, m) {key, F_REAL, AT(m), 0, NULL, 0}
#define TEXT(key, m) {key, F_TEXT, AT(m), sizeof(((ip_config *)0)->m), NULL, 0}
#define ENUM(key, m, names) {key, F_ENUM, AT(m), 0, names, 0}
#define LIST(key, kind, m, count) {key, kind, AT(m), 0, NULL, AT(count)}

static const char *const units_names[] = {"nats", "bits", NULL}; /* index = analysis.bits */

static const field model_fields[] = {
    TEXT("arch", model.arch),
    ENUM("activation", model.activation, ip_activation_names),
    ENUM("init", model.init, ip_init_names),
    LIST("hidden", F_INTS, model.hidden, model.n_hidden),
    LIST("channels", F_INTS, model.channels, model.n_channels),
    LIST("layers", F_LAYERS, model.layers, model.n_layers),
};
static const field data_fields[] = {
    TEXT("dataset", data.dataset),
    TEXT("path", data.path),
    TEXT("train_images", data.train_images),
    TEXT("train_labels", data.train_labels),
    TEXT("test_images", data.test_images),
    TEXT("test_labels", data.test_labels),
    INT("train_size", data.train_size),
    INT("test_size", data.test_size),
    REAL("train_fraction", data.train_fraction),
    INT("gaussian_samples", data.gaussian_samples),
    INT("gaussian_dim", data.gaussian_dim),
    INT("gaussian_classes", data.gaussian_classes),
    REAL("gaussian_separation", data.gaussian_separation),
    ENUM("scale", data.scale, ip_data_scale_names),
    REAL("label_noise", data.label_noise),
    {"generate", F_BOOL, AT(data.generate), 0, NULL, 0},
};
static const field train_fields[] = {
    INT("epochs", train.epochs),
    INT("batch_size", train.batch_size),
    ENUM("optimizer", train.optim.optimizer, ip_optimizer_names),
    REAL("lr", train.optim.lr),
    REAL("momentum", train.optim.momentum),
    REAL("weight_decay", train.optim.weight_decay),
    REAL("beta1", train.optim.beta1),
    REAL("beta2", train.optim.beta2),
    REAL("eps", train.optim.eps),
    INT("threads", train.threads),
    {"shuffle", F_BOOL, AT(train.shuffle), 0, NULL, 0},
    ENUM("lr_schedule", train.optim.lr_schedule, ip_lr_schedule_names),
    INT("augment_shift", train.augment_shift),
};
static const field record_fields[] = {
    INT("samples", record.samples),
    INT("test_samples", record.test_samples),
    {"epochs", F_SCHEDULE, AT(record.epochs), 0, NULL, 0},
    INT("compression", record.compression),
    {"store", F_STORE, AT(record), 0, NULL, 0},
};
static const field analysis_fields[] = {
    LIST("estimators", F_NAMES, analysis.estimators, analysis.n_estimators),
    ENUM("mode", analysis.mode, ip_logdet_mode_names),
    {"beta", F_BETA, AT(analysis.beta), 0, NULL, 0},
    ENUM("units", analysis.bits, units_names),
    {"online", F_BOOL, AT(analysis.online), 0, NULL, 0},
    /* analysis.params: its kinds and LogDet fields repeat the three above */
    LIST("binning.bins", F_INTS, analysis.params.bins, analysis.params.n_bins),
    ENUM("binning.range", analysis.params.bin_range, ip_binning_range_names),
    REAL("binning.lo", analysis.params.bin_lo),
    REAL("binning.hi", analysis.params.bin_hi),
    LIST("binning.width", F_REALS, analysis.params.width, analysis.params.n_width),
    LIST("kde.noise", F_REALS, analysis.params.noise, analysis.params.n_noise),
    LIST("renyi.alpha", F_REALS, analysis.params.alpha, analysis.params.n_alpha),
    LIST("renyi.sigma", F_REALS, analysis.params.sigma, analysis.params.n_sigma),
    LIST("ksg.k", F_INTS, analysis.params.k, analysis.params.n_k),
};
static const field plot_fields[] = {
    TEXT("format", plot.format),
    INT("width", plot.width),
    INT("height", plot.height),
    {"animation", F_BOOL, AT(plot.animation), 0, NULL, 0},
};

/* The sections in the order of the YAML file; the seed, the one setting left out, comes first. */
static const struct {
    const field *fields;
    size_t n;
} sections[] = {
    {model_fields, sizeof model_fields / sizeof model_fields[0]},
    {data_fields, sizeof data_fields / sizeof data_fields[0]},
    {train_fields, sizeof train_fields / sizeof train_fields[0]},
    {record_fields, sizeof record_fields / sizeof record_fields[0]},
    {analysis_fields, sizeof analysis_fields / sizeof analysis_fields[0]},
    {plot_fields, sizeof plot_fields / sizeof plot_fields[0]},
};

#define PTR(cfg, off, type) ((const type *)(const void *)((const char *)(cfg) + (off)))

static int same_layer(const ip_layer_spec *a, const ip_layer_spec *b)
{
    return a->kind == b->kind && a->units == b->units && a->channels == b->channels && a->kernel == b->kernel &&
           a->stride == b->stride && a->padding == b->padding && a->out_h == b->out_h && a->out_w == b->out_w &&
           a->activation == b->activation && a->slope == b->slope && a->record == b->record;
}

static int same_schedule(const ip_schedule *a, const ip_schedule *b)
{
    if (a->kind != b->kind) return 0;
    if (a->kind == IP_SCHED_EVERY) return a->every == b->every;
    if (a->kind != IP_SCHED_LIST) return 1;
    if (a->n_list != b->n_list) return 0;
    for (int i = 0; i < a->n_list; i++)
        if (a->list[i] != b->list[i]) return 0;
    return 1;
}

static int same_field(const field *f, const ip_config *a, const ip_config *b)
{
    switch (f->kind) {
    case F_INT:
    case F_ENUM:
    case F_BOOL: return *PTR(a, f->off, int) == *PTR(b, f->off, int);
    case F_REAL:
    case F_BETA: return *PTR(a, f->off, double) == *PTR(b, f->off, double);
    case F_TEXT: return strncmp(PTR(a, f->off, char), PTR(b, f->off, char), f->size) == 0;
    case F_SCHEDULE: return same_schedule(PTR(a, f->off, ip_schedule), PTR(b, f->off, ip_schedule));
    case F_STORE: {
        const ip_record_config *ra = PTR(a, f->off, ip_record_config), *rb = PTR(b, f->off, ip_record_config);
        return ra->store == rb->store &&
               (ra->store != IP_STORE_SCHEDULE || same_schedule(&ra->store_epochs, &rb->store_epochs));
    }
    default: break;
    }
    int n = *PTR(a, f->count_off, int);
    if (n != *PTR(b, f->count_off, int)) return 0;
    for (int i = 0; i < n; i++) {
        int same = f->kind == F_INTS    ? PTR(a, f->off, int)[i] == PTR(b, f->off, int)[i]
                   : f->kind == F_REALS ? PTR(a, f->off, double)[i] == PTR(b, f->off, double)[i]
                   : f->kind == F_NAMES ? strncmp(PTR(a, f->off, char) + (size_t)i * IP_NAME_LEN,
                                                  PTR(b, f->off, char) + (size_t)i * IP_NAME_LEN, IP_NAME_LEN) == 0
                                        : same_layer(PTR(a, f->off, ip_layer_spec) + i, PTR(b, f->off, ip_layer_spec) + i);
        if (!same) return 0;
    }
    return 1;
}

int ip_config_same_but_seed(const ip_config *a, const ip_config *b)
{
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
        for (size_t i = 0; i < sections[s].n; i++)
            if (!same_field(&sections[s].fields[i], a, b)) return 0;
    return 1;
}

int ip_config_group(int n, const ip_config *const *cfgs, int *group)
{
    int n_groups = 0;
    for (int i = 0; i < n; i++) {
        group[i] = -1;
        for (int j = 0; j < i && group[i] < 0 && cfgs[i]; j++)
            if (cfgs[j] && ip_config_same_but_seed(cfgs[i], cfgs[j])) group[i] = group[j];
        if (group[i] < 0) group[i] = n_groups++;
    }
    return n_groups;
}

/* ---- describing ---- */

/* Append printf-style text at out + *len (cap bytes in all; truncates, always terminated). */
static void add(char *out, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (w > 0) *len += (size_t)w < cap - *len ? (size_t)w : cap - *len - 1;
}

static void layer_text(char *out, size_t cap, size_t *len, const ip_layer_spec *l)
{
    const char *kind = ip_name_of(ip_layer_kind_names, (int)l->kind);
    switch (l->kind) {
    case IP_LAYER_DENSE: add(out, cap, len, "%s %d", kind, l->units); break;
    case IP_LAYER_CONV2D:
        add(out, cap, len, "%s %d k%d s%d p%d", kind, l->channels, l->kernel, l->stride, l->padding);
        break;
    case IP_LAYER_MAXPOOL: add(out, cap, len, "%s k%d s%d", kind, l->kernel, l->stride); break;
    case IP_LAYER_AVGPOOL: add(out, cap, len, "%s %dx%d", kind, l->out_h, l->out_w); break;
    case IP_LAYER_ACTIVATION:
        add(out, cap, len, "%s", ip_name_of(ip_activation_names, (int)l->activation));
        if (l->activation == IP_ACT_LEAKY_RELU) add(out, cap, len, " %g", l->slope);
        break;
    default: add(out, cap, len, "%s", kind); break;
    }
    if (l->record) add(out, cap, len, " (recorded)");
}

/* The value of f in c as the YAML file would write it. */
static void value_text(const field *f, const ip_config *c, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    switch (f->kind) {
    case F_INT: add(out, cap, &len, "%d", *PTR(c, f->off, int)); return;
    case F_REAL: add(out, cap, &len, "%.10g", *PTR(c, f->off, double)); return;
    case F_BETA: {
        double b = *PTR(c, f->off, double);
        if (b > 0) add(out, cap, &len, "%.10g", b);
        else add(out, cap, &len, "auto");
        return;
    }
    case F_TEXT: add(out, cap, &len, "%.*s", (int)f->size, PTR(c, f->off, char)); return;
    case F_ENUM: add(out, cap, &len, "%s", ip_name_of(f->names, *PTR(c, f->off, int))); return;
    case F_BOOL: add(out, cap, &len, "%s", *PTR(c, f->off, int) ? "true" : "false"); return;
    case F_SCHEDULE: {
        char text[IP_SCHEDULE_TEXT];
        add(out, cap, &len, "%s", ip_schedule_text(PTR(c, f->off, ip_schedule), text, sizeof text));
        return;
    }
    case F_STORE: {
        char text[IP_SCHEDULE_TEXT];
        add(out, cap, &len, "%s", ip_store_text(PTR(c, f->off, ip_record_config), text, sizeof text));
        return;
    }
    default: break;
    }
    int n = *PTR(c, f->count_off, int);
    add(out, cap, &len, "[");
    for (int i = 0; i < n; i++) {
        if (i) add(out, cap, &len, ", ");
        if (f->kind == F_INTS) add(out, cap, &len, "%d", PTR(c, f->off, int)[i]);
        else if (f->kind == F_REALS) add(out, cap, &len, "%.10g", PTR(c, f->off, double)[i]);
        else if (f->kind == F_NAMES) add(out, cap, &len, "%.*s", IP_NAME_LEN, PTR(c, f->off, char) + (size_t)i * IP_NAME_LEN);
        else layer_text(out, cap, &len, PTR(c, f->off, ip_layer_spec) + i);
    }
    add(out, cap, &len, "]");
}

int ip_config_distinct(const ip_config *c, int n, const ip_config *const *others, int max, char *out, size_t cap)
{
    size_t len = 0;
    int shown = 0;
    if (cap) out[0] = '\0';
    for (size_t s = 0; s < sizeof sections / sizeof sections[0] && shown < max; s++)
        for (size_t i = 0; i < sections[s].n && shown < max; i++) {
            const field *f = &sections[s].fields[i];
            int everywhere = 1;
            for (int k = 0; k < n && everywhere; k++) everywhere = others[k] && same_field(f, c, others[k]);
            if (everywhere) continue;
            char value[512], item[600];
            value_text(f, c, value, sizeof value);
            int w = snprintf(item, sizeof item, "%s%s: %s", shown ? ", " : "", f->key, value);
            if (w < 0 || len + (size_t)w >= cap) continue; /* does not fit: left out */
            memcpy(out + len, item, (size_t)w + 1);
            len += (size_t)w;
            shown++;
        }
    return shown;
}
