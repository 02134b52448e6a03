/* 'infoplane plot RUN_DIR [RUN_DIR ...]': figures and index.html of every run, plus comparison
 * figures when several runs are given. Parses the arguments; cli_plot (steps.c, which `run` calls
 * too) calls plot/plot.h and reports. */
#include "commands.h"
#include "estimate/compression.h"
#include "steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/interrupt.h"
#include "core/status.h"
#include "plot/plot.h"

static const char *USAGE =
    "usage: infoplane plot RUN_DIR [RUN_DIR ...] [--format png|pdf|svg] [--estimator NAME[,NAME]]\n"
    "                      [--out DIR] [--size WxH] [--no-gif]\n"
    "  Figures go to RUN_DIR/figures/ with RUN_DIR/index.html; with several runs, comparison\n"
    "  figures go to --out DIR (default: FIRST_RUN/../compare/). --size: width and height in\n"
    "  pixels, each 200..10000 (default 900x700).\n"
    "  --estimator: the analysis/NAME.csv tables to draw (default: all, logdet first). A table\n"
    "  with several settings (a parameter sweep) gets plane_NAME with one panel per setting\n"
    "  (KDE: per noise level, lower bound dashed); two or more estimators get planes_estimators,\n"
    "  one panel each on its own scale: estimated MI depends on the estimator and its parameter.\n"
    "  See docs/plots.md.\n";

/* "WxH" with both in IP_PLOT_MIN_SIZE..IP_PLOT_MAX_SIZE. */
static int parse_size(const char *s, int *w, int *h)
{
    char tail;
    if (sscanf(s, "%dx%d%c", w, h, &tail) != 2)
        return cli_error("--size %s: expected WIDTHxHEIGHT in pixels, e.g. 900x700", s);
    if (*w < IP_PLOT_MIN_SIZE || *w > IP_PLOT_MAX_SIZE || *h < IP_PLOT_MIN_SIZE || *h > IP_PLOT_MAX_SIZE)
        return cli_error("--size %s: width and height must each be %d..%d pixels", s, IP_PLOT_MIN_SIZE,
                         IP_PLOT_MAX_SIZE);
    return 0;
}

int cmd_plot(int argc, char **argv)
{
    ip_plot_options opt;
    ip_plot_options_default(&opt);
    opt.compression_threshold = IP_COMPRESSION_THRESHOLD;
    const char **runs = calloc((size_t)argc, sizeof *runs);
    if (!runs) return cli_error("out of memory");
    int n_runs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            free(runs);
            return 0;
        } else if (!strcmp(a, "--format") && has_value) {
            if (cli_plot_format("--format", argv[++i], &opt.format)) {
                free(runs);
                return 1;
            }
        } else if (!strcmp(a, "--estimator") && has_value) {
            opt.estimators = argv[++i];
        } else if (!strcmp(a, "--out") && has_value) {
            opt.out_dir = argv[++i];
        } else if (!strcmp(a, "--size") && has_value) {
            if (parse_size(argv[++i], &opt.width, &opt.height)) {
                free(runs);
                return 1;
            }
        } else if (!strcmp(a, "--no-gif")) {
            opt.figures &= ~(unsigned)IP_FIG_ANIMATION;
        } else if (a[0] == '-' && a[1]) {
            free(runs);
            fputs(USAGE, stderr);
            return cli_error("plot: unknown option or missing value: %s", a);
        } else {
            runs[n_runs++] = a;
        }
    }
    if (n_runs == 0) {
        free(runs);
        fputs(USAGE, stderr);
        return 2;
    }
    ip_interrupt_install(); /* Ctrl-C, SIGTERM: stop between figures, index.html left as it was */
    int status = cli_plot(n_runs, runs, &opt);
    free(runs);
    return status;
}
