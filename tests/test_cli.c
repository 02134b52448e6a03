/* Tests of the command line's plumbing, run as a user would: the command table (no command that
 * does not exist is offered), `plot --size` limits, and `plot` comparing several runs grouped by
 * their configuration (config/config_compare.h), not by their text. */
#include "testutil.h"

static char bin[1024];
static char dir[] = "/tmp/ip_test_cli_XXXXXX";
static char out_text[1 << 16], err_text[1 << 16];

/* `infoplane ARGS` run from the repository root; stdout/stderr into out_text/err_text. */
static int cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int cli(const char *fmt, ...)
{
    char args[4096], cmd[5200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s", bin, args);
    return ip_test_sh(".", cmd, out_text, err_text, sizeof out_text);
}

static void expect_in(const char *text, const char *part)
{
    if (!strstr(text, part)) fail_msg("expected '%s' in:\n%s", part, text);
}

static void test_no_sweep_command(void **state)
{
    (void)state;
    assert_int_equal(cli("sweep sweep.yaml"), 2);
    expect_in(err_text, "unknown command 'sweep'");
    expect_in(err_text, "usage:");
    assert_int_equal(cli("--help"), 0);
    if (strstr(out_text, "sweep")) fail_msg("--help lists sweep:\n%s", out_text);
    expect_in(out_text, "infoplane plot RUN_DIR");
}

static void test_plot_size_limits(void **state)
{
    (void)state;
    const char *bad[] = {"0x700", "-900x700", "199x700", "900x199", "10001x700", "900x10001", "900", "900x700px"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = cli("plot tests/fixtures/tanh_seed1 --size %s --out %s/never", bad[i], dir);
        if (rc != 1) fail_msg("--size %s: exit %d, expected 1\n%s", bad[i], rc, err_text);
        expect_in(err_text, "--size ");
        expect_in(err_text, bad[i]);
        if (strchr(bad[i], 'x') && !strstr(bad[i], "px")) expect_in(err_text, "200..10000 pixels");
        if (out_text[0]) fail_msg("--size %s wrote something:\n%s", bad[i], out_text);
    }
    char p[1200];
    snprintf(p, sizeof p, "%s/never", dir);
    assert_false(ip_test_is_dir(p));
}

/* `run` hands the config's plot.format, plot.width and plot.height to the plot step, and its
 * output is that of train + analyze + plot: analyze's line, plot's list, then the final line. */
static void test_run_uses_plot_settings(void **state)
{
    (void)state;
    int rc = cli("run configs/demo_tishby.yaml --out %s/small --quiet --set train.epochs=12 --set record.epochs=all "
                 "--set plot.format=svg --set plot.width=640 --set plot.height=480",
                 dir);
    if (rc != 0) fail_msg("run: exit %d\n%s", rc, err_text);
    expect_in(out_text, "analyze: ");
    expect_in(out_text, "/small/run.h5: LogDet results in /analysis/logdet_cov_beta1200 and ");
    expect_in(out_text, "/small/analysis/logdet.csv\n");
    expect_in(out_text, "/small/figures/plane_logdet.svg\n");
    expect_in(out_text, "/small/index.html\nfinal: epoch=12 ");
    expect_in(err_text, "information plane: ");
    expect_in(err_text, "/small/figures/plane_logdet.svg");
    char p[1200], head[4096];
    snprintf(p, sizeof p, "%s/small/figures/plane_logdet.svg", dir);
    ip_test_slurp(p, head, sizeof head);
    expect_in(head, "width=\"640\" height=\"480\"");
    /* a width the figures do not accept is refused (by the plot step, or by the config loader
     * once it checks the same limits), naming the width and the limits */
    rc = cli("run configs/demo_tishby.yaml --out %s/tiny --quiet --set train.epochs=2 --set plot.width=100", dir);
    assert_int_not_equal(rc, 0);
    expect_in(err_text, "width");
    expect_in(err_text, "200");
}

/* An estimator this build does not have is refused by analyze, and by run at its analyze step. */
static void test_unavailable_estimator(void **state)
{
    (void)state;
    assert_int_equal(cli("analyze %s/small/run.h5 --estimator logdet,binning", dir), 1);
    expect_in(err_text, "estimator 'binning' is not available in this build (have: logdet)");
    int rc = cli("run configs/demo_tishby.yaml --out %s/binning --quiet --set train.epochs=2 "
                 "--set 'analysis.estimators=[logdet, binning]'", dir);
    assert_int_equal(rc, 1);
    expect_in(err_text, "estimator 'binning' is not available in this build (have: logdet)");
}

int main(void)
{
    snprintf(bin, sizeof bin, "%s", ip_test_cli());
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_sweep_command),
        cmocka_unit_test(test_plot_size_limits),
        cmocka_unit_test(test_run_uses_plot_settings),
        cmocka_unit_test(test_unavailable_estimator),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return failed;
}
