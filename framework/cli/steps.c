/* The steps shared by `run` and the single commands (see steps.h). */
#include "steps.h"
#include "commands.h"
#include "compare_groups.h"

#include "config/config.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "core/interrupt.h"
#include "core/names.h"
#include "core/status.h"
#include "estimate/estimators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_print_final(const ip_epoch_metrics *m)
{
    if (isnan(m->test_loss) && isnan(m->test_acc)) /* no test set: its metrics are absent */
        printf("final: epoch=%d train_loss=%.6f train_acc=%.4f\n", m->epoch, m->train_loss, m->train_acc);
    else
        printf("final: epoch=%d train_loss=%.6f train_acc=%.4f test_loss=%.6f test_acc=%.4f\n", m->epoch,
               m->train_loss, m->train_acc, m->test_loss, m->test_acc);
}

int cli_run_partial_store(const ip_run_description *d, int *n_recorded)
{
    *n_recorded = -1;
    if (!strcmp(d->store, "activations") || !strcmp(d->store, "none")) return 0;
    /* The config as run: its text and the --set lines the run stores, one per line. */
    const char *ov = d->overrides ? d->overrides : "";
    size_t len = strlen(ov);
    char *copy = ip_malloc(len + 1), **sets = ip_calloc(len / 2 + 2, sizeof *sets);
    int n = 0;
    if (copy && sets) {
        memcpy(copy, ov, len + 1);
        for (char *line = copy, *next; line && *line; line = next) {
            if ((next = strchr(line, '\n'))) *next++ = '\0';
            if (*line) sets[n++] = line;
        }
        ip_config cfg;
        if (ip_config_load_text(&cfg, d->config_text ? d->config_text : "", d->config_source, n, sets) == IP_OK) {
            *n_recorded = ip_schedule_count(&cfg.record.epochs, d->last_epoch);
            ip_config_free(&cfg);
        }
    }
    free(copy);
    free(sets);
    return 1;
}

/* Before analysing a run that keeps some recorded epochs only: says which, and where the results of
 * every epoch are. */
static void note_partial_store(const char *run_path)
{
    ip_run *r = NULL;
    ip_run_description d;
    memset(&d, 0, sizeof d);
    int n_recorded;
    if (ip_run_open_read(&r, run_path, 0) == IP_OK && ip_run_describe(r, &d) == IP_OK &&
        cli_run_partial_store(&d, &n_recorded)) {
        char dir[4096], of[48] = "";
        ip_analyze_dir(run_path, dir, sizeof dir);
        if (n_recorded >= 0) snprintf(of, sizeof of, " of the %d", n_recorded);
        printf("analyze: %s holds the activations of %d%s analysed epochs (record.store: %.200s): only those "
               "are analysed here; the online results of every epoch are in %s/ and the run's /analysis tables\n",
               run_path, d.n_recorded, of, d.store, dir);
    }
    ip_run_describe_free(&d);
    ip_run_close(r);
}

int cli_analyze(const char *run_path, const ip_analyze_options *opt)
{
    char dir[4096];
    ip_analyze_report rep;
    if (ip_is_dir(run_path))
        return cli_error("analyze: %s is a directory, expected a run file (%s/run.h5?)", run_path, run_path);
    note_partial_store(run_path);
    int rc = ip_analyze(run_path, opt, &rep);
    if (rc == IP_ERR_INTERRUPTED) {
        cli_error("%s", ip_error_message());
        return cli_interrupt_status();
    }
    if (rc != IP_OK) return cli_error("%s", ip_error_message());
    ip_analyze_dir(run_path, dir, sizeof dir);
    for (int i = 0; i < opt->n_settings; i++)
        if (!rep.in_file)
            printf("analyze: %s: %s in %s/%s.csv (%.2f s; the file is read-only and left as it is)\n", run_path,
                   ip_estimator_names[opt->settings[i].kind], dir, ip_estimator_names[opt->settings[i].kind],
                   rep.seconds[i]);
        else
            cli_print_setting(run_path, dir, ip_estimator_names[opt->settings[i].kind], rep.groups[i], rep.n_groups[i],
                          rep.seconds[i], "");
    return 0;
}

void cli_print_setting(const char *run_path, const char *dir, const char *name,
                       const char (*groups)[IP_TABLE_NAME_LEN], int n_groups, double seconds, const char *how)
{
    printf("analyze: %s: %s in /analysis/%s%s%s and %s/%s.csv (%.2f s%s)\n", run_path, name, groups[0],
           n_groups > 1 ? " and /analysis/" : "", n_groups > 1 ? groups[1] : "", dir, name, seconds, how);
}

static void print_report(const ip_plot_report *rep)
{
    for (int i = 0; i < rep->n_made; i++) printf("wrote %s\n", rep->made[i]);
    for (int i = 0; i < rep->n_skipped; i++) fprintf(stderr, "infoplane: note: %s\n", rep->skipped[i]);
}

int cli_plot(int n, const char *const *runs, const ip_plot_options *opt)
{
    int failed = 0;
    ip_plot_report rep;
    ip_plot_options one = *opt;
    if (n > 1) one.out_dir = NULL; /* --out names the comparison's directory then */
    for (int i = 0; i < n; i++) {
        int rc = ip_plot_run(runs[i], &one, &rep);
        print_report(&rep);
        if (rc && ip_interrupt_pending()) { /* our stop, or gnuplot killed by the same Ctrl-C */
            cli_error("plot %s: stopped by %s; the figures written are listed above, index.html is as it was",
                      runs[i], ip_interrupt_name(ip_interrupt_pending()));
            return cli_interrupt_status();
        }
        if (rc) {
            cli_error("%s", ip_error_message());
            failed = 1;
            if (strstr(ip_error_message(), "gnuplot not found")) break; /* the same for every run */
        }
    }
    if (n > 1 && !failed) {
        cli_run_groups g;
        int rc = cli_group_runs(n, runs, &g);
        if (rc == IP_OK) {
            rc = ip_plot_compare(n, runs, &g.groups, opt, &rep);
            print_report(&rep);
        }
        cli_run_groups_free(&g);
        if (rc != IP_OK && ip_interrupt_pending()) {
            cli_error("plot: the comparison stopped by %s; the figures written are listed above",
                      ip_interrupt_name(ip_interrupt_pending()));
            return cli_interrupt_status();
        }
        if (rc != IP_OK) {
            cli_error("%s", ip_error_message());
            failed = 1;
        }
    }
    return failed;
}

int cli_interrupt_status(void)
{
    int sig = ip_interrupt_pending();
    return sig ? 128 + sig : 0;
}

int cli_plot_format(const char *what, const char *name, ip_plot_format *format)
{
    int f = ip_name_find(ip_plot_format_names, name);
    if (f < 0) return cli_error("%s %s: expected png, pdf or svg", what, name);
    *format = (ip_plot_format)f;
    return 0;
}
