/* Tests for framework/config: every shipped config loads, the defaults, every key and value form,
 * --set overrides, and the errors: each bad input must fail with a message that names the file,
 * the line:column and what was expected (the assertions read the message, not just the status). */
#include "testutil.h"

#include <glob.h>
#include <unistd.h>

#include "config/config.h"
#include "core/status.h"
#include "estimate/estimators.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static int load_text(ip_config *cfg, const char *yaml, int n, const char **overrides)
{
    return ip_config_load_text(cfg, yaml, "t.yaml", n, (char **)overrides);
}

/* Load must fail, leave nothing owned, and the message must contain every fragment given
 * (a NULL-terminated list). */
static void expect_fail_v(const char *yaml, int n, const char **overrides, const char *first, ...)
{
    ip_config cfg;
    int rc = load_text(&cfg, yaml, n, overrides);
    const char *msg = ip_error_message();
    if (rc >= 0) {
        ip_config_free(&cfg);
        fail_msg("loading succeeded but should have failed with \"%s\":\n%s", first, yaml);
    }
    assert_null(cfg.text);
    assert_null(cfg.overrides);
    va_list ap;
    va_start(ap, first);
    for (const char *frag = first; frag; frag = va_arg(ap, const char *))
        if (!strstr(msg, frag)) {
            va_end(ap);
            fail_msg("message \"%s\" lacks \"%s\"", msg, frag);
        }
    va_end(ap);
}
#define expect_fail(yaml, ...) expect_fail_v((yaml), 0, NULL, __VA_ARGS__, (const char *)NULL)
#define expect_fail_set(yaml, ovr, ...)                                                                \
    do {                                                                                               \
        const char *ovr_[] = {ovr};                                                                    \
        expect_fail_v((yaml), 1, ovr_, __VA_ARGS__, (const char *)NULL);                               \
    } while (0)

static void must_load(ip_config *cfg, const char *yaml, int n, const char **overrides)
{
    int rc = load_text(cfg, yaml, n, overrides);
    if (rc != IP_OK) fail_msg("load failed (%d): %s\n%s", rc, ip_error_message(), yaml);
}

/* ---- shipped configs -------------------------------------------------------------------- */

static void test_shipped_configs_load(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("configs/*.yaml", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 6);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        ip_config cfg;
        const char *path = g.gl_pathv[i];
        if (ip_config_load(&cfg, path, 0, NULL) != IP_OK) {
            char msg[2048];
            snprintf(msg, sizeof msg, "%s", ip_error_message());
            globfree(&g);
            fail_msg("%s does not load: %s", path, msg);
        }
        assert_string_equal(cfg.source, path);
        assert_non_null(cfg.text);
        assert_int_equal(cfg.text[0], '#'); /* each file opens with what it reproduces */
        assert_string_equal(cfg.overrides, "");
        ip_config_free(&cfg);
    }
    globfree(&g);
}

static void test_shipped_config_values(void **state)
{
    (void)state;
    ip_config cfg;
    assert_int_equal(ip_config_load(&cfg, "configs/tishby_relu.yaml", 0, NULL), IP_OK);
    assert_string_equal(cfg.model.arch, "tishby");
    assert_int_equal(cfg.model.activation, IP_ACT_RELU);
    assert_int_equal(cfg.model.init, IP_INIT_TRUNCNORM);
    assert_string_equal(cfg.data.dataset, "tishby");
    assert_int_equal(cfg.train.optim.optimizer, IP_OPT_ADAM);
    assert_close(cfg.train.optim.lr, 4e-4, 1e-12, 0);
    assert_int_equal(cfg.train.batch_size, 256);
    assert_int_equal(cfg.train.epochs, 10000);
    assert_int_equal(cfg.record.samples, 0);
    assert_int_equal(cfg.record.epochs.kind, IP_SCHED_LOG);
    ip_config_free(&cfg);

    assert_int_equal(ip_config_load(&cfg, "configs/mnist_fnn_tanh.yaml", 0, NULL), IP_OK);
    assert_string_equal(cfg.model.arch, "mnist_fnn");
    assert_int_equal(cfg.model.activation, IP_ACT_TANH);
    assert_string_equal(cfg.data.dataset, "mnist");
    assert_string_equal(cfg.data.path, ""); /* the loader's search: ../shared/data/mnist, data/mnist */
    assert_int_equal(cfg.train.optim.optimizer, IP_OPT_SGD);
    assert_close(cfg.train.optim.momentum, 0.9, 1e-12, 0);
    assert_close(cfg.train.optim.lr, 1e-4, 1e-12, 0);
    assert_int_equal(cfg.train.batch_size, 512);
    assert_int_equal(cfg.record.samples, 3000);
    assert_int_equal(cfg.record.epochs.kind, IP_SCHED_ALL);
    assert_int_equal(cfg.analysis.mode, IP_MODE_COV);
    assert_true(cfg.analysis.beta <= 0); /* auto */
    ip_config_free(&cfg);

    assert_int_equal(ip_config_load(&cfg, "configs/mnist_cnn_tanh.yaml", 0, NULL), IP_OK);
    assert_string_equal(cfg.model.arch, "mnist_cnn");
    ip_config_free(&cfg);

    /* the >= 96% recipe (test_train_cli checks the accuracy) */
    assert_int_equal(ip_config_load(&cfg, "configs/mnist_fnn_adam.yaml", 0, NULL), IP_OK);
    assert_string_equal(cfg.model.arch, "mnist_fnn");
    assert_int_equal(cfg.model.activation, IP_ACT_RELU);
    assert_int_equal(cfg.data.scale, IP_SCALE_STD);
    assert_int_equal(cfg.train.optim.optimizer, IP_OPT_ADAM);
    assert_close(cfg.train.optim.lr, 3e-3, 1e-12, 0);
    assert_int_equal(cfg.train.batch_size, 64);
    assert_int_equal(cfg.train.epochs, 8);
    assert_int_equal(cfg.train.optim.lr_schedule, IP_LR_COSINE);
    assert_int_equal(cfg.train.augment_shift, 1);
    assert_int_equal(cfg.record.samples, 3000);
    assert_int_equal(cfg.record.epochs.kind, IP_SCHED_ALL);
    ip_config_free(&cfg);
}

/* ---- defaults and every key ------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    ip_config c;
    ip_config_defaults(&c);
    assert_true(c.seed == 1);
    assert_string_equal(c.model.arch, "mlp");
    assert_int_equal(c.model.activation, IP_ACT_TANH);
    assert_int_equal(c.model.init, IP_INIT_PYTORCH);
    assert_int_equal(c.model.n_hidden, 0);
    assert_int_equal(c.model.n_layers, 0);
    assert_string_equal(c.data.dataset, "mnist");
    assert_string_equal(c.data.path, "");
    assert_close(c.data.train_fraction, 0.85, 0, 0);
    assert_int_equal(c.data.gaussian_samples, 1000);
    assert_int_equal(c.data.gaussian_dim, 10);
    assert_int_equal(c.data.gaussian_classes, 2);
    assert_close(c.data.gaussian_separation, 2.0, 0, 0);
    assert_int_equal(c.data.scale, IP_SCALE_NONE);
    assert_int_equal(c.train.epochs, 10);
    assert_int_equal(c.train.batch_size, 128);
    assert_int_equal(c.train.optim.optimizer, IP_OPT_ADAM);
    assert_close(c.train.optim.lr, 1e-3, 0, 0);
    assert_close(c.train.optim.momentum, 0, 0, 0);
    assert_close(c.train.optim.weight_decay, 0, 0, 0);
    assert_close(c.train.optim.beta1, 0.9, 0, 0);
    assert_close(c.train.optim.beta2, 0.999, 0, 0);
    assert_close(c.train.optim.eps, 1e-8, 0, 0);
    assert_int_equal(c.train.threads, 0);
    assert_int_equal(c.train.shuffle, 1);
    assert_int_equal(c.train.optim.lr_schedule, IP_LR_CONSTANT);
    assert_int_equal(c.train.augment_shift, 0);
    assert_int_equal(c.record.samples, 3000);
    assert_int_equal(c.record.test_samples, 0);
    assert_int_equal(c.record.epochs.kind, IP_SCHED_ALL);
    assert_int_equal(c.record.compression, 0);
    assert_int_equal(c.analysis.n_estimators, 1);
    assert_string_equal(c.analysis.estimators[0], "logdet");
    assert_int_equal(c.analysis.mode, IP_MODE_COV);
    assert_close(c.analysis.beta, 0, 0, 0);
    assert_int_equal(c.analysis.bits, 1);
    assert_string_equal(c.plot.format, "png");
    assert_int_equal(c.plot.width, 900);
    assert_int_equal(c.plot.height, 700);
    assert_null(c.text);
    assert_null(c.overrides);

    /* A config that only sets the seed leaves every default in place. */
    ip_config l;
    must_load(&l, "seed: 1\n", 0, NULL);
    assert_string_equal(l.text, "seed: 1\n");
    assert_string_equal(l.source, "t.yaml");
    char *text = l.text, *ov = l.overrides;
    l.text = l.overrides = NULL;
    memset(l.source, 0, sizeof l.source); /* the defaults have no source */
    int same = memcmp(&c, &l, sizeof c) == 0;
    free(text);
    free(ov);
    assert_true(same);
}

static void test_every_key(void **state)
{
    (void)state;
    const char *yaml = "seed: 18446744073709551615\n"
                       "model:\n"
                       "  arch: mlp\n"
                       "  activation: leaky_relu\n"
                       "  init: xavier\n"
                       "  hidden: [1024, 20, 20]\n"
                       "  channels: [8, 16, 32]\n"
                       "data:\n"
                       "  dataset: idx\n"
                       "  path: some/dir\n"
                       "  train_images: a/train-images.gz\n"
                       "  train_labels: 'a/train labels.gz'\n"
                       "  test_images: \"a/t10k-images\"\n"
                       "  test_labels: a/t10k-labels\n"
                       "  train_size: 5000\n"
                       "  test_size: 0\n"
                       "  train_fraction: 1\n"
                       "  gaussian_samples: 77\n"
                       "  gaussian_dim: 3\n"
                       "  gaussian_classes: 4\n"
                       "  gaussian_separation: 0.5\n"
                       "  scale: std\n"
                       "train:\n"
                       "  epochs: 0\n"
                       "  batch_size: 1\n"
                       "  optimizer: sgd\n"
                       "  lr: 2.5e-2\n"
                       "  momentum: 0.95\n"
                       "  weight_decay: 1e-4\n"
                       "  beta1: 0\n"
                       "  beta2: 0.5\n"
                       "  eps: 1e-6\n"
                       "  threads: 2\n"
                       "  shuffle: false\n"
                       "  lr_schedule: cosine\n"
                       "  augment_shift: 2\n"
                       "record:\n"
                       "  samples: 0\n"
                       "  test_samples: 100\n"
                       "  epochs: [0, 1, 5, 100]\n"
                       "  compression: 9\n"
                       "analysis:\n"
                       "  estimators: [logdet]\n"
                       "  mode: pearson\n"
                       "  beta: 1.5e3\n"
                       "  units: nats\n"
                       "plot:\n"
                       "  format: svg\n"
                       "  width: 1200\n"
                       "  height: 800\n";
    ip_config c;
    must_load(&c, yaml, 0, NULL);
    assert_true(c.seed == UINT64_MAX);
    assert_int_equal(c.model.activation, IP_ACT_LEAKY_RELU);
    assert_int_equal(c.model.init, IP_INIT_XAVIER);
    assert_int_equal(c.model.n_hidden, 3);
    assert_int_equal(c.model.hidden[0], 1024);
    assert_int_equal(c.model.hidden[2], 20);
    assert_int_equal(c.model.n_channels, 3);
    assert_int_equal(c.model.channels[2], 32);
    assert_string_equal(c.data.dataset, "idx");
    assert_string_equal(c.data.path, "some/dir");
    assert_string_equal(c.data.train_images, "a/train-images.gz");
    assert_string_equal(c.data.train_labels, "a/train labels.gz");
    assert_string_equal(c.data.test_images, "a/t10k-images");
    assert_string_equal(c.data.test_labels, "a/t10k-labels");
    assert_int_equal(c.data.train_size, 5000);
    assert_int_equal(c.data.test_size, 0);
    assert_close(c.data.train_fraction, 1.0, 0, 0);
    assert_int_equal(c.data.gaussian_samples, 77);
    assert_int_equal(c.data.gaussian_dim, 3);
    assert_int_equal(c.data.gaussian_classes, 4);
    assert_close(c.data.gaussian_separation, 0.5, 0, 0);
    assert_int_equal(c.train.epochs, 0);
    assert_int_equal(c.train.batch_size, 1);
    assert_int_equal(c.train.optim.optimizer, IP_OPT_SGD);
    assert_close(c.train.optim.lr, 2.5e-2, 0, 0);
    assert_close(c.train.optim.momentum, 0.95, 0, 0);
    assert_close(c.train.optim.weight_decay, 1e-4, 0, 0);
    assert_close(c.train.optim.beta1, 0, 0, 0);
    assert_close(c.train.optim.beta2, 0.5, 0, 0);
    assert_close(c.train.optim.eps, 1e-6, 0, 0);
    assert_int_equal(c.train.threads, 2);
    assert_int_equal(c.train.shuffle, 0);
    assert_int_equal(c.train.optim.lr_schedule, IP_LR_COSINE);
    assert_int_equal(c.train.augment_shift, 2);
    assert_int_equal(c.data.scale, IP_SCALE_STD);
    assert_int_equal(c.record.samples, 0);
    assert_int_equal(c.record.test_samples, 100);
    assert_int_equal(c.record.epochs.kind, IP_SCHED_LIST);
    assert_int_equal(c.record.epochs.n_list, 4);
    assert_int_equal(c.record.epochs.list[0], 0);
    assert_int_equal(c.record.epochs.list[3], 100);
    assert_int_equal(c.record.compression, 9);
    assert_int_equal(c.analysis.n_estimators, 1);
    assert_string_equal(c.analysis.estimators[0], "logdet");
    assert_int_equal(c.analysis.mode, IP_MODE_PEARSON);
    assert_close(c.analysis.beta, 1500, 0, 0);
    assert_int_equal(c.analysis.bits, 0);
    assert_string_equal(c.plot.format, "svg");
    assert_int_equal(c.plot.width, 1200);
    assert_int_equal(c.plot.height, 800);
    assert_string_equal(c.text, yaml);
    ip_config_free(&c);
    assert_null(c.text);
    ip_config_free(&c); /* twice is harmless */
}

static void test_value_forms(void **state)
{
    (void)state;
    ip_config c;
    /* booleans in YAML's spellings, a single estimator, beta auto, record.epochs forms, an
     * empty section, flow mappings, hidden as one number */
    must_load(&c,
              "train: {shuffle: no}\nanalysis:\n  estimators: logdet\n  beta: auto\n"
              "record: {epochs: {every: 5}}\nplot:\nmodel: {hidden: 50}\n",
              0, NULL);
    assert_int_equal(c.train.shuffle, 0);
    assert_int_equal(c.analysis.n_estimators, 1);
    assert_string_equal(c.analysis.estimators[0], "logdet");
    assert_true(c.analysis.beta <= 0);
    assert_int_equal(c.record.epochs.kind, IP_SCHED_EVERY);
    assert_int_equal(c.record.epochs.every, 5);
    assert_string_equal(c.plot.format, "png");
    assert_int_equal(c.model.n_hidden, 1);
    assert_int_equal(c.model.hidden[0], 50);
    ip_config_free(&c);

    static const char *const yes[] = {"true", "True", "yes", "on", "TRUE"};
    static const char *const no[] = {"false", "False", "no", "off", "OFF"};
    char buf[128];
    for (int i = 0; i < 5; i++) {
        snprintf(buf, sizeof buf, "train:\n  shuffle: %s\n", yes[i]);
        must_load(&c, buf, 0, NULL);
        assert_int_equal(c.train.shuffle, 1);
        ip_config_free(&c);
        snprintf(buf, sizeof buf, "train:\n  shuffle: %s\n", no[i]);
        must_load(&c, buf, 0, NULL);
        assert_int_equal(c.train.shuffle, 0);
        ip_config_free(&c);
    }

    must_load(&c, "record:\n  epochs: log\n", 0, NULL);
    assert_int_equal(c.record.epochs.kind, IP_SCHED_LOG);
    ip_config_free(&c);
    must_load(&c, "record:\n  epochs: all\n", 0, NULL);
    assert_int_equal(c.record.epochs.kind, IP_SCHED_ALL);
    ip_config_free(&c);
    must_load(&c, "record:\n  epochs: []\n", 0, NULL); /* only epoch 0, always recorded */
    assert_int_equal(c.record.epochs.kind, IP_SCHED_LIST);
    assert_int_equal(c.record.epochs.n_list, 0);
    ip_config_free(&c);
    must_load(&c, "seed: 0\nmodel: {hidden: []}\n", 0, NULL);
    assert_true(c.seed == 0);
    assert_int_equal(c.model.n_hidden, 0);
    ip_config_free(&c);
    must_load(&c, "data:\n  path:\n  test_images: ~\n", 0, NULL); /* a null path is the empty one */
    assert_string_equal(c.data.path, "");
    assert_string_equal(c.data.test_images, "");
    ip_config_free(&c);
    must_load(&c, "{}\n", 0, NULL); /* an explicit empty mapping: all defaults */
    assert_true(c.seed == 1);
    ip_config_free(&c);
    must_load(&c, "---\nseed: 3\n...\n", 0, NULL); /* document markers */
    assert_true(c.seed == 3);
    ip_config_free(&c);
}

static void test_custom_layers(void **state)
{
    (void)state;
    const char *yaml = "model:\n"
                       "  arch: custom\n"
                       "  layers:\n"
                       "    - {type: conv2d, channels: 8}\n"
                       "    - {type: layernorm}\n"
                       "    - {type: activation, activation: tanh}\n"
                       "    - {type: maxpool, kernel: 3, stride: 2, padding: 1, record: true}\n"
                       "    - type: conv2d\n"
                       "      channels: 16\n"
                       "      kernel: 5\n"
                       "      stride: 2\n"
                       "      padding: 2\n"
                       "    - {type: maxpool}\n"
                       "    - {type: avgpool, size: [6, 4]}\n"
                       "    - {type: avgpool, size: 3}\n"
                       "    - {type: avgpool, out_h: 2, out_w: 5}\n"
                       "    - {type: flatten}\n"
                       "    - {type: dense, units: 20, record: yes}\n"
                       "    - {type: activation, activation: leaky_relu, slope: 0.2, record: false}\n"
                       "    - {type: dense, units: 10}\n";
    ip_config c;
    must_load(&c, yaml, 0, NULL);
    const ip_layer_spec *l = c.model.layers;
    assert_int_equal(c.model.n_layers, 13);
    assert_int_equal(l[0].kind, IP_LAYER_CONV2D);
    assert_int_equal(l[0].channels, 8);
    assert_int_equal(l[0].kernel, 3); /* conv defaults */
    assert_int_equal(l[0].stride, 1);
    assert_int_equal(l[0].padding, 0);
    assert_int_equal(l[0].record, 0);
    assert_int_equal(l[1].kind, IP_LAYER_LAYERNORM);
    assert_int_equal(l[2].kind, IP_LAYER_ACTIVATION);
    assert_int_equal(l[2].activation, IP_ACT_TANH);
    assert_int_equal(l[2].record, 1); /* activation outputs are recorded by default */
    assert_close(l[2].slope, 0.01, 1e-6, 0);
    assert_int_equal(l[3].kind, IP_LAYER_MAXPOOL);
    assert_int_equal(l[3].kernel, 3);
    assert_int_equal(l[3].stride, 2);
    assert_int_equal(l[3].padding, 1);
    assert_int_equal(l[3].record, 1);
    assert_int_equal(l[4].kernel, 5);
    assert_int_equal(l[4].stride, 2);
    assert_int_equal(l[4].padding, 2);
    assert_int_equal(l[4].channels, 16);
    assert_int_equal(l[5].kernel, 2); /* maxpool defaults: kernel 2, stride = kernel */
    assert_int_equal(l[5].stride, 2);
    assert_int_equal(l[6].kind, IP_LAYER_AVGPOOL);
    assert_int_equal(l[6].out_h, 6);
    assert_int_equal(l[6].out_w, 4);
    assert_int_equal(l[7].out_h, 3);
    assert_int_equal(l[7].out_w, 3);
    assert_int_equal(l[8].out_h, 2);
    assert_int_equal(l[8].out_w, 5);
    assert_int_equal(l[9].kind, IP_LAYER_FLATTEN);
    assert_int_equal(l[10].kind, IP_LAYER_DENSE);
    assert_int_equal(l[10].units, 20);
    assert_int_equal(l[10].record, 1);
    assert_int_equal(l[11].activation, IP_ACT_LEAKY_RELU);
    assert_close(l[11].slope, 0.2, 1e-6, 0);
    assert_int_equal(l[11].record, 0);
    assert_int_equal(l[12].units, 10);
    ip_config_free(&c);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ip_activation_name(IP_ACT_LINEAR), "linear");
    assert_string_equal(ip_activation_name(IP_ACT_LEAKY_RELU), "leaky_relu");
    assert_string_equal(ip_activation_name(IP_ACT_SOFTSIGN), "softsign");
    assert_string_equal(ip_activation_name((ip_activation)99), "unknown");
    assert_string_equal(ip_layer_kind_name(IP_LAYER_DENSE), "dense");
    assert_string_equal(ip_layer_kind_name(IP_LAYER_AVGPOOL), "avgpool");
    assert_string_equal(ip_layer_kind_name(IP_LAYER_ACTIVATION), "activation");
    assert_string_equal(ip_layer_kind_name((ip_layer_kind)-1), "unknown");
    /* Each name the config accepts maps back to itself. */
    static const char *const acts[] = {"linear", "tanh", "relu", "sigmoid", "leaky_relu", "gelu", "softsign"};
    char buf[128];
    for (int i = 0; i < 7; i++) {
        ip_config c;
        snprintf(buf, sizeof buf, "model:\n  activation: %s\n", acts[i]);
        must_load(&c, buf, 0, NULL);
        assert_string_equal(ip_activation_name(c.model.activation), acts[i]);
        ip_config_free(&c);
    }
}

/* analysis.estimators takes exactly the implemented estimators (estimate/estimators.h): a name
 * the analysis cannot run is refused at load time, in a file and from --set, before training. */
static void test_estimators(void **state)
{
    (void)state;
    ip_config c;
    /* every implemented name loads, alone and all together */
    char all[256] = "analysis:\n  estimators: [", buf[256];
    int n = 0;
    for (; ip_estimator_names[n]; n++) {
        snprintf(buf, sizeof buf, "analysis:\n  estimators: %s\n", ip_estimator_names[n]);
        must_load(&c, buf, 0, NULL);
        assert_int_equal(c.analysis.n_estimators, 1);
        assert_string_equal(c.analysis.estimators[0], ip_estimator_names[n]);
        ip_config_free(&c);
        strcat(all, n ? ", " : "");
        strcat(all, ip_estimator_names[n]);
    }
    strcat(all, "]\n");
    assert_true(n >= 1);
    assert_string_equal(ip_estimator_names[0], "logdet");
    must_load(&c, all, 0, NULL);
    assert_int_equal(c.analysis.n_estimators, n);
    ip_config_free(&c);

    /* names of estimators this build does not have */
    static const char *const planned[] = {"knn", "mine", "Binning", "log det"};
    for (int i = 0; i < 4; i++) {
        char want[128];
        snprintf(buf, sizeof buf, "analysis:\n  estimators: [%s]\n", planned[i]);
        snprintf(want, sizeof want, "t.yaml:2:16: analysis.estimators[0]: unknown value '%s' (%s)",
                 planned[i], "valid: logdet, binning, kde, renyi, ksg");
        expect_fail(buf, want);
    }
    expect_fail("analysis:\n  estimators: [nonsense]\n",
                "t.yaml:2:16: analysis.estimators[0]: unknown value 'nonsense' (valid: logdet, binning, kde, renyi, ksg)");
    expect_fail("analysis:\n  estimators: nonsense\n",
                "t.yaml:2:15: analysis.estimators: unknown value 'nonsense' (valid: logdet, binning, kde, renyi, ksg)");
    expect_fail("analysis:\n  estimators: [logdet, [logdet]]\n",
                "t.yaml:2:24: analysis.estimators[1]: expected one of logdet, binning, kde, renyi, ksg, got a list");
    expect_fail("analysis:\n  estimators: [a, b, c, d, e, f, g, h, i]\n",
                "t.yaml:2:15: analysis.estimators: at most 8 estimators, got 9");
    expect_fail("analysis:\n  estimators:\n", "t.yaml:2:14: analysis.estimators: expected one or a list of logdet, binning, kde, renyi, ksg");

    /* --set: the same rule, the message names the override */
    const char *yaml = "analysis:\n  estimators: [logdet]\n";
    expect_fail_set(yaml, "analysis.estimators=[nonsense]",
                    "--set analysis.estimators=[nonsense]: analysis.estimators[0]: unknown value 'nonsense' "
                    "(valid: logdet, binning, kde, renyi, ksg)");
    expect_fail_set(yaml, "analysis.estimators=knn",
                    "--set analysis.estimators=knn: analysis.estimators: unknown value 'knn' (valid: logdet, binning, kde, renyi, ksg)");
    expect_fail_set(yaml, "analysis.estimators=[logdet, KDE]", "analysis.estimators[1]: unknown value 'KDE'");
    expect_fail_set(yaml, "analysis.estimators=[]", "--set analysis.estimators=[]: analysis.estimators: expected "
                                                    "one or a list of logdet, binning, kde, renyi, ksg");

    /* through a real file and a shipped config, as `infoplane run ... --set` loads them */
    const char *set[] = {"analysis.estimators=[nonsense]"};
    int rc = ip_config_load(&c, "configs/demo_tishby.yaml", 1, (char **)set);
    assert_true(rc < 0);
    assert_null(c.text);
    assert_string_equal(ip_error_message(), "--set analysis.estimators=[nonsense]: analysis.estimators[0]: unknown "
                                            "value 'nonsense' (valid: logdet, binning, kde, renyi, ksg)");

    char path[] = "/tmp/ip_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *bad = "# estimators\nanalysis:\n  mode: cov\n  estimators: [logdet, binnin]\n";
    ssize_t wrote = write(fd, bad, strlen(bad));
    close(fd);
    rc = ip_config_load(&c, path, 0, NULL);
    char msg[1024], want[512];
    snprintf(msg, sizeof msg, "%s", ip_error_message());
    unlink(path);
    assert_int_equal(wrote, (ssize_t)strlen(bad));
    assert_true(rc < 0);
    assert_null(c.text);
    snprintf(want, sizeof want, "%s:4:24: analysis.estimators[1]: unknown value 'binnin' (valid: logdet, binning, kde, renyi, ksg)", path);
    assert_string_equal(msg, want);
}

/* plot.width and plot.height: the pixel range `infoplane plot --size` takes, 200..10000, bounds
 * included, in a file and from --set. */
static void test_plot_size(void **state)
{
    (void)state;
    ip_config c;
    must_load(&c, "plot:\n  width: 200\n  height: 200\n", 0, NULL);
    assert_int_equal(c.plot.width, 200);
    assert_int_equal(c.plot.height, 200);
    ip_config_free(&c);
    const char *big[] = {"plot.width=10000", "plot.height=10000"};
    must_load(&c, "plot:\n  width: 900\n", 2, big);
    assert_int_equal(c.plot.width, 10000);
    assert_int_equal(c.plot.height, 10000);
    ip_config_free(&c);
    expect_fail("plot:\n  width: 199\n", "t.yaml:2:10: plot.width: expected an integer in 200..10000, got '199'");
    expect_fail("plot:\n  width: 10001\n", "plot.width: expected an integer in 200..10000, got '10001'");
    expect_fail("plot:\n  height: 150\n", "t.yaml:2:11: plot.height: expected an integer in 200..10000, got '150'");
    expect_fail("plot:\n  height: 20000\n", "plot.height: expected an integer in 200..10000, got '20000'");
    expect_fail("plot:\n  height: 700.5\n", "plot.height: expected an integer in 200..10000, got '700.5'");
    expect_fail_set("plot: {width: 900}\n", "plot.width=64",
                    "--set plot.width=64: plot.width: expected an integer in 200..10000, got '64'");
    expect_fail_set("{}\n", "plot.height=10001",
                    "--set plot.height=10001: plot.height: expected an integer in 200..10000, got '10001'");
}

/* ---- overrides -------------------------------------------------------------------------- */

static void test_overrides(void **state)
{
    (void)state;
    const char *yaml = "model:\n  hidden: [3]\ntrain:\n  epochs: 100\nrecord:\n  epochs: all\nplot:\n";
    const char *ov[] = {"train.epochs=3",
                        "model.hidden=[10,7,5]",
                        "record.epochs={every: 5}",
                        "model.activation=relu",
                        "seed=42",
                        "analysis.estimators=[logdet]",
                        "plot.format=pdf",
                        "data.path=a dir/with spaces",
                        "train.lr = 0.5",
                        "train.epochs=4"}; /* the later wins */
    ip_config c;
    must_load(&c, yaml, 10, ov);
    assert_int_equal(c.train.epochs, 4);
    assert_int_equal(c.model.n_hidden, 3);
    assert_int_equal(c.model.hidden[0], 10);
    assert_int_equal(c.model.hidden[2], 5);
    assert_int_equal(c.record.epochs.kind, IP_SCHED_EVERY);
    assert_int_equal(c.record.epochs.every, 5);
    assert_int_equal(c.model.activation, IP_ACT_RELU);
    assert_true(c.seed == 42);
    assert_int_equal(c.analysis.n_estimators, 1);
    assert_string_equal(c.analysis.estimators[0], "logdet");
    assert_string_equal(c.plot.format, "pdf");
    assert_string_equal(c.data.path, "a dir/with spaces");
    assert_close(c.train.optim.lr, 0.5, 0, 0);
    assert_string_equal(c.text, yaml); /* the file's text as read, not the merged result */
    assert_string_equal(c.overrides, "train.epochs=3\nmodel.hidden=[10,7,5]\nrecord.epochs={every: 5}\n"
                                     "model.activation=relu\nseed=42\nanalysis.estimators=[logdet]\n"
                                     "plot.format=pdf\ndata.path=a dir/with spaces\ntrain.lr = 0.5\n"
                                     "train.epochs=4\n");
    ip_config_free(&c);

    /* Overrides switching a list to a keyword and a custom net on; sections the file lacks. */
    const char *ov2[] = {"record.epochs=log", "model.arch=custom",
                         "model.layers=[{type: dense, units: 4}, {type: activation, activation: relu}]"};
    must_load(&c, "record:\n  epochs: [0, 2, 4]\n", 3, ov2);
    assert_int_equal(c.record.epochs.kind, IP_SCHED_LOG);
    assert_int_equal(c.record.epochs.n_list, 0);
    assert_string_equal(c.model.arch, "custom");
    assert_int_equal(c.model.n_layers, 2);
    assert_int_equal(c.model.layers[0].units, 4);
    assert_int_equal(c.model.layers[1].activation, IP_ACT_RELU);
    ip_config_free(&c);

    /* The shipped file plus the shortening the comments advertise. */
    const char *ov3[] = {"train.epochs=300"};
    assert_int_equal(ip_config_load(&c, "configs/tishby_tanh.yaml", 1, (char **)ov3), IP_OK);
    assert_int_equal(c.train.epochs, 300);
    assert_string_equal(c.overrides, "train.epochs=300\n");
    ip_config_free(&c);
}

static void test_override_errors(void **state)
{
    (void)state;
    const char *yaml = "train:\n  epochs: 3\n";
    expect_fail_set(yaml, "train.epoch=3", "--set train.epoch=3: unknown key 'epoch' in section 'train'",
                    "allowed: epochs, batch_size, optimizer");
    expect_fail_set(yaml, "trian.epochs=3", "--set trian.epochs=3: unknown key 'trian' at the top level",
                    "allowed: seed, model, data");
    expect_fail_set(yaml, "train.epochs=ten",
                    "--set train.epochs=ten: train.epochs: expected an integer in 0..2147483647, got 'ten'");
    expect_fail_set(yaml, "train.lr=-1", "--set train.lr=-1: train.lr: expected a number > 0, got '-1'");
    expect_fail_set(yaml, "train.epochs", "--set train.epochs: expected key=value");
    expect_fail_set(yaml, "=3", "--set =3: expected key=value");
    expect_fail_set(yaml, "train=3", "give a key inside section 'train'");
    expect_fail_set(yaml, "seed.x=3", "'seed' is a value, not a section");
    expect_fail_set(yaml, "record.epochs.every=5", "only section.key can be set", "record.epochs");
    expect_fail_set(yaml, "model.hidden=[1, 2", "--set model.hidden=[1, 2: invalid YAML in the value");
    expect_fail_set(yaml, "model.hidden=[1, x]", "model.hidden[1]: expected an integer in 1..2147483647, got 'x'");
    expect_fail_set(yaml, "train.epochs=", "train.epochs: expected an integer in 0..2147483647, got nothing");
    expect_fail_set(yaml, "record.epochs={every: 0}",
                    "--set record.epochs={every: 0}: record.epochs.every: expected an integer in 1..2147483647, got '0'");
    expect_fail_set(yaml, "model.activation=rleu", "model.activation: unknown value 'rleu'",
                    "valid: linear, tanh, relu, sigmoid, leaky_relu, gelu, softsign");
    expect_fail_set(yaml, "record.epochs={every: 5, every: 6}", "duplicate key 'every'");
    /* A file whose section is not a mapping is reported at the file's position. */
    expect_fail_set("train: 3\n", "train.epochs=3", "t.yaml:1:8: train: expected a mapping of keys");
}

/* ---- bad files -------------------------------------------------------------------------- */

static void test_malformed_yaml(void **state)
{
    (void)state;
    expect_fail("train:\n  epochs: 3\n   batch_size: 4\n", "t.yaml:3:", "invalid YAML",
                "mapping values are not allowed");
    expect_fail("model:\n  hidden: [1, 2\ntrain:\n  epochs: 3\n", "t.yaml:", "invalid YAML");
    expect_fail("train:\n\tepochs: 3\n", "t.yaml:2:1: invalid YAML", "it is a tab, and YAML indents with spaces");
    expect_fail("train: {epochs: 3\n", "t.yaml:2:1: invalid YAML");
    expect_fail("seed: 'open\n", "t.yaml:", "invalid YAML", "quoted scalar");
    expect_fail("seed: 1\n---\nseed: 2\n", "t.yaml:2:1: a config holds one YAML document");
    expect_fail("model: &m {arch: mlp}\ndata: *m\n", "t.yaml:2:7: aliases (*m) are not supported");
    expect_fail("- seed\n- 1\n", "t.yaml:1:1: expected a mapping with sections seed, model", "got a list");
    expect_fail("just text\n", "t.yaml:1:1: expected a mapping with sections", "got 'just text'");
    expect_fail("? [a, b]\n: 1\n", "t.yaml:1:3: mapping keys must be plain names");
    expect_fail("seed: 1\nmodel: {hidden: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\n",
                "nested deeper than 32 levels");
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_fail("train:\n  epoch: 3\n",
                "t.yaml:2:3: unknown key 'epoch' in section 'train' (allowed: epochs, batch_size, optimizer, lr, "
                "momentum, weight_decay, beta1, beta2, eps, threads, shuffle, lr_schedule, augment_shift)");
    expect_fail("seed: 1\ntrainer:\n  epochs: 3\n",
                "t.yaml:2:1: unknown key 'trainer' at the top level (allowed: seed, model, data, train, record, "
                "analysis, plot)");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: dense, unit: 3}\n",
                "t.yaml:4:21: model.layers[0]: unknown key 'unit' (a dense layer takes: type, units, record)");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: dense, units: 3, kernel: 3}\n",
                "t.yaml:4:31: model.layers[0]: 'kernel' does not apply to a dense layer (it takes: type, units, record)");
    expect_fail("record:\n  epochs: {evry: 5}\n", "t.yaml:2:12: record.epochs: unknown key 'evry' (allowed: every)");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_fail("train:\n  epochs: ten\n", "t.yaml:2:11: train.epochs: expected an integer in 0..2147483647, got 'ten'");
    expect_fail("train:\n  epochs: 3.5\n", "t.yaml:2:11: train.epochs: expected an integer in 0..2147483647, got '3.5'");
    expect_fail("train:\n  batch_size: \"128\"\n",
                "t.yaml:2:15: train.batch_size: expected an integer in 1..2147483647, got the quoted string \"128\"");
    expect_fail("train:\n  lr: fast\n", "t.yaml:2:7: train.lr: expected a number > 0, got 'fast'");
    expect_fail("train:\n  lr: .nan\n", "train.lr: expected a number > 0, got '.nan'");
    expect_fail("train:\n  lr: inf\n", "train.lr: expected a number > 0, got 'inf'");
    expect_fail("train:\n  shuffle: maybe\n", "t.yaml:2:12: train.shuffle: expected true or false, got 'maybe'");
    expect_fail("train:\n  epochs:\n", "t.yaml:2:10: train.epochs: expected an integer in 0..2147483647, got nothing");
    expect_fail("train:\n  epochs: [3]\n", "train.epochs: expected an integer in 0..2147483647, got a list");
    expect_fail("train: [epochs]\n", "t.yaml:1:8: train: expected a mapping of keys (epochs, batch_size");
    expect_fail("model:\n  hidden: [10, x, 5]\n", "t.yaml:2:16: model.hidden[1]: expected an integer in 1..2147483647, got 'x'");
    expect_fail("model:\n  hidden: {a: 1}\n", "model.hidden: expected a list of positive integers, got a mapping");
    expect_fail("model:\n  activation: [tanh]\n",
                "model.activation: expected one of linear, tanh, relu, sigmoid, leaky_relu, gelu, softsign, got a list");
    expect_fail("data:\n  path: [a]\n", "t.yaml:2:9: data.path: expected a path, got a list");
    expect_fail("seed: -1\n", "t.yaml:1:7: seed: expected a non-negative integer up to 18446744073709551615, got '-1'");
    expect_fail("seed: 18446744073709551616\n", "seed: expected a non-negative integer up to");
    expect_fail("seed: 1x\n", "seed: expected a non-negative integer up to");
    expect_fail("record:\n  epochs: 5\n",
                "t.yaml:2:11: record.epochs: expected all, log, {every: K} or an ascending list of epochs, got '5' "
                "(every K-th epoch is written {every: 5})");
    expect_fail("record:\n  epochs: sometimes\n", "record.epochs: expected all, log, {every: K}", "got 'sometimes'");
    expect_fail("analysis:\n  beta: big\n", "t.yaml:2:9: analysis.beta: expected a number > 0 or auto, got 'big'");
    expect_fail("analysis:\n  estimators: {logdet: 1}\n",
                "analysis.estimators: expected one or a list of logdet, binning, kde, renyi, ksg (to skip the analysis use 'infoplane train')");
    expect_fail("model:\n  arch: custom\n  layers: {type: dense}\n",
                "model.layers: expected a list of layer mappings");
    expect_fail("model:\n  arch: custom\n  layers: [dense]\n", "t.yaml:3:12: model.layers[0]: expected a layer mapping");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: avgpool, size: [1, 2, 3]}\n",
                "model.layers[0].size: expected a positive integer or a list [height, width], got a list");
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_fail("train:\n  lr: -0.1\n", "t.yaml:2:7: train.lr: expected a number > 0, got '-0.1'");
    expect_fail("train:\n  lr: 0\n", "train.lr: expected a number > 0, got '0'");
    expect_fail("train:\n  batch_size: 0\n", "t.yaml:2:15: train.batch_size: expected an integer in 1..2147483647, got '0'");
    expect_fail("train:\n  epochs: -1\n", "train.epochs: expected an integer in 0..2147483647, got '-1'");
    expect_fail("train:\n  epochs: 99999999999\n", "train.epochs: expected an integer in 0..2147483647, got '99999999999'");
    expect_fail("train:\n  momentum: 1\n", "train.momentum: expected a number in [0, 1), got '1'");
    expect_fail("train:\n  beta1: 1.5\n", "train.beta1: expected a number in [0, 1), got '1.5'");
    expect_fail("train:\n  beta2: -0.1\n", "train.beta2: expected a number in [0, 1), got '-0.1'");
    expect_fail("train:\n  eps: 0\n", "train.eps: expected a number > 0, got '0'");
    expect_fail("train:\n  weight_decay: -1e-4\n", "train.weight_decay: expected a number >= 0, got '-1e-4'");
    expect_fail("train:\n  threads: -2\n", "train.threads: expected an integer in 0..4096, got '-2'");
    expect_fail("record:\n  compression: 10\n", "t.yaml:2:16: record.compression: expected an integer in 0..9, got '10'");
    expect_fail("record:\n  samples: -5\n", "record.samples: expected an integer in 0..2147483647, got '-5'");
    expect_fail("record:\n  test_samples: -1\n", "record.test_samples: expected an integer in 0..2147483647");
    expect_fail("record:\n  epochs: [0, 5, 5]\n",
                "t.yaml:2:18: record.epochs[2]: the list must be strictly ascending (5 comes after 5)");
    expect_fail("record:\n  epochs: [-1]\n", "record.epochs[0]: expected an integer in 0..2147483647, got '-1'");
    expect_fail("data:\n  train_fraction: 0\n", "data.train_fraction: expected a number in (0, 1], got '0'");
    expect_fail("data:\n  train_fraction: 1.01\n", "data.train_fraction: expected a number in (0, 1], got '1.01'");
    expect_fail("data:\n  gaussian_classes: 1\n", "data.gaussian_classes: expected an integer in 2..2147483647, got '1'");
    expect_fail("data:\n  gaussian_samples: 1\n",
                "t.yaml:2:21: data.gaussian_samples: expected an integer in 2..2147483647, got '1'");
    expect_fail("data:\n  gaussian_separation: -1\n", "data.gaussian_separation: expected a number >= 0");
    expect_fail("data:\n  train_size: -1\n", "data.train_size: expected an integer in 0..2147483647");
    expect_fail("plot:\n  width: 10\n", "t.yaml:2:10: plot.width: expected an integer in 200..10000, got '10'");
    expect_fail("model:\n  hidden: [10, 0]\n", "model.hidden[1]: expected an integer in 1..2147483647, got '0'");
    /* unknown names list the valid ones */
    expect_fail("model:\n  activation: rleu\n",
                "t.yaml:2:15: model.activation: unknown value 'rleu' (valid: linear, tanh, relu, sigmoid, leaky_relu, "
                "gelu, softsign)");
    expect_fail("model:\n  arch: resnet\n",
                "model.arch: unknown value 'resnet' (valid: tishby, mnist_fnn, mnist_cnn, mlp, cnn, custom)");
    expect_fail("model:\n  init: he\n", "model.init: unknown value 'he' (valid: pytorch, truncated_normal, xavier)");
    expect_fail("train:\n  optimizer: rmsprop\n", "train.optimizer: unknown value 'rmsprop' (valid: sgd, adam)");
    expect_fail("data:\n  dataset: imagenet\n",
                "data.dataset: unknown value 'imagenet' (valid: mnist, fashion_mnist, idx, cifar10, tishby, gaussian)");
    expect_fail("analysis:\n  estimators: [logdet, mine]\n",
                "t.yaml:2:24: analysis.estimators[1]: unknown value 'mine' (valid: logdet, binning, kde, renyi, ksg)");
    expect_fail("analysis:\n  estimators: [logdet, logdet]\n",
                "t.yaml:2:24: analysis.estimators: 'logdet' is listed twice");
    expect_fail("analysis:\n  estimators: []\n", "analysis.estimators: expected one or a list of");
    expect_fail("analysis:\n  mode: corr\n", "analysis.mode: unknown value 'corr' (valid: cov, pearson)");
    expect_fail("analysis:\n  units: shannons\n", "analysis.units: unknown value 'shannons' (valid: nats, bits)");
    expect_fail("analysis:\n  beta: -3\n", "analysis.beta: expected a number > 0 or auto, got '-3'");
    expect_fail("plot:\n  format: gif\n", "plot.format: unknown value 'gif' (valid: png, pdf, svg)");
    expect_fail("train:\n  augment_shift: -1\n",
                "t.yaml:2:18: train.augment_shift: expected an integer in 0..1000, got '-1'");
    expect_fail("train:\n  augment_shift: 1.5\n", "train.augment_shift: expected an integer in 0..1000, got '1.5'");
    expect_fail("train:\n  lr_schedule: linear\n",
                "t.yaml:2:16: train.lr_schedule: unknown value 'linear' (valid: constant, cosine)");
    expect_fail("train:\n  lr_schedule: [cosine]\n", "train.lr_schedule: expected one of constant, cosine, got a list");
    expect_fail("data:\n  scale: minmax\n", "t.yaml:2:10: data.scale: unknown value 'minmax' (valid: none, std)");
    expect_fail("data:\n  scale: true\n", "data.scale: unknown value 'true' (valid: none, std)");
}

static void test_cross_checks(void **state)
{
    (void)state;
    expect_fail("model:\n  arch: custom\n", "t.yaml:2:9: model.arch: arch custom needs a non-empty 'layers' list");
    expect_fail("model:\n  arch: custom\n  layers: []\n", "t.yaml:3:11: model.arch: arch custom needs a non-empty");
    expect_fail("model:\n  arch: cnn\n", "t.yaml:2:9: model.arch: arch cnn needs model.channels, e.g. [8, 16, 32]");
    expect_fail("model:\n  arch: cnn\n  channels: []\n", "t.yaml:3:13: model.channels: arch cnn needs model.channels");
    expect_fail("model:\n  arch: mlp\n  layers: [{type: flatten}]\n",
                "t.yaml:3:11: model.layers: only used with arch: custom (arch is mlp)");
    expect_fail("model:\n  arch: custom\n  hidden: [3]\n  layers: [{type: flatten}]\n",
                "t.yaml:3:11: model.hidden: not used with arch: custom");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {units: 3}\n",
                "t.yaml:4:7: model.layers[0]: missing 'type' (one of dense, conv2d, maxpool, avgpool, layernorm, "
                "flatten, activation)");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: pool}\n",
                "t.yaml:4:14: model.layers[0].type: unknown value 'pool'");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: dense}\n",
                "t.yaml:4:7: model.layers[0]: a dense layer needs 'units'");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: conv2d, kernel: 3}\n",
                "model.layers[0]: a conv2d layer needs 'channels'");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: avgpool}\n",
                "model.layers[0]: an avgpool layer needs its output size");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: avgpool, size: 3, out_h: 2}\n",
                "model.layers[0]: give either 'size' or 'out_h'/'out_w', not both");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: activation}\n",
                "model.layers[0]: an activation layer needs 'activation'");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: activation, activation: tanh, slope: 0.1}\n",
                "model.layers[0]: 'slope' only applies to leaky_relu, not tanh");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: maxpool, kernel: 2, padding: 2}\n",
                "model.layers[0]: maxpool padding 2 is more than half the kernel 2");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: conv2d, channels: 0}\n",
                "model.layers[0].channels: expected an integer in 1..2147483647, got '0'");
    expect_fail("data:\n  dataset: idx\n  train_images: a\n",
                "t.yaml:2:12: data.dataset: idx needs data.train_images and data.train_labels");
    expect_fail("data:\n  test_images: a\n", "data: test_images and test_labels go together");
    /* the generator gives every class a sample; the keys mean nothing to the other data sets */
    expect_fail("data:\n  dataset: gaussian\n  gaussian_samples: 4\n  gaussian_classes: 5\n",
                "t.yaml:4:21: data.gaussian_classes: 5 classes need at least as many samples, but "
                "data.gaussian_samples is 4");
    expect_fail_set("data:\n  dataset: gaussian\n", "data.gaussian_classes=1001",
                    "--set data.gaussian_classes=1001: data.gaussian_classes: 1001 classes need at least as many "
                    "samples, but data.gaussian_samples is 1000");
    /* a maxpool's window is at most 64 rows (ip_maxpool_setup); a conv2d's kernel has no such limit */
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: maxpool, kernel: 65}\n",
                "t.yaml:4:31: model.layers[0].kernel: expected an integer in 1..64 for a maxpool, got '65'");
    /* shifting needs images: refused for the flat data sets, wherever the keys come from */
    expect_fail("data:\n  dataset: tishby\ntrain:\n  augment_shift: 1\n",
                "t.yaml:4:18: train.augment_shift: 1, but data.dataset tishby has flat samples, not images");
    expect_fail("train:\n  augment_shift: 2\ndata:\n  dataset: gaussian\n",
                "t.yaml:2:18: train.augment_shift: 2, but data.dataset gaussian has flat samples");
    expect_fail_set("data:\n  dataset: tishby\n", "train.augment_shift=1",
                    "--set train.augment_shift=1", "data.dataset tishby has flat samples");
    ip_config c;
    must_load(&c, "data:\n  dataset: tishby\ntrain:\n  augment_shift: 0\n", 0, NULL); /* 0 is fine */
    ip_config_free(&c);
    must_load(&c, "data:\n  dataset: cifar10\ntrain:\n  augment_shift: 3\n", 0, NULL);
    assert_int_equal(c.train.augment_shift, 3);
    ip_config_free(&c);
    must_load(&c, "data:\n  dataset: gaussian\n  gaussian_samples: 5\n  gaussian_classes: 5\n", 0, NULL);
    assert_int_equal(c.data.gaussian_classes, 5);
    ip_config_free(&c);
    must_load(&c, "data:\n  dataset: mnist\n  gaussian_samples: 2\n  gaussian_classes: 3\n", 0, NULL);
    ip_config_free(&c);
    must_load(&c, "model:\n  arch: custom\n  layers:\n    - {type: maxpool, kernel: 64, padding: 32}\n"
                  "    - {type: conv2d, channels: 1, kernel: 65}\n", 0, NULL);
    assert_int_equal(c.model.layers[0].kernel, 64);
    assert_int_equal(c.model.layers[0].stride, 64);
    assert_int_equal(c.model.layers[1].kernel, 65);
    ip_config_free(&c);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_fail("train:\n  epochs: 3\n  lr: 0.1\n  epochs: 4\n",
                "t.yaml:4:3: duplicate key 'epochs' (first given at line 2 column 3)");
    expect_fail("seed: 1\ntrain: {}\nseed: 2\n", "t.yaml:3:1: duplicate key 'seed' (first given at line 1 column 1)");
    expect_fail("model:\n  arch: custom\n  layers:\n    - {type: dense, units: 3, units: 4}\n",
                "t.yaml:4:31: duplicate key 'units'");
}

static void test_empty_and_missing(void **state)
{
    (void)state;
    expect_fail("", "t.yaml: the config is empty; expected a mapping with sections seed, model");
    expect_fail("# nothing but a comment\n\n", "t.yaml: the config is empty");
    expect_fail("---\n", "t.yaml: the config is empty");

    ip_config c;
    int rc = ip_config_load(&c, "no/such/config.yaml", 0, NULL);
    assert_int_equal(rc, IP_ERR_IO);
    assert_non_null(strstr(ip_error_message(), "no/such/config.yaml: cannot open: No such file"));
    assert_null(c.text);

    rc = ip_config_load(&c, "configs", 0, NULL); /* a directory */
    assert_true(rc < 0);
    assert_non_null(strstr(ip_error_message(), "configs: is a directory, expected a YAML config file"));
    assert_null(c.text);
}

/* Through a real file: the message names the path, the text is the file's bytes. */
static void test_file_messages(void **state)
{
    (void)state;
    char path[] = "/tmp/ip_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *bad = "# a comment\ntrain:\n  epochs: ten\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (int)strlen(bad));
    close(fd);
    ip_config c;
    int rc = ip_config_load(&c, path, 0, NULL);
    char want[256];
    snprintf(want, sizeof want, "%s:3:11: train.epochs: expected an integer in 0..2147483647, got 'ten'", path);
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", ip_error_message());

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    int rc_empty = ip_config_load(&c, path, 0, NULL);
    char msg_empty[2048];
    snprintf(msg_empty, sizeof msg_empty, "%s", ip_error_message());

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("# good\ntrain:\n  epochs: 7\n", f);
    fclose(f);
    int rc_good = ip_config_load(&c, path, 0, NULL);
    char text[128] = "";
    if (rc_good == IP_OK) snprintf(text, sizeof text, "%s", c.text);
    int epochs = c.train.epochs;
    ip_config_free(&c);
    unlink(path);

    assert_true(rc < 0);
    if (strcmp(msg, want) != 0) fail_msg("got \"%s\", want \"%s\"", msg, want);
    assert_true(rc_empty < 0);
    assert_non_null(strstr(msg_empty, "the config is empty"));
    assert_non_null(strstr(msg_empty, path));
    assert_int_equal(rc_good, IP_OK);
    assert_string_equal(text, "# good\ntrain:\n  epochs: 7\n");
    assert_int_equal(epochs, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_configs_load),
        cmocka_unit_test(test_shipped_config_values),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_value_forms),
        cmocka_unit_test(test_custom_layers),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_estimators),
        cmocka_unit_test(test_plot_size),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_override_errors),
        cmocka_unit_test(test_malformed_yaml),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_cross_checks),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_file_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
