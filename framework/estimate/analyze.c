/* The analysis of a whole run (see analyze.h): reads the inputs and labels once, prepares one
 * information plane per estimator setting, then one recorded epoch at a time (so memory does
 * not depend on how many epochs were recorded) reads the layers and gives them to every
 * setting, streams CSV rows to temporary files (core/csv), and finally writes the results tables
 * into the run file and renames the CSV files into place. */
#include "analyze.h"
#include "estimators.h"

#include "core/csv.h"
#include "core/dirlock.h"
#include "core/fsutil.h"
#include "core/interrupt.h"
#include "core/mem.h"
#include "core/names.h"
#include "core/status.h"
#include "core/version.h"

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
#define MAX_EXTRA 2 /* extra columns of a layers table */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One setting's plane and what it collects. A KDE plane gives two row sets (upper, lower). */
typedef struct {
    const ip_estimator *e;
    ip_plane *plane;
    int n_sub;                  /* row sets: 2 for KDE, else 1 */
    char mode[2][64], param[64];
    double *rows[2];            /* n_rec x L x (4 + n_extra) */
    int n_extra;
    double *pair_rows;          /* logdet: n_rec x (L-1) x 4 */
    double *ixt, *ity, *extra;  /* one epoch: 2 L each, extra 2 L */
    double seconds;
} setting_run;

static int n_extra_of(ip_estimator_kind k)
{
    return k == IP_EST_LOGDET ? 1 : k == IP_EST_BINNING ? 2 : k == IP_EST_RENYI ? 1 : 0;
}

/* Is (mode, beta) of row r of an old CSV one of this analysis's settings of estimator `name`? */
static int ours(const ip_csv *old, int r, const char *name, const setting_run *s, int n)
{
    if (strcmp(ip_csv_cell(old, r, 0), name)) return 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(ip_estimator_names[s[i].e->kind], name)) continue;
        for (int q = 0; q < s[i].n_sub; q++)
            if (!strcmp(ip_csv_cell(old, r, 1), s[i].mode[q]) && !strcmp(ip_csv_cell(old, r, 2), s[i].param)) return 1;
    }
    return 0;
}

/* Start DIR/FILE (through a temporary) with its header and the rows of the present DIR/FILE, if
 * it has the same header, that are not of this analysis's settings of `name`: other settings
 * survive, ours are replaced. A file of another layout is replaced as a whole. */
static int csv_start(ip_csv_writer *w, const char *dir, const char *file, int n_cols, const char *const *cols,
                     const char *name, const setting_run *s, int n)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return ip_fail(IP_ERR_IO, "%s/%s: path too long", dir, file);
    int rc = ip_csv_writer_open(w, path, n_cols, cols);
    if (rc != IP_OK || !ip_is_file(path)) return rc;
    ip_csv old;
    if (ip_csv_read(&old, path, IP_CSV_HEADER) != IP_OK) return IP_OK; /* unreadable: replaced */
    int same = old.n_cols == n_cols;
    for (int c = 0; same && c < n_cols; c++) same = !strcmp(old.header[c], cols[c]);
    for (int r = 0; same && r < old.n_rows; r++)
        if (!ours(&old, r, name, s, n)) ip_csv_put_row(w, &old, r);
    ip_csv_free(&old);
    return IP_OK;
}

void ip_analyze_dir(const char *run_path, char *dir, size_t cap)
{
    const char *slash = strrchr(run_path, '/');
    snprintf(dir, cap, "%.*s/analysis", slash ? (int)(slash - run_path) : 1, slash ? run_path : ".");
}

/* The names setting s is known by: mode and parameter text, and its table groups. */
static int name_setting(setting_run *s, char groups[2][IP_TABLE_NAME_LEN], const char *run_path)
{
    const ip_estimator *e = s->e;
    const char *name = ip_estimator_names[e->kind];
    double param = ip_plane_param(s->plane);
    snprintf(s->param, sizeof s->param, "%.17g", param);
    for (int q = 0; q < s->n_sub; q++) {
        snprintf(s->mode[q], sizeof s->mode[q], "%s", ip_plane_setting_mode(s->plane, q));
        int n;
        if (e->kind == IP_EST_LOGDET && e->logdet.layer_beta > 0)
            n = snprintf(groups[q], IP_TABLE_NAME_LEN, "logdet_%s_beta%s_lbeta%.17g", s->mode[q], s->param,
                         e->logdet.layer_beta);
        else if (e->kind == IP_EST_RENYI && !(e->renyi.sigma > 0))
            n = snprintf(groups[q], IP_TABLE_NAME_LEN, "%s_%s_sigmarule", name, s->mode[q]);
        else
            n = snprintf(groups[q], IP_TABLE_NAME_LEN, "%s_%s_%s%s", name, s->mode[q], ip_estimator_param_name(e),
                         s->param);
        if (n + 8 >= IP_TABLE_NAME_LEN)
            return ip_fail(IP_ERR, "%s: table name %s is too long", run_path, groups[q]);
    }
    return IP_OK;
}

/* The attributes of a setting's tables: every parameter by name, as text. */
static int setting_attrs(const setting_run *s, int q, const char *uname, const char *layers, char vals[20][128],
                         const char *keys[20], const char *cvals[20])
{
    const ip_estimator *e = s->e;
    const ip_plane *p = s->plane;
    int n = 0;
#define ATTR(k, ...) (keys[n] = (k), snprintf(vals[n], 128, __VA_ARGS__), n++)
    ATTR("estimator", "%s", ip_estimator_names[e->kind]);
    ATTR("mode", "%s", s->mode[q]);
    ATTR("unit", "%s", uname);
    ATTR("infoplane", "%s", IP_VERSION);
    switch (e->kind) {
    case IP_EST_LOGDET:
        ATTR("beta", "%s", s->param);
        if (e->logdet.layer_beta > 0) ATTR("layer_beta", "%.17g", e->logdet.layer_beta);
        else ATTR("layer_beta", "paper");
        break;
    case IP_EST_BINNING:
        ATTR("range", "%s", ip_name_of(ip_binning_range_names, (int)e->binning.range));
        if (e->binning.range == IP_BIN_WIDTH) ATTR("width", "%.17g", e->binning.width);
        else ATTR("bins", "%d", e->binning.bins);
        if (e->binning.range == IP_BIN_FIXED) ATTR("lo", "%.17g", e->binning.lo), ATTR("hi", "%.17g", e->binning.hi);
        break;
    case IP_EST_KDE:
        ATTR("noise", "%.17g", e->kde.noise);
        ATTR("bound", "%s", s->mode[q]);
        break;
    case IP_EST_RENYI:
        ATTR("alpha", "%.17g", e->renyi.alpha);
        if (e->renyi.sigma > 0) ATTR("sigma", "%.17g", e->renyi.sigma);
        else ATTR("sigma", "rule (per layer: the sigma column)");
        break;
    case IP_EST_KSG: ATTR("k", "%d", e->ksg.k); break;
    default: break;
    }
    if (e->kind == IP_EST_LOGDET) { /* H(X), H(Y) in the results' unit, as before */
        double u = strcmp(uname, "bits") ? 1 : 1 / log(2.0);
        ATTR("h_x", "%.17g", ip_plane_logdet_hx(p) * u);
        ATTR("h_y", "%.17g", ip_plane_logdet_hy(p) * u);
    }
#undef ATTR
    for (int i = 0; i < n; i++) cvals[i] = vals[i];
    keys[n] = "layers", cvals[n] = layers; /* may be longer than a vals entry */
    return n + 1;
}

static void free_settings(setting_run *s, int n)
{
    for (int i = 0; i < n; i++) {
        ip_plane_free(s[i].plane);
        free(s[i].rows[0]);
        free(s[i].rows[1]);
        free(s[i].pair_rows);
        free(s[i].ixt);
    }
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
static int load_run(run_data *r, const char *run_path)
{
    int rc;
    if ((rc = ip_run_open_read(&r->run, run_path, 1)) != IP_OK) return rc;
    if ((rc = ip_run_describe(r->run, &r->d)) != IP_OK) return rc;
    r->have_desc = 1;
    int m = r->d.n_samples, L = r->d.n_layers;
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

/* The setting's rows of epoch k (index) into its tables and its CSV writer. */
static void put_epoch(setting_run *s, int k, int epoch, int L, double unit, const char *uname, ip_csv_writer *w,
                      ip_csv_writer *w_pairs)
{
    const char *name = ip_estimator_names[s->e->kind];
    int width = 4 + s->n_extra;
    for (int q = 0; q < s->n_sub; q++)
        for (int l = 0; l < L; l++) {
            double *r = s->rows[q] + ((size_t)k * L + l) * width;
            r[0] = epoch, r[1] = l + 1, r[2] = s->ixt[q * L + l] * unit, r[3] = s->ity[q * L + l] * unit;
            if (s->e->kind == IP_EST_LOGDET) r[4] = s->extra[l] * unit;
            else if (s->e->kind == IP_EST_BINNING) r[4] = s->extra[2 * l], r[5] = s->extra[2 * l + 1];
            else if (s->e->kind == IP_EST_RENYI) r[4] = s->extra[l];
            ip_csv_put_text(w, name), ip_csv_put_text(w, s->mode[q]), ip_csv_put_text(w, s->param);
            ip_csv_put_int(w, epoch), ip_csv_put_int(w, l + 1);
            ip_csv_put_real(w, r[2], 12), ip_csv_put_real(w, r[3], 12), ip_csv_put_text(w, uname);
        }
    if (s->e->kind != IP_EST_LOGDET) return;
    for (int l = 0; l + 1 < L; l++) {
        double *r = s->pair_rows + ((size_t)k * (L - 1) + l) * 4, lb = ip_plane_logdet_layer_beta(s->plane, l);
        r[0] = epoch, r[1] = l + 1, r[2] = s->extra[L + l] * unit, r[3] = lb;
        ip_csv_put_text(w_pairs, name), ip_csv_put_text(w_pairs, s->mode[0]), ip_csv_put_text(w_pairs, s->param);
        ip_csv_put_int(w_pairs, epoch), ip_csv_put_int(w_pairs, l + 1), ip_csv_put_int(w_pairs, l + 2);
        ip_csv_put_real(w_pairs, r[2], 12), ip_csv_put_real(w_pairs, lb, 17), ip_csv_put_text(w_pairs, uname);
    }
}

/* Write setting s's tables into the run file (committed later, all together). */
static int write_tables(run_data *r, setting_run *s, char groups[2][IP_TABLE_NAME_LEN], int unit_bits, const char *layers)
{
    static const char *const extra_cols[IP_EST_COUNT][MAX_EXTRA] = {
        [IP_EST_LOGDET] = {"h_t"}, [IP_EST_BINNING] = {"lo", "hi"}, [IP_EST_RENYI] = {"sigma"}};
    int n_rec = r->d.n_recorded, L = r->d.n_layers, rc = IP_OK;
    const char *uname = unit_bits ? "bits" : "nats";
    for (int q = 0; q < s->n_sub && rc == IP_OK; q++) {
        const char *cols[4 + MAX_EXTRA] = {"epoch", "layer", "i_xt", "i_ty"}, *keys[20];
        char vals[20][128], tname[IP_TABLE_NAME_LEN + 16];
        for (int c = 0; c < s->n_extra; c++) cols[4 + c] = extra_cols[s->e->kind][c];
        const char *cvals[20];
        int n_attrs = setting_attrs(s, q, uname, layers, vals, keys, cvals);
        snprintf(tname, sizeof tname, "%s/layers", groups[q]);
        rc = ip_run_write_table(r->run, tname, n_rec * L, 4 + s->n_extra, cols, s->rows[q], n_attrs, keys, cvals);
        if (rc == IP_OK && s->e->kind == IP_EST_LOGDET) {
            const char *pcols[] = {"epoch", "layer", "i_tt", "beta"};
            snprintf(tname, sizeof tname, "%s/pairs", groups[q]);
            rc = ip_run_write_table(r->run, tname, L > 1 ? n_rec * (L - 1) : 0, 4, pcols, s->pair_rows, n_attrs, keys,
                                    cvals);
        }
    }
    return rc;
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
    setting_run s[IP_EST_MAX_SETTINGS];
    ip_csv_writer w[IP_EST_COUNT], w_pairs = {0};
    char groups[IP_EST_MAX_SETTINGS][2][IP_TABLE_NAME_LEN];
    ip_dir_lock *dir_lock = NULL;
    int n = opt->n_settings, rc;
    memset(&r, 0, sizeof r);
    memset(s, 0, sizeof s);
    memset(w, 0, sizeof w);
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
    if ((rc = load_run(&r, run_path)) != IP_OK) goto out;
    int m = r.d.n_samples, L = r.d.n_layers, n_rec = r.d.n_recorded;
    double unit = opt->bits ? 1 / log(2.0) : 1.0;
    const char *uname = opt->bits ? "bits" : "nats";

    /* Every setting's plane (the fixed X and Y work once) and its result rows, which are the only
     * thing that grows with the number of epochs: a few doubles per layer and epoch. */
    for (int i = 0; i < n; i++) {
        double t0 = now();
        s[i].e = &opt->settings[i];
        if ((rc = ip_plane_create(&s[i].plane, s[i].e, r.x, m, r.d.d_x, r.y, r.d.n_classes, L, r.d.layer_units)) !=
            IP_OK) {
            ip_error_prefix("%s: %s", run_path, ip_estimator_names[s[i].e->kind]);
            goto out;
        }
        s[i].seconds = now() - t0;
        s[i].n_sub = ip_plane_n_settings(s[i].plane);
        s[i].n_extra = n_extra_of(s[i].e->kind);
        if ((rc = name_setting(&s[i], groups[i], run_path)) != IP_OK) goto out;
        rc = IP_ERR_NOMEM;
        for (int q = 0; q < s[i].n_sub; q++)
            if (!(s[i].rows[q] = ip_malloc((size_t)n_rec * L * (4 + s[i].n_extra) * sizeof(double)))) goto out;
        if (s[i].e->kind == IP_EST_LOGDET &&
            !(s[i].pair_rows = ip_malloc((size_t)n_rec * (L > 1 ? L - 1 : 1) * 4 * sizeof(double))))
            goto out;
        if (!(s[i].ixt = ip_malloc((size_t)6 * L * sizeof(double)))) goto out;
        s[i].ity = s[i].ixt + 2 * L, s[i].extra = s[i].ixt + 4 * L;
    }
    free(r.x); /* the planes keep what they need */
    r.x = NULL;

    /* Where the results go: one CSV per estimator named. */
    char dir[4096];
    ip_analyze_dir(run_path, dir, sizeof dir);
    if ((rc = ip_mkdir_p(dir)) != IP_OK) goto out;
    int want[IP_EST_COUNT] = {0};
    for (int i = 0; i < n; i++) want[s[i].e->kind] = 1;
    for (int k = 0; k < IP_EST_COUNT; k++) {
        if (!want[k]) continue;
        char file[64];
        snprintf(file, sizeof file, "%s.csv", ip_estimator_names[k]);
        if ((rc = csv_start(&w[k], dir, file, N_CSV_COLS, csv_cols, ip_estimator_names[k], s, n)) != IP_OK) goto out;
    }
    if (want[IP_EST_LOGDET] &&
        (rc = csv_start(&w_pairs, dir, "logdet_layers.csv", N_PAIR_COLS, pair_cols, "logdet", s, n)) != IP_OK)
        goto out;

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
        for (int i = 0; i < n; i++) {
            double t0 = now();
            if ((rc = ip_plane_epoch(s[i].plane, (const double *const *)r.t, s[i].ixt, s[i].ity, s[i].extra)) != IP_OK) {
                ip_error_prefix("%s: %s: epoch %d", run_path, ip_estimator_names[s[i].e->kind], epoch);
                goto out;
            }
            s[i].seconds += now() - t0;
            put_epoch(&s[i], k, epoch, L, unit, uname, &w[s[i].e->kind], &w_pairs);
        }
        progress_line(opt, what, epoch, k, n_rec, now() - t_start);
    }
    if (opt->progress == 1) fputc('\n', stderr);

    char layers[2048] = "";
    for (int l = 0; l < L; l++) {
        size_t len = strlen(layers);
        snprintf(layers + len, sizeof layers - len, "%s%s", l ? "," : "", r.d.layer_names[l]);
    }
    for (int i = 0; i < n; i++)
        if ((rc = write_tables(&r, &s[i], groups[i], opt->bits, layers)) != IP_OK) goto out;
    /* All tables in the run file in one step, then the CSV files (a kill in between leaves the
     * new tables with the old CSV files, never half of either). */
    if ((rc = ip_run_commit_tables(r.run)) != IP_OK) goto out;
    for (int k = 0; k < IP_EST_COUNT && rc == IP_OK; k++)
        if (want[k]) rc = ip_csv_writer_commit(&w[k]);
    if (rc == IP_OK && want[IP_EST_LOGDET]) rc = ip_csv_writer_commit(&w_pairs);
    if (rc == IP_OK && report)
        for (int i = 0; i < n; i++) {
            report->seconds[i] = s[i].seconds;
            for (int q = 0; q < s[i].n_sub; q++) memcpy(report->groups[report->n_groups++], groups[i][q], IP_TABLE_NAME_LEN);
        }
out:
    for (int k = 0; k < IP_EST_COUNT; k++) ip_csv_writer_abandon(&w[k]);
    ip_csv_writer_abandon(&w_pairs);
    free_settings(s, n);
    run_data_free(&r);
    if (r.run) {
        int rc2 = ip_run_close(r.run);
        if (rc == IP_OK) rc = rc2;
    }
    ip_dir_lock_release(dir_lock);
    return rc;
}
