/* `infoplane sweep SWEEP.yaml [-j N] [--out DIR] [--status] [--collect] [--threshold T] [--quiet]`:
 * every run of the sweep file not complete yet, N at a time, each an `infoplane run` of its own
 * (framework/sweep/), then the aggregate, figures and index.html. --status reports from the
 * directories only; --collect only aggregates what is complete. --slurm submits the runs not
 * complete as one Slurm array job whose tasks are `sweep ... --slurm-task NAME` (sweep_slurm.c,
 * docs/cluster.md). See docs/sweep.md. */
#include "commands.h"

#include "core/interrupt.h"
#include "core/status.h"
#include "sweep/sweep.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: infoplane sweep SWEEP.yaml [-j N] [--out DIR] [--status] [--collect] [--threshold T] [--quiet]\n" \
              "       infoplane sweep SWEEP.yaml --slurm [--partition P] [--time T] [--cpus-per-task N] [--mem M] " \
              "[--max-running K] [--out DIR]"

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
    int jobs = 1, status_only = 0, collect_only = 0, quiet = 0, slurm = 0, jobs_given = 0;
    const char *task = NULL; /* --slurm-task NAME: an array task of --slurm runs that one run */
    ip_sweep_slurm_options so = {0};
    static const char *const slurm_opts[] = {"--partition", "--time", "--cpus-per-task", "--mem", "--max-running",
                                             "--slurm-task", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int sk = -1;
        for (int k = 0; slurm_opts[k] && sk < 0; k++) {
            size_t n = strlen(slurm_opts[k]);
            if (!strncmp(a, slurm_opts[k], n) && (a[n] == '\0' || a[n] == '=')) sk = k;
        }
        if (sk >= 0) {
            const char *sv = strchr(a, '=') ? strchr(a, '=') + 1 : i + 1 < argc ? argv[++i] : NULL;
            if (!sv || !*sv) return cli_error("sweep: %s needs a value\n%s", slurm_opts[sk], USAGE), 2;
            if (sk == 0) so.partition = sv;
            else if (sk == 1) so.time = sv;
            else if (sk == 3) so.mem = sv;
            else if (sk == 5) task = sv;
            else if (!(sk == 2 ? (so.cpus = positive(sv)) : (so.max_running = positive(sv))))
                return cli_error("sweep: %s %s: expected a whole number, 1 to 4096", slurm_opts[sk], sv), 2;
            continue;
        }
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
            jobs_given = 1;
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
            slurm = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_error("sweep: unknown option '%s'\n%s", a, USAGE), 2;
        } else if (!path) {
            path = a;
        } else {
            return cli_error("sweep: unexpected argument '%s' (one SWEEP.yaml is expected)", a), 2;
        }
    }
    if (!path) return cli_error("%s", USAGE), 2;
    if (status_only + collect_only + slurm + !!task > 1)
        return cli_error("sweep: --status, --collect, --slurm go one at a time"), 2;
    if (!slurm && (so.partition || so.time || so.mem || so.cpus || so.max_running))
        return cli_error("sweep: --partition, --time, --cpus-per-task, --mem and --max-running go with --slurm"), 2;
    if (slurm && jobs_given)
        return cli_error("sweep: -j is for a sweep on this machine; on Slurm, --max-running K limits the runs at "
                         "a time"), 2;
    if (slurm && !ip_sweep_slurm_available())
        return cli_error("sweep: --slurm: sbatch is not on PATH (Slurm is not installed here, or not set up in this "
                         "shell); run the sweep on this machine with -j N instead (docs/cluster.md)"), 2;

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
        ip_sweep_slurm_status(&plan, stdout);
    } else if (collect_only) {
        if (ip_sweep_collect(&plan, threshold, quiet) != IP_OK) {
            status = cli_error("%s", ip_error_message());
        } else {
            int missing = 0;
            for (int i = 0; i < plan.n_runs; i++) {
                ip_sweep_run_state st;
                ip_sweep_state_of(&plan, i, &st);
                if (st.state == IP_SWEEP_DONE) continue;
                if (!missing++) fprintf(stderr, "sweep: not complete, left out of the aggregate:\n");
                fprintf(stderr, "    %-8s %s%s%s\n", ip_sweep_state_names[st.state], plan.runs[i].name,
                        st.why[0] ? ": " : "", st.why);
            }
            if (missing) fprintf(stderr, "sweep: %d of %d runs complete; collect again when the rest are\n",
                                 plan.n_runs - missing, plan.n_runs);
            fprintf(stderr, "sweep: report: %s/index.html\n", plan.dir);
        }
    } else if (slurm) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        so.exe = exe;
        so.quiet = quiet;
        ip_sweep_slurm_result r;
        if (n <= 0) {
            status = cli_error("sweep: --slurm: cannot find this infoplane's path (/proc/self/exe)");
        } else if (ip_sweep_slurm_submit(&plan, &so, &r) != IP_OK) {
            status = cli_error("sweep: --slurm: %s", ip_error_message());
        } else if (!r.job) {
            fprintf(stderr, "sweep: nothing to submit: %d of %d runs complete, %d queued or running under earlier "
                            "jobs%s\n", r.done, plan.n_runs, r.queued,
                    r.done == plan.n_runs ? "; collect with --collect" : "");
        } else {
            printf("%ld\n", r.job);
            fprintf(stderr, "sweep: submitted job %ld: %d run%s (%d complete already, %d queued or running before)\n"
                            "sweep: script: %s (task i runs line i+1 of %s)\n"
                            "sweep: logs: %s/JOB_TASK.out from Slurm, %s/logs/NAME.log from each run\n"
                            "sweep: follow with: infoplane sweep %s --out %s --status; when done: --collect\n",
                    r.job, r.submitted, r.submitted == 1 ? "" : "s", r.done, r.queued, r.script, r.points, r.logs,
                    plan.dir, path, plan.dir);
        }
    } else {
        ip_sweep_options o = {.exe = "/proc/self/exe", .jobs = jobs, .quiet = quiet, .only = task};
        const char *cpus = getenv("SLURM_CPUS_PER_TASK");
        if (task && cpus && atoi(cpus) > 0) o.cores = atoi(cpus); /* the CPUs Slurm gave this task */
        ip_sweep_summary sum;
        ip_interrupt_install(); /* Ctrl-C, SIGTERM: no new runs, the running ones stop at a safe point */
        if (ip_sweep_execute(&plan, &o, &sum) != IP_OK) {
            status = cli_error("%s", ip_error_message());
        } else if (sum.stopped) {
            fprintf(stderr, "sweep: stopped by %s after %.1f s: %d of %d runs complete; the same command goes on "
                            "from there\n", ip_interrupt_name(sum.stopped), sum.seconds, sum.done + sum.skipped,
                    plan.n_runs);
            status = 128 + sum.stopped;
        } else if (task) {
            if (sum.failed || sum.busy) status = 1; /* the run's sweep.failed says why; collect is for --collect */
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
