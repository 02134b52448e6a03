/* Shared helpers for the cmocka tests: tolerance checks that print the largest error,
 * where the real data lives, and whether we run under valgrind/sanitizers (smaller sizes). */
#ifndef IP_TESTUTIL_H
#define IP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static inline int ip_test_slow_env(void)
{
    return getenv("IP_UNDER_VALGRIND") != NULL || getenv("IP_UNDER_SANITIZER") != NULL;
}
static inline int ip_test_valgrind(void) { return getenv("IP_UNDER_VALGRIND") != NULL; }

/* |a - b| <= atol + rtol |b|, reporting the values on failure. */
#define assert_close(a, b, rtol, atol)                                                                 \
    do {                                                                                               \
        double a_ = (a), b_ = (b);                                                                     \
        if (!(fabs(a_ - b_) <= (atol) + (rtol)*fabs(b_)))                                              \
            fail_msg("%s = %.17g but %s = %.17g (rtol %g, atol %g)", #a, a_, #b, b_, (double)(rtol),   \
                     (double)(atol));                                                                  \
    } while (0)

/* Largest relative error between two arrays, with a floor on the denominator. */
static inline double ip_test_max_rel_err(const double *a, const double *b, size_t n, double floor_)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]) / fmax(floor_, fmax(fabs(a[i]), fabs(b[i])));
        if (!(d <= worst)) worst = d; /* NaN becomes the worst */
    }
    return worst;
}

static inline int ip_test_is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory holding real data set `which` ("mnist", "tishby"): ../shared/data/WHICH when
 * present, else data/WHICH, fetched by scripts/get-data.sh as a user would. Fails the test
 * loudly when neither works: a test never passes silently without its data. */
static inline const char *ip_test_data_dir(const char *which)
{
    static char path[512];
    snprintf(path, sizeof path, "../shared/data/%s", which);
    if (ip_test_is_dir(path)) return path;
    snprintf(path, sizeof path, "data/%s", which);
    if (ip_test_is_dir(path)) return path;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "scripts/get-data.sh %s >&2", which);
    if (system(cmd) != 0 || !ip_test_is_dir(path))
        fail_msg("no %s data: neither ../shared/data/%s nor data/%s (scripts/get-data.sh failed)", which,
                 which, which);
    return path;
}

/* The infoplane binary of the same build as this test: build/tests/x -> build/infoplane,
 * build/san/tests/x -> build/san/infoplane. Fails the test when it is missing. */
static inline const char *ip_test_cli(void)
{
    static char bin[1024];
    if (bin[0]) return bin;
    char self[1024];
    if (!realpath("/proc/self/exe", self)) fail_msg("cannot resolve /proc/self/exe");
    snprintf(bin, sizeof bin, "%s/infoplane", dirname(dirname(self)));
    if (access(bin, X_OK) != 0) fail_msg("%s is missing (make all)", bin);
    return bin;
}

/* Writes `text` to the file DIR/NAME (failing the test when it cannot be opened). */
static inline void ip_test_write_text(const char *dir, const char *name, const char *text)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Runs an independent reference (a shell command, e.g. "/usr/bin/python3 tests/ref/X_ref.py ...
 * 2>&1") and reads the first nv numbers it prints into v; fails the test, showing the command and
 * its output, when it exits non-zero or prints fewer numbers (NumPy/SciPy missing: `make deps`). */
static inline void ip_test_python_ref(const char *cmd, double *v, int nv)
{
    FILE *pp = popen(cmd, "r");
    if (!pp) fail_msg("cannot run %s", cmd);
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof out - 1, pp);
    out[n] = '\0';
    int st = pclose(pp);
    char *pos = out, *end;
    for (int k = 0; k < nv; k++, pos = end) {
        v[k] = strtod(pos, &end);
        if (st != 0 || end == pos)
            fail_msg("reference failed (is /usr/bin/python3 with numpy and scipy installed? `make deps` installs "
                     "them): %s\n%s",
                     cmd, out);
    }
}

static inline void ip_test_slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(buf, 1, n - 1, f) : 0;
    buf[got] = '\0';
    if (f) fclose(f);
}

/* Runs the shell command `cmd` in directory `dir`, its stdout and stderr captured into
 * out and err (each n bytes; either may be NULL); returns the exit status (128 + signal
 * when killed). */
static inline int ip_test_sh(const char *dir, const char *cmd, char *out, char *err, size_t n)
{
    /* The captures go to a private temp directory, never into `dir` (which may be the repository). */
    char cap[] = "/tmp/ip_test_sh_XXXXXX", full[16384], path[64];
    if (!mkdtemp(cap)) fail_msg("mkdtemp failed");
    snprintf(full, sizeof full, "cd '%s' && ( %s ) >'%s/out' 2>'%s/err'", dir, cmd, cap, cap);
    int st = system(full);
    snprintf(path, sizeof path, "%s/out", cap);
    if (out) ip_test_slurp(path, out, n);
    unlink(path);
    snprintf(path, sizeof path, "%s/err", cap);
    if (err) ip_test_slurp(path, err, n);
    unlink(path);
    rmdir(cap);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#endif
