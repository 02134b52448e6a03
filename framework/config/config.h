/* A run's configuration as a plain, validated struct. config.c is the only file that
 * includes yaml.h: after ip_config_load() returns, nothing else sees YAML.
 * Sections: seed, model, data, train, record, analysis, plot (see docs/config.md). */
#ifndef IP_CONFIG_H
#define IP_CONFIG_H

#include <stdint.h>

#define IP_MAX_LAYERS 64
#define IP_MAX_LIST 256
#define IP_NAME_LEN 64
#define IP_PATH_LEN 1024

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
    IP_LAYER_AVGPOOL, /* adaptive average pool to out_h x out_w */
    IP_LAYER_LAYERNORM, /* over all features of a sample, no affine */
    IP_LAYER_FLATTEN,
    IP_LAYER_ACTIVATION
} ip_layer_kind;

typedef enum { IP_INIT_PYTORCH = 0, IP_INIT_TRUNCNORM, IP_INIT_XAVIER } ip_init_kind;
typedef enum { IP_OPT_SGD = 0, IP_OPT_ADAM } ip_optimizer_kind;
typedef enum { IP_SCHED_ALL = 0, IP_SCHED_EVERY, IP_SCHED_LIST, IP_SCHED_LOG } ip_schedule_kind;
typedef enum { IP_MODE_COV = 0, IP_MODE_PEARSON } ip_logdet_mode;
typedef enum { IP_SCALE_NONE = 0, IP_SCALE_STD } ip_data_scale;      /* data.scale */
typedef enum { IP_LR_CONSTANT = 0, IP_LR_COSINE } ip_lr_schedule;    /* train.lr_schedule */

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
    char dataset[IP_NAME_LEN];       /* mnist | fashion_mnist | idx | cifar10 | tishby | gaussian */
    char path[IP_PATH_LEN];          /* directory (mnist, fashion_mnist, cifar10) or tishby IDX dir; "" = default search */
    char train_images[IP_PATH_LEN], train_labels[IP_PATH_LEN]; /* idx: explicit files */
    char test_images[IP_PATH_LEN], test_labels[IP_PATH_LEN];
    int train_size, test_size;       /* 0 = all available */
    double train_fraction;           /* tishby/gaussian: fraction used for training (rest test) */
    int gaussian_samples, gaussian_dim, gaussian_classes; /* synthetic Gaussians */
    double gaussian_separation;
    ip_data_scale scale;             /* std: every input divided by the training inputs' std */
} ip_data_config;

typedef struct {
    int epochs;
    int batch_size;
    ip_optimizer_kind optimizer;
    double lr, momentum, weight_decay;
    double beta1, beta2, eps;        /* adam */
    int threads;                     /* BLAS threads; 0 = OpenBLAS default */
    int shuffle;
    ip_lr_schedule lr_schedule;      /* constant, or cosine decay to 0 over the run's steps */
    int augment_shift;               /* N > 0: training images shifted by (dx, dy) in {-N..N}^2 */
} ip_train_config;

typedef struct {
    int samples;                     /* analysis set: first N training samples (0 = all) */
    int test_samples;                /* optionally the first N test samples too */
    ip_schedule_kind epochs;
    int every;                       /* IP_SCHED_EVERY */
    int n_list, list[IP_MAX_LIST];   /* IP_SCHED_LIST, ascending */
    int compression;                 /* gzip level 0..9 */
} ip_record_config;

typedef struct {
    int n_estimators;
    char estimators[8][IP_NAME_LEN]; /* logdet, binning, kde, renyi, knn */
    ip_logdet_mode mode;
    double beta;                     /* <= 0: auto, 100 * d_X as in the paper's code */
    int bits;                        /* 1: report in bits, 0: nats */
} ip_analysis_config;

typedef struct {
    char format[8];                  /* png | pdf | svg */
    int width, height;
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

const char *ip_activation_name(ip_activation a);
const char *ip_layer_kind_name(ip_layer_kind k);

#endif
