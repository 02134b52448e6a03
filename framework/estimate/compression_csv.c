/* analysis/compression.csv: the compression summary (compression.h) of every setting and layer in
 * the estimator CSV files beside it, rebuilt from those files each time they are written (so it
 * covers the settings of earlier analyses too, and its peak and final values are the very cells
 * of NAME.csv). Declared in results.h. */
#include "results.h"
#include "compression.h"
#include "estimators.h"

#include "core/csv.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const in_cols[] = {"estimator", "mode", "beta", "epoch", "layer", "i_xt", "i_ty", "unit"};
static const char *const out_cols[] = {"estimator", "mode",     "beta",           "layer",    "ixt_peak_epoch",
                                       "ixt_peak",  "ixt_final", "ixt_drop",      "ity_peak_epoch", "ity_peak",
                                       "ity_final", "ity_drop",  "unit"};
#define N_IN 8
#define N_OUT 13

/* One parsed row of NAME.csv: its setting and its layer (each the index of the first row with the
 * same estimator, mode and beta, and also the same layer), epoch and values. */
typedef struct {
    int setting, layer, epoch, row;
    double ixt, ity;
} in_row;

static int by_setting_layer(const void *a, const void *b)
{
    const in_row *x = a, *y = b;
    if (x->setting != y->setting) return x->setting < y->setting ? -1 : 1;
    if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* A whole integer in cell s (the epoch column). */
static int int_cell(const char *s, int *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || *end || x < -1000000000L || x > 1000000000L) return 0;
    *v = (int)x;
    return 1;
}

/* A number in cell s; "nan" too (an estimate that failed is written so). */
static int real_cell(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && !*end;
}

/* The first row among first[0..*n) whose cells in cols[0..n_cols) are row i's; i itself (added)
 * when there is none. Linear in the settings (or layers) seen. */
static int first_like(const ip_csv *t, int i, const int *cols, int n_cols, int *first, int *n)
{
    for (int k = 0; k < *n; k++) {
        int same = 1;
        for (int c = 0; same && c < n_cols; c++)
            same = !strcmp(ip_csv_cell(t, first[k], cols[c]), ip_csv_cell(t, i, cols[c]));
        if (same) return first[k];
    }
    first[(*n)++] = i;
    return i;
}

/* The rows of DIR/NAME.csv (read into t) summarized into w: settings in the order they first
 * appear, each its layers in the order they first appear (NAME.csv writes them ascending). */
static int summarize(const ip_csv *t, ip_csv_writer *w)
{
    int n = t->n_rows, rc = IP_OK, n_settings = 0, n_layers = 0;
    in_row *rows = ip_malloc(sizeof *rows * (size_t)(n + 1));
    int *settings = ip_malloc(sizeof(int) * (size_t)(n + 1)), *layers = ip_malloc(sizeof(int) * (size_t)(n + 1));
    int *epochs = ip_malloc(sizeof *epochs * (size_t)(n + 1));
    double *v = ip_malloc(sizeof *v * (size_t)(2 * n + 1));
    if (!rows || !settings || !layers || !epochs || !v) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        in_row *r = &rows[i];
        r->row = i;
        static const int key[] = {0, 1, 2, 4}; /* estimator, mode, beta: the setting; and the layer */
        r->setting = first_like(t, i, key, 3, settings, &n_settings);
        r->layer = first_like(t, i, key, 4, layers, &n_layers);
        if (!int_cell(ip_csv_cell(t, i, 3), &r->epoch)) rc = ip_csv_fail(t, i, 3, "expected an epoch number");
        else if (!real_cell(ip_csv_cell(t, i, 5), &r->ixt)) rc = ip_csv_fail(t, i, 5, "expected a number");
        else if (!real_cell(ip_csv_cell(t, i, 6), &r->ity)) rc = ip_csv_fail(t, i, 6, "expected a number");
        if (rc != IP_OK) goto out;
    }
    qsort(rows, (size_t)n, sizeof *rows, by_setting_layer);
    for (int a = 0, b; a < n; a = b) {
        for (b = a; b < n && rows[b].setting == rows[a].setting && rows[b].layer == rows[a].layer; b++) {
            epochs[b - a] = rows[b].epoch;
            v[b - a] = rows[b].ixt, v[n + b - a] = rows[b].ity;
        }
        ip_compression_series x, y;
        ip_compression_of(epochs, v, b - a, &x);
        ip_compression_of(epochs, v + n, b - a, &y);
        int r0 = rows[a].row;
        static const int as_is[] = {0, 1, 2, 4}; /* estimator, mode, beta, layer: NAME.csv's text */
        for (int c = 0; c < 4; c++) ip_csv_put_text(w, ip_csv_cell(t, r0, as_is[c]));
        /* Peak and final with NAME.csv's 12 digits (the same text as its cells), the drop with all 17. */
        const ip_compression_series *s[2] = {&x, &y};
        for (int q = 0; q < 2; q++) {
            ip_csv_put_int(w, s[q]->peak_epoch);
            ip_csv_put_real(w, s[q]->peak, 12), ip_csv_put_real(w, s[q]->final, 12);
            ip_csv_put_real(w, s[q]->drop, 17);
        }
        ip_csv_put_text(w, ip_csv_cell(t, r0, 7));
    }
out:
    free(rows);
    free(settings);
    free(layers);
    free(epochs);
    free(v);
    return rc;
}

int ip_compression_write_csv(const char *dir)
{
    char path[4096];
    ip_csv_writer w;
    if (snprintf(path, sizeof path, "%s/compression.csv", dir) >= (int)sizeof path)
        return ip_fail(IP_ERR_IO, "%s/compression.csv: path too long", dir);
    int rc = ip_csv_writer_open(&w, path, N_OUT, out_cols);
    for (int k = 0; k < IP_EST_COUNT && rc == IP_OK; k++) {
        char in[4096];
        snprintf(in, sizeof in, "%s/%s.csv", dir, ip_estimator_names[k]);
        if (!ip_is_file(in)) continue;
        ip_csv t;
        if ((rc = ip_csv_read(&t, in, IP_CSV_HEADER)) != IP_OK) break;
        int same = t.n_cols == N_IN;
        for (int c = 0; same && c < N_IN; c++) same = !strcmp(t.header[c], in_cols[c]);
        if (same) rc = summarize(&t, &w); /* another layout is no estimator table of ours */
        ip_csv_free(&t);
    }
    if (rc == IP_OK) rc = ip_csv_writer_commit(&w);
    ip_csv_writer_abandon(&w);
    if (rc != IP_OK) ip_error_prefix("%s not written", path);
    return rc;
}
