/* Tests of the command line's plumbing, run as a user would: the command table (every command
 * in --help, an unknown one refused), `plot --size` limits, and `plot` comparing several runs grouped by
 * their configuration (config/config_compare.h), not by their text. */
#include "testutil.h"
#include "test_run_util.h"

static void test_command_table(void **state)
{
    (void)state;
    assert_int_equal(run_cli("sweeep sweep.yaml"), 2);
    expect_text(run_err, "unknown command 'sweeep'");
    expect_text(run_err, "usage:");
    assert_int_equal(run_cli("--help"), 0);
    expect_text(run_out, "infoplane plot RUN_DIR");
    expect_text(run_out, "infoplane sweep SWEEP.yaml [-j N] [--out DIR] [--status] [--collect]");
    /* sweep exists now (tests/test_sweep*.c): a missing sweep file is its own error, not a usage one */
    assert_int_equal(run_cli("sweep %s/no_such_sweep.yaml", run_dir), 1);
    expect_text(run_err, "no_such_sweep.yaml: cannot open");
}

static void test_plot_size_limits(void **state)
{
    (void)state;
    const char *bad[] = {"0x700", "-900x700", "-5x-5", "199x700", "900x199", "10001x700", "900x10001", "900", "900x700px"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = run_cli("plot tests/fixtures/tanh_seed1 --size %s --out %s/never", bad[i], run_dir);
        if (rc != 1) fail_msg("--size %s: exit %d, expected 1\n%s", bad[i], rc, run_err);
        expect_text(run_err, "--size ");
        expect_text(run_err, bad[i]);
        if (strchr(bad[i], 'x') && !strstr(bad[i], "px")) expect_text(run_err, "200..10000 pixels");
        if (run_out[0]) fail_msg("--size %s wrote something:\n%s", bad[i], run_out);
    }
    char p[1200];
    snprintf(p, sizeof p, "%s/never", run_dir);
    assert_false(ip_test_is_dir(p));
}

/* `run` hands the config's plot.format, plot.width, plot.height and plot.animation to the plot step, and its
 * output is that of train + analyze + plot: analyze's line, plot's list, then the final line. */
static void test_run_uses_plot_settings(void **state)
{
    (void)state;
    int rc = run_cli("run configs/demo_tishby.yaml --out %s/small --quiet --set train.epochs=12 "
                     "--set record.epochs=all "
                 "--set plot.format=svg --set plot.width=640 --set plot.height=480",
                 run_dir);
    if (rc != 0) fail_msg("run: exit %d\n%s", rc, run_err);
    expect_text(run_out, "analyze: ");
    expect_text(run_out, "/small/run.h5: logdet in /analysis/logdet_cov_beta1200 and ");
    expect_text(run_out, "/small/analysis/logdet.csv (");
    expect_text(run_out, "/small/figures/plane_logdet.svg\n");
    expect_text(run_out, "/small/index.html\nfinal: epoch=12 ");
    expect_text(run_err, "information plane: ");
    expect_text(run_err, "/small/figures/plane_logdet.svg");
    char p[1200], head[4096];
    snprintf(p, sizeof p, "%s/small/figures/plane_logdet.svg", run_dir);
    ip_test_slurp(p, head, sizeof head);
    expect_text(head, "width=\"640\" height=\"480\"");
    expect_text(run_out, "/small/figures/plane_anim_logdet.gif\n");
    /* plot.animation: false leaves the GIF out (the other figures and the page are drawn) */
    rc = run_cli("run configs/demo_tishby.yaml --out %s/nogif --quiet --set train.epochs=12 --set record.epochs=all "
                 "--set plot.animation=false",
                 run_dir);
    if (rc != 0) fail_msg("run: exit %d\n%s", rc, run_err);
    expect_text(run_out, "/nogif/figures/plane_logdet.png\n");
    expect_text(run_out, "/nogif/index.html\n");
    if (strstr(run_out, "plane_anim")) fail_msg("plot.animation=false, but: %s", run_out);
    snprintf(p, sizeof p, "%s/nogif/figures/plane_anim_logdet.gif", run_dir);
    assert_int_not_equal(access(p, F_OK), 0);
    /* a width the figures do not accept is refused (by the plot step, or by the config loader
     * once it checks the same limits), naming the width and the limits */
    rc = run_cli("run configs/demo_tishby.yaml --out %s/tiny --quiet --set train.epochs=2 --set plot.width=100",
                 run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "width");
    expect_text(run_err, "200");
}

/* An estimator this build does not have is refused by analyze, and by run at its analyze step. */
static void test_unavailable_estimator(void **state)
{
    (void)state;
    assert_int_equal(run_cli("analyze %s/small/run.h5 --estimator logdet,knn", run_dir), 1);
    expect_text(run_err, "unknown estimator 'knn' (have: logdet, binning, kde, renyi, ksg)");
    int rc = run_cli("run configs/demo_tishby.yaml --out %s/knn --quiet --set train.epochs=2 "
                 "--set 'analysis.estimators=[logdet, knn]'", run_dir);
    assert_int_equal(rc, 1); /* refused by the config, before training */
    expect_text(run_err, "analysis.estimators[1]: unknown value 'knn' (valid: logdet, binning, kde, renyi, ksg)");

    /* plot --estimator with no results table is refused, naming what there is, and leaves the
     * report as it was (it used to exit 0 and rewrite index.html without its planes). */
    char page[1200], before[1 << 14], after[1 << 14];
    snprintf(page, sizeof page, "%s/small/index.html", run_dir);
    ip_test_slurp(page, before, sizeof before);
    assert_true(strlen(before) > 0);
    rc = run_cli("plot %s/small --estimator foo", run_dir);
    assert_int_equal(rc, 1);
    expect_text(run_err, "estimator 'foo': no results table");
    expect_text(run_err, "the run has results of: logdet");
    ip_test_slurp(page, after, sizeof after);
    if (strcmp(before, after)) fail_msg("index.html changed by a refused plot");
}

/* The lines of FILE that contain `part`, counted. */
static int count_in_file(const char *file, const char *part)
{
    FILE *f = fopen(file, "r");
    if (!f) fail_msg("%s is missing", file);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) n += strstr(line, part) != NULL;
    fclose(f);
    return n;
}

/* `plot` with several runs groups them by configuration: a config written another way (comments,
 * key order, flow style, 1e-4 for 0.0001) with another seed joins its group; another activation
 * does not; a config that does not load stands alone, with a note. */
static void test_compare_groups_by_config(void **state)
{
    (void)state;
    char cmd[2048], gp[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/fx && cp -r tests/fixtures/tanh_seed1 tests/fixtures/tanh_seed2 "
             "tests/fixtures/tanh_seed3 tests/fixtures/relu_seed1 %s/fx/", run_dir, run_dir);
    assert_int_equal(system(cmd), 0);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/fx/tanh_seed2", run_dir);
    ip_test_write_text(sub, "config.yaml",
                       "# the same experiment, written differently\n"
                       "plot: {height: 700, width: 900, format: png}\n"
                       "analysis:\n  units: bits\n  beta: 7.84e4\n  mode: cov\n  estimators: [logdet]\n"
                       "record: {epochs: log, samples: 3000}\n"
                       "train:\n  momentum: 0.9\n  lr: 1e-4   # = 0.0001\n  optimizer: sgd\n"
                       "  batch_size: 512\n  epochs: 300\n"
                       "data: {test_size: 10000, train_size: 60000, dataset: mnist}\n"
                       "model:\n  init: pytorch\n  activation: tanh\n  arch: mnist_fnn\n"
                       "seed: 2\n");
    int rc = run_cli("plot %s/fx/tanh_seed1 %s/fx/tanh_seed2 %s/fx/tanh_seed3 %s/fx/relu_seed1 --out %s/cmp --no-gif",
                 run_dir, run_dir, run_dir, run_dir, run_dir);
    if (rc != 0) fail_msg("plot: exit %d\n%s", rc, run_err);
    snprintf(gp, sizeof gp, "%s/cmp/compare_plane_logdet.gp", run_dir);
    assert_int_equal(count_in_file(gp, "'activation: tanh (seeds 1, 2, 3)'.\"\\n\".'3 runs'"), 1);
    assert_int_equal(count_in_file(gp, "'activation: relu'.\"\\n\".'1 run'"), 1);
    assert_int_equal(count_in_file(gp, "multiplot layout 1,2"), 1);

    /* a run whose config does not load is a group of its own, named by its directory */
    snprintf(sub, sizeof sub, "%s/fx/tanh_seed3", run_dir);
    ip_test_write_text(sub, "config.yaml", "seed: 3\nmodel: {activation: swish}\n");
    rc = run_cli("plot %s/fx/tanh_seed1 %s/fx/tanh_seed2 %s/fx/tanh_seed3 --out %s/cmp3 --no-gif", run_dir, run_dir,
                 run_dir, run_dir);
    if (rc != 0) fail_msg("plot: exit %d\n%s", rc, run_err);
    expect_text(run_err, "tanh_seed3: ");
    expect_text(run_err, "swish");
    expect_text(run_err, "compared as a group of its own");
    snprintf(gp, sizeof gp, "%s/cmp3/compare_plane_logdet.gp", run_dir);
    assert_int_equal(count_in_file(gp, "(seeds 1, 2)'.\"\\n\".'2 runs'"), 1);
    assert_int_equal(count_in_file(gp, "'tanh_seed3'.\"\\n\".'1 run'"), 1);
}

/* The --set overrides a run was trained with count: two runs of one config file, one trained
 * with --set model.activation=relu, are two groups (their config.yaml files are identical). */
static void test_compare_counts_overrides(void **state)
{
    (void)state;
    const char *act[] = {"tanh", "relu"};
    for (int i = 0; i < 2; i++) {
        int rc = run_cli("train configs/demo_tishby.yaml --out %s/set_%s --quiet --set train.epochs=3 "
                     "--set record.epochs=all --set model.activation=%s", run_dir, act[i], act[i]);
        if (rc != 0) fail_msg("train: exit %d\n%s", rc, run_err);
        rc = run_cli("analyze %s/set_%s/run.h5 --quiet", run_dir, act[i]);
        if (rc != 0) fail_msg("analyze: exit %d\n%s", rc, run_err);
    }
    char a[1200], b[1200], ta[4096], tb[4096];
    snprintf(a, sizeof a, "%s/set_tanh/config.yaml", run_dir);
    snprintf(b, sizeof b, "%s/set_relu/config.yaml", run_dir);
    ip_test_slurp(a, ta, sizeof ta);
    ip_test_slurp(b, tb, sizeof tb);
    assert_string_equal(ta, tb);
    int rc = run_cli("plot %s/set_tanh %s/set_relu --out %s/cmp_set --no-gif", run_dir, run_dir, run_dir);
    if (rc != 0) fail_msg("plot: exit %d\n%s", rc, run_err);
    snprintf(a, sizeof a, "%s/cmp_set/compare_plane_logdet.gp", run_dir);
    assert_int_equal(count_in_file(a, "'activation: tanh'.\"\\n\".'1 run'"), 1);
    assert_int_equal(count_in_file(a, "'activation: relu'.\"\\n\".'1 run'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_table),
        cmocka_unit_test(test_plot_size_limits),
        cmocka_unit_test(test_run_uses_plot_settings),
        cmocka_unit_test(test_unavailable_estimator),
        cmocka_unit_test(test_compare_groups_by_config),
        cmocka_unit_test(test_compare_counts_overrides),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
