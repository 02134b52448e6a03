/* Figures comparing several runs, grouped as the caller says (plot.h's ip_plot_groups): a group
 * is drawn as the mean over its runs with a +-1 standard deviation spread; different groups
 * (tanh vs relu, say) are drawn side by side on shared axes so they can be compared by eye.
 * Reads the same result tables as the single-run figures, nothing else. */
#include "plot_internal.h"

#include "core/fsutil.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/status.h"

#define MAX_RUNS 64

typedef struct {
    char name[256];
    plot_mi mi;
    plot_metrics met;
    int has_met;
} run_data;

typedef struct {
    int n_runs, n_epochs;
    int *epochs;
    double *mx, *sx, *my, *sy; /* [layer * n_epochs + k]: mean and sample std over the runs */
    int n_met;                  /* metrics epochs common to the group (0: some run has none) */
    int *met_epochs;
    double *met;                /* [k * 6]: train loss, test loss mean/std, train acc, test acc mean/std */
} group_stats;

/* Check the caller's grouping and copy it into group and label (NULL: a group per run, named
 * by its directory). Returns the number of groups, or a negative status. */
static int take_groups(const ip_plot_groups *g, int n, const run_data *r, int *group, char (*label)[256])
{
    if (!g) {
        for (int i = 0; i < n; i++) group[i] = i, snprintf(label[i], sizeof label[i], "%s", r[i].name);
        return n;
    }
    if (g->n_groups < 1 || g->n_groups > n || !g->group || !g->label)
        return ip_fail(IP_ERR, "%d groups for %d runs", g->n_groups, n);
    for (int q = 0; q < g->n_groups; q++) {
        int members = 0;
        for (int i = 0; i < n; i++) members += g->group[i] == q;
        if (!members) return ip_fail(IP_ERR, "group %d has no run", q);
        snprintf(label[q], sizeof label[q], "%s", g->label[q] ? g->label[q] : "");
    }
    for (int i = 0; i < n; i++) {
        if (g->group[i] < 0 || g->group[i] >= g->n_groups)
            return ip_fail(IP_ERR, "run %d is in group %d, but there are %d groups", i, g->group[i], g->n_groups);
        group[i] = g->group[i];
    }
    return g->n_groups;
}

static int find_epoch(const int *e, int n, int v)
{
    for (int i = 0; i < n; i++)
        if (e[i] == v) return i;
    return -1;
}

static void group_free(group_stats *s)
{
    free(s->epochs);
    free(s->mx);
    free(s->met_epochs);
    free(s->met);
    memset(s, 0, sizeof *s);
}

/* Mean and std over the group's runs at the epochs every run recorded. Layers follow run 0. */
static int group_compute(group_stats *s, const run_data *r, const int *group, int n, int g, const plot_mi *ref)
{
    memset(s, 0, sizeof *s);
    int first = 0;
    while (group[first] != g) first++;
    const plot_mi *m0 = &r[first].mi;
    s->epochs = ip_malloc((size_t)m0->n_epochs * sizeof *s->epochs);
    if (!s->epochs) return IP_ERR_NOMEM;
    for (int k = 0; k < m0->n_epochs; k++) {
        int all = 1;
        for (int i = 0; i < n && all; i++)
            if (group[i] == g) all = find_epoch(r[i].mi.epochs, r[i].mi.n_epochs, m0->epochs[k]) >= 0;
        if (all) s->epochs[s->n_epochs++] = m0->epochs[k];
    }
    if (!s->n_epochs) return ip_fail(IP_ERR_FORMAT, "runs of group '%s' share no recorded epoch", r[first].name);
    for (int i = 0; i < n; i++) s->n_runs += group[i] == g;
    size_t cells = (size_t)ref->n_layers * s->n_epochs;
    s->mx = ip_malloc(4 * cells * sizeof(double));
    if (!s->mx) return IP_ERR_NOMEM;
    s->sx = s->mx + cells, s->my = s->sx + cells, s->sy = s->my + cells;
    for (int l = 0; l < ref->n_layers; l++)
        for (int k = 0; k < s->n_epochs; k++) {
            double sum[2] = {0, 0}, sq[2] = {0, 0};
            int cnt = 0, bad = 0;
            for (int i = 0; i < n; i++) {
                if (group[i] != g) continue;
                const plot_mi *m = &r[i].mi;
                int li = 0;
                while (li < m->n_layers && strcmp(m->layers[li], ref->layers[l])) li++;
                size_t at = (size_t)li * m->n_epochs + (size_t)find_epoch(m->epochs, m->n_epochs, s->epochs[k]);
                double v[2] = {m->i_xt[at], m->i_ty[at]};
                if (isnan(v[0]) || isnan(v[1])) bad = 1;
                for (int j = 0; j < 2; j++) sum[j] += v[j], sq[j] += v[j] * v[j];
                cnt++;
            }
            size_t at = (size_t)l * s->n_epochs + k;
            double mean[2], sd[2];
            for (int j = 0; j < 2; j++) {
                mean[j] = sum[j] / cnt;
                sd[j] = cnt > 1 ? sqrt(fmax(0, (sq[j] - cnt * mean[j] * mean[j]) / (cnt - 1))) : 0;
            }
            s->mx[at] = bad ? NAN : mean[0], s->sx[at] = sd[0];
            s->my[at] = bad ? NAN : mean[1], s->sy[at] = sd[1];
        }
    /* metrics: the epochs every run of the group has */
    int all_met = 1;
    for (int i = 0; i < n; i++)
        if (group[i] == g) all_met &= r[i].has_met;
    if (!all_met) return IP_OK;
    const plot_metrics *q0 = &r[first].met;
    s->met_epochs = ip_malloc((size_t)q0->n * sizeof(int));
    s->met = ip_calloc((size_t)q0->n * 6, sizeof(double));
    if (!s->met_epochs || !s->met) return IP_ERR_NOMEM;
    for (int k = 0; k < q0->n; k++) {
        double v[4][64];
        int cnt = 0;
        for (int i = 0; i < n && cnt >= 0; i++) {
            if (group[i] != g) continue;
            int at = find_epoch(r[i].met.epoch, r[i].met.n, q0->epoch[k]);
            if (at < 0) cnt = -1;
            else if (cnt < 64) {
                v[0][cnt] = r[i].met.train_loss[at], v[1][cnt] = r[i].met.test_loss[at];
                v[2][cnt] = r[i].met.train_acc[at], v[3][cnt] = r[i].met.test_acc[at];
                cnt++;
            }
        }
        if (cnt <= 0) continue;
        double mean[4], sd[4];
        for (int j = 0; j < 4; j++) {
            double sum = 0, sq = 0;
            for (int i = 0; i < cnt; i++) sum += v[j][i];
            mean[j] = sum / cnt;
            for (int i = 0; i < cnt; i++) sq += (v[j][i] - mean[j]) * (v[j][i] - mean[j]);
            sd[j] = cnt > 1 ? sqrt(sq / (cnt - 1)) : 0;
        }
        double *row = s->met + (size_t)s->n_met * 6;
        row[0] = mean[0], row[1] = mean[1], row[2] = sd[1];
        row[3] = 100 * mean[2], row[4] = 100 * mean[3], row[5] = 100 * sd[3];
        s->met_epochs[s->n_met++] = q0->epoch[k];
    }
    return IP_OK;
}

static void layout(int g, int *rows, int *cols)
{
    *cols = g <= 3 ? g : (g + 1) / 2;
    *rows = (g + *cols - 1) / *cols;
}

static int fig_compare_plane(plot_ctx *c, const plot_mi *ref, const group_stats *s, int n_groups,
                             char (*label)[256], const char *est_title, int n_runs)
{
    int log_spaced = plot_epochs_log_spaced(s[0].epochs, s[0].n_epochs), rows, cols;
    layout(n_groups, &rows, &cols);
    char base[128];
    snprintf(base, sizeof base, "compare_plane_%s", ref->estimator);
    sbuf d = {0}, g = {0};
    sb_printf(&d, "# mean information plane per group, unit %s; columns: epoch, colour value, mean I(X;T), "
                  "mean I(T;Y), std I(X;T), std I(T;Y), layer\n# block (index) = group * %d + layer\n",
              ref->unit, ref->n_layers);
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int e0 = s[0].epochs[0], e1 = s[0].epochs[s[0].n_epochs - 1];
    for (int q = 0; q < n_groups; q++) {
        e0 = s[q].epochs[0] < e0 ? s[q].epochs[0] : e0;
        e1 = s[q].epochs[s[q].n_epochs - 1] > e1 ? s[q].epochs[s[q].n_epochs - 1] : e1;
        for (int l = 0; l < ref->n_layers; l++) {
            sb_printf(&d, "%s# group %d, ", q + l ? "\n\n" : "", q);
            sb_line(&d, ref->layers[l]);
            sb_puts(&d, "\n");
            for (int k = 0; k < s[q].n_epochs; k++) {
                size_t at = (size_t)l * s[q].n_epochs + k;
                if (isnan(s[q].mx[at])) continue;
                sb_printf(&d, "%d %.6g %.9g %.9g %.9g %.9g ", s[q].epochs[k], plot_epoch_colour(s[q].epochs[k], log_spaced),
                          s[q].mx[at], s[q].my[at], s[q].sx[at], s[q].sy[at]);
                sb_datstr(&d, ref->layers[l]);
                sb_puts(&d, "\n");
                xmin = fmin(xmin, s[q].mx[at] - s[q].sx[at]), xmax = fmax(xmax, s[q].mx[at] + s[q].sx[at]);
                ymin = fmin(ymin, s[q].my[at] - s[q].sy[at]), ymax = fmax(ymax, s[q].my[at] + s[q].sy[at]);
            }
        }
    }
    double r[4];
    plot_padded_ranges(r, xmin, xmax, ymin, ymax, 0.14);
    r[0] -= 0.08 * (r[1] - r[0]); /* room for labels on the left too */
    if (xmin >= 0 && r[0] < 0) r[0] = 0;
    char title[1024];
    int any_mean = 0;
    for (int q = 0; q < n_groups; q++) any_mean |= s[q].n_runs > 1;
    snprintf(title, sizeof title, "Information plane: %s, %d runs%s%s", est_title, n_runs,
             any_mean ? "\nmean over the runs of a group; error bars = +-1 standard deviation across runs" : "",
             n_groups > 1 ? (any_mean ? "; shared axes" : "\nside by side on shared axes") : "");
    plot_gp_epoch_colourbar(&g, e0, e1, log_spaced);
    sb_printf(&g, "set xlabel \"I(X;T) [%s]\"\nset ylabel \"I(T;Y) [%s]\"\n", ref->unit, ref->unit);
    sb_printf(&g, "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n", r[0], r[1], r[2], r[3]);
    sb_puts(&g, "unset key\nset colorbox user origin screen 0.91,0.2 size screen 0.018,0.55\n");
    sb_printf(&g, "set multiplot layout %d,%d margins 0.1,0.87,0.1,%.3f spacing 0.06,0.12 title ", rows, cols,
              any_mean || n_groups > 1 ? 0.84 : 0.88);
    sb_gpstr(&g, title);
    sb_puts(&g, "\n");
    for (int q = 0; q < n_groups; q++) {
        char pt[512];
        snprintf(pt, sizeof pt, "%s\n%d run%s", label[q], s[q].n_runs, s[q].n_runs == 1 ? "" : "s");
        sb_puts(&g, "unset label\nunset arrow\nset title ");
        sb_gpstr(&g, pt);
        sb_puts(&g, "\n");
        double ex[64], ey[64];
        int nl = ref->n_layers < 64 ? ref->n_layers : 64, left[64];
        int chars = 1;
        for (int l = 0; l < nl; l++) { /* the last mean point and where its label goes */
            double xs[6];
            int found = 0;
            ex[l] = ey[l] = NAN;
            for (int k = s[q].n_epochs - 1; k >= 0 && found < 6; k--) {
                size_t at = (size_t)l * s[q].n_epochs + k;
                if (isnan(s[q].mx[at])) continue;
                if (!found) ex[l] = s[q].mx[at], ey[l] = s[q].my[at];
                xs[5 - found++] = s[q].mx[at];
            }
            left[l] = found > 1 && plot_arrived_left(xs + 6 - found, found, xmax - xmin);
            chars = (int)strlen(ref->layers[l]) > chars ? (int)strlen(ref->layers[l]) : chars;
        }
        double lh, lw;
        plot_label_extent(c, rows, cols, chars, &lh, &lw);
        plot_gp_end_labels(&g, nl, (const char(*)[PLOT_NAME_LEN])ref->layers, ex, ey, left, r, lh, lw);
        if (q % cols) sb_puts(&g, "unset ylabel\n"); /* shared y axis: named once per row */
        else sb_printf(&g, "set ylabel \"I(T;Y) [%s]\"\n", ref->unit);
        sb_puts(&g, "plot \\\n");
        for (int l = 0; l < ref->n_layers; l++) {
            int blk = q * ref->n_layers + l;
            if (s[q].n_runs > 1)
                sb_printf(&g, "  '%s.dat' index %d using 3:4:5:6 with xyerrorbars pt 0 lw 0.8 lc rgb \"#c4c4c4\" notitle, \\\n",
                          base, blk);
            sb_printf(&g, "  '%s.dat' index %d using 3:4 with lines lc rgb \"#a0a0a0\" lw 1 notitle, \\\n"
                          "  '%s.dat' index %d using 3:4:2 with points pt 7 ps 0.8 lc palette z notitle%s\n",
                      base, blk, base, blk, l + 1 < ref->n_layers ? ", \\" : "");
        }
        if (q == 0) sb_puts(&g, "unset colorbox\n");
    }
    sb_puts(&g, "unset multiplot\n");
    return plot_render(c, base, NULL, &g, &d, 0);
}

static int fig_compare_mi_epochs(plot_ctx *c, const plot_mi *ref, const group_stats *s, int n_groups,
                                 char (*label)[256], const char *est_title)
{
    int log_spaced = plot_epochs_log_spaced(s[0].epochs, s[0].n_epochs);
    char base[128];
    snprintf(base, sizeof base, "compare_mi_epochs_%s", ref->estimator);
    sbuf d = {0}, g = {0};
    sb_printf(&d, "# MI against epoch per group, unit %s; columns: epoch, epoch + 1, mean I(X;T), std, "
                  "mean I(T;Y), std\n# block (index) = group * %d + layer\n", ref->unit, ref->n_layers);
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    int e0 = s[0].epochs[0], e1 = s[0].epochs[0];
    for (int q = 0; q < n_groups; q++)
        for (int l = 0; l < ref->n_layers; l++) {
            sb_printf(&d, "%s# group %d, ", q + l ? "\n\n" : "", q);
            sb_line(&d, ref->layers[l]);
            sb_puts(&d, "\n");
            for (int k = 0; k < s[q].n_epochs; k++) {
                size_t at = (size_t)l * s[q].n_epochs + k;
                if (isnan(s[q].mx[at])) continue;
                sb_printf(&d, "%d %d %.9g %.9g %.9g %.9g\n", s[q].epochs[k], s[q].epochs[k] + 1, s[q].mx[at],
                          s[q].sx[at], s[q].my[at], s[q].sy[at]);
                lo[0] = fmin(lo[0], s[q].mx[at] - s[q].sx[at]), hi[0] = fmax(hi[0], s[q].mx[at] + s[q].sx[at]);
                lo[1] = fmin(lo[1], s[q].my[at] - s[q].sy[at]), hi[1] = fmax(hi[1], s[q].my[at] + s[q].sy[at]);
                e0 = s[q].epochs[k] < e0 ? s[q].epochs[k] : e0;
                e1 = s[q].epochs[k] > e1 ? s[q].epochs[k] : e1;
            }
        }
    char title[1024];
    snprintf(title, sizeof title, "Mutual information against epoch: %s; line = mean over runs, band = +-1 std",
             est_title);
    plot_gp_epoch_xaxis(&g, e0, e1, log_spaced);
    sb_printf(&g, "set multiplot layout 2,%d margins 0.1,0.97,0.1,0.88 spacing 0.08,0.12 title ", n_groups);
    sb_gpstr(&g, title);
    sb_puts(&g, "\nunset key\n");
    for (int row = 0; row < 2; row++)
        for (int q = 0; q < n_groups; q++) {
            double span = hi[row] - lo[row];
            if (!(span > 0)) span = 1;
            sb_printf(&g, "set yrange [%.9g:%.9g]\n", fmax(lo[row] >= 0 ? 0 : -INFINITY, lo[row] - 0.05 * span),
                      hi[row] + 0.05 * span);
            sb_printf(&g, "set ylabel \"%s [%s]\"\n", row ? "I(T;Y)" : "I(X;T)", ref->unit);
            if (row == 0) { /* group names over the top row; the bottom row shares them */
                sb_puts(&g, "unset xlabel\nset title ");
                sb_gpstr(&g, label[q]);
                sb_puts(&g, "\n");
            } else {
                sb_printf(&g, "unset title\nset xlabel \"epoch%s\"\n", log_spaced ? " (log scale)" : "");
            }
            if (row == 1 && q == n_groups - 1) sb_puts(&g, "set key bottom right opaque\n");
            sb_puts(&g, "plot \\\n");
            int col = row ? 5 : 3;
            for (int l = 0; l < ref->n_layers; l++) {
                int blk = q * ref->n_layers + l;
                const char *x = log_spaced ? "2" : "1";
                if (s[q].n_runs > 1)
                    sb_printf(&g, "  '%s.dat' index %d using %s:($%d-$%d):($%d+$%d) with filledcurves fs transparent solid 0.22 noborder fc rgb \"%s\" notitle, \\\n",
                              base, blk, x, col, col + 1, col, col + 1, plot_series_colour(l));
                sb_printf(&g, "  '%s.dat' index %d using %s:%d with lines lw 1.8 lc rgb \"%s\" title ", base, blk, x,
                          col, plot_series_colour(l));
                sb_gpstr(&g, ref->layers[l]);
                sb_puts(&g, l + 1 < ref->n_layers ? ", \\\n" : "\n");
            }
        }
    sb_puts(&g, "unset multiplot\n");
    return plot_render(c, base, NULL, &g, &d, 0);
}

static int fig_compare_curves(plot_ctx *c, const group_stats *s, int n_groups, char (*label)[256])
{
    sbuf d = {0}, g = {0};
    sb_puts(&d, "# loss and accuracy per group (mean over runs); columns: epoch, train loss, test loss, "
                "test loss std, train acc %, test acc %, test acc % std; one block per group\n");
    double acc_lo = 100;
    int e0 = s[0].met_epochs[0], e1 = e0;
    for (int q = 0; q < n_groups; q++) {
        sb_printf(&d, "%s# ", q ? "\n\n" : "");
        sb_line(&d, label[q]);
        sb_puts(&d, "\n");
        for (int k = 0; k < s[q].n_met; k++) {
            const double *row = s[q].met + (size_t)k * 6;
            sb_printf(&d, "%d %.9g %.9g %.9g %.9g %.9g %.9g\n", s[q].met_epochs[k], row[0], row[1], row[2], row[3],
                      row[4], row[5]);
            acc_lo = fmin(acc_lo, fmin(row[3], row[4] - row[5]));
            e0 = s[q].met_epochs[k] < e0 ? s[q].met_epochs[k] : e0;
            e1 = s[q].met_epochs[k] > e1 ? s[q].met_epochs[k] : e1;
        }
    }
    sb_puts(&g, "set multiplot layout 1,2 margins 0.1,0.97,0.22,0.88 spacing 0.1,0.1 title "
                "\"Loss and accuracy per group: test solid (band = +-1 std over runs), train dashed\"\n");
    plot_gp_key_bottom(&g);
    sb_printf(&g, "set xlabel \"epoch\"\nset xrange [%d:%d]\n", e0, e1 > e0 ? e1 : e0 + 1);
    for (int panel = 0; panel < 2; panel++) {
        if (panel) sb_printf(&g, "unset key\nset title \"Accuracy\"\nset ylabel \"accuracy [%%]\"\nset yrange [%g:100]\n",
                             fmin(90, floor(acc_lo / 10) * 10));
        else sb_puts(&g, "set title \"Cross-entropy loss\"\nset ylabel \"loss [nats]\"\nset yrange [0:*]\n");
        sb_puts(&g, "plot \\\n");
        for (int q = 0; q < n_groups; q++) {
            int m = panel ? 6 : 3, tr = panel ? 5 : 2;
            if (s[q].n_runs > 1)
                sb_printf(&g, "  'compare_curves.dat' index %d using 1:($%d-$%d):($%d+$%d) with filledcurves fs transparent solid 0.22 noborder fc rgb \"%s\" notitle, \\\n",
                          q, m, m + 1, m, m + 1, plot_series_colour(q));
            sb_printf(&g, "  'compare_curves.dat' index %d using 1:%d with lines lw 2 lc rgb \"%s\" title ", q, m,
                      plot_series_colour(q));
            sb_gpstr(&g, label[q]);
            sb_printf(&g, ", \\\n  'compare_curves.dat' index %d using 1:%d with lines lw 1.2 dt 2 lc rgb \"%s\" notitle%s\n",
                      q, tr, plot_series_colour(q), q + 1 < n_groups ? ", \\" : "");
        }
    }
    sb_puts(&g, "unset multiplot\n");
    return plot_render(c, "compare_curves", NULL, &g, &d, 0);
}

int ip_plot_compare(int n, const char *const *run_dirs, const ip_plot_groups *groups, const ip_plot_options *opt_in,
                    ip_plot_report *report)
{
    ip_plot_options opt;
    ip_plot_report scratch;
    ip_plot_report *rep = plot_begin(opt_in, &opt, report, &scratch);
    if (n < 2 || n > MAX_RUNS) return ip_fail(IP_ERR, "compare: expected 2 to %d run directories, got %d", MAX_RUNS, n);

    char est[PLOT_NAME_LEN] = "logdet";
    if (opt.estimators && *opt.estimators) snprintf(est, sizeof est, "%.*s", (int)strcspn(opt.estimators, ", "), opt.estimators);
    char out_dir[PATH_MAX];
    if (opt.out_dir) {
        snprintf(out_dir, sizeof out_dir, "%s", opt.out_dir);
    } else {
        char real[PATH_MAX];
        if (!realpath(run_dirs[0], real)) return ip_fail(IP_ERR_IO, "%s: %s", run_dirs[0], strerror(errno));
        if (snprintf(out_dir, sizeof out_dir, "%s/compare", dirname(real)) >= (int)sizeof out_dir)
            return ip_fail(IP_ERR_IO, "%s: path too long", real);
    }

    run_data *r = ip_calloc((size_t)n, sizeof *r);
    int *group = ip_calloc((size_t)n, sizeof *group);
    group_stats *s = ip_calloc((size_t)n, sizeof *s);
    char(*label)[256] = ip_calloc((size_t)n, sizeof *label);
    int rc = (!r || !group || !s || !label) ? IP_ERR_NOMEM : IP_OK, n_groups = 0;
    for (int i = 0; i < n && !rc; i++) {
        char path[PATH_MAX + 80], real[PATH_MAX];
        snprintf(r[i].name, sizeof r[i].name, "%s", realpath(run_dirs[i], real) ? basename(real) : run_dirs[i]);
        snprintf(path, sizeof path, "%s/analysis/%s.csv", run_dirs[i], est);
        if (!ip_is_file(path)) {
            rc = ip_fail(IP_ERR_IO, "%s: no analysis results (%s does not exist): run 'infoplane analyze %s/run.h5' first",
                         run_dirs[i], path, run_dirs[i]);
            break;
        }
        rc = plot_mi_read(path, &r[i].mi);
        if (rc) break;
        snprintf(r[i].mi.estimator, sizeof r[i].mi.estimator, "%s", est);
        snprintf(path, sizeof path, "%s/metrics.csv", run_dirs[i]);
        if (ip_is_file(path)) {
            rc = plot_metrics_read(path, &r[i].met);
            r[i].has_met = !rc;
        }
        if (rc) break;
        /* every run must have the first run's layers and units, or shared axes mean nothing */
        if (strcmp(r[i].mi.unit, r[0].mi.unit)) {
            rc = ip_fail(IP_ERR_FORMAT, "%s is in %s but %s is in %s: cannot share axes", run_dirs[i], r[i].mi.unit,
                         run_dirs[0], r[0].mi.unit);
            break;
        }
        for (int l = 0; l < r[0].mi.n_layers && !rc; l++) {
            int found = 0;
            for (int k = 0; k < r[i].mi.n_layers && !found; k++) found = !strcmp(r[i].mi.layers[k], r[0].mi.layers[l]);
            if (!found)
                rc = ip_fail(IP_ERR_FORMAT, "%s has no layer '%s' (which %s has): compare runs of the same architecture",
                             run_dirs[i], r[0].mi.layers[l], run_dirs[0]);
        }
    }
    if (!rc) {
        n_groups = take_groups(groups, n, r, group, label);
        if (n_groups < 0) rc = n_groups, n_groups = 0;
    }
    plot_ctx c;
    if (!rc) rc = plot_ctx_init(&c, &opt, out_dir, rep);
    for (int q = 0; q < n_groups && !rc; q++) rc = group_compute(&s[q], r, group, n, q, &r[0].mi);
    unsigned want = opt.figures ? opt.figures : IP_FIG_ALL;
    char et[256];
    if (!rc) plot_estimator_title(et, sizeof et, &r[0].mi);
    if (!rc && (want & IP_FIG_PLANE)) rc = fig_compare_plane(&c, &r[0].mi, s, n_groups, label, et, n);
    if (!rc && (want & IP_FIG_MI_EPOCHS)) rc = fig_compare_mi_epochs(&c, &r[0].mi, s, n_groups, label, et);
    if (!rc && (want & IP_FIG_CURVES)) {
        int all = 1, no_test = -1;
        for (int q = 0; q < n_groups; q++) all &= s[q].n_met > 0;
        for (int i = 0; i < n && no_test < 0; i++)
            if (r[i].has_met && !r[i].met.has_test) no_test = i;
        if (all && no_test < 0) rc = fig_compare_curves(&c, s, n_groups, label);
        else if (all)
            plot_report_skipped(rep, "comparison of loss/accuracy skipped: %s has no test set (the figure compares "
                                     "test curves)", run_dirs[no_test]);
        else plot_report_skipped(rep, "comparison of loss/accuracy skipped: some run has no metrics.csv");
    }
    if (!rc && (want & IP_FIG_HTML)) rc = plot_html_compare(&c, n, run_dirs, group, n_groups, label, est);
    if (rc) ip_error_prefix("compare");
    for (int i = 0; r && i < n; i++) {
        plot_mi_free(&r[i].mi);
        plot_metrics_free(&r[i].met);
    }
    for (int q = 0; s && q < n; q++) group_free(&s[q]);
    free(r);
    free(group);
    free(s);
    free(label);
    return rc;
}
