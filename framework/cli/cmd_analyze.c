/* `infoplane analyze RUN.h5 [--estimator NAME[,NAME...]] [estimator parameters] [--layer-beta B]
 * [--units bits|nats] [--quiet]`: information-plane coordinates for every recorded epoch and layer,
 * by every estimator setting asked for (a list of parameter values is a sweep: one setting each).
 * The work is in estimate/analyze.c (through cli_analyze, which `run` calls too); this file only
 * parses arguments. */
#include "commands.h"
#include "estimator_args.h"
#include "steps.h"

#include "core/interrupt.h"
#include "core/status.h"
#include "estimate/analyze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_head[] =
    "usage: infoplane analyze RUN.h5 [--estimator NAME[,NAME...]] [parameters] [--layer-beta B]\n"
    "                         [--units bits|nats] [--replace-online] [--quiet]\n";
static const char usage_tail[] =
    "\n  A list of values (--bins 10,30,100) analyses each as a setting of its own: one command,\n"
    "  one results table per setting, one figure (infoplane plot) with a panel per setting.\n"
    "  --layer-beta: LogDet's beta for I(T_l;T_l+1); default (auto) 100 * (d_l + d_l+1)\n"
    "  --units: of the results (default bits)\n"
    "  --replace-online: a run that keeps the activations of some recorded epochs only (record.store:\n"
    "           a schedule) holds the results of every epoch from the analysis while training; analyze\n"
    "           refuses to replace those with the stored epochs' results unless this is given\n"
    "  --quiet: no progress on stderr (else one line kept up to date on a terminal, or in a log a\n"
    "           line per tenth of the epochs when the analysis takes 10 s or more)\n"
    "  writes /analysis/GROUP tables in the run file and DIR/analysis/NAME.csv per estimator";

static void usage(FILE *f) { fprintf(f, "%s%s%s\n", usage_head, cli_estimator_usage, usage_tail); }

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
    const char *path = NULL;
    ip_estimator_choice choice;
    ip_estimator_choice_default(&choice);
    unsigned given = 0;
    ip_analyze_options opt = {0, NULL, 1, isatty(2) ? 1 : 2, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--beta") && v && !strcmp(v, "auto")) { /* auto: the paper's default */
            choice.logdet_beta = 0, given |= 1u << IP_EST_LOGDET, i++;
            continue;
        }
        int o = cli_estimator_option(argc, argv, &i, &choice, &given);
        if (o < 0) return 1;
        if (o > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--layer-beta") && v) {
            if (parse_beta("--layer-beta", argv[++i], &choice.logdet_layer_beta)) return 1;
            given |= 1u << IP_EST_LOGDET;
        } else if (!strcmp(a, "--units") && v) {
            i++;
            if (strcmp(v, "bits") && strcmp(v, "nats")) return cli_error("--units must be bits or nats, got '%s'", v);
            opt.bits = !strcmp(v, "bits");
        } else if (!strcmp(a, "--quiet")) {
            opt.progress = 0;
        } else if (!strcmp(a, "--replace-online")) {
            opt.replace_online = 1;
        } else if (a[0] == '-' && a[1]) {
            cli_error("analyze: unknown or incomplete option '%s'", a);
            usage(stderr);
            return 1;
        } else if (!path) {
            path = a;
        } else {
            return cli_error("analyze: one RUN.h5 expected, got '%s' too", a);
        }
    }
    if (!path) {
        cli_error("analyze: missing RUN.h5");
        usage(stderr);
        return 1;
    }
    ip_estimator settings[IP_EST_MAX_SETTINGS];
    int n = cli_estimator_settings(&choice, given, settings);
    if (n < 0) return 1;
    opt.n_settings = n, opt.settings = settings;
    ip_interrupt_install(); /* Ctrl-C, SIGTERM: stop between recorded epochs, nothing written */
    return cli_analyze(path, &opt);
}
