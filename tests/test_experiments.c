/* The quick settings of the experiments (experiments/tishby, mnist_fnn, mnist_cnn; each folder's
 * README.md) run as a user runs them: `infoplane sweep experiments/X/quick.yaml -j 2 --out DIR`
 * from the repository root, each into a scratch directory; each must finish with every run done,
 * its aggregate (results.csv, aggregate.csv, compression.csv with a row per grid point, estimator
 * and layer), its figures and its index.html. A smoke test of the pipeline on the real data and the
 * shipped configs, not of the results (a few epochs). The runs are child processes that valgrind does
 * not follow and that the sanitizer build would make several times slower: skipped under both
 * (test_sweep_run.c covers the sweep itself there). */
#include "testutil.h"

#include "test_run_util.h"

static int exists(const char *dir, const char *name)
{
    char p[2400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* Lines of `text` that start with `prefix`. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; *p;) {
        if (strncmp(p, prefix, len) == 0) n++;
        const char *nl = strchr(p, '\n');
        if (!nl) break;
        p = nl + 1;
    }
    return n;
}

/* Runs experiments/NAME/quick.yaml into run_dir/NAME and checks what it made: `runs` runs done,
 * the figures of every estimator in `estimators` (NULL-terminated), and in compression.csv
 * `rows_per_point` rows for each grid point of `points` (NULL-terminated). */
static void quick_sweep(const char *name, int runs, const char *const *points, const char *const *estimators,
                        int rows_per_point)
{
    char out[1400], text[1 << 16], want[256];
    snprintf(out, sizeof out, "%s/%s", run_dir, name);
    int rc = run_cli("sweep experiments/%s/quick.yaml -j 2 --quiet --out %s", name, out);
    if (rc != 0) fail_msg("experiments/%s/quick.yaml: exit %d:\n%s", name, rc, run_err);
    snprintf(want, sizeof want, "sweep: %d of %d runs done (%d now, 0 before), 0 failed", runs, runs, runs);
    if (!strstr(run_err, want)) fail_msg("experiments/%s/quick.yaml: no '%s' in:\n%s", name, want, run_err);
    static const char *const files[] = {"index.html", "aggregate/results.csv", "aggregate/aggregate.csv",
                                        "aggregate/compression.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (!exists(out, files[i])) fail_msg("%s/%s is missing", out, files[i]);
    for (int e = 0; estimators[e]; e++) {
        char f[256];
        snprintf(f, sizeof f, "figures/sweep_plane_%s.png", estimators[e]);
        if (!exists(out, f)) fail_msg("%s/%s is missing", out, f);
        snprintf(f, sizeof f, "figures/sweep_mi_epochs_%s.png", estimators[e]);
        if (!exists(out, f)) fail_msg("%s/%s is missing", out, f);
    }
    char p[1600];
    snprintf(p, sizeof p, "%s/aggregate/compression.csv", out);
    ip_test_slurp(p, text, sizeof text);
    if (strncmp(text, "point,", 6) != 0) fail_msg("%s: unexpected header:\n%s", p, text);
    for (int i = 0; points[i]; i++) {
        snprintf(want, sizeof want, "%s,", points[i]);
        int n = count_lines(text, want);
        if (n != rows_per_point) fail_msg("%s: %d rows for %s, expected %d:\n%s", p, n, points[i], rows_per_point, text);
    }
}

static void test_tishby_quick(void **state)
{
    (void)state;
    if (ip_test_slow_env()) skip();
    static const char *const points[] = {"activation=tanh", "activation=relu", NULL};
    static const char *const est[] = {"logdet", "binning", NULL};
    quick_sweep("tishby", 4, points, est, 12); /* 6 layers x (logdet, binning) */
}

static void test_mnist_fnn_quick(void **state)
{
    (void)state;
    if (ip_test_slow_env()) skip();
    ip_test_data_dir("mnist");
    static const char *const points[] = {"activation=tanh", "activation=relu", NULL};
    static const char *const est[] = {"logdet", NULL};
    quick_sweep("mnist_fnn", 4, points, est, 5); /* 4 hidden layers + logits */
}

static void test_mnist_cnn_quick(void **state)
{
    (void)state;
    if (ip_test_slow_env()) skip();
    ip_test_data_dir("mnist");
    if (!ip_test_is_dir("/usr/share/datasets/fashion-mnist") && !ip_test_is_dir("data/fashion-mnist"))
        fail_msg("no Fashion-MNIST (make deps installs dataset-fashion-mnist)");
    static const char *const points[] = {"dataset=mnist", "dataset=fashion_mnist", NULL};
    static const char *const est[] = {"logdet", NULL};
    quick_sweep("mnist_cnn", 4, points, est, 4); /* 3 conv blocks + logits */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tishby_quick),
        cmocka_unit_test(test_mnist_fnn_quick),
        cmocka_unit_test(test_mnist_cnn_quick),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
