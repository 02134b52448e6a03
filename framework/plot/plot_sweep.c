/* A sweep's comparison figures (plot.h's ip_plot_sweep), from its aggregate table only
 * (SWEEP_DIR/aggregate/aggregate.csv: per grid point, estimator setting, layer and epoch, the
 * median and quartiles over the seeds): for every setting, the information plane with a panel per
 * grid point on shared axes, and I(X;T), I(T;Y) against epoch with the interquartile range as a
 * band. Medians rather than means, as the papers preferred: single runs vary a lot. */
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"

#define MAX_SETTINGS 16 /* figures are drawn for the first ones (the tables hold them all) */
#define MAX_LAYERS 64

typedef struct {
    int setting, point, layer, epoch, runs;
    double mx, x1, x3, my, y1, y3; /* I(X;T) median, q1, q3; I(T;Y) the same */
} srow;

typedef struct {
    plot_mi id;      /* estimator, mode, beta and unit only: for titles and labels */
    char beta[64];   /* beta as written in the table */
    int n_layers;
    char layers[MAX_LAYERS][PLOT_NAME_LEN];
    int first, n;    /* its rows in the sorted table */
} ssetting;

typedef struct {
    int n_rows, n_settings;
    srow *rows;
    ssetting *settings;
} stable;

static int srow_cmp(const void *a, const void *b)
{
    const srow *x = a, *y = b;
    int d[4] = {x->setting - y->setting, x->point - y->point, x->layer - y->layer, x->epoch - y->epoch};
    for (int k = 0; k < 4; k++)
        if (d[k]) return d[k] < 0 ? -1 : 1;
    return 0;
}

/* aggregate.csv into *t, its rows sorted by setting, point, layer and epoch. *t owns its arrays
 * (also after a failure), released with table_free. */
static int read_table(const char *path, const ip_plot_sweep_info *info, stable *t)
{
    static const char *const need[] = {"point", "estimator", "mode", "beta", "layer", "epoch", "runs",
                                       "i_xt_median", "i_xt_q1", "i_xt_q3", "i_ty_median", "i_ty_q1", "i_ty_q3", "unit"};
    ip_csv csv;
    int c[14], rc = ip_csv_read(&csv, path, IP_CSV_HEADER);
    memset(t, 0, sizeof *t);
    if (rc) return rc;
    for (int k = 0; k < 14 && !rc; k++)
        if ((c[k] = ip_csv_column(&csv, need[k])) < 0) rc = ip_csv_fail(&csv, -1, -1, "no column '%s'", need[k]);
    t->rows = ip_calloc((size_t)csv.n_rows + 1, sizeof *t->rows);
    t->settings = ip_calloc(MAX_SETTINGS, sizeof *t->settings);
    if (!rc && (!t->rows || !t->settings)) rc = IP_ERR_NOMEM;
    for (int r = 0; r < csv.n_rows && !rc; r++) {
        srow *w = &t->rows[t->n_rows];
        const char *pt = ip_csv_cell(&csv, r, c[0]);
        w->point = -1;
        for (int g = 0; g < info->n_points && w->point < 0; g++)
            if (!strcmp(info->point_names[g], pt)) w->point = g;
        if (w->point < 0) continue; /* a point the sweep file no longer has */
        int s = 0;
        for (; s < t->n_settings; s++) {
            const ssetting *q = &t->settings[s];
            if (!strcmp(q->id.estimator, ip_csv_cell(&csv, r, c[1])) && !strcmp(q->id.mode, ip_csv_cell(&csv, r, c[2])) &&
                !strcmp(q->beta, ip_csv_cell(&csv, r, c[3])) && !strcmp(q->id.unit, ip_csv_cell(&csv, r, c[13])))
                break;
        }
        if (s == MAX_SETTINGS) continue;
        ssetting *q = &t->settings[s];
        if (s == t->n_settings) {
            t->n_settings++;
            snprintf(q->id.estimator, sizeof q->id.estimator, "%s", ip_csv_cell(&csv, r, c[1]));
            snprintf(q->id.mode, sizeof q->id.mode, "%s", ip_csv_cell(&csv, r, c[2]));
            snprintf(q->beta, sizeof q->beta, "%s", ip_csv_cell(&csv, r, c[3]));
            snprintf(q->id.unit, sizeof q->id.unit, "%s", ip_csv_cell(&csv, r, c[13]));
            q->id.beta = strtod(q->beta, NULL);
        }
        const char *layer = ip_csv_cell(&csv, r, c[4]);
        int l = 0;
        while (l < q->n_layers && strcmp(q->layers[l], layer)) l++;
        if (l == MAX_LAYERS) continue;
        if (l == q->n_layers) snprintf(q->layers[q->n_layers++], PLOT_NAME_LEN, "%s", layer);
        double v[8];
        for (int k = 5; k < 13 && !rc; k++) {
            char *end;
            v[k - 5] = strtod(ip_csv_cell(&csv, r, c[k]), &end);
            if (*end || end == ip_csv_cell(&csv, r, c[k])) rc = ip_csv_fail(&csv, r, c[k], "not a number");
        }
        w->setting = s, w->layer = l, w->epoch = (int)v[0], w->runs = (int)v[1];
        w->mx = v[2], w->x1 = v[3], w->x3 = v[4], w->my = v[5], w->y1 = v[6], w->y3 = v[7];
        t->n_rows += !rc;
    }
    ip_csv_free(&csv);
    if (rc) return rc;
    qsort(t->rows, (size_t)t->n_rows, sizeof *t->rows, srow_cmp);
    for (int r = 0; r < t->n_rows; r++) {
        ssetting *q = &t->settings[t->rows[r].setting];
        if (!q->n++) q->first = r;
    }
    return IP_OK;
}

static void table_free(stable *t)
{
    free(t->rows);
    free(t->settings);
    memset(t, 0, sizeof *t);
}

/* The data of one setting: a block per (point, layer) that has rows, blk[g * n_layers + l] its
 * index or -1; shared ranges in r (x: I(X;T), y: I(T;Y), bars included); the epochs' extent.
 * setting_data allocates blk and runs, which sdata_free releases (also after a failure). */
typedef struct {
    int *blk, *runs, e0, e1, log_spaced;
    double lo[2], hi[2];
} sdata;

static int setting_data(sbuf *d, const stable *t, const ssetting *q, int n_points, sdata *o, int columns_plane)
{
    o->blk = ip_malloc(sizeof(int) * (size_t)n_points * q->n_layers);
    o->runs = ip_calloc((size_t)n_points, sizeof(int));
    if (!o->blk || !o->runs) return IP_ERR_NOMEM;
    for (int i = 0; i < n_points * q->n_layers; i++) o->blk[i] = -1;
    o->lo[0] = o->lo[1] = INFINITY, o->hi[0] = o->hi[1] = -INFINITY;
    o->e0 = t->rows[q->first].epoch, o->e1 = o->e0;
    int epochs[4096], ne = 0; /* the first block's epochs decide the colour scale */
    for (int r = q->first; r < q->first + q->n && ne < 4096; r++) {
        if (r > q->first && (t->rows[r].point != t->rows[q->first].point || t->rows[r].layer != t->rows[q->first].layer)) break;
        epochs[ne++] = t->rows[r].epoch;
    }
    o->log_spaced = plot_epochs_log_spaced(epochs, ne);
    int n_blk = 0;
    for (int r = q->first; r < q->first + q->n; r++) {
        const srow *w = &t->rows[r];
        int at = w->point * q->n_layers + w->layer;
        if (o->blk[at] < 0) {
            sb_printf(d, "%s# point %d, layer ", n_blk ? "\n\n" : "", w->point);
            sb_line(d, q->layers[w->layer]);
            sb_puts(d, "\n");
            o->blk[at] = n_blk++;
        }
        if (!isfinite(w->mx) || !isfinite(w->my)) continue;
        if (columns_plane)
            sb_printf(d, "%d %.6g %.9g %.9g %.9g %.9g %.9g %.9g\n", w->epoch, plot_epoch_colour(w->epoch, o->log_spaced),
                      w->mx, w->my, w->x1, w->x3, w->y1, w->y3);
        else
            sb_printf(d, "%d %d %.9g %.9g %.9g %.9g %.9g %.9g\n", w->epoch, w->epoch + 1, w->mx, w->x1, w->x3, w->my,
                      w->y1, w->y3);
        o->lo[0] = fmin(o->lo[0], fmin(w->mx, w->x1)), o->hi[0] = fmax(o->hi[0], fmax(w->mx, w->x3));
        o->lo[1] = fmin(o->lo[1], fmin(w->my, w->y1)), o->hi[1] = fmax(o->hi[1], fmax(w->my, w->y3));
        o->e0 = w->epoch < o->e0 ? w->epoch : o->e0;
        o->e1 = w->epoch > o->e1 ? w->epoch : o->e1;
        o->runs[w->point] = w->runs > o->runs[w->point] ? w->runs : o->runs[w->point];
    }
    return IP_OK;
}

static void sdata_free(sdata *o)
{
    free(o->blk);
    free(o->runs);
}

static int clamp_size(int v) { return v < IP_PLOT_MIN_SIZE ? IP_PLOT_MIN_SIZE : v > IP_PLOT_MAX_SIZE ? IP_PLOT_MAX_SIZE : v; }

/* Render with the canvas w x h, then restore the context's size. */
static int render_sized(plot_ctx *c, const char *base, sbuf *g, sbuf *d, int w, int h)
{
    int w0 = c->width, h0 = c->height;
    c->width = clamp_size(w), c->height = clamp_size(h);
    int rc = plot_render(c, base, NULL, g, d, 0);
    c->width = w0, c->height = h0;
    return rc;
}

static int fig_plane(plot_ctx *c, const stable *t, const ssetting *q, const ip_plot_sweep_info *info, const char *base,
                     const char *title)
{
    sbuf d = {0}, g = {0};
    sdata o;
    memset(&o, 0, sizeof o);
    sb_printf(&d, "# median information plane per grid point over its seeds, unit %s; columns: epoch, colour "
                  "value, median I(X;T), median I(T;Y), I(X;T) q1, q3, I(T;Y) q1, q3\n", q->id.unit);
    int rc = setting_data(&d, t, q, info->n_points, &o, 1), rows, cols;
    if (rc) goto out;
    plot_panel_layout(info->n_points, &rows, &cols);
    double r[4];
    plot_padded_ranges(r, o.lo[0], o.hi[0], o.lo[1], o.hi[1], 0.14);
    plot_gp_epoch_colourbar(&g, o.e0, o.e1, o.log_spaced);
    sb_printf(&g, "set xlabel \"I(X;T) [%s]\"\nset xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n", q->id.unit, r[0],
              r[1], r[2], r[3]);
    sb_puts(&g, "unset key\nset colorbox user origin screen 0.875,0.2 size screen 0.015,0.55\n");
    char head[1024];
    snprintf(head, sizeof head, "Information plane: %s\nmedian over the seeds of each grid point; bars = interquartile "
                                "range across seeds; shared axes", title);
    sb_printf(&g, "set multiplot layout %d,%d margins 0.1,0.84,0.09,%.3f spacing 0.07,0.12 title ", rows, cols,
              rows > 1 ? 0.88 : 0.8);
    sb_gpstr(&g, head);
    sb_puts(&g, "\n");
    int w = 420 * cols + 160 > c->width ? 420 * cols + 160 : c->width;
    int h = 380 * rows + 160 > c->height ? 380 * rows + 160 : c->height;
    plot_ctx sized = *c;
    sized.width = clamp_size(w), sized.height = clamp_size(h);
    for (int p = 0; p < info->n_points; p++) {
        char pt[512];
        snprintf(pt, sizeof pt, "%s\n%d run%s", info->point_labels[p], o.runs[p], o.runs[p] == 1 ? "" : "s");
        sb_puts(&g, "unset label\nunset arrow\nset title ");
        sb_gpstr(&g, pt);
        sb_printf(&g, "\n%s", p % cols ? "unset ylabel\n" : "");
        if (!(p % cols)) sb_printf(&g, "set ylabel \"I(T;Y) [%s]\"\n", q->id.unit);
        double ex[MAX_LAYERS], ey[MAX_LAYERS];
        int left[MAX_LAYERS], chars = 1, any = 0;
        for (int l = 0; l < q->n_layers; l++) { /* the last median point of each layer gets its label */
            ex[l] = ey[l] = NAN, left[l] = 0;
            for (int k = q->first; k < q->first + q->n; k++) {
                const srow *wr = &t->rows[k];
                if (wr->point == p && wr->layer == l && isfinite(wr->mx) && isfinite(wr->my)) ex[l] = wr->mx, ey[l] = wr->my;
            }
            chars = (int)strlen(q->layers[l]) > chars ? (int)strlen(q->layers[l]) : chars;
        }
        double lh, lw;
        plot_label_extent(&sized, rows, cols, chars, &lh, &lw);
        plot_gp_end_labels(&g, q->n_layers, (const char(*)[PLOT_NAME_LEN])q->layers, ex, ey, left, r, lh, lw);
        for (int l = 0; l < q->n_layers; l++) {
            int b = o.blk[p * q->n_layers + l];
            if (b < 0) continue;
            sb_printf(&g, "%s  '%s.dat' index %d using 3:4:5:6:7:8 with xyerrorbars pt 0 lw 0.8 lc rgb \"#c4c4c4\" notitle, \\\n"
                          "  '%s.dat' index %d using 3:4 with lines lc rgb \"#a0a0a0\" lw 1 notitle, \\\n"
                          "  '%s.dat' index %d using 3:4:2 with points pt 7 ps 0.8 lc palette z notitle",
                      any ? ", \\\n" : "plot \\\n", base, b, base, b, base, b);
            any = 1;
        }
        sb_puts(&g, any ? "\n" : "set label 1 'no results' at graph 0.5,0.5 center\nplot NaN notitle\n");
        if (p == 0) sb_puts(&g, "unset colorbox\n");
    }
    sb_puts(&g, "unset multiplot\n");
    rc = render_sized(c, base, &g, &d, w, h);
out:
    sb_free(&g);
    sb_free(&d);
    sdata_free(&o);
    return rc;
}

static int fig_mi_epochs(plot_ctx *c, const stable *t, const ssetting *q, const ip_plot_sweep_info *info,
                         const char *base, const char *title)
{
    sbuf d = {0}, g = {0};
    sdata o;
    memset(&o, 0, sizeof o);
    sb_printf(&d, "# MI against epoch per grid point over its seeds, unit %s; columns: epoch, epoch + 1, median "
                  "I(X;T), q1, q3, median I(T;Y), q1, q3\n", q->id.unit);
    int rc = setting_data(&d, t, q, info->n_points, &o, 0);
    if (rc) goto out;
    int rows = info->n_points;
    char head[1024];
    snprintf(head, sizeof head, "Mutual information against epoch: %s\nline = median over the seeds, band = "
                                "interquartile range; one row per grid point", title);
    plot_gp_epoch_xaxis(&g, o.e0, o.e1, o.log_spaced);
    /* The canvas: at least 260 px a row, with the titles above and the key below. Each row is one
     * grid point, named once by a label centred over its two panels (a name such as "dataset:
     * fashion_mnist, activation: tanh" is wider than one panel); room on the left of each panel
     * for its tick labels and its y label. */
    double px = 260.0 * rows + 280 > c->height ? 260.0 * rows + 280 : c->height;
    double top = 1 - 140 / px, bottom = 165 / px, gap = 100 / px;
    double panel = (top - bottom - (rows - 1) * gap) / rows;
    sb_printf(&g, "set multiplot layout %d,2 margins 0.13,0.97,%.4f,%.4f spacing 0.12,%.4f title ", rows, bottom, top,
              gap);
    sb_gpstr(&g, head);
    sb_puts(&g, "\n");
    plot_gp_key_bottom(&g); /* the layers' colours, once for every panel */
    for (int p = 0; p < rows; p++)
        for (int col = 0; col < 2; col++) {
            double span = o.hi[col] - o.lo[col];
            if (!(span > 0)) span = 1;
            sb_printf(&g, "set yrange [%.9g:%.9g]\nset ylabel \"%s [%s]\"\nunset title\n",
                      fmax(o.lo[col] >= 0 ? 0 : -INFINITY, o.lo[col] - 0.05 * span), o.hi[col] + 0.05 * span,
                      col ? "I(T;Y)" : "I(X;T)", q->id.unit);
            if (col == 0) {
                sb_puts(&g, "set label 1 ");
                sb_gpstr(&g, info->point_labels[p]);
                sb_printf(&g, " at screen 0.545, screen %.4f center front\n", top - p * (panel + gap) + 30 / px);
            } else {
                sb_puts(&g, "unset label 1\n");
            }
            if (p + 1 < rows) sb_puts(&g, "unset xlabel\n");
            if (p + 1 == rows) sb_printf(&g, "set xlabel \"epoch%s\"\n", o.log_spaced ? " (log scale)" : "");
            const char *x = o.log_spaced ? "2" : "1";
            int m = col ? 6 : 3, any = 0;
            for (int l = 0; l < q->n_layers; l++) {
                int b = o.blk[p * q->n_layers + l];
                if (b < 0) continue;
                sb_printf(&g, "%s  '%s.dat' index %d using %s:%d:%d with filledcurves fs transparent solid 0.2 noborder "
                              "fc rgb \"%s\" notitle, \\\n  '%s.dat' index %d using %s:%d with lines lw 1.8 lc rgb \"%s\" %s ",
                          any ? ", \\\n" : "plot \\\n", base, b, x, m + 1, m + 2, plot_series_colour(l), base, b, x, m,
                          plot_series_colour(l), p + col ? "notitle" : "title");
                if (!(p + col)) { /* the runs' tables number their layers: "layer 3" reads better in a key */
                    char name[PLOT_NAME_LEN + 8];
                    int digits = q->layers[l][strspn(q->layers[l], "0123456789")] == '\0';
                    snprintf(name, sizeof name, "%s%s", digits ? "layer " : "", q->layers[l]);
                    sb_gpstr(&g, name);
                }
                any = 1;
            }
            sb_puts(&g, any ? "\n" : "plot NaN notitle\n");
            if (!(p + col)) sb_puts(&g, "unset key\n"); /* drawn once, by the first panel */
        }
    sb_puts(&g, "unset multiplot\n");
    rc = render_sized(c, base, &g, &d, c->width > 1000 ? c->width : 1000, (int)px); /* two panels with y labels */
out:
    sb_free(&g);
    sb_free(&d);
    sdata_free(&o);
    return rc;
}

int ip_plot_sweep(const char *sweep_dir, const ip_plot_sweep_info *info, const ip_plot_options *opt_in,
                  ip_plot_report *report)
{
    ip_plot_options opt;
    ip_plot_report scratch;
    ip_plot_report *rep = plot_begin(opt_in, &opt, report, &scratch);
    char path[PATH_MAX], fig_dir[PATH_MAX];
    snprintf(path, sizeof path, "%s/aggregate/aggregate.csv", sweep_dir);
    snprintf(fig_dir, sizeof fig_dir, "%s/figures", sweep_dir);
    stable t;
    memset(&t, 0, sizeof t);
    int rc = IP_OK, n_figs = 0;
    char (*figs)[192] = ip_calloc(2 * MAX_SETTINGS, sizeof *figs);
    char (*caps)[512] = ip_calloc(2 * MAX_SETTINGS, sizeof *caps);
    if (!figs || !caps) rc = IP_ERR_NOMEM;
    if (!rc && ip_is_file(path)) rc = read_table(path, info, &t);
    else if (!rc) plot_report_skipped(rep, "sweep figures skipped: no complete run yet (no %s)", path);
    plot_ctx c;
    if (!rc) rc = plot_ctx_init(&c, &opt, fig_dir, rep);
    for (int s = 0; s < t.n_settings && !rc; s++) {
        const ssetting *q = &t.settings[s];
        int same = 0, k = 0; /* the setting's number among its estimator's, when it has several */
        for (int u = 0; u < t.n_settings; u++)
            if (!strcmp(t.settings[u].id.estimator, q->id.estimator)) k += u < s, same++;
        char tag[96], base[128], title[256];
        if (same > 1) snprintf(tag, sizeof tag, "%s_%d", q->id.estimator, k + 1);
        else snprintf(tag, sizeof tag, "%s", q->id.estimator);
        plot_estimator_title(title, sizeof title, &q->id);
        snprintf(base, sizeof base, "sweep_plane_%s", tag);
        if (!(rc = fig_plane(&c, &t, q, info, base, title))) {
            snprintf(figs[n_figs], sizeof figs[0], "%s.%s", base, c.ext);
            snprintf(caps[n_figs++], sizeof caps[0], "The information plane of every grid point, %s: each line joins "
                     "the median over the seeds of I(X;T) and I(T;Y) at a recorded epoch (colour = epoch), the bars "
                     "span the interquartile range across the seeds; all panels share their axes.", title);
            snprintf(base, sizeof base, "sweep_mi_epochs_%s", tag);
            rc = fig_mi_epochs(&c, &t, q, info, base, title);
        }
        if (!rc) {
            snprintf(figs[n_figs], sizeof figs[0], "%s.%s", base, c.ext);
            snprintf(caps[n_figs++], sizeof caps[0], "I(X;T) (left) and I(T;Y) (right) against epoch, %s, a row per "
                     "grid point: the median over the seeds per layer, with the interquartile range as a band.", title);
        }
    }
    if (!rc && t.n_settings == MAX_SETTINGS)
        plot_report_skipped(rep, "figures of the first %d estimator settings only (aggregate.csv holds them all)",
                            MAX_SETTINGS);
    if (!rc && (!opt.figures || (opt.figures & IP_FIG_HTML))) {
        snprintf(c.dir, sizeof c.dir, "%s", sweep_dir); /* the page sits in the sweep directory */
        rc = plot_html_sweep(&c, sweep_dir, info, figs, n_figs, caps);
    }
    if (rc) ip_error_prefix("sweep figures");
    table_free(&t);
    free(figs);
    free(caps);
    return rc;
}
