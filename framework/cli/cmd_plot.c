/* 'infoplane plot RUN_DIR [RUN_DIR ...]': figures and index.html of every run, plus comparison
 * figures when several runs are given. A thin wrapper over plot/plot.h: parse, call, report. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "plot/plot.h"

static const char *USAGE =
    "usage: infoplane plot RUN_DIR [RUN_DIR ...] [--format png|pdf|svg] [--estimator NAME[,NAME]]\n"
    "                      [--out DIR] [--size WxH] [--no-gif]\n"
    "  Figures go to RUN_DIR/figures/ with RUN_DIR/index.html; with several runs, comparison\n"
    "  figures go to --out DIR (default: FIRST_RUN/../compare/). See docs/plots.md.\n";

static void print_report(const ip_plot_report *rep)
{
    for (int i = 0; i < rep->n_made; i++) printf("wrote %s\n", rep->made[i]);
    for (int i = 0; i < rep->n_skipped; i++) fprintf(stderr, "infoplane: note: %s\n", rep->skipped[i]);
}

int cmd_plot(int argc, char **argv)
{
    ip_plot_options opt;
    ip_plot_options_default(&opt);
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
            const char *f = argv[++i];
            if (!strcmp(f, "png")) opt.format = IP_PLOT_PNG;
            else if (!strcmp(f, "pdf")) opt.format = IP_PLOT_PDF;
            else if (!strcmp(f, "svg")) opt.format = IP_PLOT_SVG;
            else {
                free(runs);
                return cli_error("--format %s: expected png, pdf or svg", f);
            }
        } else if (!strcmp(a, "--estimator") && has_value) {
            opt.estimators = argv[++i];
        } else if (!strcmp(a, "--out") && has_value) {
            opt.out_dir = argv[++i];
        } else if (!strcmp(a, "--size") && has_value) {
            char tail;
            if (sscanf(argv[++i], "%dx%d%c", &opt.width, &opt.height, &tail) != 2) {
                free(runs);
                return cli_error("--size %s: expected WIDTHxHEIGHT in pixels, e.g. 900x700", argv[i]);
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
    int failed = 0;
    ip_plot_report rep;
    ip_plot_options one = opt;
    if (n_runs > 1) one.out_dir = NULL; /* --out names the comparison's directory then */
    for (int i = 0; i < n_runs; i++) {
        int rc = ip_plot_run(runs[i], &one, &rep);
        print_report(&rep);
        if (rc) {
            cli_error("%s", ip_error_message());
            failed = 1;
            if (strstr(ip_error_message(), "gnuplot not found")) break; /* the same for every run */
        }
    }
    if (n_runs > 1 && !failed) {
        if (ip_plot_compare(n_runs, runs, &opt, &rep) != IP_OK) {
            print_report(&rep);
            cli_error("%s", ip_error_message());
            failed = 1;
        } else {
            print_report(&rep);
        }
    }
    free(runs);
    return failed ? 1 : 0;
}
