/* The estimators for other languages: see capi.h. Built only into build/libinfoplane.so (not the
 * infoplane executable, whose main.c has its own cli_error). */
#include "capi.h"

#include "cli/commands.h"
#include "cli/estimate_common.h"
#include "cli/estimator_args.h"
#include "core/names.h"
#include "core/status.h"
#include "estimate/estimator.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char capi_msg[2048];

/* The command line's error reporter, here keeping the message for ip_capi_error. */
int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(capi_msg, sizeof capi_msg, fmt, ap);
    va_end(ap);
    return 1;
}

const char *ip_capi_error(void) { return capi_msg; }

int ip_capi_version(void) { return IP_CAPI_VERSION; }

/* The options as cmd_mi / cmd_entropy parse them into one setting. */
static int parse(int n, const char *const *opts, const char *cmd, ip_estimator *e)
{
    ip_estimator_choice c;
    ip_estimator_choice_default(&c);
    unsigned given = 0;
    ip_kde_bound bound = IP_KDE_UPPER;
    char *argv[66];
    if (n < 0 || n > 64) return cli_error("%s: at most 64 option strings, got %d", cmd, n);
    argv[0] = (char *)cmd;
    for (int i = 0; i < n; i++) argv[i + 1] = (char *)opts[i];
    argv[n + 1] = NULL;
    int argc = n + 1;
    for (int i = 1; i < argc; i++) {
        int o = cli_estimator_option(argc, argv, &i, &c, &given);
        if (o < 0) return 1;
        if (o > 0) continue;
        if (!strcmp(argv[i], "--bound") && i + 1 < argc) {
            int b = ip_name_find(ip_kde_bound_names, argv[++i]);
            if (b < 0) return cli_error("--bound: expected upper or lower, got '%s'", argv[i]);
            bound = (ip_kde_bound)b, given |= 1u << IP_EST_KDE;
        } else {
            return cli_error("%s: unknown or incomplete option '%s'", cmd, argv[i]);
        }
    }
    if (cli_one_setting(&c, given, cmd, e)) return 1;
    e->kde.bound = bound;
    return 0;
}

static int check(const void *p, int m, int d, int ld, const char *what)
{
    if (!p || m < 1 || d < 1 || ld < d) return cli_error("%s: a non-empty matrix is needed (%d x %d, stride %d)", what, m, d, ld);
    return 0;
}

int ip_capi_entropy(const double *a, int m, int d, int lda, int n_opts, const char *const *opts, double *out)
{
    ip_estimator e;
    capi_msg[0] = '\0';
    if (check(a, m, d, lda, "entropy") || parse(n_opts, opts, "entropy", &e)) return 1;
    if (ip_estimator_entropy(&e, a, m, d, lda, out) != IP_OK) return cli_error("%s", ip_error_message());
    return 0;
}

int ip_capi_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, int n_opts,
               const char *const *opts, double *out)
{
    ip_estimator e;
    ip_mi_terms t;
    capi_msg[0] = '\0';
    if (check(a, m, da, lda, "mi: A") || check(b, m, db, ldb, "mi: B") || parse(n_opts, opts, "mi", &e)) return 1;
    if (ip_estimator_mi(&e, a, m, da, lda, b, db, ldb, out, &t) != IP_OK) return cli_error("%s", ip_error_message());
    return 0;
}

int ip_capi_mi_labels(const double *a, int m, int da, int lda, const int *y, int n_opts, const char *const *opts,
                      double *out)
{
    ip_estimator e;
    ip_mi_terms t;
    capi_msg[0] = '\0';
    if (check(a, m, da, lda, "mi: A") || !y || parse(n_opts, opts, "mi", &e)) return 1;
    int k = 0;
    for (int i = 0; i < m; i++) {
        if (y[i] < 0 || y[i] >= 1000000) return cli_error("mi: label %d (row %d) is not a class index 0..K-1", y[i], i);
        if (y[i] + 1 > k) k = y[i] + 1;
    }
    if (ip_estimator_mi_labels(&e, a, m, da, lda, y, k, out, &t) != IP_OK) return cli_error("%s", ip_error_message());
    return 0;
}
