/* Helpers of the end-to-end tests that run infoplane through the command line (test_train_cli.c,
 * test_train_limits.c, test_train_signals.c, test_run_dir.c, test_cli.c, test_online.c): `infoplane ARGS` from
 * the repository root with its output captured, and the comparison of two run files value by
 * value (every recorded layer of every epoch and the saved parameters). Include after testutil.h;
 * the including file defines nothing of these names. */
#ifndef IP_TEST_RUN_UTIL_H
#define IP_TEST_RUN_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <time.h>

#include "core/status.h"
#include "record/run.h"

extern char **environ;

static char run_dir[] = "/tmp/ip_test_train_XXXXXX"; /* scratch, made by run_setup */
static char run_out[1 << 16], run_err[1 << 16];     /* the last command's stdout and stderr */
static char run_repo[1024];                          /* the repository root (the tests' cwd) */

static int run_setup(void **state)
{
    (void)state;
    if (!getcwd(run_repo, sizeof run_repo) || !mkdtemp(run_dir)) return -1;
    return 0;
}

static int run_teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", run_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* `infoplane ARGS` run from the repository root (configs/ are found there); returns its exit
 * status, with stdout and stderr in run_out and run_err. */
static int run_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cli(const char *fmt, ...)
{
    char args[4096], cmd[6000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s", ip_test_cli(), args);
    return ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out);
}

/* argv[0] (a path) with argv (NULL-terminated) started in the background, in the tests' cwd, with
 * stdout and stderr into run_dir/NAME.out and NAME.err, and SIGINT and SIGTERM at their defaults and
 * unblocked (a background job of a non-interactive shell would ignore SIGINT); returns its pid. */
static inline pid_t run_spawn(const char *name, const char *const *argv)
{
    char outp[1300], errp[1300];
    snprintf(outp, sizeof outp, "%s/%s.out", run_dir, name);
    snprintf(errp, sizeof errp, "%s/%s.err", run_dir, name);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t def, none;
    sigemptyset(&def);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) fail_msg("cannot start %s: %s", argv[0], strerror(rc));
    return pid;
}

/* `infoplane CMDLINE` started in the background through /bin/sh (run_spawn: NAME.out/.err). */
static inline pid_t run_start(const char *name, const char *cmdline)
{
    char cmd[4000];
    if (snprintf(cmd, sizeof cmd, "exec %s %s", ip_test_cli(), cmdline) >= (int)sizeof cmd)
        fail_msg("command line too long: %s", cmdline);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return run_spawn(name, argv);
}

/* Waits (polling every 10 ms, at most `seconds`) until run_dir/NAME.err shows `text`; its content
 * is left in buf. Fails the test on timeout. */
static inline void run_wait_for(const char *name, const char *text, char *buf, size_t cap, int seconds)
{
    char p[1300];
    snprintf(p, sizeof p, "%s/%s.err", run_dir, name);
    for (int i = 0; i < seconds * 100; i++) {
        ip_test_slurp(p, buf, cap);
        if (strstr(buf, text)) return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("%s never showed '%s':\n%s", p, text, buf);
}

/* The exit status of a run_spawn'ed process, or -N when killed by signal N (a shell would show both
 * as 128 + N: here an orderly stop with exit(130) is told apart from a death by SIGINT). */
static inline int run_finish(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) fail_msg("waitpid failed");
    return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

/* Every float of the run's layers (all recorded epochs) and its saved state, as doubles. */
typedef struct {
    int n;
    double *v;
} run_bytes;

static inline run_bytes read_run(const char *path)
{
    ip_run *r = NULL;
    ip_run_description d;
    memset(&d, 0, sizeof d);
    if (ip_run_open_read(&r, path, 0) != IP_OK || ip_run_describe(r, &d) != IP_OK)
        fail_msg("%s", ip_error_message());
    size_t total = 0;
    for (int l = 0; l < d.n_layers; l++) total += (size_t)d.n_recorded * d.n_samples * d.layer_units[l];
    double *params = NULL;
    int prow = 0, pcol = 0;
    if (ip_h5_read_matrix(path, "/state/params", &params, &prow, &pcol) != IP_OK) fail_msg("%s", ip_error_message());
    run_bytes b = {(int)(total + (size_t)prow * pcol), NULL};
    b.v = malloc(sizeof(double) * (size_t)b.n);
    size_t off = 0;
    for (int l = 0; l < d.n_layers; l++)
        for (int k = 0; k < d.n_recorded; k++) {
            if (ip_run_read_layer(r, l, k, b.v + off) != IP_OK) fail_msg("%s", ip_error_message());
            off += (size_t)d.n_samples * d.layer_units[l];
        }
    memcpy(b.v + off, params, sizeof(double) * (size_t)prow * pcol);
    free(params);
    ip_run_describe_free(&d);
    ip_run_close(r);
    return b;
}

static inline void assert_same_run(const char *a, const char *b)
{
    run_bytes x = read_run(a), y = read_run(b);
    assert_int_equal(x.n, y.n);
    int differ = 0;
    for (int i = 0; i < x.n; i++) differ += memcmp(&x.v[i], &y.v[i], sizeof(double)) != 0;
    if (differ) fail_msg("%s and %s differ in %d of %d values", a, b, differ, x.n);
    free(x.v);
    free(y.v);
}

static inline void expect_text(const char *text, const char *part)
{
    if (!strstr(text, part)) fail_msg("expected '%s' in:\n%s", part, text);
}

/* The whole file, NUL-terminated, its length in *len (malloc'd: the caller frees); fails the
 * test when it cannot be read. */
static inline char *run_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) fail_msg("cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Files a and b hold the same bytes. */
static inline void run_same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    char *x = run_slurp(a, &na), *y = run_slurp(b, &nb);
    if (na != nb || memcmp(x, y, na)) fail_msg("%s and %s differ", a, b);
    free(x);
    free(y);
}

/* The runs in dir_a and dir_b saved the same parameters, bit for bit. */
static inline void run_same_params(const char *dir_a, const char *dir_b)
{
    char pa[1400], pb[1400];
    snprintf(pa, sizeof pa, "%s/run.h5", dir_a);
    snprintf(pb, sizeof pb, "%s/run.h5", dir_b);
    double *a, *b;
    int ra, ca, rb, cb;
    if (ip_h5_read_matrix(pa, "/state/params", &a, &ra, &ca) != IP_OK ||
        ip_h5_read_matrix(pb, "/state/params", &b, &rb, &cb) != IP_OK)
        fail_msg("%s", ip_error_message());
    assert_int_equal(ra * ca, rb * cb);
    assert_memory_equal(a, b, sizeof(double) * (size_t)ra * ca);
    free(a);
    free(b);
}

/* Under valgrind (scripts/run-tests.sh's third pass) the test binary runs in valgrind, but the
 * infoplane it starts does not: a file of end-to-end tests would only repeat the release pass
 * (and take as long). Such a file's main() begins with RUN_SKIP_UNDER_VALGRIND(): under valgrind
 * it reports one skipped test saying why, and returns. The release and sanitizer passes run it. */
static inline void run_skipped_under_valgrind(void **state)
{
    (void)state;
    fprintf(stderr, "under valgrind: the infoplane these tests start runs outside valgrind, so they would "
                    "repeat the release pass: SKIPPED (the release and ASan+UBSan passes run them)\n");
    skip();
}
#define RUN_SKIP_UNDER_VALGRIND()                                                                   \
    do {                                                                                            \
        if (ip_test_valgrind()) {                                                                   \
            const struct CMUnitTest skipped[] = {cmocka_unit_test(run_skipped_under_valgrind)};     \
            return cmocka_run_group_tests(skipped, NULL, NULL);                                     \
        }                                                                                           \
    } while (0)

#endif
