/* The analysis of a whole run (see analyze.h): reads the inputs and labels once, prepares one
 * information plane per estimator setting, then one recorded epoch at a time (so memory does
 * not depend on how many epochs were recorded) reads the layers and gives them to every
 * setting, and finally writes the results tables into the run file and the CSV files beside it
 * (results.h: the code the analysis while training shares). */
#include "analyze.h"
#include "estimators.h"
#include "results.h"

#include "core/dirlock.h"
#include "core/fsutil.h"
#include "core/interrupt.h"
#include "core/mem.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ip_analyze_dir(const char *run_path, char *dir, size_t cap)
{
    const char *slash = strrchr(run_path, '/');
    snprintf(dir, cap, "%.*s/analysis", slash ? (int)(slash - run_path) : 1, slash ? run_path : ".");
}

/* An imported file's /metrics as DIR/metrics.csv (what `infoplane train` writes beside its runs,
 * and `plot` draws the loss and accuracy curves from), when the file has metrics and DIR has no
 * metrics.csv yet. The test columns only when some test value is known. */
static int imported_metrics_csv(const ip_run_description *d, const char *run_path)
{
    if (!d->imported || d->n_metrics < 1) return IP_OK;
    char path[4200];
    const char *slash = strrchr(run_path, '/');
    snprintf(path, sizeof path, "%.*s/metrics.csv", slash ? (int)(slash - run_path) : 1, slash ? run_path : ".");
    if (ip_path_exists(path)) return IP_OK;
    int test = 0;
    for (int i = 0; i < d->n_metrics; i++) test |= !isnan(d->metrics[i].test_loss) || !isnan(d->metrics[i].test_acc);
    return ip_metrics_write_csv(path, d->metrics, d->n_metrics, test);
}

typedef struct {
    ip_run *run;
    ip_run_description d;
    int have_desc;
    double *x, **t;
    int *y;
} run_data;

static void run_data_free(run_data *r)
{
    if (r->t)
        for (int l = 0; l < (r->have_desc ? r->d.n_layers : 0); l++) free(r->t[l]);
    free(r->t);
    free(r->x);
    free(r->y);
    if (r->have_desc) ip_run_describe_free(&r->d);
}

/* Open the run, describe it, read inputs and labels, and allocate one epoch's layers. */
static int load_run(run_data *r, const char *run_path, int *into_file)
{
    int rc;
    /* A file another program wrote (docs/hdf5-layout.md, "Importing") gets its /analysis tables
     * only when this process may write it; a read-only (or precious, chmod a-w) one is left as it
     * is and the results go to the CSV files beside it alone. */
    struct stat st;
    *into_file = ip_run_is_imported(run_path) != 1 ||
                 (access(run_path, W_OK) == 0 && stat(run_path, &st) == 0 && (st.st_mode & 0222)); /* root too */
    if ((rc = ip_run_open_read(&r->run, run_path, *into_file)) != IP_OK) return rc;
    if ((rc = ip_run_describe(r->run, &r->d)) != IP_OK) return rc;
    r->have_desc = 1;
    int m = r->d.n_samples, L = r->d.n_layers;
    char adir[4096];
    ip_analyze_dir(run_path, adir, sizeof adir);
    if (r->d.store_none)
        return ip_fail(IP_ERR, "%s holds no activations (record.store: none): it was analysed while training "
                               "(analysis.online), with the results in its /analysis tables and in %s/; to analyse "
                               "it with other estimators, train it again with record.store: activations",
                       run_path, adir);
    if (r->d.n_recorded < 1 || L < 1)
        return ip_fail(IP_ERR, "%s: no recorded epochs to analyze (%d layers, %d epochs)", run_path, L,
                       r->d.n_recorded);
    if (!(r->x = ip_aligned_alloc((size_t)m * r->d.d_x * sizeof *r->x)) || !(r->y = ip_malloc((size_t)m * sizeof *r->y)) ||
        !(r->t = ip_calloc((size_t)L, sizeof *r->t)))
        return IP_ERR_NOMEM;
    for (int l = 0; l < L; l++)
        if (!(r->t[l] = ip_aligned_alloc((size_t)m * r->d.layer_units[l] * sizeof **r->t))) return IP_ERR_NOMEM;
    return ip_run_read_inputs(r->run, r->x, r->y);
}

/* How many epochs of /analysis/NAME (a layers table) the run holds no activations for; 0 when
 * there is no such table. Such a table was written by the analysis while training of a run that
 * keeps the activations of some recorded epochs only (record.store: a schedule). */
static int epochs_not_stored(const run_data *r, const char *name, int *n_epochs, int *missing)
{
    int rows = 0, cols = 0, rc = IP_OK, col = -1;
    double *data = NULL;
    char **columns = NULL;
    *n_epochs = *missing = 0;
    int present = 0;
    for (int i = 0; i < r->d.n_tables && !present; i++) present = !strcmp(r->d.table_names[i], name);
    if (!present) return IP_OK;
    if ((rc = ip_run_read_table(r->run, name, &rows, &cols, &data, &columns)) != IP_OK) return rc;
    for (int c = 0; c < cols && col < 0; c++)
        if (!strcmp(columns[c], "epoch")) col = c;
    for (int i = 0; col >= 0 && i < rows; i++) {
        int epoch = (int)data[(size_t)i * cols + col], seen = 0, stored = 0;
        for (int k = 0; k < i && !seen; k++) seen = (int)data[(size_t)k * cols + col] == epoch;
        if (seen) continue; /* a row per layer: each epoch once */
        for (int k = 0; k < r->d.n_recorded && !stored; k++) stored = r->d.recorded_epochs[k] == epoch;
        (*n_epochs)++;
        *missing += !stored;
    }
    free(data);
    ip_run_strings_free(columns, cols);
    return IP_OK;
}

/* Refuses (unless opt->replace_online) to replace a results table that holds epochs the run keeps
 * no activations for: it came from the analysis while training, and would be replaced by the
 * results of fewer epochs. */
static int check_no_loss(const run_data *r, const ip_results *s, int n, const ip_analyze_options *opt,
                         const char *run_path)
{
    for (int i = 0; i < n && !opt->replace_online; i++)
        for (int g = 0; g < s[i].n_sub; g++) {
            char name[IP_TABLE_NAME_LEN + 16];
            int n_epochs, missing, rc;
            snprintf(name, sizeof name, "%s/layers", s[i].groups[g]);
            if ((rc = epochs_not_stored(r, name, &n_epochs, &missing)) != IP_OK) return rc;
            if (missing)
                return ip_fail(IP_ERR, "%s: /analysis/%s holds the results of %d epochs (analysed while training), "
                                       "but the run keeps the activations of %d epochs only (record.store: %s): "
                                       "analysing it again would replace them with fewer. Analyse with other "
                                       "estimator settings, or give --replace-online to replace them anyway",
                               run_path, s[i].groups[g], n_epochs, r->d.n_recorded, r->d.store);
        }
    return IP_OK;
}

static void progress_line(const ip_analyze_options *opt, const char *what, int epoch, int k, int n_rec, double el)
{
    double per = el / (k + 1);
    int tenth = (n_rec + 9) / 10, long_run = per * n_rec >= 10.0;
    if (opt->progress == 1 || (opt->progress == 2 && long_run && ((k + 1) % tenth == 0 || k + 1 == n_rec))) {
        fprintf(stderr, "%sanalyze %s: epoch %d (%d of %d), %.3f s per epoch, %.0f s left%s",
                opt->progress == 1 ? "\r" : "", what, epoch, k + 1, n_rec, per, per * (n_rec - k - 1),
                opt->progress == 1 ? "   " : "\n");
        fflush(stderr);
    }
}

int ip_analyze(const char *run_path, const ip_analyze_options *opt, ip_analyze_report *report)
{
    run_data r;
    ip_results s[IP_EST_MAX_SETTINGS];
    ip_dir_lock *dir_lock = NULL;
    int n = opt->n_settings, rc;
    memset(&r, 0, sizeof r);
    memset(s, 0, sizeof s);
    if (report) memset(report, 0, sizeof *report);
    if (n < 1 || n > IP_EST_MAX_SETTINGS)
        return ip_fail(IP_ERR, "analyze: between 1 and %d estimator settings, got %d", IP_EST_MAX_SETTINGS, n);
    for (int i = 0; i < n; i++)
        if ((rc = ip_estimator_check(&opt->settings[i])) != IP_OK) return rc;

    /* The run directory's lock first: the tables in the run file and the CSV files beside it are
     * written together, and never while a trainer (or another analysis) works there. */
    {
        const char *slash = strrchr(run_path, '/');
        char run_dir[4096];
        snprintf(run_dir, sizeof run_dir, "%.*s", slash ? (int)(slash - run_path) : 1, slash ? run_path : ".");
        if ((rc = ip_dir_lock_take(slash == run_path ? "/" : run_dir, 0, &dir_lock)) != IP_OK) return rc;
    }
    int into_file = 1;
    if ((rc = load_run(&r, run_path, &into_file)) != IP_OK) goto out;
    int m = r.d.n_samples, L = r.d.n_layers, n_rec = r.d.n_recorded;

    /* Every setting's plane (the fixed X and Y work once) and its result rows, which are the only
     * thing that grows with the number of epochs: a few doubles per layer and epoch. */
    for (int i = 0; i < n; i++)
        if ((rc = ip_results_create(&s[i], &opt->settings[i], opt->bits, r.x, m, r.d.d_x, r.y, r.d.n_classes, L,
                                    r.d.layer_units, n_rec, run_path)) != IP_OK)
            goto out;
    free(r.x); /* the planes keep what they need */
    r.x = NULL;
    if ((rc = check_no_loss(&r, s, n, opt, run_path)) != IP_OK) goto out;

    char dir[4096];
    ip_analyze_dir(run_path, dir, sizeof dir);
    if ((rc = ip_mkdir_p(dir)) != IP_OK) goto out;
    int want[IP_EST_COUNT] = {0};
    for (int i = 0; i < n; i++) want[s[i].e->kind] = 1;
    char what[256] = "";
    for (int k = 0; k < IP_EST_COUNT; k++)
        if (want[k]) snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", what[0] ? "+" : "", ip_estimator_names[k]);
    double t_start = now();
    for (int k = 0; k < n_rec; k++) {
        int epoch = r.d.recorded_epochs[k];
        if (ip_interrupt_pending()) { /* a safe point: nothing is written before the loop ends */
            rc = ip_fail(IP_ERR_INTERRUPTED, "%s: analysis stopped by %s after %d of %d recorded epochs; nothing "
                                             "written (analysis/ and the run file keep what they held)",
                         run_path, ip_interrupt_name(ip_interrupt_pending()), k, n_rec);
            goto out;
        }
        for (int l = 0; l < L; l++)
            if ((rc = ip_run_read_layer(r.run, l, k, r.t[l])) != IP_OK) goto out;
        for (int i = 0; i < n; i++)
            if ((rc = ip_results_epoch(&s[i], epoch, (const double *const *)r.t, run_path)) != IP_OK) goto out;
        progress_line(opt, what, epoch, k, n_rec, now() - t_start);
    }
    if (opt->progress == 1) fputc('\n', stderr);

    char layers[2048] = "";
    for (int l = 0; l < L; l++) {
        size_t len = strlen(layers);
        snprintf(layers + len, sizeof layers - len, "%s%s", l ? "," : "", r.d.layer_names[l]);
    }
    for (int i = 0; into_file && i < n; i++)
        if ((rc = ip_results_write_tables(r.run, &s[i], layers)) != IP_OK) goto out;
    /* All tables in the run file in one step, then the CSV files (a kill in between leaves the
     * new tables with the old CSV files, never half of either). */
    if (into_file && (rc = ip_run_commit_tables(r.run)) != IP_OK) goto out;

    rc = ip_results_write_csv(dir, s, n);
    if (rc == IP_OK) rc = imported_metrics_csv(&r.d, run_path);
    if (rc == IP_OK && report)
        for (int i = 0; i < n; i++) {
            report->in_file = into_file;
            report->seconds[i] = s[i].seconds;
            report->n_groups[i] = s[i].n_sub;
            memcpy(report->groups[i], s[i].groups, sizeof report->groups[i]);
        }
out:
    for (int i = 0; i < n; i++) ip_results_free(&s[i]);
    run_data_free(&r);
    if (r.run) {
        int rc2 = ip_run_close(r.run);
        if (rc == IP_OK) rc = rc2;
    }
    ip_dir_lock_release(dir_lock);
    return rc;
}
