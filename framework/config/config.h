/* A run's configuration as a plain, validated struct. Only framework/config/ includes yaml.h
 * (config_tree.c): after ip_config_load() returns, nothing else sees YAML.
 * Sections: seed, model, data, train, record, analysis, plot (see docs/config.md). */
#ifndef IP_CONFIG_H
#define IP_CONFIG_H

#include <stdint.h>

#include "../core/limits.h"
#include "../data/dataset.h"        /* ip_data_config */
#include "../estimate/estimator.h"  /* ip_logdet_mode, ip_estimator_choice */
#include "../nn/layer_spec.h"       /* ip_activation, ip_layer_spec, ip_init_kind */
#include "../nn/optim.h"            /* ip_optimizer_settings */
#include "../record/schedule.h"     /* ip_record_config */

typedef struct {
    char arch[IP_NAME_LEN];          /* tishby | mnist_fnn | mnist_cnn | mlp | cnn | custom */
    ip_activation activation;        /* hidden activation of named architectures */
    ip_init_kind init;
    int n_hidden, hidden[IP_MAX_LAYERS];   /* mlp widths (named archs fill defaults) */
    int n_channels, channels[IP_MAX_LAYERS]; /* cnn block channels */
    int n_layers;                    /* custom: explicit layer list */
    ip_layer_spec layers[IP_MAX_LAYERS];
} ip_model_config;

typedef struct {
    int epochs;
    int batch_size;
    ip_optimizer_settings optim;     /* optimizer, lr, momentum, ..., lr_schedule */
    int threads;                     /* BLAS threads; 0 = OpenBLAS default */
    int shuffle;
    int augment_shift;               /* N > 0: training images shifted by (dx, dy) in {-N..N}^2 */
} ip_train_config;

typedef struct {
    int n_estimators;
    char estimators[8][IP_NAME_LEN]; /* names from ip_estimator_names (estimate/estimators.h) */
    ip_logdet_mode mode;
    double beta;                     /* <= 0: auto, 100 * d_X as in the paper's code */
    int bits;                        /* 1: report in bits, 0: nats */
    int online;                      /* 1: analysed while training (`run --online`), 0: after it */
    ip_estimator_choice params;      /* the estimators' parameter lists (analysis.binning, .kde,
                                      * .renyi, .ksg); its kinds and LogDet fields are filled from
                                      * the three above when the section is checked */
} ip_analysis_config;

typedef struct {
    char format[8];                  /* png | pdf | svg */
    int width, height;
    int animation;                   /* 1: the plane's GIF over the epochs (the slowest figure) */
} ip_plot_config;

typedef struct {
    uint64_t seed;
    ip_model_config model;
    ip_data_config data;
    ip_train_config train;
    ip_record_config record;
    ip_analysis_config analysis;
    ip_plot_config plot;
    char *text;                      /* the YAML file's text as read, owned */
    char *overrides;                 /* the --set strings, one "key=value" per line ("" if none), owned */
    char source[IP_PATH_LEN];        /* the file it came from */
} ip_config;

/* Fill *cfg with the defaults (documented in docs/config.md). */
void ip_config_defaults(ip_config *cfg);

/* Load and validate `path`, applying the `n_overrides` "key=value" strings (dotted keys,
 * e.g. "train.epochs=3") after the file. On failure returns a negative status with a message
 * naming the file and, for YAML problems, the line and column; *cfg is then left freed.
 * On success the caller owns cfg->text and releases it with ip_config_free(). */
int ip_config_load(ip_config *cfg, const char *path, int n_overrides, char **overrides);

/* Same, from YAML text in memory; `name` is used in messages. */
int ip_config_load_text(ip_config *cfg, const char *text, const char *name, int n_overrides,
                        char **overrides);

void ip_config_free(ip_config *cfg);

#endif
