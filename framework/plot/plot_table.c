/* Readers of the result tables other modules write (metrics.csv, analysis/ESTIMATOR.csv and
 * ESTIMATOR_layers.csv). Columns are found by header name, so extra or reordered columns are
 * fine; every malformed cell is reported with file, line and field (core/csv). */
#include "plot_internal.h"

#include "core/csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/status.h"

/* The column called `name`; a missing required one fails naming the file. */
static int column(const ip_csv *t, const char *name, int required)
{
    int c = ip_csv_column(t, name);
    if (c < 0 && required) ip_csv_fail(t, -1, -1, "no column '%s' in the header", name);
    return c;
}

static int integer(const ip_csv *t, int r, int c, int *v)
{
    double d;
    int rc = ip_csv_number(t, r, c, &d);
    if (rc) return rc;
    if (d != floor(d) || d < 0 || d > 1e9)
        return ip_csv_fail(t, r, c, "expected an epoch number, got '%s'", ip_csv_cell(t, r, c));
    *v = (int)d;
    return IP_OK;
}

int plot_metrics_read(const char *path, plot_metrics *m)
{
    memset(m, 0, sizeof *m);
    ip_csv t;
    int rc = ip_csv_read(&t, path, IP_CSV_HEADER);
    if (rc) return rc;
    /* The test columns come as a pair, or not at all (a run without a test set). */
    static const char *names[] = {"train_loss", "train_acc", "test_loss", "test_acc", "seconds"};
    int ce = column(&t, "epoch", 1), c[5];
    for (int k = 0; k < 5; k++) c[k] = column(&t, names[k], k < 2);
    if ((c[2] < 0) != (c[3] < 0)) column(&t, names[c[2] < 0 ? 2 : 3], 1); /* the message */
    if (ce < 0 || c[0] < 0 || c[1] < 0 || (c[2] < 0) != (c[3] < 0)) {
        ip_csv_free(&t);
        return IP_ERR_FORMAT;
    }
    m->has_test = c[2] >= 0;
    if (t.n_rows == 0) {
        rc = ip_csv_fail(&t, -1, -1, "no rows after the header");
        ip_csv_free(&t);
        return rc;
    }
    size_t n = (size_t)t.n_rows;
    m->epoch = ip_malloc(n * sizeof *m->epoch);
    double *all = ip_calloc(5 * n, sizeof(double));
    if (!m->epoch || !all) {
        free(m->epoch);
        free(all);
        ip_csv_free(&t);
        return IP_ERR_NOMEM;
    }
    double *col[5] = {all, all + n, all + 2 * n, all + 3 * n, all + 4 * n};
    m->train_loss = col[0], m->train_acc = col[1], m->test_loss = col[2], m->test_acc = col[3];
    m->seconds = col[4];
    for (size_t r = 0; !m->has_test && r < n; r++) m->test_loss[r] = m->test_acc[r] = NAN;
    for (int r = 0; r < t.n_rows && !rc; r++) {
        rc = integer(&t, r, ce, &m->epoch[r]);
        for (int k = 0; k < 5 && !rc; k++)
            if (c[k] >= 0) rc = ip_csv_number(&t, r, c[k], &col[k][r]);
        if (!rc && r > 0 && m->epoch[r] <= m->epoch[r - 1])
            rc = ip_csv_fail(&t, r, ce, "epoch %d after epoch %d (expected ascending epochs)", m->epoch[r],
                             m->epoch[r - 1]);
        m->n = r + 1;
    }
    ip_csv_free(&t);
    if (rc) plot_metrics_free(m);
    return rc;
}

void plot_metrics_free(plot_metrics *m)
{
    free(m->epoch);
    free(m->train_loss); /* the five columns share one allocation */
    memset(m, 0, sizeof *m);
}

/* Index of s in names[0..*n), appended when absent (names has room for cap). */
static int intern(char (*names)[PLOT_NAME_LEN], int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(names[i], s)) return i;
    snprintf(names[*n], PLOT_NAME_LEN, "%s", s);
    return (*n)++;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The distinct epochs of the rows in `keep`, ascending. */
static int distinct_epochs(const int *ep, const char *keep, int n, int **out, int *n_out)
{
    int *e = ip_malloc((size_t)(n ? n : 1) * sizeof *e);
    if (!e) return IP_ERR_NOMEM;
    int k = 0;
    for (int r = 0; r < n; r++)
        if (keep[r]) e[k++] = ep[r];
    qsort(e, (size_t)k, sizeof *e, cmp_int);
    int u = 0;
    for (int i = 0; i < k; i++)
        if (u == 0 || e[i] != e[u - 1]) e[u++] = e[i];
    *out = e;
    *n_out = u;
    return IP_OK;
}

static int epoch_index(const int *epochs, int n, int e)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (epochs[mid] == e) return mid;
        if (epochs[mid] < e) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* The (mode, beta) cells of row r ("" for a missing column). */
static const char *mode_of(const ip_csv *t, int c_mode, int r) { return c_mode >= 0 ? ip_csv_cell(t, r, c_mode) : ""; }

/* The first row of every distinct (mode, beta) variant, compared as text, in file order. */
static int variant_starts(const ip_csv *t, int *starts)
{
    int c_mode = column(t, "mode", 0), c_beta = column(t, "beta", 0), n = 0;
    for (int r = 0; r < t->n_rows; r++) {
        int seen = 0;
        for (int v = 0; v < n && !seen; v++)
            seen = !strcmp(mode_of(t, c_mode, starts[v]), mode_of(t, c_mode, r)) &&
                   !strcmp(mode_of(t, c_beta, starts[v]), mode_of(t, c_beta, r));
        if (!seen) starts[n++] = r;
    }
    return n;
}

/* The rows of the (mode, beta) variant of row `row0` and their units, shared by the two MI
 * readers. keep[r] marks the rows read; ep[r] their epochs. */
static int select_variant(const ip_csv *t, int row0, char *keep, int *ep, char *mode, double *beta, char *unit,
                          char *est_out)
{
    int c_mode = column(t, "mode", 0), c_beta = column(t, "beta", 0), c_unit = column(t, "unit", 0);
    int c_est = column(t, "estimator", 0), c_ep = column(t, "epoch", 1);
    if (c_ep < 0) return IP_ERR_FORMAT;
    if (t->n_rows == 0) return ip_csv_fail(t, -1, -1, "no rows after the header");
    const char *m0 = mode_of(t, c_mode, row0), *b0 = mode_of(t, c_beta, row0);
    snprintf(mode, PLOT_NAME_LEN, "%s", m0);
    *beta = 0;
    if (c_beta >= 0 && b0[0]) {
        int rc = ip_csv_number(t, row0, c_beta, beta);
        if (rc) return rc;
    }
    if (est_out) snprintf(est_out, PLOT_NAME_LEN, "%s", c_est >= 0 ? ip_csv_cell(t, row0, c_est) : "");
    snprintf(unit, 16, "%s", c_unit >= 0 ? ip_csv_cell(t, row0, c_unit) : "nats");
    for (int r = 0; r < t->n_rows; r++) {
        keep[r] = !strcmp(mode_of(t, c_mode, r), m0) && !strcmp(mode_of(t, c_beta, r), b0);
        if (!keep[r]) continue;
        int rc = integer(t, r, c_ep, &ep[r]);
        if (rc) return rc;
        if (c_unit >= 0 && strcmp(ip_csv_cell(t, r, c_unit), unit))
            return ip_csv_fail(t, r, c_unit, "unit '%s' but earlier rows use '%s' (one unit per table)",
                               ip_csv_cell(t, r, c_unit), unit);
    }
    if (strcmp(unit, "bits") && strcmp(unit, "nats"))
        return ip_csv_fail(t, row0, c_unit, "unit '%s': expected bits or nats", unit);
    return IP_OK;
}

/* One variant (the one of row `row0`) of an open MI table into m. */
static int read_variant(const ip_csv *t, int row0, int n_variants, plot_mi *m)
{
    memset(m, 0, sizeof *m);
    int rc = IP_OK;
    int c_layer = column(t, "layer", 1), c_x = column(t, "i_xt", 1), c_y = column(t, "i_ty", 1);
    char *keep = ip_calloc((size_t)t->n_rows + 1, 1);
    int *ep = ip_calloc((size_t)t->n_rows + 1, sizeof *ep);
    m->layers = ip_calloc((size_t)t->n_rows + 1, sizeof *m->layers);
    m->n_variants = n_variants;
    if (!keep || !ep || !m->layers) rc = IP_ERR_NOMEM;
    else if (c_layer < 0 || c_x < 0 || c_y < 0) rc = IP_ERR_FORMAT;
    if (!rc) rc = select_variant(t, row0, keep, ep, m->mode, &m->beta, m->unit, m->estimator);
    if (!rc) rc = distinct_epochs(ep, keep, t->n_rows, &m->epochs, &m->n_epochs);
    int *li = rc ? NULL : ip_calloc((size_t)t->n_rows + 1, sizeof *li);
    if (!rc && !li) rc = IP_ERR_NOMEM;
    for (int r = 0; r < t->n_rows && !rc; r++)
        if (keep[r]) li[r] = intern(m->layers, &m->n_layers, ip_csv_cell(t, r, c_layer));
    if (!rc) {
        size_t n = (size_t)m->n_layers * (size_t)m->n_epochs;
        m->i_xt = ip_malloc(n * sizeof(double));
        m->i_ty = ip_malloc(n * sizeof(double));
        if (!m->i_xt || !m->i_ty) rc = IP_ERR_NOMEM;
        for (size_t i = 0; i < n && !rc; i++) m->i_xt[i] = m->i_ty[i] = NAN;
    }
    for (int r = 0; r < t->n_rows && !rc; r++) {
        if (!keep[r]) continue;
        size_t at = (size_t)li[r] * m->n_epochs + (size_t)epoch_index(m->epochs, m->n_epochs, ep[r]);
        if (!isnan(m->i_xt[at]))
            rc = ip_csv_fail(t, r, -1, "a second row for layer '%s' at epoch %d", ip_csv_cell(t, r, c_layer), ep[r]);
        if (!rc) rc = ip_csv_number(t, r, c_x, &m->i_xt[at]);
        if (!rc) rc = ip_csv_number(t, r, c_y, &m->i_ty[at]);
    }
    if (!m->estimator[0]) snprintf(m->estimator, sizeof m->estimator, "%s", "logdet");
    free(li);
    free(keep);
    free(ep);
    if (rc) plot_mi_free(m);
    return rc;
}

int plot_mi_read(const char *path, plot_mi *m)
{
    memset(m, 0, sizeof *m);
    ip_csv t;
    int rc = ip_csv_read(&t, path, IP_CSV_HEADER);
    if (rc) return rc;
    int *starts = ip_calloc((size_t)t.n_rows + 1, sizeof *starts);
    if (!starts) rc = IP_ERR_NOMEM;
    if (!rc) rc = read_variant(&t, 0, variant_starts(&t, starts), m);
    free(starts);
    ip_csv_free(&t);
    return rc;
}

int plot_mi_read_all(const char *path, plot_mi **out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    ip_csv t;
    int rc = ip_csv_read(&t, path, IP_CSV_HEADER);
    if (rc) return rc;
    int *starts = ip_calloc((size_t)t.n_rows + 1, sizeof *starts), n = 0;
    if (!starts) rc = IP_ERR_NOMEM;
    if (!rc) n = variant_starts(&t, starts);
    plot_mi *all = rc ? NULL : ip_calloc((size_t)(n ? n : 1), sizeof *all);
    if (!rc && !all) rc = IP_ERR_NOMEM;
    if (!rc && n == 0) rc = ip_csv_fail(&t, -1, -1, "no rows after the header");
    int got = 0;
    for (; got < n && !rc; got++) rc = read_variant(&t, starts[got], n, &all[got]);
    if (rc) {
        plot_mi_free_all(all, got);
        all = NULL, n = 0;
    }
    free(starts);
    ip_csv_free(&t);
    *out = all;
    *n_out = n;
    return rc;
}

void plot_mi_free_all(plot_mi *all, int n)
{
    for (int i = 0; all && i < n; i++) plot_mi_free(&all[i]);
    free(all);
}

void plot_mi_free(plot_mi *m)
{
    free(m->layers);
    free(m->epochs);
    free(m->i_xt);
    free(m->i_ty);
    memset(m, 0, sizeof *m);
}

int plot_pairs_read(const char *path, plot_pairs *p)
{
    memset(p, 0, sizeof *p);
    ip_csv t;
    int rc = ip_csv_read(&t, path, IP_CSV_HEADER);
    if (rc) return rc;
    int ca = column(&t, "layer_a", 1), cb = column(&t, "layer_b", 1), cm = column(&t, "mi", 1);
    char *keep = ip_calloc((size_t)t.n_rows + 1, 1);
    int *ep = ip_calloc((size_t)t.n_rows + 1, sizeof *ep), *pi = ip_calloc((size_t)t.n_rows + 1, sizeof *pi);
    p->pairs = ip_calloc((size_t)t.n_rows + 1, sizeof *p->pairs);
    char mode[PLOT_NAME_LEN];
    double beta;
    if (!keep || !ep || !pi || !p->pairs) rc = IP_ERR_NOMEM;
    else if (ca < 0 || cb < 0 || cm < 0) rc = IP_ERR_FORMAT;
    if (!rc) rc = select_variant(&t, 0, keep, ep, mode, &beta, p->unit, NULL);
    if (!rc) rc = distinct_epochs(ep, keep, t.n_rows, &p->epochs, &p->n_epochs);
    for (int r = 0; r < t.n_rows && !rc; r++) {
        if (!keep[r]) continue;
        char key[sizeof p->pairs[0]];
        snprintf(key, sizeof key, "%.*s ; %.*s", PLOT_NAME_LEN - 1, ip_csv_cell(&t, r, ca), PLOT_NAME_LEN - 1, ip_csv_cell(&t, r, cb));
        int i = 0;
        while (i < p->n_pairs && strcmp(p->pairs[i], key)) i++;
        if (i == p->n_pairs) memcpy(p->pairs[p->n_pairs++], key, sizeof key);
        pi[r] = i;
    }
    if (!rc) {
        size_t n = (size_t)p->n_pairs * (size_t)p->n_epochs;
        p->mi = ip_malloc((n ? n : 1) * sizeof(double));
        if (!p->mi) rc = IP_ERR_NOMEM;
        for (size_t i = 0; i < n && !rc; i++) p->mi[i] = NAN;
    }
    for (int r = 0; r < t.n_rows && !rc; r++)
        if (keep[r]) rc = ip_csv_number(&t, r, cm, &p->mi[(size_t)pi[r] * p->n_epochs + (size_t)epoch_index(p->epochs, p->n_epochs, ep[r])]);
    free(keep);
    free(ep);
    free(pi);
    ip_csv_free(&t);
    if (rc) plot_pairs_free(p);
    return rc;
}

void plot_pairs_free(plot_pairs *p)
{
    free(p->pairs);
    free(p->epochs);
    free(p->mi);
    memset(p, 0, sizeof *p);
}
