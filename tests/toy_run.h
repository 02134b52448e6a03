/* The deterministic toy run the record/ tests write: every value is a function of (epoch, layer,
 * index), so any reader can check any row; plus a temporary directory per test. Shared by
 * test_record.c and test_record_crash.c. */
#ifndef IP_TOY_RUN_H
#define IP_TOY_RUN_H

#include "testutil.h"

#include "core/status.h"
#include "record/run.h"

/* ---- a deterministic toy run: every value is a function of (epoch, layer, index) ---- */

#define N_LAYERS 3
/* The first layer's row (40 x 40 float32, 6400 bytes) is more than a file page: the writer
 * thread writes its whole page with O_DIRECT and the rest through the page cache (where the file
 * system allows, as ext4 under /tmp does), the synchronous path through HDF5. */
static const int UNITS[N_LAYERS] = {40, 5, 3};
static const char NAMES[N_LAYERS][IP_LAYER_NAME_LEN] = {"layer1", "layer2", "logits"};
#define N_SAMPLES 40
#define D_X 6
#define N_PARAMS 1000
#define N_OPT 1000

typedef struct {
    float *acts[N_LAYERS];
    float params[N_PARAMS], m[N_OPT], v[N_OPT];
    uint64_t rng[4];
} toy_epoch;

static inline float act_value(int epoch, int l, size_t i) { return (float)sin(0.37 * epoch + 1.1 * l + 0.013 * (double)i); }

static inline void toy_fill(toy_epoch *t, int epoch, int n_samples, const int *units)
{
    for (int l = 0; l < N_LAYERS; l++)
        for (size_t i = 0; i < (size_t)n_samples * units[l]; i++) t->acts[l][i] = act_value(epoch, l, i);
    for (int i = 0; i < N_PARAMS; i++) t->params[i] = (float)epoch + 1e-3f * (float)i;
    for (int i = 0; i < N_OPT; i++) {
        t->m[i] = (float)epoch * 0.5f - (float)i;
        t->v[i] = (float)epoch * 0.25f + (float)i;
    }
    for (int k = 0; k < 4; k++) t->rng[k] = 0x9e3779b97f4a7c15ull * (uint64_t)(epoch + 1) + (uint64_t)k;
}

static inline void toy_alloc(toy_epoch *t, int n_samples, const int *units)
{
    for (int l = 0; l < N_LAYERS; l++) t->acts[l] = calloc((size_t)n_samples * units[l], sizeof(float));
}

static inline void toy_free(toy_epoch *t)
{
    for (int l = 0; l < N_LAYERS; l++) free(t->acts[l]);
}

static inline ip_epoch_metrics toy_metrics(int epoch)
{
    ip_epoch_metrics m = {epoch, 2.0 / (epoch + 1), 0.1 * epoch, 2.5 / (epoch + 1), 0.09 * epoch, 0.01 * epoch};
    return m;
}

static inline int toy_recorded(int epoch) { return epoch % 2 == 0 || epoch < 3; } /* 0 1 2 4 6 ... */

static inline ip_run_provenance toy_provenance(int compression)
{
    ip_run_provenance p = {
        .config_text = "seed: 12345678901234\nmodel:\n  arch: mlp\n  hidden: [40, 5]\n",
        .overrides = "train.epochs=3\n",
        .source = "configs/toy.yaml",
        .seed = 12345678901234ull,
        .summary = "model mlp (activation tanh, hidden 40-5); data gaussian; train 3 epochs",
        .compression = compression,
        .train_samples = N_SAMPLES - 10,
        .test_samples = 10,
    };
    return p;
}

static float g_x[N_SAMPLES * D_X];
static int g_y[N_SAMPLES];

static inline int toy_create(ip_run **run, const char *path, int compression)
{
    ip_run_provenance p = toy_provenance(compression);
    for (int i = 0; i < N_SAMPLES * D_X; i++) g_x[i] = (float)i * 0.5f - 3.0f;
    for (int i = 0; i < N_SAMPLES; i++) g_y[i] = i % 4;
    return ip_run_create(run, path, &p, N_LAYERS, NAMES, UNITS, N_SAMPLES, D_X, g_x, g_y, 4, "toy data: 40 samples",
                         2);
}

/* Appends epoch e the way the trainer does: activations (when recorded) first. */
static inline int toy_append(ip_run *run, toy_epoch *t, int e)
{
    int rc;
    toy_fill(t, e, N_SAMPLES, UNITS);
    if (toy_recorded(e) && (rc = ip_run_append_activations(run, e, (const float *const *)t->acts)) != IP_OK) return rc;
    ip_epoch_metrics m = toy_metrics(e);
    return ip_run_append_epoch(run, &m, t->params, N_PARAMS, t->m, t->v, N_OPT, 100 * e, t->rng);
}

static inline int toy_write(const char *path, int last_epoch, int compression)
{
    ip_run *run = NULL;
    toy_epoch t;
    toy_alloc(&t, N_SAMPLES, UNITS);
    int rc = toy_create(&run, path, compression);
    for (int e = 0; rc == IP_OK && e <= last_epoch; e++) rc = toy_append(run, &t, e);
    int rc2 = ip_run_close(run);
    toy_free(&t);
    return rc != IP_OK ? rc : rc2;
}

/* Everything a reader sees agrees with the toy functions up to the last completed epoch. */
static inline void check_run(const char *path, int expect_last)
{
    ip_run *run = NULL;
    ip_run_description d;
    int rc = ip_run_open_read(&run, path, 0);
    if (rc != IP_OK) fail_msg("open_read %s: %s", path, ip_error_message());
    assert_int_equal(ip_run_describe(run, &d), IP_OK);
    if (expect_last >= 0) assert_int_equal(d.last_epoch, expect_last);
    int last = d.last_epoch;
    assert_int_equal(d.n_metrics, last + 1);
    for (int i = 0; i <= last; i++) {
        ip_epoch_metrics m = toy_metrics(i);
        assert_int_equal(d.metrics[i].epoch, i);
        assert_true(d.metrics[i].train_loss == m.train_loss && d.metrics[i].seconds == m.seconds);
    }
    int k = 0;
    double *buf = malloc(sizeof(double) * N_SAMPLES * 40);
    for (int e = 0; e <= last; e++) {
        if (!toy_recorded(e)) continue;
        assert_true(k < d.n_recorded);
        assert_int_equal(d.recorded_epochs[k], e);
        for (int l = 0; l < N_LAYERS; l++) {
            if (ip_run_read_layer(run, l, k, buf) != IP_OK) fail_msg("%s", ip_error_message());
            for (size_t i = 0; i < (size_t)N_SAMPLES * UNITS[l]; i++)
                if (buf[i] != (double)act_value(e, l, i))
                    fail_msg("%s: layer %d epoch %d value %zu: %g, expected %g", path, l, e, i, buf[i],
                             (double)act_value(e, l, i));
        }
        k++;
    }
    assert_int_equal(k, d.n_recorded);
    free(buf);
    ip_run_describe_free(&d);
    assert_int_equal(ip_run_close(run), IP_OK);
}

static char g_dir[256];

static inline int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/ip_test_record.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static inline int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static inline void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", g_dir, name); }

static inline int file_contains(const char *path, const char *needle)
{
    char *text = NULL;
    size_t cap = 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    ssize_t len = getdelim(&text, &cap, '\0', f);
    fclose(f);
    int found = len > 0 && strstr(text, needle) != NULL;
    free(text);
    return found;
}

#endif
