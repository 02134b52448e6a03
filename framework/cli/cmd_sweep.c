/* `infoplane sweep SWEEP.yaml [-j N] [--out DIR] [--status] [--collect] [--threshold T] [--quiet]`:
 * every run of the sweep file not complete yet, N at a time, each an `infoplane run` of its own
 * (framework/sweep/), then the aggregate, figures and index.html. --status reports from the
 * directories only; --collect only aggregates what is complete. See docs/sweep.md. */
#include "commands.h"

#include "core/interrupt.h"
#include "core/status.h"
#include "sweep/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "usage: infoplane sweep SWEEP.yaml [-j N] [--out DIR] [--status] [--collect] [--threshold T] [--quiet]"

/* A whole positive number from text, else 0. */
static int positive(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v > 0 && v <= 4096 ? (int)v : 0;
}

int cmd_sweep(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *threshold_text = NULL;
    int jobs = 1, status_only = 0, collect_only = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-j") || !strcmp(a, "--jobs") || !strcmp(a, "--out") || !strcmp(a, "-o") ||
            !strcmp(a, "--threshold")) {
            if (i + 1 >= argc) return cli_error("sweep: %s needs a value\n%s", a, USAGE), 2;
            v = argv[++i];
        } else if (!strncmp(a, "-j", 2) && a[2] != '-') {
            v = a + 2, a = "-j";
        } else if (!strncmp(a, "--jobs=", 7) || !strncmp(a, "--out=", 6) || !strncmp(a, "--threshold=", 12)) {
            v = strchr(a, '=') + 1;
        }
        if (v && (!strncmp(a, "-j", 2) || !strncmp(a, "--jobs", 6))) {
            if (!(jobs = positive(v))) return cli_error("sweep: -j %s: expected a number of runs at a time, 1 to 4096", v), 2;
        } else if (v && (!strncmp(a, "--out", 5) || !strcmp(a, "-o"))) {
            out = v;
        } else if (v) {
            threshold_text = v;
        } else if (!strcmp(a, "--status")) {
            status_only = 1;
        } else if (!strcmp(a, "--collect")) {
            collect_only = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
        } else if (!strcmp(a, "--slurm")) {
            return cli_error("sweep: --slurm is not available yet; run the sweep on one machine with -j N"), 2;
        } else if (a[0] == '-' && a[1]) {
            return cli_error("sweep: unknown option '%s'\n%s", a, USAGE), 2;
        } else if (!path) {
            path = a;
        } else {
            return cli_error("sweep: unexpected argument '%s' (one SWEEP.yaml is expected)", a), 2;
        }
    }
    if (!path) return cli_error("%s", USAGE), 2;
    if (status_only && collect_only) return cli_error("sweep: --status and --collect go one at a time"), 2;

    ip_sweep_plan plan;
    if (ip_sweep_plan_make(&plan, path, out) != IP_OK) return cli_error("%s", ip_error_message());
    double threshold = plan.spec.has_threshold ? plan.spec.threshold : 0.05;
    if (threshold_text) {
        char *end;
        threshold = strtod(threshold_text, &end);
        if (*end || end == threshold_text || !isfinite(threshold) || threshold < 0) {
            ip_sweep_plan_free(&plan);
            return cli_error("sweep: --threshold %s: expected a number >= 0 (a relative drop, e.g. 0.05)",
                             threshold_text), 2;
        }
    }
    int status = 0;
    if (status_only) {
        ip_sweep_print_status(&plan, stdout);
    } else if (collect_only) {
        if (ip_sweep_collect(&plan, threshold, quiet) != IP_OK) status = cli_error("%s", ip_error_message());
        else fprintf(stderr, "sweep: report: %s/index.html\n", plan.dir);
    } else {
        ip_sweep_options o = {.exe = "/proc/self/exe", .jobs = jobs, .quiet = quiet};
        ip_sweep_summary sum;
        ip_interrupt_install(); /* Ctrl-C, SIGTERM: no new runs, the running ones stop at a safe point */
        if (ip_sweep_execute(&plan, &o, &sum) != IP_OK) {
            status = cli_error("%s", ip_error_message());
        } else if (sum.stopped) {
            fprintf(stderr, "sweep: stopped by %s after %.1f s: %d of %d runs complete; the same command goes on "
                            "from there\n", ip_interrupt_name(sum.stopped), sum.seconds, sum.done + sum.skipped,
                    plan.n_runs);
            status = 128 + sum.stopped;
        } else {
            if (ip_sweep_collect(&plan, threshold, quiet) != IP_OK) status = cli_error("%s", ip_error_message());
            for (int i = 0; i < plan.n_runs; i++) {
                ip_sweep_run_state st;
                ip_sweep_state_of(&plan, i, &st);
                if (st.state == IP_SWEEP_FAILED) fprintf(stderr, "sweep: failed: %s: %s\n", plan.runs[i].name, st.why);
            }
            fprintf(stderr, "sweep: %d of %d runs done (%d now, %d before), %d failed%s%s in %.1f s; report: "
                            "%s/index.html\n", sum.done + sum.skipped, plan.n_runs, sum.done, sum.skipped, sum.failed,
                    sum.busy ? ", some in use by another process" : "",
                    sum.failed || sum.busy ? " (the same command retries them)" : "", sum.seconds, plan.dir);
            if (sum.failed || sum.busy) status = 1;
        }
    }
    ip_sweep_plan_free(&plan);
    return status;
}
