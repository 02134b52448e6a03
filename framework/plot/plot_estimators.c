/* Figures over several settings of an estimator and over several estimators: plane_EST with
 * one panel per setting of analysis/EST.csv (a parameter sweep; KDE: one panel per noise level
 * holding both bounds, the lower one dashed) and planes_estimators, one panel per estimator.
 * Also the words for a setting ("30 bins (range per layer)", "upper bound, s² = 0.1"). */
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/status.h"

#define MAX_PANELS 9
#define MAX_LAYERS 64

const char *plot_estimator_name(const char *e)
{
    return !strcmp(e, "logdet") ? "LogDet"
           : !strcmp(e, "kde")  ? "KDE"
           : !strcmp(e, "knn")  ? "kNN (KSG)"
           : !strcmp(e, "ksg")  ? "KSG"
           : !strcmp(e, "renyi") ? "matrix Rényi"
                                 : e;
}

/* "mode, β = beta", "mode" or "": the label of a setting no estimator below claims. */
static void generic_label(char *out, size_t cap, const plot_mi *t)
{
    if (t->beta > 0 && t->mode[0]) snprintf(out, cap, "%s, β = %g", t->mode, t->beta);
    else snprintf(out, cap, "%s", t->mode);
}

void plot_setting_label(char *out, size_t cap, const plot_mi *t)
{
    const char *e = t->estimator, *m = t->mode;
    double b = t->beta;
    size_t len = strlen(m);
    if (!strcmp(e, "binning") && b > 0) {
        const char *bins = b == 1 ? "bin" : "bins";
        if (!strcmp(m, "layer")) snprintf(out, cap, "%g %s (range per layer)", b, bins);
        else if (!strcmp(m, "unit")) snprintf(out, cap, "%g %s (range per unit)", b, bins);
        else if (!strncmp(m, "fixed[", 6) && m[len - 1] == ']') snprintf(out, cap, "%g %s on %s", b, bins, m + 5);
        else if (!strcmp(m, "width")) snprintf(out, cap, "bin width %g", b);
        else generic_label(out, cap, t);
    } else if (!strcmp(e, "kde") && b > 0 && (!strcmp(m, "upper") || !strcmp(m, "lower"))) {
        snprintf(out, cap, "%s bound, s² = %g", m, b);
    } else if (!strcmp(e, "renyi") && !strncmp(m, "alpha=", 6) && b >= 0) {
        char *end;
        double a = strtod(m + 6, &end);
        if (end == m + 6 || *end) generic_label(out, cap, t);
        else if (b > 0) snprintf(out, cap, "α = %g, σ = %g", a, b);
        else snprintf(out, cap, "α = %g, σ by rule", a);
    } else if (!strcmp(e, "ksg") && !strcmp(m, "ksg1") && b > 0) {
        snprintf(out, cap, "k = %g", b);
    } else {
        generic_label(out, cap, t);
    }
}

void plot_estimator_title(char *out, size_t cap, const plot_mi *t)
{
    char label[256];
    plot_setting_label(label, sizeof label, t);
    if (label[0]) snprintf(out, cap, "%s (%s)", plot_estimator_name(t->estimator), label);
    else snprintf(out, cap, "%s", plot_estimator_name(t->estimator));
}

/* ---- panels: which variants go together ---- */

typedef struct {
    char title[320];
    const plot_mi *solid, *dashed; /* dashed: KDE's lower bound beside its upper one, or NULL */
} panel;

static int is_kde(const plot_mi *v) { return !strcmp(v->estimator, "kde"); }

/* The panels of one table's variants, at most `cap`; returns how many there would be. KDE:
 * one per noise level (the upper bound solid, the lower dashed); otherwise one per variant. */
static int setting_panels(const plot_mi *v, int nv, panel *p, int cap)
{
    int n = 0;
    char *used = ip_calloc((size_t)nv + 1, 1);
    if (!used) return 0;
    for (int i = 0; i < nv; i++) {
        if (used[i]) continue;
        used[i] = 1;
        const plot_mi *solid = &v[i], *dashed = NULL;
        int bound = is_kde(solid) && (!strcmp(solid->mode, "upper") || !strcmp(solid->mode, "lower"));
        for (int j = i + 1; bound && j < nv && !dashed; j++) {
            if (used[j] || v[j].beta != solid->beta) continue;
            const char *want = !strcmp(solid->mode, "upper") ? "lower" : "upper";
            if (strcmp(v[j].mode, want)) continue;
            used[j] = 1;
            if (!strcmp(want, "upper")) dashed = solid, solid = &v[j];
            else dashed = &v[j];
        }
        if (n < cap) {
            p[n].solid = solid, p[n].dashed = dashed;
            if (dashed) snprintf(p[n].title, sizeof p[n].title, "s² = %g: upper and lower bound", solid->beta);
            else plot_setting_label(p[n].title, sizeof p[n].title, solid);
        }
        n++;
    }
    free(used);
    return n;
}

int plot_setting_panels(const plot_mi *v, int nv) { return setting_panels(v, nv, NULL, 0); }

/* ---- drawing ---- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The distinct epochs of every series of the panels, ascending (colours are shared). */
static int union_epochs(const panel *p, int n, int **out, int *n_out)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) total += (size_t)p[i].solid->n_epochs + (p[i].dashed ? (size_t)p[i].dashed->n_epochs : 0);
    int *e = ip_malloc((total ? total : 1) * sizeof *e), k = 0;
    if (!e) return IP_ERR_NOMEM;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < 2; s++) {
            const plot_mi *m = s ? p[i].dashed : p[i].solid;
            for (int q = 0; m && q < m->n_epochs; q++) e[k++] = m->epochs[q];
        }
    qsort(e, (size_t)k, sizeof *e, cmp_int);
    int u = 0;
    for (int i = 0; i < k; i++)
        if (u == 0 || e[i] != e[u - 1]) e[u++] = e[i];
    *out = e, *n_out = u;
    return IP_OK;
}

/* Index of a layer name in the figure's list of layers (appended when new): its marker. */
static int layer_slot(char (*names)[PLOT_NAME_LEN], int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(names[i], s)) return i;
    if (*n >= MAX_LAYERS) return MAX_LAYERS - 1;
    snprintf(names[*n], PLOT_NAME_LEN, "%s", s);
    return (*n)++;
}

static double nice_step(double raw)
{
    if (!(raw > 0)) return 1;
    double p = pow(10, floor(log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static void panel_range(const panel *p, double r[4])
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    plot_mi_bounds(p->solid, -1, &xmin, &xmax, &ymin, &ymax);
    if (p->dashed) plot_mi_bounds(p->dashed, -1, &xmin, &xmax, &ymin, &ymax);
    plot_padded_ranges(r, xmin, xmax, ymin, ymax, 0.0);
}

/* One series (every layer of one variant) of panel `pi`: its data blocks and plot commands. */
static void series(sbuf *d, sbuf *g, const char *base, int *block, int *cmds, const plot_mi *m, int dashed, int pi,
                   const char *ptitle, char (*layers)[PLOT_NAME_LEN], int *n_layers, int log_spaced)
{
    for (int l = 0; l < m->n_layers; l++) {
        int slot = layer_slot(layers, n_layers, m->layers[l]), pt = plot_series_point(slot) - dashed;
        sb_printf(d, "%s# panel %d (", *block ? "\n\n" : "", pi + 1);
        sb_line(d, ptitle);
        sb_printf(d, ")%s; ", dashed ? ", lower bound" : "");
        sb_line(d, m->layers[l]);
        sb_puts(d, "\n");
        for (int k = 0; k < m->n_epochs; k++) {
            size_t at = (size_t)l * m->n_epochs + k;
            if (isnan(m->i_xt[at]) || isnan(m->i_ty[at])) continue;
            sb_printf(d, "%d %.6g %.9g %.9g ", m->epochs[k], plot_epoch_colour(m->epochs[k], log_spaced), m->i_xt[at],
                      m->i_ty[at]);
            sb_datstr(d, m->layers[l]);
            sb_puts(d, "\n");
        }
        /* grey line in time order (dashed: the lower bound), points coloured by epoch (open
         * markers for the lower bound), the first recorded point circled */
        sb_printf(g, "%s  '%s.dat' index %d using 3:4 with lines lc rgb \"%s\" lw 1 dt %d notitle, \\\n"
                     "  '%s.dat' index %d using 3:4:2 with points pt %d ps 0.8 lc palette z notitle, \\\n"
                     "  '%s.dat' index %d every ::0::0 using 3:4 with points pt 6 ps 1.5 lc rgb \"#202020\" notitle",
                  (*cmds)++ ? ", \\\n" : "", base, *block, dashed ? "#707070" : "#b4b4b4", dashed ? 2 : 1, base, *block,
                  pt, base, *block);
        (*block)++;
    }
}

/* A grid of information-plane panels sharing the epoch colours; shared = one axis range for
 * all (the same quantity under different parameters), else each panel on its own. */
static int fig_panels(plot_ctx *c, const char *base, const char *title, const panel *p, int n, int shared)
{
    int *ep = NULL, n_ep = 0, rows, cols, rc = union_epochs(p, n, &ep, &n_ep);
    if (rc) return rc;
    int log_spaced = plot_epochs_log_spaced(ep, n_ep), first = ep[0], last = ep[n_ep - 1], any_dashed = 0;
    free(ep);
    plot_panel_layout(n, &rows, &cols);
    double all[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    int same_unit = 1;
    for (int i = 0; i < n; i++) {
        plot_mi_bounds(p[i].solid, -1, &all[0], &all[1], &all[2], &all[3]);
        if (p[i].dashed) plot_mi_bounds(p[i].dashed, -1, &all[0], &all[1], &all[2], &all[3]), any_dashed = 1;
        same_unit &= !strcmp(p[i].solid->unit, p[0].solid->unit);
    }
    double shared_r[4];
    plot_padded_ranges(shared_r, all[0], all[1], all[2], all[3], 0.0);

    char layers[MAX_LAYERS][PLOT_NAME_LEN]; /* every layer of the figure, for the one key */
    int n_layers = 0, block = 0;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < 2; s++) {
            const plot_mi *m = s ? p[i].dashed : p[i].solid;
            for (int l = 0; m && l < m->n_layers; l++) layer_slot(layers, &n_layers, m->layers[l]);
        }
    sbuf d = {0}, g = {0};
    sb_printf(&d, "# %s: information planes, one panel per %s; columns: epoch, colour value (%s), I(X;T), I(T;Y), "
                  "layer\n# one block per panel, bound and layer (gnuplot index 0, 1, ...), separated by two blank "
                  "lines\n",
              base, shared ? "setting" : "estimator", log_spaced ? "log10(epoch + 1)" : "epoch");
    plot_gp_epoch_colourbar(&g, first, last, log_spaced);
    sb_puts(&g, "set colorbox user origin screen 0.905,0.22 size screen 0.018,0.6\n");
    sb_puts(&g, "unset key\n"); /* one key for the figure, drawn last across the bottom */
    int entries = n_layers + 1 + 2 * any_dashed, key_rows = entries <= 6 ? 2 : 3;
    sb_printf(&g, "set multiplot layout %d,%d margins 0.09,0.86,%.3f,%.3f spacing %.3f,%.3f title ", rows, cols,
              (rows > 1 ? 0.19 : 0.22) + 0.03 * (key_rows - 2), (rows > 1 ? 0.86 : 0.85) - (shared ? 0 : 0.03), shared && same_unit ? 0.05 : 0.085,
              rows > 1 ? (same_unit ? 0.11 : 0.14) + (shared ? 0 : 0.03) : 0.1);
    sb_gpstr(&g, title);
    sb_puts(&g, "\n");
    for (int i = 0; i < n; i++) {
        const plot_mi *m = p[i].solid;
        double own[4];
        panel_range(&p[i], own);
        const double *r = shared ? shared_r : own;
        sb_puts(&g, "set title ");
        sb_gpstr(&g, p[i].title);
        sb_printf(&g, "\nset xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n", r[0], r[1], r[2], r[3]);
        sb_printf(&g, "set xtics %.6g\nset ytics %.6g\n", nice_step((r[1] - r[0]) / 4), nice_step((r[3] - r[2]) / 4));
        if (same_unit && i + cols < n) sb_puts(&g, "unset xlabel\n"); /* once per column, at the bottom */
        else sb_printf(&g, "set xlabel \"I(X;T) [%s]\"\n", m->unit);
        if (shared && same_unit && i % cols) sb_puts(&g, "unset ylabel\n"); /* once per row on shared axes */
        else sb_printf(&g, "set ylabel \"I(T;Y) [%s]\"\n", m->unit);
        sb_puts(&g, "plot \\\n");
        int cmds = 0;
        series(&d, &g, base, &block, &cmds, m, 0, i, p[i].title, layers, &n_layers, log_spaced);
        if (p[i].dashed) series(&d, &g, base, &block, &cmds, p[i].dashed, 1, i, p[i].title, layers, &n_layers, log_spaced);
        sb_puts(&g, i == 0 ? "\nunset colorbox\n" : "\n"); /* one shared colour bar, with the first panel */
    }
    /* The key: a last plot spanning the canvas bottom, empty but for key entries (a key in a
     * panel is as narrow as the panel): layer markers, the bounds, the circle. */
    sb_printf(&g, "unset title\nunset xlabel\nunset ylabel\nunset border\nunset tics\nunset grid\n"
                  "set key at screen 0.5,0.012 center bottom vertical reverse Left width 1 maxrows %d opaque box "
                  "lc rgb \"#c0c0c0\"\nset lmargin at screen 0.02\nset rmargin at screen 0.98\n"
                  "set bmargin at screen 0.01\nset tmargin at screen 0.1\nset xrange [0:1]\nset yrange [0:1]\n"
                  "plot NaN notitle", key_rows);
    for (int l = 0; l < n_layers; l++) {
        sb_printf(&g, ", \\\n  keyentry with points pt %d ps 1 lc rgb \"#404040\" title ", plot_series_point(l));
        sb_gpstr(&g, layers[l]);
    }
    if (any_dashed) /* beside other estimators' panels: say whose bounds */
        sb_printf(&g, ", \\\n  keyentry with lines lc rgb \"#909090\" lw 1.5 dt 1 title \"%supper bound\""
                      ", \\\n  keyentry with linespoints pt 6 lc rgb \"#606060\" lw 1.5 dt 2 title \"%slower bound\"",
                  shared ? "" : "KDE ", shared ? "" : "KDE ");
    sb_puts(&g, ", \\\n  keyentry with points pt 6 ps 1.5 lc rgb \"#202020\" title \"first recorded epoch\"\n");
    sb_puts(&g, "unset multiplot\n");
    return plot_render(c, base, NULL, &g, &d, 0);
}

/* "5 layers, 47 recorded epochs (0..300)" of a variant. */
static void extent(char *out, size_t cap, const plot_mi *m)
{
    if (m->n_epochs == 1)
        snprintf(out, cap, "%d layers, one recorded epoch (%d)", m->n_layers, m->epochs[0]);
    else
        snprintf(out, cap, "%d layers, %d recorded epochs (%d..%d)", m->n_layers, m->n_epochs, m->epochs[0],
                 m->epochs[m->n_epochs - 1]);
}

int plot_fig_plane_settings(plot_ctx *c, const plot_mi *v, int nv, const char *run)
{
    panel p[MAX_PANELS];
    int total = setting_panels(v, nv, p, MAX_PANELS), n = total < MAX_PANELS ? total : MAX_PANELS;
    if (n == 0) return IP_ERR_NOMEM;
    char base[128], title[1024], ext[128];
    snprintf(base, sizeof base, "plane_%s", v[0].estimator);
    extent(ext, sizeof ext, &v[0]);
    int kde = p[0].dashed != NULL;
    if (total == 1) /* KDE at one noise level: its two bounds in one panel */
        snprintf(title, sizeof title, "Information plane: %s, run %s\n%s; upper bound solid, lower bound dashed",
                 plot_estimator_name(v[0].estimator), run, ext);
    else
        snprintf(title, sizeof title, "Information plane: %s, run %s, %d %s%s\n%s; shared axes: the estimate "
                 "depends on the %s",
                 plot_estimator_name(v[0].estimator), run, total, kde ? "noise levels" : "settings",
                 total > n ? " (the first 9 drawn)" : "", ext, kde ? "noise (lower bound dashed)" : "setting");
    return fig_panels(c, base, title, p, n, 1);
}

int plot_fig_planes_estimators(plot_ctx *c, int n_est, const plot_mi *const *v, const int *nv, const char *run)
{
    panel p[MAX_PANELS];
    int n = 0;
    for (int e = 0; e < n_est && n < MAX_PANELS; e++) {
        if (!setting_panels(v[e], nv[e], &p[n], 1)) continue;
        char label[256];
        if (p[n].dashed) snprintf(label, sizeof label, "s² = %g, upper and lower bound", p[n].solid->beta);
        else plot_setting_label(label, sizeof label, p[n].solid);
        snprintf(p[n].title, sizeof p[n].title, "%s\n%s", plot_estimator_name(v[e][0].estimator), label);
        n++;
    }
    if (n < 2) return IP_OK;
    char title[1024];
    snprintf(title, sizeof title, "Information plane by estimator, run %s: each panel on its own scale\n"
             "(estimated MI depends on the estimator and on its parameter)", run);
    return fig_panels(c, "planes_estimators", title, p, n, 0);
}
