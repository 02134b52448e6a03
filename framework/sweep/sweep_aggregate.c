/* The sweep's summary tables (docs/sweep.md, "The aggregate"), from the complete runs' result
 * tables only: results.csv (every row of every run's analysis/NAME.csv, with the grid values and
 * the seed as columns), aggregate.csv (per grid point, estimator setting, layer and epoch: the
 * median, mean, quartiles and extremes over the seeds) and compression.csv (per grid point,
 * setting and layer: how many runs' I(X;T) dropped after its peak by more than the threshold,
 * from analysis/compression.csv). The runs are read in the plan's order, the files of a run in
 * name order and the statistics sorted before they are computed, so the same runs give the same
 * bytes whatever order they finished in: a resumed sweep ends with the uninterrupted one's. */
#include "sweep.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/csv.h"
#include "core/dirlock.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "core/names.h"
#include "core/status.h"
#include "plot/plot.h"

#define DIGITS 12 /* as the runs' own tables: a median of an odd count reads as the run's value */

static const char *const MI_COLS[] = {"estimator", "mode", "beta", "epoch", "layer", "i_xt", "i_ty", "unit"};

typedef struct { /* a growing array of names: estimator settings "EST,MODE,BETA", layers */
    int n, cap;
    char **name;
} names;

typedef struct {
    int point, setting, layer, epoch, run;
    double x, y; /* i_xt, i_ty; or ixt_drop (x) for compression */
} rec;

typedef struct {
    int n, cap;
    rec *r;
} recs;

typedef struct {
    const ip_sweep_plan *p;
    names settings, layers;        /* settings: "ESTIMATOR,MODE,BETA,UNIT" */
    recs mi, drops;
    ip_csv_writer results;
} agg;

/* The index of s in t, added (a copy, owned by t: names_free) when missing; -1 when out of memory. */
static int name_id(names *t, const char *s)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->name[i], s)) return i;
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        char **bigger = realloc(t->name, sizeof *bigger * (size_t)cap);
        if (!bigger) return -1;
        t->name = bigger;
        t->cap = cap;
    }
    if (!(t->name[t->n] = ip_malloc(strlen(s) + 1))) return -1;
    strcpy(t->name[t->n], s);
    return t->n++;
}

static void names_free(names *t)
{
    for (int i = 0; i < t->n; i++) free(t->name[i]);
    free(t->name);
}

/* Append r to v, growing v->r (the caller frees it). */
static int rec_add(recs *v, rec r)
{
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 1024;
        rec *bigger = realloc(v->r, sizeof *bigger * (size_t)cap);
        if (!bigger) return ip_fail(IP_ERR_NOMEM, "out of memory aggregating the sweep");
        v->r = bigger;
        v->cap = cap;
    }
    v->r[v->n++] = r;
    return IP_OK;
}

static int rec_cmp(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->point != y->point) return x->point < y->point ? -1 : 1;
    if (x->setting != y->setting) return x->setting < y->setting ? -1 : 1;
    if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
    if (x->epoch != y->epoch) return x->epoch < y->epoch ? -1 : 1;
    return (x->run > y->run) - (x->run < y->run);
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A grid value as a CSV field: the dialect has no quoting, so a list's commas become ';'. */
static void put_value(ip_csv_writer *w, const char *text)
{
    char buf[512];
    size_t n = 0;
    for (const char *c = text; *c && n + 1 < sizeof buf; c++)
        buf[n++] = *c == ',' ? ';' : *c == '"' ? '\'' : (*c == '\n' || *c == '\r') ? ' ' : *c;
    buf[n] = '\0';
    ip_csv_put_text(w, buf);
}

static void put_point(ip_csv_writer *w, const ip_sweep_plan *p, int g)
{
    ip_csv_put_text(w, p->point_names[g]);
    for (int a = 0; a < p->spec.n_axes; a++) put_value(w, p->spec.axes[a].values[p->choice[g * p->spec.n_axes + a]].text);
}

/* The header: point, [run,] the grid keys, then `rest`. Returns the column count. */
static int header(const char **h, const ip_sweep_plan *p, int with_run, const char *const *rest, int n_rest)
{
    int n = 0;
    h[n++] = "point";
    if (with_run) h[n++] = "run";
    for (int a = 0; a < p->spec.n_axes; a++) h[n++] = p->spec.axes[a].key;
    for (int i = 0; i < n_rest; i++) h[n++] = rest[i];
    return n;
}

/* "EST,MODE,BETA,UNIT" of row r (the columns c[0..3]; c[3] < 0: no unit). */
static void setting_key(char *out, size_t cap, const ip_csv *t, int r, const int *c)
{
    snprintf(out, cap, "%s,%s,%s,%s", ip_csv_cell(t, r, c[0]), ip_csv_cell(t, r, c[1]), ip_csv_cell(t, r, c[2]),
             c[3] >= 0 ? ip_csv_cell(t, r, c[3]) : "");
}

/* One run's analysis/NAME.csv of I(X;T), I(T;Y): its rows into results.csv and the records. */
static int read_mi(agg *A, int run, const ip_csv *t)
{
    const ip_sweep_plan *p = A->p;
    const ip_sweep_run *R = &p->runs[run];
    for (int r = 0; r < t->n_rows; r++) {
        char key[4 * 128];
        static const int c4[4] = {0, 1, 2, 7};
        setting_key(key, sizeof key, t, r, c4);
        rec x = {.point = R->point, .run = run};
        char *end;
        long e = strtol(ip_csv_cell(t, r, 3), &end, 10);
        if (*end || end == ip_csv_cell(t, r, 3) || e < 0 || e > 1000000000)
            return ip_csv_fail(t, r, 3, "'%s' is not an epoch", ip_csv_cell(t, r, 3));
        x.epoch = (int)e;
        for (int c = 5; c <= 6; c++) {
            double v = strtod(ip_csv_cell(t, r, c), &end);
            if (*end || end == ip_csv_cell(t, r, c)) return ip_csv_fail(t, r, c, "'%s' is not a number", ip_csv_cell(t, r, c));
            *(c == 5 ? &x.x : &x.y) = v;
        }
        if ((x.setting = name_id(&A->settings, key)) < 0 || (x.layer = name_id(&A->layers, ip_csv_cell(t, r, 4))) < 0)
            return IP_ERR_NOMEM;
        int rc = rec_add(&A->mi, x);
        if (rc) return rc;
        ip_csv_put_text(&A->results, p->point_names[R->point]);
        ip_csv_put_text(&A->results, R->name);
        for (int a = 0; a < p->spec.n_axes; a++)
            put_value(&A->results, p->spec.axes[a].values[p->choice[R->point * p->spec.n_axes + a]].text);
        ip_csv_put_int(&A->results, (long long)R->seed);
        for (int c = 0; c < 8; c++) ip_csv_put_text(&A->results, ip_csv_cell(t, r, c));
    }
    return IP_OK;
}

/* analysis/compression.csv of one run (columns by name: the other helper's summary). */
static int read_drops(agg *A, int run, const ip_csv *t)
{
    static const char *const need[] = {"estimator", "mode", "beta", "layer", "ixt_drop"};
    int c[5], ck[4];
    for (int k = 0; k < 5; k++)
        if ((c[k] = ip_csv_column(t, need[k])) < 0)
            return ip_csv_fail(t, -1, -1, "no column '%s' (expected the compression summary's header)", need[k]);
    ck[0] = c[0], ck[1] = c[1], ck[2] = c[2], ck[3] = ip_csv_column(t, "unit");
    for (int r = 0; r < t->n_rows; r++) {
        char key[4 * 128], *end;
        setting_key(key, sizeof key, t, r, ck);
        rec x = {.point = A->p->runs[run].point, .run = run, .epoch = 0};
        x.x = strtod(ip_csv_cell(t, r, c[4]), &end);
        if (*end || end == ip_csv_cell(t, r, c[4]))
            return ip_csv_fail(t, r, c[4], "'%s' is not a number", ip_csv_cell(t, r, c[4]));
        if ((x.setting = name_id(&A->settings, key)) < 0 || (x.layer = name_id(&A->layers, ip_csv_cell(t, r, c[3]))) < 0)
            return IP_ERR_NOMEM;
        int rc = rec_add(&A->drops, x);
        if (rc) return rc;
    }
    return IP_OK;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every .csv of RUN/analysis: the I(X;T), I(T;Y) tables by their header, compression.csv by name. */
static int read_run(agg *A, int run, int *has_drops)
{
    char dir[IP_PATH_LEN + IP_SWEEP_NAME_LEN + 16], path[2 * IP_PATH_LEN];
    snprintf(dir, sizeof dir, "%s/%s/analysis", A->p->dir, A->p->runs[run].name);
    DIR *d = opendir(dir);
    if (!d) return ip_fail(IP_ERR_IO, "%s: the run is complete but has no analysis directory", dir);
    char **files = NULL;
    int n = 0, cap = 0, rc = IP_OK;
    for (struct dirent *e; (e = readdir(d)) && !rc;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".csv")) continue;
        if (n == cap) {
            char **bigger = realloc(files, sizeof *files * (size_t)(cap = cap ? 2 * cap : 8));
            if (!bigger) rc = IP_ERR_NOMEM;
            else files = bigger;
        }
        if (!rc && !(files[n++] = strdup(e->d_name))) rc = IP_ERR_NOMEM;
    }
    closedir(d);
    if (!rc) qsort(files, (size_t)n, sizeof *files, by_name); /* readdir's order is the disk's */
    for (int f = 0; f < n && !rc; f++) {
        ip_csv t;
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        if ((rc = ip_csv_read(&t, path, IP_CSV_HEADER)) != IP_OK) break;
        int mi = t.n_cols == 8;
        for (int c = 0; c < 8 && mi; c++) mi = !strcmp(t.header[c], MI_COLS[c]);
        if (mi) rc = read_mi(A, run, &t);
        else if (!strcmp(files[f], "compression.csv")) rc = read_drops(A, run, &t), *has_drops = 1;
        ip_csv_free(&t);
    }
    for (int f = 0; f < n; f++) free(files[f]);
    free(files);
    return rc;
}

/* Linear interpolation between order statistics (numpy's default, R's type 7) of sorted v[n]. */
static double quantile(const double *v, int n, double q)
{
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    return lo + 1 < n ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

/* median, mean, q1, q3, min, max of the finite values among v[n] (sorted here), NaN when none. */
static void stats(double *v, int n, double out[6])
{
    int m = 0;
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) v[m++] = v[i];
    qsort(v, (size_t)m, sizeof *v, dbl_cmp); /* sorted first: the sum's order is fixed too */
    for (int i = 0; i < m; i++) sum += v[i];
    if (!m) {
        for (int k = 0; k < 6; k++) out[k] = NAN;
        return;
    }
    out[0] = quantile(v, m, 0.5), out[1] = sum / m, out[2] = quantile(v, m, 0.25);
    out[3] = quantile(v, m, 0.75), out[4] = v[0], out[5] = v[m - 1];
}

/* Field k (0: estimator, 1: mode, 2: beta, 3: unit) of a setting's key, into out. */
static const char *setting_part(char *out, size_t cap, const char *key, int k)
{
    for (int i = 0; i < k && key; i++) key = strchr(key, ',') ? strchr(key, ',') + 1 : NULL;
    snprintf(out, cap, "%.*s", key ? (int)strcspn(key, ",") : 0, key ? key : "");
    return out;
}

/* The setting's estimator, mode and beta columns. */
static void put_setting(ip_csv_writer *w, const char *key)
{
    char part[128];
    for (int k = 0; k < 3; k++) ip_csv_put_text(w, setting_part(part, sizeof part, key, k));
}

static int write_aggregate(agg *A, const char *path)
{
    static const char *const rest[] = {"estimator", "mode", "beta", "layer", "epoch", "runs",
                                       "i_xt_median", "i_xt_mean", "i_xt_q1", "i_xt_q3", "i_xt_min", "i_xt_max",
                                       "i_ty_median", "i_ty_mean", "i_ty_q1", "i_ty_q3", "i_ty_min", "i_ty_max", "unit"};
    const char *h[64];
    int nc = header(h, A->p, 0, rest, 19);
    ip_csv_writer w;
    int rc = ip_csv_writer_open(&w, path, nc, h);
    double *vx = ip_malloc(sizeof(double) * (size_t)(A->p->n_runs + 1)), *vy = ip_malloc(sizeof(double) * (size_t)(A->p->n_runs + 1));
    if (!rc && (!vx || !vy)) rc = IP_ERR_NOMEM;
    qsort(A->mi.r, (size_t)A->mi.n, sizeof *A->mi.r, rec_cmp);
    for (int i = 0, j; i < A->mi.n && !rc; i = j) {
        const rec *g = &A->mi.r[i];
        int n = 0;
        for (j = i; j < A->mi.n && A->mi.r[j].point == g->point && A->mi.r[j].setting == g->setting &&
                    A->mi.r[j].layer == g->layer && A->mi.r[j].epoch == g->epoch; j++)
            if (n < A->p->n_runs) vx[n] = A->mi.r[j].x, vy[n++] = A->mi.r[j].y;
        double sx[6], sy[6];
        stats(vx, n, sx);
        stats(vy, n, sy);
        put_point(&w, A->p, g->point);
        put_setting(&w, A->settings.name[g->setting]);
        ip_csv_put_text(&w, A->layers.name[g->layer]);
        ip_csv_put_int(&w, g->epoch);
        ip_csv_put_int(&w, n);
        for (int k = 0; k < 6; k++) ip_csv_put_real(&w, sx[k], DIGITS);
        for (int k = 0; k < 6; k++) ip_csv_put_real(&w, sy[k], DIGITS);
        char unit[128];
        ip_csv_put_text(&w, setting_part(unit, sizeof unit, A->settings.name[g->setting], 3));
    }
    free(vx);
    free(vy);
    if (rc) {
        ip_csv_writer_abandon(&w);
        return rc;
    }
    return ip_csv_writer_commit(&w);
}

static int write_compression(agg *A, const char *path, double threshold)
{
    static const char *const rest[] = {"estimator", "mode", "beta", "layer", "runs", "compressed", "threshold",
                                       "ixt_drop_median", "ixt_drop_min", "ixt_drop_max"};
    const char *h[64];
    int nc = header(h, A->p, 0, rest, 10);
    ip_csv_writer w;
    int rc = ip_csv_writer_open(&w, path, nc, h);
    double *v = ip_malloc(sizeof(double) * (size_t)(A->p->n_runs + 1));
    if (!rc && !v) rc = IP_ERR_NOMEM;
    qsort(A->drops.r, (size_t)A->drops.n, sizeof *A->drops.r, rec_cmp);
    for (int i = 0, j; i < A->drops.n && !rc; i = j) {
        const rec *g = &A->drops.r[i];
        int n = 0, compressed = 0;
        for (j = i; j < A->drops.n && A->drops.r[j].point == g->point && A->drops.r[j].setting == g->setting &&
                    A->drops.r[j].layer == g->layer; j++) {
            compressed += A->drops.r[j].x > threshold;
            if (n < A->p->n_runs) v[n++] = A->drops.r[j].x;
        }
        double s[6];
        stats(v, n, s);
        put_point(&w, A->p, g->point);
        put_setting(&w, A->settings.name[g->setting]);
        ip_csv_put_text(&w, A->layers.name[g->layer]);
        ip_csv_put_int(&w, n);
        ip_csv_put_int(&w, compressed);
        ip_csv_put_real(&w, threshold, DIGITS);
        ip_csv_put_real(&w, s[0], DIGITS);
        ip_csv_put_real(&w, s[4], DIGITS);
        ip_csv_put_real(&w, s[5], DIGITS);
    }
    free(v);
    if (rc) {
        ip_csv_writer_abandon(&w);
        return rc;
    }
    return ip_csv_writer_commit(&w);
}

int ip_sweep_aggregate(const ip_sweep_plan *p, double threshold, ip_sweep_aggregate_report *rep)
{
    static const char *const rest[] = {"seed", "estimator", "mode", "beta", "epoch", "layer", "i_xt", "i_ty", "unit"};
    memset(rep, 0, sizeof *rep);
    agg A = {.p = p};
    char dir[IP_PATH_LEN + 16], path[IP_PATH_LEN + 64];
    snprintf(dir, sizeof dir, "%s/aggregate", p->dir);
    const char *h[64];
    int nc = header(h, p, 1, rest, 9), rc = ip_mkdir_p(dir), open = 0;
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (!rc && !(rc = ip_csv_writer_open(&A.results, path, nc, h))) open = 1;
    for (int i = 0; i < p->n_runs && !rc; i++) {
        ip_sweep_run_state st;
        ip_sweep_state_of(p, i, &st);
        if (st.state != IP_SWEEP_DONE) continue;
        int drops = 0;
        rep->runs++;
        rc = read_run(&A, i, &drops);
        rep->with_compression += drops;
    }
    if (open && (rc || !rep->runs)) ip_csv_writer_abandon(&A.results);
    else if (open) rc = ip_csv_writer_commit(&A.results);
    if (!rc && rep->runs) {
        snprintf(path, sizeof path, "%s/aggregate.csv", dir);
        rc = write_aggregate(&A, path);
    }
    snprintf(path, sizeof path, "%s/compression.csv", dir);
    if (!rc && rep->with_compression) {
        rc = write_compression(&A, path, threshold);
        if (!rc && rep->with_compression < rep->runs)
            snprintf(rep->note, sizeof rep->note, "compression counts over the %d of %d runs that have "
                     "analysis/compression.csv", rep->with_compression, rep->runs);
    } else if (!rc) {
        unlink(path); /* none of these runs has one: a table from other runs would mislead */
        if (rep->runs)
            snprintf(rep->note, sizeof rep->note, "no compression counts: no run has analysis/compression.csv (each "
                     "run's compression summary, docs/compression.md; analyse older runs again to make it)");
    }
    names_free(&A.settings);
    names_free(&A.layers);
    free(A.mi.r);
    free(A.drops.r);
    return rc;
}

int ip_sweep_collect(const ip_sweep_plan *p, double threshold, int quiet)
{
    ip_sweep_aggregate_report ar;
    ip_dir_lock *lock = NULL; /* one sweep at a time writes the tables (this process may hold it already) */
    int rc = ip_dir_lock_take(p->dir, 1, &lock);
    if (rc) {
        ip_error_prefix("the sweep directory");
        return rc;
    }
    rc = ip_sweep_aggregate(p, threshold, &ar);
    if (rc) {
        ip_dir_lock_release(lock);
        return rc;
    }
    if (ar.runs && !quiet) {
        printf("wrote %s/aggregate/results.csv\nwrote %s/aggregate/aggregate.csv\n", p->dir, p->dir);
        if (ar.with_compression) printf("wrote %s/aggregate/compression.csv\n", p->dir);
    }
    if (ar.note[0]) fprintf(stderr, "sweep: note: %s\n", ar.note);
    ip_plot_sweep_run *runs = ip_calloc((size_t)p->n_runs, sizeof *runs);
    ip_sweep_run_state *st = ip_calloc((size_t)p->n_runs, sizeof *st);
    const char **pnames = ip_calloc((size_t)p->n_points, sizeof *pnames);
    if (!runs || !st || !pnames) rc = IP_ERR_NOMEM;
    for (int i = 0; i < p->n_runs && !rc; i++) {
        ip_sweep_state_of(p, i, &st[i]);
        runs[i] = (ip_plot_sweep_run){p->runs[i].name, ip_sweep_state_names[st[i].state], st[i].why, p->runs[i].point};
    }
    for (int g = 0; g < p->n_points && !rc; g++) pnames[g] = p->point_names[g];
    ip_plot_sweep_info info = {p->spec.path, p->n_points, pnames, (const char *const *)p->point_labels,
                               p->n_runs, runs, threshold, ar.note};
    ip_plot_options opt;
    ip_plot_options_default(&opt);
    int f = ip_name_find(ip_plot_format_names, p->format);
    opt.format = f >= 0 ? (ip_plot_format)f : IP_PLOT_PNG;
    opt.width = p->width ? p->width : 900;
    opt.height = p->height ? p->height : 700;
    ip_plot_report rep;
    memset(&rep, 0, sizeof rep);
    if (!rc) rc = ip_plot_sweep(p->dir, &info, &opt, &rep);
    for (int i = 0; !quiet && i < rep.n_made; i++) printf("wrote %s\n", rep.made[i]);
    for (int i = 0; i < rep.n_skipped; i++) fprintf(stderr, "sweep: note: %s\n", rep.skipped[i]);
    free(runs);
    free(st);
    free(pnames);
    ip_dir_lock_release(lock);
    return rc;
}
