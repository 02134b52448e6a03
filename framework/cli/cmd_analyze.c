/* `infoplane analyze RUN.h5 [--estimator logdet] [--mode cov|pearson] [--beta B] [--layer-beta B]
 * [--units bits|nats] [--quiet]`: information-plane coordinates for every recorded epoch and layer.
 * The work is in estimate/logdet_analyze.c (through cli_analyze, which `run` calls too); this file
 * only parses arguments. */
#include "commands.h"
#include "steps.h"

#include "core/interrupt.h"
#include "core/status.h"
#include "estimate/logdet_analyze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: infoplane analyze RUN.h5 [--estimator logdet] [--mode cov|pearson] [--beta B]\n"
    "                         [--layer-beta B] [--units bits|nats] [--quiet]\n"
    "  --beta: for I(X;T) and I(T;Y); default (auto) 100 * d_X, the paper's code\n"
    "  --layer-beta: for I(T_l;T_l+1); default (auto) 100 * (d_l + d_l+1), the paper's code\n"
    "  --units: of the results (default bits)\n"
    "  --quiet: no progress on stderr (else one line kept up to date on a terminal, or in a log a\n"
    "           line per tenth of the epochs when the analysis takes 10 s or more)\n"
    "  writes /analysis/logdet_<mode>_beta<B>/ in the run file and DIR/analysis/logdet.csv,\n"
    "  DIR/analysis/logdet_layers.csv";

/* A positive number, or "auto" (0: the paper's default, as the config's `beta: auto`). */
static int parse_beta(const char *opt, const char *s, double *v)
{
    char *end;
    if (!strcmp(s, "auto")) {
        *v = 0;
        return 0;
    }
    *v = strtod(s, &end);
    if (*end || end == s || !(*v > 0) || !isfinite(*v))
        return cli_error("%s must be a positive number or auto, got '%s'", opt, s);
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    const char *path = NULL, *est[8] = {"logdet"};
    char list[256] = "";
    int n_est = 1;
    ip_logdet_analyze_options opt = {IP_MODE_COV, 0, 0, 1, isatty(2) ? 1 : 2};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            puts(usage);
            return 0;
        } else if (!strcmp(a, "--estimator") && v) {
            i++;
            /* A comma list as in SPEC section 7. */
            snprintf(list, sizeof list, "%s", v);
            n_est = 0;
            for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
                if (n_est == 8) return cli_error("--estimator: at most 8 names, got '%s'", v);
                est[n_est++] = tok;
            }
        } else if (!strcmp(a, "--mode") && v) {
            i++;
            if (ip_logdet_mode_parse(v, &opt.mode) != IP_OK) return cli_error("--mode: %s", ip_error_message());
        } else if (!strcmp(a, "--beta") && v) {
            if (parse_beta("--beta", argv[++i], &opt.beta)) return 1;
        } else if (!strcmp(a, "--layer-beta") && v) {
            if (parse_beta("--layer-beta", argv[++i], &opt.layer_beta)) return 1;
        } else if (!strcmp(a, "--units") && v) {
            i++;
            if (strcmp(v, "bits") && strcmp(v, "nats")) return cli_error("--units must be bits or nats, got '%s'", v);
            opt.bits = !strcmp(v, "bits");
        } else if (!strcmp(a, "--quiet")) {
            opt.progress = 0;
        } else if (a[0] == '-' && a[1]) {
            return cli_error("analyze: unknown or incomplete option '%s'\n%s", a, usage);
        } else if (!path) {
            path = a;
        } else {
            return cli_error("analyze: one RUN.h5 expected, got '%s' too\n%s", a, usage);
        }
    }
    if (!path) return cli_error("analyze: missing RUN.h5\n%s", usage);
    ip_interrupt_install(); /* Ctrl-C, SIGTERM: stop between recorded epochs, nothing written */
    return cli_analyze(path, n_est, est, &opt);
}
