/* The LogDet analysis of a whole run (see logdet_analyze.h): reads the inputs and labels once,
 * then one recorded epoch at a time (so memory does not depend on how many epochs were recorded)
 * feeds the block route, streams CSV rows to temporary files (core/csv), and finally writes the
 * results table into the run file and renames the CSV files into place. */
#include "logdet_analyze.h"
#include "logdet_run.h"

#include "core/csv.h"
#include "core/dirlock.h"
#include "core/fsutil.h"
#include "core/interrupt.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/version.h"
#include "record/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const csv_cols[] = {"estimator", "mode", "beta", "epoch", "layer", "i_xt", "i_ty", "unit"};
static const char *const pair_cols[] = {"estimator", "mode", "beta", "epoch", "layer_a", "layer_b", "mi", "layer_beta",
                                        "unit"};
#define N_CSV_COLS 8
#define N_PAIR_COLS 9

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Start DIR/NAME (through a temporary) with its header and the rows of the present DIR/NAME,
 * if it has the same header, of other settings than this analysis (estimator, mode, beta): other
 * settings survive, ours are replaced. A file of another layout is replaced as a whole. */
static int csv_start(ip_csv_writer *w, const char *dir, const char *name, int n_cols, const char *const *cols,
                     const char *mode, const char *sbeta)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return ip_fail(IP_ERR_IO, "%s/%s: path too long", dir, name);
    int rc = ip_csv_writer_open(w, path, n_cols, cols);
    if (rc != IP_OK || !ip_is_file(path)) return rc;
    ip_csv old;
    if (ip_csv_read(&old, path, IP_CSV_HEADER) != IP_OK) return IP_OK; /* unreadable: replaced */
    int same = old.n_cols == n_cols;
    for (int c = 0; same && c < n_cols; c++) same = !strcmp(old.header[c], cols[c]);
    for (int r = 0; same && r < old.n_rows; r++)
        if (strcmp(ip_csv_cell(&old, r, 0), "logdet") || strcmp(ip_csv_cell(&old, r, 1), mode) ||
            strcmp(ip_csv_cell(&old, r, 2), sbeta))
            ip_csv_put_row(w, &old, r);
    ip_csv_free(&old);
    return IP_OK;
}

void ip_logdet_analyze_dir(const char *run_path, char *dir, size_t cap)
{
    const char *slash = strrchr(run_path, '/');
    snprintf(dir, cap, "%.*s/analysis", slash ? (int)(slash - run_path) : 1, slash ? run_path : ".");
}

int ip_logdet_analyze(const char *run_path, const ip_logdet_analyze_options *opt, char *group)
{
    ip_run *run = NULL;
    ip_run_description d;
    ip_logdet_run *lr = NULL;
    double *x = NULL, **t = NULL, *rows = NULL, *pair_rows = NULL, *res = NULL;
    int *y = NULL, have_desc = 0, rc;
    ip_csv_writer c1 = {0}, c2 = {0};
    ip_dir_lock *dir_lock = NULL;
    memset(&d, 0, sizeof d);

    /* The run directory's lock first: the tables in the run file and the CSV files beside it are
     * written together, and never while a trainer (or another analysis) works there. */
    {
        const char *slash = strrchr(run_path, '/');
        char run_dir[4096];
        snprintf(run_dir, sizeof run_dir, "%.*s", slash ? (int)(slash - run_path) : 1, slash ? run_path : ".");
        if ((rc = ip_dir_lock_take(slash == run_path ? "/" : run_dir, 0, &dir_lock)) != IP_OK) return rc;
    }
    if ((rc = ip_run_open_read(&run, run_path, 1)) != IP_OK) goto out;
    if ((rc = ip_run_describe(run, &d)) != IP_OK) goto out;
    have_desc = 1;
    int m = d.n_samples, L = d.n_layers, n_rec = d.n_recorded;
    if (n_rec < 1 || L < 1) {
        rc = ip_fail(IP_ERR, "%s: no recorded epochs to analyze (%d layers, %d epochs)", run_path, L, n_rec);
        goto out;
    }
    rc = IP_ERR_NOMEM;
    if (!(x = ip_aligned_alloc((size_t)m * d.d_x * sizeof *x)) || !(y = ip_malloc((size_t)m * sizeof *y)) ||
        !(t = ip_calloc((size_t)L, sizeof *t)))
        goto out;
    for (int l = 0; l < L; l++)
        if (!(t[l] = ip_aligned_alloc((size_t)m * d.layer_units[l] * sizeof **t))) goto out;
    if ((rc = ip_run_read_inputs(run, x, y)) != IP_OK) goto out;

    ip_logdet_run_settings s = {opt->mode, opt->beta, opt->layer_beta};
    if ((rc = ip_logdet_run_create(&lr, x, m, d.d_x, y, d.n_classes, L, d.layer_units, &s)) != IP_OK) {
        ip_error_prefix("%s", run_path);
        goto out;
    }
    free(x); /* the block route keeps what it needs */
    x = NULL;
    double beta = ip_logdet_run_beta(lr), unit = opt->bits ? 1 / log(2.0) : 1.0;
    const char *uname = opt->bits ? "bits" : "nats", *mode = ip_logdet_mode_name(opt->mode);

    /* Where the results go. */
    char dir[4096], name[256], sbeta[64], slbeta[64];
    ip_logdet_analyze_dir(run_path, dir, sizeof dir);
    if ((rc = ip_mkdir_p(dir)) != IP_OK) goto out;
    snprintf(sbeta, sizeof sbeta, "%.17g", beta);
    snprintf(slbeta, sizeof slbeta, opt->layer_beta > 0 ? "%.17g" : "paper", opt->layer_beta);
    if (opt->layer_beta > 0) snprintf(name, sizeof name, "logdet_%s_beta%s_lbeta%s", mode, sbeta, slbeta);
    else snprintf(name, sizeof name, "logdet_%s_beta%s", mode, sbeta);
    if (strlen(name) + 8 >= IP_TABLE_NAME_LEN) {
        rc = ip_fail(IP_ERR, "%s: table name %s is too long (beta %s)", run_path, name, sbeta);
        goto out;
    }
    if (group) memcpy(group, name, strlen(name) + 1);
    if ((rc = csv_start(&c1, dir, "logdet.csv", N_CSV_COLS, csv_cols, mode, sbeta)) != IP_OK) goto out;
    if ((rc = csv_start(&c2, dir, "logdet_layers.csv", N_PAIR_COLS, pair_cols, mode, sbeta)) != IP_OK) goto out;

    /* Result rows: a few doubles per layer and epoch (the only thing that grows with epochs). */
    rc = IP_ERR_NOMEM;
    if (!(rows = ip_malloc((size_t)n_rec * L * 5 * sizeof *rows)) ||
        !(pair_rows = ip_malloc((size_t)n_rec * (L > 1 ? L - 1 : 1) * 4 * sizeof *pair_rows)))
        goto out;
    if (!(res = ip_malloc((size_t)4 * L * sizeof *res))) goto out;
    double *ixt = res, *ity = res + L, *itt = res + 2 * L, *ht = res + 3 * L, t0 = now();
    for (int k = 0; k < n_rec; k++) {
        int epoch = d.recorded_epochs[k];
        if (ip_interrupt_pending()) { /* a safe point: nothing is written before the loop ends */
            rc = ip_fail(IP_ERR_INTERRUPTED, "%s: analysis stopped by %s after %d of %d recorded epochs; nothing "
                                             "written (analysis/ and the run file keep what they held)",
                         run_path, ip_interrupt_name(ip_interrupt_pending()), k, n_rec);
            goto out;
        }
        for (int l = 0; l < L; l++)
            if ((rc = ip_run_read_layer(run, l, k, t[l])) != IP_OK) goto out;
        if ((rc = ip_logdet_run_epoch(lr, (const double *const *)t, ixt, ity, itt, ht)) != IP_OK) {
            ip_error_prefix("%s: epoch %d", run_path, epoch);
            goto out;
        }
        for (int l = 0; l < L; l++) {
            double *r = rows + ((size_t)k * L + l) * 5;
            r[0] = epoch, r[1] = l + 1, r[2] = ixt[l] * unit, r[3] = ity[l] * unit, r[4] = ht[l] * unit;
            ip_csv_put_text(&c1, "logdet"), ip_csv_put_text(&c1, mode), ip_csv_put_text(&c1, sbeta);
            ip_csv_put_int(&c1, epoch), ip_csv_put_int(&c1, l + 1);
            ip_csv_put_real(&c1, r[2], 12), ip_csv_put_real(&c1, r[3], 12), ip_csv_put_text(&c1, uname);
        }
        for (int l = 0; l + 1 < L; l++) {
            double *r = pair_rows + ((size_t)k * (L - 1) + l) * 4, lb = ip_logdet_run_layer_beta(lr, l);
            r[0] = epoch, r[1] = l + 1, r[2] = itt[l] * unit, r[3] = lb;
            ip_csv_put_text(&c2, "logdet"), ip_csv_put_text(&c2, mode), ip_csv_put_text(&c2, sbeta);
            ip_csv_put_int(&c2, epoch), ip_csv_put_int(&c2, l + 1), ip_csv_put_int(&c2, l + 2);
            ip_csv_put_real(&c2, r[2], 12), ip_csv_put_real(&c2, lb, 17), ip_csv_put_text(&c2, uname);
        }
        /* In a log, a line at every tenth of the epochs, once the whole looks like taking 10 s. */
        double el = now() - t0, per = el / (k + 1);
        int tenth = (n_rec + 9) / 10, long_run = per * n_rec >= 10.0;
        if (opt->progress == 1 || (opt->progress == 2 && long_run && ((k + 1) % tenth == 0 || k + 1 == n_rec))) {
            fprintf(stderr, "%sanalyze logdet: epoch %d (%d of %d), %.3f s per epoch, %.0f s left%s",
                    opt->progress == 1 ? "\r" : "", epoch, k + 1, n_rec, per, per * (n_rec - k - 1),
                    opt->progress == 1 ? "   " : "\n");
            fflush(stderr);
        }
    }
    if (opt->progress == 1) fputc('\n', stderr);

    char shx[64], shy[64], layers[2048] = "";
    snprintf(shx, sizeof shx, "%.17g", ip_logdet_run_hx(lr) * unit);
    snprintf(shy, sizeof shy, "%.17g", ip_logdet_run_hy(lr) * unit);
    for (int l = 0; l < L; l++) {
        size_t n = strlen(layers);
        snprintf(layers + n, sizeof layers - n, "%s%s", l ? "," : "", d.layer_names[l]);
    }
    const char *keys[] = {"estimator", "mode", "beta", "layer_beta", "unit", "h_x", "h_y", "layers", "infoplane"};
    const char *vals[] = {"logdet", mode, sbeta, slbeta, uname, shx, shy, layers, IP_VERSION};
    const char *cols[] = {"epoch", "layer", "i_xt", "i_ty", "h_t"}, *pcols[] = {"epoch", "layer", "i_tt", "beta"};
    char tname[sizeof name + 16];
    snprintf(tname, sizeof tname, "%s/layers", name);
    if ((rc = ip_run_write_table(run, tname, n_rec * L, 5, cols, rows, 9, keys, vals)) != IP_OK) goto out;
    snprintf(tname, sizeof tname, "%s/pairs", name);
    if ((rc = ip_run_write_table(run, tname, L > 1 ? n_rec * (L - 1) : 0, 4, pcols, pair_rows, 9, keys, vals)) !=
        IP_OK)
        goto out;
    /* Both tables in the run file in one step, then the CSV files (a kill in between leaves the
     * new tables with the old CSV files, never half of either). */
    if ((rc = ip_run_commit_tables(run)) != IP_OK) goto out;
    if ((rc = ip_csv_writer_commit(&c1)) != IP_OK) goto out;
    rc = ip_csv_writer_commit(&c2);
out:
    ip_csv_writer_abandon(&c1);
    ip_csv_writer_abandon(&c2);
    if (t)
        for (int l = 0; l < (have_desc ? d.n_layers : 0); l++) free(t[l]);
    free(t);
    free(x);
    free(y);
    free(rows);
    free(pair_rows);
    free(res);
    ip_logdet_run_free(lr);
    if (have_desc) ip_run_describe_free(&d);
    if (run) {
        int rc2 = ip_run_close(run);
        if (rc == IP_OK) rc = rc2;
    }
    ip_dir_lock_release(dir_lock);
    return rc;
}
