/* One estimator setting's results and how they are written (see results.h): the code analyze.c
 * and the analysis while training share, so their tables and CSV files are the same bytes. */
#include "results.h"
#include "compression.h"
#include "estimators.h"

#include "core/csv.h"
#include "core/fsutil.h"
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
#define CSV_DIGITS 12 /* significant digits of i_xt and i_ty in NAME.csv */
#define N_PAIR_COLS 9

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int n_extra_of(ip_estimator_kind k)
{
    return k == IP_EST_LOGDET ? 1 : k == IP_EST_BINNING ? 2 : k == IP_EST_RENYI ? 1 : 0;
}

static int width_of(const ip_results *s) { return 4 + s->n_extra; }

/* The names setting s is known by: mode and parameter text, and its table groups. */
static int name_setting(ip_results *s, const char *run_path)
{
    const ip_estimator *e = s->e;
    const char *name = ip_estimator_names[e->kind];
    double param = ip_plane_param(s->plane);
    ip_number_text(s->param, sizeof s->param, param);
    for (int q = 0; q < s->n_sub; q++) {
        snprintf(s->mode[q], sizeof s->mode[q], "%s", ip_plane_setting_mode(s->plane, q));
        char group[IP_TABLE_NAME_LEN]; /* built apart: its parts live in *s too */
        int n;
        if (e->kind == IP_EST_LOGDET && e->logdet.layer_beta > 0) {
            char lbeta[32];
            ip_number_text(lbeta, sizeof lbeta, e->logdet.layer_beta);
            n = snprintf(group, sizeof group, "logdet_%s_beta%s_lbeta%s", s->mode[q], s->param, lbeta);
        }
        else if (e->kind == IP_EST_RENYI && !(e->renyi.sigma > 0))
            n = snprintf(group, sizeof group, "%s_%s_sigmarule", name, s->mode[q]);
        else
            n = snprintf(group, sizeof group, "%s_%s_%s%s", name, s->mode[q], ip_estimator_param_name(e), s->param);
        if (n + 8 >= IP_TABLE_NAME_LEN) return ip_fail(IP_ERR, "%s: table name %s is too long", run_path, group);
        memcpy(s->groups[q], group, sizeof group);
    }
    return IP_OK;
}

/* Room for at least `want` epochs. */
static int reserve(ip_results *s, int want)
{
    if (want <= s->cap) return IP_OK;
    int cap = s->cap ? s->cap : 8;
    while (cap < want) cap *= 2;
    size_t L = (size_t)s->L;
    for (int q = 0; q < s->n_sub; q++) {
        double *p = realloc(s->rows[q], (size_t)cap * L * (size_t)width_of(s) * sizeof(double));
        if (!p) return ip_fail(IP_ERR_NOMEM, "out of memory (results of %d epochs)", cap);
        s->rows[q] = p;
    }
    if (s->e->kind == IP_EST_LOGDET) {
        double *p = realloc(s->pair_rows, (size_t)cap * (L > 1 ? L - 1 : 1) * 4 * sizeof(double));
        if (!p) return ip_fail(IP_ERR_NOMEM, "out of memory (results of %d epochs)", cap);
        s->pair_rows = p;
    }
    s->cap = cap;
    return IP_OK;
}

int ip_results_create(ip_results *s, const ip_estimator *e, int bits, const double *x, int m, int d_x, const int *y,
                      int n_classes, int L, const int *units, int cap_epochs, const char *run_path)
{
    memset(s, 0, sizeof *s);
    double t0 = now();
    s->e = e;
    s->L = L;
    s->bits = bits;
    int rc = ip_plane_create(&s->plane, e, x, m, d_x, y, n_classes, L, units);
    if (rc != IP_OK) {
        ip_error_prefix("%s: %s", run_path, ip_estimator_names[e->kind]);
        return rc;
    }
    s->seconds = now() - t0;
    s->n_sub = ip_plane_n_settings(s->plane);
    s->n_extra = n_extra_of(e->kind);
    if ((rc = name_setting(s, run_path)) != IP_OK) return rc;
    if ((rc = reserve(s, cap_epochs > 0 ? cap_epochs : 1)) != IP_OK) return rc;
    if (!(s->ixt = ip_malloc((size_t)6 * L * sizeof(double)))) return IP_ERR_NOMEM;
    s->ity = s->ixt + 2 * L, s->extra = s->ixt + 4 * L;
    return IP_OK;
}

int ip_results_epoch(ip_results *s, int epoch, const double *const *layers, const char *run_path)
{
    double t0 = now();
    int rc, L = s->L, k = s->n_epochs;
    if ((rc = reserve(s, k + 1)) != IP_OK) return rc;
    if ((rc = ip_plane_epoch(s->plane, layers, s->ixt, s->ity, s->extra)) != IP_OK) {
        ip_error_prefix("%s: %s: epoch %d", run_path, ip_estimator_names[s->e->kind], epoch);
        return rc;
    }
    s->seconds += now() - t0;
    double unit = s->bits ? 1 / log(2.0) : 1.0;
    int width = width_of(s);
    for (int q = 0; q < s->n_sub; q++)
        for (int l = 0; l < L; l++) {
            double *r = s->rows[q] + ((size_t)k * L + l) * width;
            r[0] = epoch, r[1] = l + 1, r[2] = s->ixt[q * L + l] * unit, r[3] = s->ity[q * L + l] * unit;
            if (s->e->kind == IP_EST_LOGDET) r[4] = s->extra[l] * unit;
            else if (s->e->kind == IP_EST_BINNING) r[4] = s->extra[2 * l], r[5] = s->extra[2 * l + 1];
            else if (s->e->kind == IP_EST_RENYI) r[4] = s->extra[l];
        }
    if (s->e->kind == IP_EST_LOGDET)
        for (int l = 0; l + 1 < L; l++) {
            double *r = s->pair_rows + ((size_t)k * (L - 1) + l) * 4;
            r[0] = epoch, r[1] = l + 1, r[2] = s->extra[L + l] * unit, r[3] = ip_plane_logdet_layer_beta(s->plane, l);
        }
    s->n_epochs = k + 1;
    return IP_OK;
}

int ip_results_epoch_at(const ip_results *s, int k)
{
    return (int)s->rows[0][(size_t)k * s->L * width_of(s)];
}

void ip_results_truncate(ip_results *s, int last_epoch)
{
    while (s->n_epochs > 0 && ip_results_epoch_at(s, s->n_epochs - 1) > last_epoch) s->n_epochs--;
}

void ip_results_free(ip_results *s)
{
    ip_plane_free(s->plane);
    free(s->rows[0]);
    free(s->rows[1]);
    free(s->pair_rows);
    free(s->ixt);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- the run-file tables */

/* The attributes of a setting's tables: every parameter by name, as text. */
static int setting_attrs(const ip_results *s, int q, const char *uname, const char *layers, char vals[20][128],
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

/* v as NAME.csv writes it (CSV_DIGITS significant digits) and reads back. */
static double as_in_csv(double v)
{
    char text[64];
    snprintf(text, sizeof text, "%.*g", CSV_DIGITS, v);
    return strtod(text, NULL);
}

/* Row set q's compression summary (compression.h), a row per layer: layer, then peak epoch, peak,
 * final and drop of I(X;T) and of I(T;Y) (ip_compression_columns). It is taken from the values as
 * NAME.csv holds them, so that the table, analysis/compression.csv (built from NAME.csv) and anyone
 * recomputing from NAME.csv agree exactly: at full precision a saturated estimate (binning's I(T;Y))
 * can peak at another epoch by a difference in the 15th digit. *out: L x IP_COMPRESSION_COLS,
 * malloc'd, owned by the caller (NULL after a failure). */
static int compression_rows(const ip_results *s, int q, double **out)
{
    int n = s->n_epochs, L = s->L, width = width_of(s);
    int *epochs = ip_malloc(sizeof(int) * (size_t)(n + 1));
    double *v = ip_malloc(sizeof(double) * (size_t)(2 * n + 1));
    *out = ip_malloc(sizeof(double) * (size_t)L * IP_COMPRESSION_COLS);
    if (!epochs || !v || !*out) {
        free(epochs);
        free(v);
        free(*out);
        *out = NULL;
        return IP_ERR_NOMEM;
    }
    for (int l = 0; l < L; l++) {
        for (int k = 0; k < n; k++) {
            const double *r = s->rows[q] + ((size_t)k * L + l) * width;
            epochs[k] = (int)r[0], v[k] = as_in_csv(r[2]), v[n + k] = as_in_csv(r[3]);
        }
        ip_compression_series x, y;
        ip_compression_of(epochs, v, n, &x);
        ip_compression_of(epochs, v + n, n, &y);
        double row[IP_COMPRESSION_COLS] = {l + 1, x.peak_epoch, x.peak, x.final, x.drop,
                                           y.peak_epoch, y.peak, y.final, y.drop};
        memcpy(*out + (size_t)l * IP_COMPRESSION_COLS, row, sizeof row);
    }
    free(epochs);
    free(v);
    return IP_OK;
}

int ip_results_write_tables(ip_run *run, const ip_results *s, const char *layers)
{
    static const char *const extra_cols[IP_EST_COUNT][IP_RESULTS_MAX_EXTRA] = {
        [IP_EST_LOGDET] = {"h_t"}, [IP_EST_BINNING] = {"lo", "hi"}, [IP_EST_RENYI] = {"sigma"}};
    int n_rec = s->n_epochs, L = s->L, rc = IP_OK;
    const char *uname = s->bits ? "bits" : "nats";
    for (int q = 0; q < s->n_sub && rc == IP_OK; q++) {
        const char *cols[4 + IP_RESULTS_MAX_EXTRA] = {"epoch", "layer", "i_xt", "i_ty"}, *keys[20];
        char vals[20][128], tname[IP_TABLE_NAME_LEN + 16];
        for (int c = 0; c < s->n_extra; c++) cols[4 + c] = extra_cols[s->e->kind][c];
        const char *cvals[20];
        int n_attrs = setting_attrs(s, q, uname, layers, vals, keys, cvals);
        snprintf(tname, sizeof tname, "%s/layers", s->groups[q]);
        rc = ip_run_write_table(run, tname, n_rec * L, 4 + s->n_extra, cols, s->rows[q], n_attrs, keys, cvals);
        if (rc == IP_OK && s->e->kind == IP_EST_LOGDET) {
            const char *pcols[] = {"epoch", "layer", "i_tt", "beta"};
            snprintf(tname, sizeof tname, "%s/pairs", s->groups[q]);
            rc = ip_run_write_table(run, tname, L > 1 ? n_rec * (L - 1) : 0, 4, pcols, s->pair_rows, n_attrs, keys,
                                    cvals);
        }
        /* The compression summary beside the rows it comes from (of their values as NAME.csv holds them). */
        double *comp = NULL;
        if (rc == IP_OK && (rc = compression_rows(s, q, &comp)) == IP_OK) {
            snprintf(tname, sizeof tname, "%s/compression", s->groups[q]);
            rc = ip_run_write_table(run, tname, n_rec > 0 ? L : 0, IP_COMPRESSION_COLS, ip_compression_columns, comp,
                                    n_attrs, keys, cvals);
        }
        free(comp);
    }
    return rc;
}

/* ---------------------------------------------------------------- the CSV files */

/* Is (mode, beta) of row r of an old CSV one of these settings of estimator `name`? */
static int ours(const ip_csv *old, int r, const char *name, const ip_results *s, int n)
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
 * it has the same header, that are not of these settings of `name`: other settings survive,
 * ours are replaced. A file of another layout is replaced as a whole. */
static int csv_start(ip_csv_writer *w, const char *dir, const char *file, int n_cols, const char *const *cols,
                     const char *name, const ip_results *s, int n)
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

/* The setting's rows of held epoch k into its CSV writers. */
static void put_epoch(const ip_results *s, int k, ip_csv_writer *w, ip_csv_writer *w_pairs)
{
    const char *name = ip_estimator_names[s->e->kind], *uname = s->bits ? "bits" : "nats";
    int L = s->L, width = width_of(s);
    for (int q = 0; q < s->n_sub; q++)
        for (int l = 0; l < L; l++) {
            const double *r = s->rows[q] + ((size_t)k * L + l) * width;
            ip_csv_put_text(w, name), ip_csv_put_text(w, s->mode[q]), ip_csv_put_text(w, s->param);
            ip_csv_put_int(w, (long long)r[0]), ip_csv_put_int(w, l + 1);
            ip_csv_put_real(w, r[2], CSV_DIGITS), ip_csv_put_real(w, r[3], CSV_DIGITS), ip_csv_put_text(w, uname);
        }
    if (s->e->kind != IP_EST_LOGDET) return;
    for (int l = 0; l + 1 < L; l++) {
        const double *r = s->pair_rows + ((size_t)k * (L - 1) + l) * 4;
        ip_csv_put_text(w_pairs, name), ip_csv_put_text(w_pairs, s->mode[0]), ip_csv_put_text(w_pairs, s->param);
        ip_csv_put_int(w_pairs, (long long)r[0]), ip_csv_put_int(w_pairs, l + 1), ip_csv_put_int(w_pairs, l + 2);
        ip_csv_put_real(w_pairs, r[2], 12), ip_csv_put_real(w_pairs, r[3], 17), ip_csv_put_text(w_pairs, uname);
    }
}

int ip_results_write_csv(const char *dir, const ip_results *s, int n)
{
    ip_csv_writer w[IP_EST_COUNT], w_pairs = {0};
    int want[IP_EST_COUNT] = {0}, rc = IP_OK;
    memset(w, 0, sizeof w);
    for (int i = 0; i < n; i++) want[s[i].e->kind] = 1;
    for (int k = 0; k < IP_EST_COUNT && rc == IP_OK; k++) {
        if (!want[k]) continue;
        char file[64];
        snprintf(file, sizeof file, "%s.csv", ip_estimator_names[k]);
        rc = csv_start(&w[k], dir, file, N_CSV_COLS, csv_cols, ip_estimator_names[k], s, n);
    }
    if (rc == IP_OK && want[IP_EST_LOGDET])
        rc = csv_start(&w_pairs, dir, "logdet_layers.csv", N_PAIR_COLS, pair_cols, "logdet", s, n);
    int n_epochs = n > 0 ? s[0].n_epochs : 0;
    for (int k = 0; k < n_epochs && rc == IP_OK; k++)
        for (int i = 0; i < n; i++) put_epoch(&s[i], k, &w[s[i].e->kind], &w_pairs);
    for (int k = 0; k < IP_EST_COUNT && rc == IP_OK; k++)
        if (want[k]) rc = ip_csv_writer_commit(&w[k]);
    if (rc == IP_OK && want[IP_EST_LOGDET]) rc = ip_csv_writer_commit(&w_pairs);
    for (int k = 0; k < IP_EST_COUNT; k++) ip_csv_writer_abandon(&w[k]);
    ip_csv_writer_abandon(&w_pairs);
    if (rc == IP_OK) rc = ip_compression_write_csv(dir);
    return rc;
}

/* ---------------------------------------------------------------- saved rows */

#define SAVE_MAGIC "infoplane-results 1"

static int save_block(FILE *f, const char *what, const char *group, const double *rows, int n_rows, int n_cols)
{
    fprintf(f, "%s %s %d %d\n", what, group, n_rows, n_cols);
    for (int r = 0; r < n_rows; r++)
        for (int c = 0; c < n_cols; c++) fprintf(f, "%a%c", rows[(size_t)r * n_cols + c], c + 1 < n_cols ? ' ' : '\n');
    return IP_OK;
}

int ip_results_save(const char *path, const ip_results *s, int n)
{
    ip_atomic_file a;
    int rc = ip_atomic_open(&a, path);
    if (rc != IP_OK) return rc;
    fprintf(a.f, "%s\n", SAVE_MAGIC);
    for (int i = 0; i < n; i++) {
        for (int q = 0; q < s[i].n_sub; q++)
            save_block(a.f, "layers", s[i].groups[q], s[i].rows[q], s[i].n_epochs * s[i].L, width_of(&s[i]));
        if (s[i].e->kind == IP_EST_LOGDET)
            save_block(a.f, "pairs", s[i].groups[0], s[i].pair_rows, s[i].L > 1 ? s[i].n_epochs * (s[i].L - 1) : 0, 4);
    }
    return ip_atomic_commit(&a);
}

/* The block `what group` of the saved text into rows (n_rows x n_cols, checked); 0 when absent. */
static int find_block(const char *text, const char *what, const char *group, int n_cols, double *rows, int max_rows,
                      int *n_rows)
{
    char head[IP_TABLE_NAME_LEN + 32];
    int len = snprintf(head, sizeof head, "\n%s %s ", what, group);
    const char *p = strstr(text, head);
    if (!p) return 0;
    p += len;
    char *end;
    long nr = strtol(p, &end, 10), nc = strtol(end, &end, 10);
    if (nc != n_cols || nr < 0 || nr > max_rows) return 0;
    p = end;
    for (long i = 0; i < nr * nc; i++) {
        rows[i] = strtod(p, &end);
        if (end == p) return 0;
        p = end;
    }
    *n_rows = (int)nr;
    return 1;
}

int ip_results_load(const char *path, ip_results *s, int n, int last_epoch)
{
    char *text = NULL;
    size_t len = 0;
    if (!ip_is_file(path)) return ip_fail(IP_ERR, "%s is missing", path);
    int rc = ip_read_file(path, &text, &len);
    if (rc != IP_OK) return rc;
    if (strncmp(text, SAVE_MAGIC "\n", strlen(SAVE_MAGIC) + 1) != 0) {
        free(text);
        return ip_fail(IP_ERR_FORMAT, "%s: not a file of saved results", path);
    }
    /* The epochs a file holds are at most the number of its lines. */
    int max_lines = 1;
    for (const char *c = text; *c; c++) max_lines += *c == '\n';
    for (int i = 0; i < n && rc == IP_OK; i++) {
        ip_results *r = &s[i];
        int epochs = -1, got = 0;
        if ((rc = reserve(r, max_lines / (r->L > 0 ? r->L : 1) + 1)) != IP_OK) break;
        for (int q = 0; q < r->n_sub && rc == IP_OK; q++) {
            if (!find_block(text, "layers", r->groups[q], width_of(r), r->rows[q], r->cap * r->L, &got) ||
                got % r->L || (epochs >= 0 && got / r->L != epochs))
                rc = ip_fail(IP_ERR_FORMAT, "%s holds no rows of %s", path, r->groups[q]);
            epochs = got / r->L;
        }
        if (rc == IP_OK && r->e->kind == IP_EST_LOGDET && r->L > 1 &&
            (!find_block(text, "pairs", r->groups[0], 4, r->pair_rows, r->cap * (r->L - 1), &got) ||
             got != epochs * (r->L - 1)))
            rc = ip_fail(IP_ERR_FORMAT, "%s holds no layer pairs of %s", path, r->groups[0]);
        if (rc == IP_OK) {
            r->n_epochs = epochs;
            ip_results_truncate(r, last_epoch);
        }
    }
    free(text);
    return rc;
}
