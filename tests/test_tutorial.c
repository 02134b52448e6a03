/* docs/tutorial.md keeps working: every command in it (the lines "    $ ...") runs, in order, in
 * a scratch directory with this build's infoplane, and every figure the tutorial shows is produced
 * (scripts/docs-figures.sh --check, the script behind `make docs-figures`). About 45 s on 2 cores:
 * release pass only (skipped under valgrind and the sanitizers). */
#include "testutil.h"

/* The repository root: the nearest ancestor of this binary holding docs/tutorial.md. */
static void repo_root(char *out, size_t n)
{
    char self[1024], probe[1100];
    if (!realpath("/proc/self/exe", self)) fail_msg("cannot resolve /proc/self/exe");
    for (char *d = dirname(self); strcmp(d, "/") != 0; d = dirname(d)) {
        snprintf(probe, sizeof probe, "%s/docs/tutorial.md", d);
        if (access(probe, R_OK) == 0) {
            snprintf(out, n, "%s", d);
            return;
        }
    }
    fail_msg("no docs/tutorial.md above %s", self);
}

static void test_tutorial_commands(void **state)
{
    (void)state;
    if (ip_test_slow_env()) skip();
    char root[1024], build[1024], work[] = "/tmp/ip_test_tutorial_XXXXXX", cmd[4096];
    static char out[16384], err[16384];
    repo_root(root, sizeof root);
    snprintf(build, sizeof build, "%s", ip_test_cli());
    *strrchr(build, '/') = '\0';
    if (!mkdtemp(work)) fail_msg("mkdtemp failed");
    snprintf(cmd, sizeof cmd, "scripts/docs-figures.sh --check '%s' '%s/run'", build, work);
    int rc = ip_test_sh(root, cmd, out, err, sizeof out);
    if (rc != 0) fail_msg("docs-figures.sh --check exited %d:\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "the tutorial's commands ran"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    assert_int_equal(ip_test_sh("/tmp", cmd, NULL, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tutorial_commands)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
