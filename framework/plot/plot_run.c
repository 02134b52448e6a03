/* The figures of one run: the information plane (all layers, and one panel per layer), its
 * animation over epochs, loss/accuracy curves, MI against epoch and layer-to-layer MI. Each
 * figure function writes its own data file and script and renders through plot_render. */
#include "plot_internal.h"

#include <dirent.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/interrupt.h"
#include "core/mem.h"
#include "core/status.h"

#define MAX_EST 8

void plot_mi_bounds(const plot_mi *m, int layer, double *xmin, double *xmax, double *ymin, double *ymax)
{
    for (int l = layer < 0 ? 0 : layer; l < (layer < 0 ? m->n_layers : layer + 1); l++)
        for (int k = 0; k < m->n_epochs; k++) {
            double x = m->i_xt[(size_t)l * m->n_epochs + k], y = m->i_ty[(size_t)l * m->n_epochs + k];
            if (isnan(x) || isnan(y)) continue;
            *xmin = fmin(*xmin, x), *xmax = fmax(*xmax, x);
            *ymin = fmin(*ymin, y), *ymax = fmax(*ymax, y);
        }
}

/* The last recorded point of a layer (NaN when it has none) and whether its label should go
 * on the left of it (see plot_arrived_left). */
static void end_point(const plot_mi *m, int l, double span, double *x, double *y, int *left)
{
    double xs[6];
    int found = 0;
    *x = *y = NAN;
    for (int k = m->n_epochs - 1; k >= 0 && found < 6; k--) {
        size_t at = (size_t)l * m->n_epochs + k;
        if (isnan(m->i_xt[at]) || isnan(m->i_ty[at])) continue;
        if (!found) *x = m->i_xt[at], *y = m->i_ty[at];
        xs[5 - found++] = m->i_xt[at]; /* oldest first */
    }
    *left = found > 1 && plot_arrived_left(xs + 6 - found, found, span);
}

static int longest_name(const plot_mi *m)
{
    int n = 1;
    for (int l = 0; l < m->n_layers; l++) n = (int)strlen(m->layers[l]) > n ? (int)strlen(m->layers[l]) : n;
    return n;
}

/* Plane data: one block (gnuplot "index") per layer: epoch, colour, I(X;T), I(T;Y), "layer". */
static void plane_data(sbuf *d, const plot_mi *m, int log_spaced)
{
    sb_printf(d, "# %s information plane, unit %s; columns: epoch, colour value (%s), I(X;T), I(T;Y), layer\n"
                 "# one block per layer (gnuplot index 0, 1, ...), blocks separated by two blank lines\n",
              m->estimator, m->unit, log_spaced ? "log10(epoch + 1)" : "epoch");
    for (int l = 0; l < m->n_layers; l++) {
        sb_printf(d, "%s# ", l ? "\n\n" : "");
        sb_line(d, m->layers[l]);
        sb_puts(d, "\n");
        for (int k = 0; k < m->n_epochs; k++) {
            size_t at = (size_t)l * m->n_epochs + k;
            if (isnan(m->i_xt[at]) || isnan(m->i_ty[at])) continue;
            sb_printf(d, "%d %.6g %.9g %.9g ", m->epochs[k], plot_epoch_colour(m->epochs[k], log_spaced),
                      m->i_xt[at], m->i_ty[at]);
            sb_datstr(d, m->layers[l]);
            sb_puts(d, "\n");
        }
    }
}

static void axis_labels(sbuf *b, const char *unit)
{
    sb_printf(b, "set xlabel \"I(X;T) [%s]\"\nset ylabel \"I(T;Y) [%s]\"\n", unit, unit);
}

static void ranges(sbuf *b, const double r[4])
{
    sb_printf(b, "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n", r[0], r[1], r[2], r[3]);
}

void plot_plane_build(const plot_ctx *c, const plot_mi *m, const char *run, const char *est_title, const char *base,
                      sbuf *g_out, sbuf *d_out)
{
    int log_spaced = plot_epochs_log_spaced(m->epochs, m->n_epochs);
    sbuf d = {0}, g = {0};
    plane_data(&d, m, log_spaced);

    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY, r[4];
    plot_mi_bounds(m, -1, &xmin, &xmax, &ymin, &ymax);
    plot_padded_ranges(r, xmin, xmax, ymin, ymax, 0.1);
    r[0] -= 0.06 * (r[1] - r[0]); /* room for labels on the left too */
    if (xmin >= 0 && r[0] < 0) r[0] = 0;
    char title[1024];
    if (m->n_epochs == 1)
        snprintf(title, sizeof title, "Information plane: %s, run %s\n%d layers, one recorded epoch (%d)", est_title,
                 run, m->n_layers, m->epochs[0]);
    else
        snprintf(title, sizeof title, "Information plane: %s, run %s\n%d layers, %d recorded epochs (%d..%d)",
                 est_title, run, m->n_layers, m->n_epochs, m->epochs[0], m->epochs[m->n_epochs - 1]);
    sb_puts(&g, "set title ");
    sb_gpstr(&g, title);
    sb_puts(&g, "\n");
    axis_labels(&g, m->unit);
    ranges(&g, r);
    plot_gp_epoch_colourbar(&g, m->epochs[0], m->epochs[m->n_epochs - 1], log_spaced);
    /* The key below the plot takes one row per three entries (layers + "first epoch"); leave
     * room for all of them under the x-axis label. */
    sb_printf(&g, "set bmargin %.1f\n", 4.5 + 1.3 * ((m->n_layers + 3) / 3));
    plot_gp_key_bottom(&g);
    double ex[64], ey[64];
    int nl = m->n_layers < 64 ? m->n_layers : 64, left[64];
    for (int l = 0; l < nl; l++) end_point(m, l, xmax - xmin, &ex[l], &ey[l], &left[l]);
    double lh, lw;
    plot_label_extent(c, 1, 1, longest_name(m), &lh, &lw);
    plot_gp_end_labels(&g, nl, (const char(*)[PLOT_NAME_LEN])m->layers, ex, ey, left, r, lh, lw);
    sb_puts(&g, "plot \\\n");
    for (int l = 0; l < m->n_layers; l++) /* grey lines under the points: the order in time */
        sb_printf(&g, "  '%s.dat' index %d using 3:4 with lines lc rgb \"#b4b4b4\" lw 1 notitle, \\\n", base, l);
    for (int l = 0; l < m->n_layers; l++) {
        sb_printf(&g, "  '%s.dat' index %d using 3:4:2 with points pt %d ps 1.1 lc palette z title ", base, l,
                  plot_series_point(l));
        sb_gpstr(&g, m->layers[l]);
        sb_puts(&g, ", \\\n");
    }
    /* the first recorded point of every layer circled, so the direction of time is clear */
    for (int l = 0; l < m->n_layers; l++)
        sb_printf(&g, "  '%s.dat' index %d every ::0::0 using 3:4 with points pt 6 ps 2 lc rgb \"#202020\" %s%s\n",
                  base, l, l == 0 ? "title \"first recorded epoch\"" : "notitle", l + 1 < m->n_layers ? ", \\" : "");
    *g_out = g, *d_out = d;
}

static int fig_plane(plot_ctx *c, const plot_mi *m, const char *run, const char *est_title)
{
    char base[128];
    snprintf(base, sizeof base, "plane_%s", m->estimator);
    sbuf d = {0}, g = {0};
    plot_plane_build(c, m, run, est_title, base, &g, &d);
    return plot_render(c, base, NULL, &g, &d, 0);
}

/* 1, 2 or 5 times a power of ten, at least `raw`: a readable tic step. */
static double nice_step(double raw)
{
    if (!(raw > 0)) return 1;
    double p = pow(10, floor(log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

void plot_panel_layout(int n, int *rows, int *cols)
{
    *cols = n <= 3 ? n : n == 4 ? 2 : n <= 9 ? 3 : 4;
    *rows = (n + *cols - 1) / *cols;
}

static int fig_plane_layers(plot_ctx *c, const plot_mi *m, const char *run, const char *est_title)
{
    int log_spaced = plot_epochs_log_spaced(m->epochs, m->n_epochs), rows, cols;
    plot_panel_layout(m->n_layers, &rows, &cols);
    char base[128];
    snprintf(base, sizeof base, "plane_layers_%s", m->estimator);
    sbuf d = {0}, g = {0};
    plane_data(&d, m, log_spaced);
    char title[1024];
    snprintf(title, sizeof title, "Information plane per layer: %s, run %s (each panel on its own scale)",
             est_title, run);
    plot_gp_epoch_colourbar(&g, m->epochs[0], m->epochs[m->n_epochs - 1], log_spaced);
    axis_labels(&g, m->unit);
    sb_puts(&g, "unset key\nset colorbox user origin screen 0.905,0.2 size screen 0.018,0.6\n");
    sb_printf(&g, "set multiplot layout %d,%d margins 0.1,0.86,%.3f,%.3f spacing 0.07,%.3f title ", rows, cols,
              rows > 1 ? 0.1 : 0.12, 0.9, rows > 1 ? 0.16 : 0.1);
    sb_gpstr(&g, title);
    sb_puts(&g, "\n");
    for (int l = 0; l < m->n_layers; l++) {
        double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY, r[4];
        plot_mi_bounds(m, l, &xmin, &xmax, &ymin, &ymax);
        plot_padded_ranges(r, xmin, xmax, ymin, ymax, 0.0);
        sb_puts(&g, "set title ");
        sb_gpstr(&g, m->layers[l]);
        sb_puts(&g, "\n");
        ranges(&g, r);
        /* small panels: about four tics per axis so the numbers do not run together */
        sb_printf(&g, "set xtics %.6g\nset ytics %.6g\n", nice_step((r[1] - r[0]) / 4), nice_step((r[3] - r[2]) / 4));
        if (l % cols) sb_puts(&g, "unset ylabel\n"); /* the same label once per row */
        else sb_printf(&g, "set ylabel \"I(T;Y) [%s]\"\n", m->unit);
        sb_printf(&g, "plot '%s.dat' index %d using 3:4 with lines lc rgb \"#b4b4b4\" lw 1 notitle, \\\n"
                      "  '%s.dat' index %d using 3:4:2 with points pt 7 ps 0.8 lc palette z notitle, \\\n"
                      "  '%s.dat' index %d every ::0::0 using 3:4 with points pt 6 ps 1.5 lc rgb \"#202020\" notitle\n",
                  base, l, base, l, base, l);
        if (l == 0) sb_puts(&g, "unset colorbox\n"); /* one shared colour bar, drawn with the first panel */
    }
    sb_puts(&g, "unset multiplot\n");
    return plot_render(c, base, NULL, &g, &d, 0);
}

static int fig_animation(plot_ctx *c, const plot_mi *m, const char *run, const char *est_title)
{
    int log_spaced = plot_epochs_log_spaced(m->epochs, m->n_epochs);
    char base[128];
    snprintf(base, sizeof base, "plane_anim_%s", m->estimator);
    sbuf d = {0}, g = {0};
    plane_data(&d, m, log_spaced);
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY, r[4];
    plot_mi_bounds(m, -1, &xmin, &xmax, &ymin, &ymax);
    plot_padded_ranges(r, xmin, xmax, ymin, ymax, 0.12);

    /* At most max_frames frames: the recorded epochs subsampled evenly, first and last kept.
     * (No repeated "hold" frames at the end: libgd's optimized GIF writer warns on frames
     * identical to the previous one.) */
    int max_frames = c->opt->max_frames > 0 ? c->opt->max_frames : 60;
    int want = max_frames < 2 ? 2 : max_frames;
    int n_frames = m->n_epochs < want ? m->n_epochs : want;
    sb_puts(&g, "frames = \"");
    int last = -1;
    for (int f = 0; f < n_frames; f++) {
        int k = n_frames == 1 ? 0 : (int)lround((double)f * (m->n_epochs - 1) / (n_frames - 1));
        if (k == last) continue;
        sb_printf(&g, "%s%d", f ? " " : "", m->epochs[k]);
        last = k;
    }
    sb_puts(&g, "\"\n");
    char title[1024];
    snprintf(title, sizeof title, "Information plane: %s, run %s\n", est_title, run);
    axis_labels(&g, m->unit);
    ranges(&g, r);
    plot_gp_epoch_colourbar(&g, m->epochs[0], m->epochs[m->n_epochs - 1], log_spaced);
    sb_puts(&g, "unset key\n"
                "do for [f = 1:words(frames)] {\n"
                "  E = int(word(frames, f))\n"
                "  set title ");
    sb_gpstr(&g, title);
    sb_puts(&g, " . sprintf(\"epoch %d\", E)\n  plot \\\n");
    sb_printf(&g, "    for [i=0:%d] '%s.dat' index i using ($1 <= E ? $3 : NaN):4 with lines lc rgb \"#b4b4b4\" lw 1, \\\n"
                  "    for [i=0:%d] '%s.dat' index i using ($1 <= E ? $3 : NaN):4:2 with points pt 7 ps 1.1 lc palette z, \\\n"
                  "    for [i=0:%d] '%s.dat' index i using ($1 == E ? $3 : NaN):4:5 with labels left offset char 0.9,0 tc rgb \"#202020\"\n"
                  "}\n",
              m->n_layers - 1, base, m->n_layers - 1, base, m->n_layers - 1, base);
    int delay = 500 / n_frames; /* about five seconds per loop */
    delay = delay < 6 ? 6 : delay > 50 ? 50 : delay;
    return plot_render(c, base, "gif", &g, &d, delay);
}

static int fig_mi_epochs(plot_ctx *c, const plot_mi *m, const char *run, const char *est_title)
{
    int log_spaced = plot_epochs_log_spaced(m->epochs, m->n_epochs);
    char base[128];
    snprintf(base, sizeof base, "mi_epochs_%s", m->estimator);
    sbuf d = {0}, g = {0};
    sb_printf(&d, "# %s MI of every layer against epoch, unit %s\n"
                  "# columns: epoch, epoch + 1 (the log-scale x), I(X;T), I(T;Y); one block per layer\n",
              m->estimator, m->unit);
    for (int l = 0; l < m->n_layers; l++) {
        sb_printf(&d, "%s# ", l ? "\n\n" : "");
        sb_line(&d, m->layers[l]);
        sb_puts(&d, "\n");
        for (int k = 0; k < m->n_epochs; k++) {
            size_t at = (size_t)l * m->n_epochs + k;
            if (isnan(m->i_xt[at]) || isnan(m->i_ty[at])) continue;
            sb_printf(&d, "%d %d %.9g %.9g\n", m->epochs[k], m->epochs[k] + 1, m->i_xt[at], m->i_ty[at]);
        }
    }
    char title[1024];
    snprintf(title, sizeof title, "Mutual information against epoch: %s, run %s", est_title, run);
    plot_gp_epoch_xaxis(&g, m->epochs[0], m->epochs[m->n_epochs - 1], log_spaced);
    sb_puts(&g, "set multiplot layout 1,2 margins 0.1,0.97,0.2,0.86 spacing 0.09,0.1 title ");
    sb_gpstr(&g, title);
    sb_puts(&g, "\n");
    plot_gp_key_bottom(&g);
    const char *col = log_spaced ? "2" : "1";
    for (int panel = 0; panel < 2; panel++) {
        if (panel) sb_puts(&g, "unset key\n"); /* one key for both panels */
        sb_printf(&g, "set title \"%s\"\nset ylabel \"%s [%s]\"\nplot \\\n",
                  panel ? "I(T;Y): information about the labels" : "I(X;T): information about the input",
                  panel ? "I(T;Y)" : "I(X;T)", m->unit);
        for (int l = 0; l < m->n_layers; l++) {
            sb_printf(&g, "  '%s.dat' index %d using %s:%d with linespoints lw 1.6 pt %d ps 0.6 lc rgb \"%s\" title ",
                      base, l, col, panel ? 4 : 3, plot_series_point(l), plot_series_colour(l));
            sb_gpstr(&g, m->layers[l]);
            sb_puts(&g, l + 1 < m->n_layers ? ", \\\n" : "\n");
        }
    }
    sb_puts(&g, "unset multiplot\n");
    return plot_render(c, base, NULL, &g, &d, 0);
}

static int fig_layer_mi(plot_ctx *c, const plot_pairs *p, const char *estimator, const char *run)
{
    int log_spaced = plot_epochs_log_spaced(p->epochs, p->n_epochs);
    char base[128];
    snprintf(base, sizeof base, "layer_mi_%s", estimator);
    sbuf d = {0}, g = {0};
    sb_printf(&d, "# %s MI between layers, unit %s; columns: epoch, epoch + 1, MI; one block per pair\n",
              estimator, p->unit);
    for (int q = 0; q < p->n_pairs; q++) {
        sb_printf(&d, "%s# ", q ? "\n\n" : "");
        sb_line(&d, p->pairs[q]);
        sb_puts(&d, "\n");
        for (int k = 0; k < p->n_epochs; k++) {
            double v = p->mi[(size_t)q * p->n_epochs + k];
            if (!isnan(v)) sb_printf(&d, "%d %d %.9g\n", p->epochs[k], p->epochs[k] + 1, v);
        }
    }
    char title[1024];
    snprintf(title, sizeof title, "Mutual information between neighbouring layers: %s, run %s",
             !strcmp(estimator, "logdet") ? "LogDet" : estimator, run);
    sb_puts(&g, "set title ");
    sb_gpstr(&g, title);
    sb_printf(&g, "\nset ylabel \"I(T_a;T_b) [%s]\"\nset bmargin 6.5\n", p->unit);
    plot_gp_key_bottom(&g);
    plot_gp_epoch_xaxis(&g, p->epochs[0], p->epochs[p->n_epochs - 1], log_spaced);
    sb_puts(&g, "plot \\\n");
    for (int q = 0; q < p->n_pairs; q++) {
        char name[sizeof p->pairs[0] + 8];
        snprintf(name, sizeof name, "I(%s)", p->pairs[q]);
        for (char *sp = strstr(name, " ; "); sp; sp = strstr(name, " ; ")) /* "I(layer1;layer2)" */
            memmove(sp, sp + 2, strlen(sp + 2) + 1), sp[0] = ';';
        sb_printf(&g, "  '%s.dat' index %d using %s:3 with linespoints lw 1.6 pt %d ps 0.6 lc rgb \"%s\" title ",
                  base, q, log_spaced ? "2" : "1", plot_series_point(q), plot_series_colour(q));
        sb_gpstr(&g, name);
        sb_puts(&g, q + 1 < p->n_pairs ? ", \\\n" : "\n");
    }
    return plot_render(c, base, NULL, &g, &d, 0);
}

static int fig_curves(plot_ctx *c, const plot_metrics *mt, const char *run)
{
    sbuf d = {0}, g = {0};
    /* Without a test set (mt->has_test 0) only the training curves are drawn. */
    sb_puts(&d, "# loss and accuracy per epoch (epoch 0 = the initial network)\n");
    sb_puts(&d, mt->has_test ? "# columns: epoch, train loss, train accuracy %, test loss, test accuracy %\n"
                             : "# columns: epoch, train loss, train accuracy % (the run has no test set)\n");
    double acc_min = 100;
    for (int i = 0; i < mt->n; i++) {
        if (mt->has_test) {
            sb_printf(&d, "%d %.9g %.9g %.9g %.9g\n", mt->epoch[i], mt->train_loss[i], 100 * mt->train_acc[i],
                      mt->test_loss[i], 100 * mt->test_acc[i]);
            acc_min = fmin(acc_min, 100 * fmin(mt->train_acc[i], mt->test_acc[i]));
        } else {
            sb_printf(&d, "%d %.9g %.9g\n", mt->epoch[i], mt->train_loss[i], 100 * mt->train_acc[i]);
            acc_min = fmin(acc_min, 100 * mt->train_acc[i]);
        }
    }
    /* the test series, or nothing */
    char test_loss[160] = "", test_acc[160] = "";
    const char *style = mt->n == 1 ? "points pt 7 ps 1.2" : mt->n <= 40 ? "linespoints pt 7 ps 0.5" : "lines";
    if (mt->has_test) {
#define TEST_SERIES ", \\\n     'curves.dat' using 1:%d with %s lw 2 lc rgb \"%s\" title \"test\""
        snprintf(test_loss, sizeof test_loss, TEST_SERIES, 4, style, plot_series_colour(1));
        snprintf(test_acc, sizeof test_acc, TEST_SERIES, 5, style, plot_series_colour(1));
#undef TEST_SERIES
    }
    char title[1024];
    snprintf(title, sizeof title, "Loss and accuracy: run %s (%d epoch%s recorded%s)", run, mt->n,
             mt->n == 1 ? "" : "s", mt->has_test ? "" : ", no test set");
    sb_puts(&g, "set multiplot layout 1,2 margins 0.1,0.97,0.18,0.86 spacing 0.1,0.1 title ");
    sb_gpstr(&g, title);
    sb_puts(&g, "\nset xlabel \"epoch\"\n");
    plot_gp_key_bottom(&g);
    int e0 = mt->epoch[0], e1 = mt->epoch[mt->n - 1];
    if (e1 > e0) sb_printf(&g, "set xrange [%d:%d]\n", e0, e1);
    else sb_printf(&g, "set xrange [%d:%d]\n", e0 - 1, e0 + 1);
    sb_printf(&g, "set title \"Cross-entropy loss\"\nset ylabel \"loss [nats]\"\nset yrange [0:*]\n"
                  "plot 'curves.dat' using 1:2 with %s lw 2 lc rgb \"%s\" title \"train\"%s\nunset key\n",
              style, plot_series_colour(0), test_loss);
    double lo = floor(acc_min / 10) * 10;
    sb_printf(&g, "set title \"Accuracy\"\nset ylabel \"accuracy [%%]\"\nset yrange [%g:100]\n"
                  "plot 'curves.dat' using 1:3 with %s lw 2 lc rgb \"%s\" title \"train\"%s\n"
                  "unset multiplot\n",
              lo >= 100 ? 90 : lo, style, plot_series_colour(0), test_acc);
    return plot_render(c, "curves", NULL, &g, &d, 0);
}

/* ---- choosing what to draw ---- */

static int cmp_names(const void *a, const void *b)
{
    const char *x = a, *y = b;
    if (!strcmp(x, "logdet")) return -1; /* the project's estimator first */
    if (!strcmp(y, "logdet")) return 1;
    return strcmp(x, y);
}

/* Estimators to draw: the requested list, or every analysis/NAME.csv (not NAME_layers.csv, not
 * compression.csv: the compression summary, shown by index.html). */
static int list_estimators(const char *run_dir, const char *requested, char (*names)[PLOT_NAME_LEN], int *n)
{
    *n = 0;
    if (requested && *requested) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", requested);
        char *save = NULL;
        for (char *s = strtok_r(buf, ", ", &save); s && *n < MAX_EST; s = strtok_r(NULL, ", ", &save)) {
            for (const char *q = s; *q; q++)
                if (!(*q == '_' || *q == '-' || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                      (*q >= '0' && *q <= '9')))
                    return ip_fail(IP_ERR, "estimator '%s': expected a name such as logdet or binning", s);
            snprintf(names[(*n)++], PLOT_NAME_LEN, "%s", s);
        }
        return IP_OK;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/analysis", run_dir);
    DIR *dp = opendir(dir);
    if (!dp) return IP_OK; /* no analysis yet: the caller explains */
    struct dirent *e;
    while ((e = readdir(dp)) && *n < MAX_EST) {
        size_t len = strlen(e->d_name);
        if (len < 5 || len >= PLOT_NAME_LEN + 4 || strcmp(e->d_name + len - 4, ".csv")) continue;
        if (len > 11 && !strcmp(e->d_name + len - 11, "_layers.csv")) continue;
        if (!strcmp(e->d_name, "compression.csv")) continue;
        snprintf(names[*n], PLOT_NAME_LEN, "%.*s", (int)(len - 4), e->d_name);
        (*n)++;
    }
    closedir(dp);
    qsort(names, (size_t)*n, sizeof names[0], cmp_names);
    return IP_OK;
}

static void run_name(const char *run_dir, char *out, size_t cap)
{
    char real[PATH_MAX];
    if (!realpath(run_dir, real)) snprintf(real, sizeof real, "%s", run_dir);
    snprintf(out, cap, "%s", basename(real));
}

static unsigned wanted(const ip_plot_options *o) { return o->figures ? o->figures : IP_FIG_ALL; }

/* A safe point between figures: IP_OK, or IP_ERR_INTERRUPTED when a signal asked to stop
 * (core/interrupt.h); index.html, written last, is then left as it was. */
static int go_on(const ip_plot_report *rep)
{
    int sig = ip_interrupt_pending();
    if (!sig) return IP_OK;
    return ip_fail(IP_ERR_INTERRUPTED, "stopped by %s after %d figure%s; index.html is as it was",
                   ip_interrupt_name(sig), rep->n_made, rep->n_made == 1 ? "" : "s");
}

int ip_plot_run(const char *run_dir, const ip_plot_options *opt_in, ip_plot_report *report)
{
    ip_plot_options opt;
    ip_plot_report scratch;
    ip_plot_report *rep = plot_begin(opt_in, &opt, report, &scratch);
    unsigned want = wanted(&opt);

    if (!ip_is_dir(run_dir))
        return ip_fail(IP_ERR_IO, "%s: not a run directory (%s)", run_dir,
                       ip_path_exists(run_dir) ? "not a directory" : "no such directory");
    char name[256], path[PATH_MAX], fig_dir[PATH_MAX], out_dir[PATH_MAX];
    run_name(run_dir, name, sizeof name);
    snprintf(out_dir, sizeof out_dir, "%s", opt.out_dir ? opt.out_dir : run_dir);
    if (snprintf(fig_dir, sizeof fig_dir, "%s/figures", out_dir) >= (int)sizeof fig_dir)
        return ip_fail(IP_ERR_IO, "%s: path too long", out_dir);

    char est[MAX_EST][PLOT_NAME_LEN];
    int n_est = 0, rc = list_estimators(run_dir, opt.estimators, est, &n_est);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/metrics.csv", run_dir);
    int have_metrics = ip_is_file(path);
    int have_any = have_metrics;
    for (int e = 0; e < n_est; e++) {
        char p2[PATH_MAX + 80];
        snprintf(p2, sizeof p2, "%s/analysis/%s.csv", run_dir, est[e]);
        have_any |= ip_is_file(p2);
    }
    if (!have_any)
        return ip_fail(IP_ERR_IO, "%s: no result tables to plot (neither metrics.csv nor analysis/%s.csv): "
                       "is this a run directory? (infoplane run/train writes one; infoplane analyze adds the analysis)",
                       run_dir, n_est ? est[0] : "ESTIMATOR");
    /* An estimator asked for by name must have its table: a misspelt one is refused before any
     * figure or index.html is written, naming the tables there are. */
    for (int e = 0; opt.estimators && *opt.estimators && e < n_est; e++) {
        char p2[PATH_MAX + 80], have[MAX_EST][PLOT_NAME_LEN], names[MAX_EST * (PLOT_NAME_LEN + 2) + 8] = "";
        snprintf(p2, sizeof p2, "%s/analysis/%s.csv", run_dir, est[e]);
        if (ip_is_file(p2)) continue;
        int n_have = 0;
        list_estimators(run_dir, NULL, have, &n_have);
        for (int k = 0; k < n_have; k++) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", k ? ", " : "", have[k]);
        }
        if (!n_have)
            return ip_fail(IP_ERR_IO, "%s: estimator '%s': no results table %s (the run has no analysis results yet: "
                           "run 'infoplane analyze %s/run.h5' first); nothing was plotted",
                           run_dir, est[e], p2, run_dir);
        return ip_fail(IP_ERR_IO, "%s: estimator '%s': no results table %s (the run has results of: %s); nothing was "
                       "plotted", run_dir, est[e], p2, names);
    }

    plot_ctx c;
    rc = plot_ctx_init(&c, &opt, fig_dir, rep);
    if (rc) return rc;

    plot_metrics metrics = {0};
    plot_mi *vars[MAX_EST];  /* every setting of every estimator read */
    int n_vars[MAX_EST];
    const plot_mi *mi_ptr[MAX_EST], *var_ptr[MAX_EST];
    const char *csv_paths[MAX_EST];
    char csv_store[MAX_EST][PATH_MAX];
    int n_mi = 0;
    memset(vars, 0, sizeof vars);

    if (have_metrics) rc = plot_metrics_read(path, &metrics);

    if (!rc && n_est == 0 && (want & (IP_FIG_PLANE | IP_FIG_PLANE_LAYERS | IP_FIG_ANIMATION | IP_FIG_MI_EPOCHS)))
        plot_report_skipped(rep, "information plane, per-layer panels, animation and MI-vs-epoch figures "
                                 "skipped: no analysis results in %s/analysis/ (run 'infoplane analyze %s/run.h5' first)",
                            run_dir, run_dir);
    /* every table first: a malformed one fails before any figure is drawn */
    for (int e = 0; e < n_est && !rc; e++) {
        snprintf(csv_store[n_mi], sizeof csv_store[0], "%s/analysis/%s.csv", run_dir, est[e]);
        if (!ip_is_file(csv_store[n_mi])) {
            plot_report_skipped(rep, "%s figures skipped: %s does not exist (run 'infoplane analyze %s/run.h5 "
                                     "--estimator %s' first)", est[e], csv_store[n_mi], run_dir, est[e]);
            continue;
        }
        rc = plot_mi_read_all(csv_store[n_mi], &vars[n_mi], &n_vars[n_mi]);
        if (rc) break;
        /* the file name is what the user asked for; keep it even if the column says otherwise */
        for (int v = 0; v < n_vars[n_mi]; v++)
            snprintf(vars[n_mi][v].estimator, sizeof vars[n_mi][v].estimator, "%.*s", PLOT_NAME_LEN - 1, est[e]);
        mi_ptr[n_mi] = &vars[n_mi][0];
        var_ptr[n_mi] = vars[n_mi];
        csv_paths[n_mi] = csv_store[n_mi];
        n_mi++;
    }
    /* the estimators side by side, first: the figure the page opens with */
    if (!rc && n_mi >= 2 && (want & IP_FIG_PLANES_ESTIMATORS) && (rc = go_on(rep)) == IP_OK)
        rc = plot_fig_planes_estimators(&c, n_mi, var_ptr, n_vars, name);
    for (int e = 0; e < n_mi && !rc; e++) {
        if ((rc = go_on(rep)) != IP_OK) break;
        const plot_mi *m = mi_ptr[e];
        const char *en = m->estimator;
        if (n_vars[e] > 1) {
            char first[256], figs[512] = "", all[160] = "";
            plot_setting_label(first, sizeof first, m);
            static const unsigned bit[] = {IP_FIG_PLANE_LAYERS, IP_FIG_ANIMATION, IP_FIG_MI_EPOCHS};
            static const char *const fig[] = {"plane_layers", "plane_anim", "mi_epochs"};
            for (int f = 0; f < 3; f++) {
                if (!(want & bit[f]) || (f == 1 && m->n_epochs < 2)) continue;
                size_t len = strlen(figs);
                snprintf(figs + len, sizeof figs - len, "%s%s_%s", len ? ", " : "", fig[f], en);
            }
            if (want & IP_FIG_PLANE) snprintf(all, sizeof all, "; plane_%s shows every setting", en);
            if (figs[0]) /* the figures that show one setting: the first */
                plot_report_skipped(rep, "%s: %d settings in %s; %s show%s the first (%s) only%s", en, n_vars[e],
                                    csv_paths[e], figs, strchr(figs, ',') ? "" : "s", first, all);
            int panels = plot_setting_panels(var_ptr[e], n_vars[e]);
            if ((want & IP_FIG_PLANE) && panels > 9)
                plot_report_skipped(rep, "plane_%s: %d panels for the settings in %s; drew the first 9 (in file order)",
                                    en, panels, csv_paths[e]);
        }
        char et[256];
        plot_estimator_title(et, sizeof et, m);
        if (want & IP_FIG_PLANE)
            rc = n_vars[e] > 1 ? plot_fig_plane_settings(&c, var_ptr[e], n_vars[e], name) : fig_plane(&c, m, name, et);
        if (!rc && (want & IP_FIG_PLANE_LAYERS)) rc = fig_plane_layers(&c, m, name, et);
        if (!rc && (want & IP_FIG_ANIMATION)) {
            if (m->n_epochs > 1) rc = fig_animation(&c, m, name, et);
            else plot_report_skipped(rep, "%s animation skipped: only one recorded epoch (%d)", en, m->epochs[0]);
        }
        if (!rc && (want & IP_FIG_MI_EPOCHS)) rc = fig_mi_epochs(&c, m, name, et);
        char lp[PATH_MAX + 80];
        snprintf(lp, sizeof lp, "%s/analysis/%s_layers.csv", run_dir, en);
        if (!rc && (want & IP_FIG_LAYER_MI) && ip_is_file(lp)) { /* optional table: no note when absent */
            plot_pairs p;
            rc = plot_pairs_read(lp, &p);
            if (!rc) rc = fig_layer_mi(&c, &p, en, name);
            plot_pairs_free(&p);
        }
    }
    /* after the information-plane figures, so the report and the page list those first */
    if (!rc) rc = go_on(rep);
    if (!rc && have_metrics && (want & IP_FIG_CURVES)) rc = fig_curves(&c, &metrics, name);
    else if (!rc && (want & IP_FIG_CURVES))
        plot_report_skipped(rep, "loss/accuracy curves skipped: %s/metrics.csv does not exist (written by "
                                 "infoplane train)", run_dir);
    if (!rc) rc = go_on(rep);
    if (!rc && (want & IP_FIG_HTML))
        rc = plot_html_run(&c, run_dir, out_dir, name, have_metrics ? &metrics : NULL, n_mi, mi_ptr, csv_paths);
    if (rc) ip_error_prefix("plot %s", run_dir);
    plot_metrics_free(&metrics);
    for (int e = 0; e < n_mi; e++) plot_mi_free_all(vars[e], n_vars[e]);
    return rc;
}
