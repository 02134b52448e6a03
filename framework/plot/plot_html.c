/* index.html for a run and for a comparison: the figures, final metrics, the analysis table
 * and the config, in one self-contained page (relative links, inline CSS) that any browser
 * opens from disk. The small script only records how many images loaded (for the tests);
 * the page reads the same without it. */
#include "plot_internal.h"

#include "core/csv.h"
#include "core/fsutil.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/version.h"

static const char *CSS =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1000px;"
    "padding:0 1em;color:#222;line-height:1.45}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ddd;"
    "padding-bottom:.2em;margin-top:2em}.meta{color:#666;font-size:.9em}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f2f2f2}"
    "td.l,th.l{text-align:left}figure{margin:1.5em 0}figure img{max-width:100%;height:auto;"
    "border:1px solid #e4e4e4}figcaption{font-size:.9em;color:#444;margin-top:.3em}"
    "pre{background:#f7f7f7;border:1px solid #e4e4e4;padding:.8em;overflow:auto;font-size:.88em}"
    ".note{background:#fff6dd;border:1px solid #e8d28a;padding:.6em .9em;border-radius:4px}"
    "nav a{margin-right:1em}";

/* Sets <body data-images-loaded=N data-images-broken=M> once every image has settled. */
static const char *SCRIPT =
    "<script>\nwindow.addEventListener('load', function () {\n"
    "  var ok = 0, bad = 0;\n"
    "  for (var i = 0; i < document.images.length; i++) {\n"
    "    var im = document.images[i];\n"
    "    if (im.complete && im.naturalWidth > 0) ok++; else bad++;\n"
    "  }\n"
    "  document.body.setAttribute('data-images-loaded', ok);\n"
    "  document.body.setAttribute('data-images-broken', bad);\n"
    "});\n</script>\n";

/* The page's head; refresh > 0: it is the live page of a run in progress, reloading itself every
 * `refresh` seconds (PLOT_LIVE_MARK says so). */
static void head_refresh(sbuf *b, const char *title, int refresh)
{
    sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    if (refresh > 0) sb_printf(b, "%s\n<meta http-equiv=\"refresh\" content=\"%d\">\n", PLOT_LIVE_MARK, refresh);
    sb_puts(b, "<title>");
    sb_html(b, title);
    sb_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
}

static void head(sbuf *b, const char *title) { head_refresh(b, title, 0); }

/* The settings in the table of estimator e (0 when unknown). */
static int settings_of(const char *e, int n_est, const plot_mi *const *mi)
{
    for (int i = 0; i < n_est; i++)
        if (!strcmp(mi[i]->estimator, e)) return mi[i]->n_variants;
    return 0;
}

/* What a figure file shows, from its name (FIGURE_ESTIMATOR.EXT); mi: the run's estimators
 * (their first settings; NULL for a comparison). */
static void caption(sbuf *b, const char *file, int n_est, const plot_mi *const *mi)
{
    const char *est = strrchr(file, '_');
    char e[64] = "";
    if (est) snprintf(e, sizeof e, "%.*s", (int)(strcspn(est + 1, ".")), est + 1);
    int settings = settings_of(e, n_est, mi);
    if (!strncmp(file, "planes_estimators", 17))
        sb_puts(b, "The information plane as each estimator sees it, one panel per estimator (its first setting; "
                   "KDE's lower bound dashed), each panel on its own scale: estimated mutual information depends "
                   "on the estimator and on its parameter (binning saturates at log2 of the sample count, LogDet's "
                   "scale follows beta), so compare the shapes of the trajectories, not their values across panels.");
    else if (!strncmp(file, "plane_", 6) && strncmp(file, "plane_layers_", 13) && strncmp(file, "plane_anim_", 11) &&
             settings > 1)
        sb_printf(b, "The information plane (%s estimator) for each of its %d settings in the table, one panel per "
                     "setting%s on shared axes: how the estimate depends on the parameter; colour = epoch, the circled "
                     "point is the first recorded epoch.", e, settings,
                  !strcmp(e, "kde") ? " (KDE: per noise level, upper bound solid, lower bound dashed)" : "");
    else if (!strncmp(file, "curves", 6))
        sb_puts(b, "Loss and accuracy on the training and test sets against epoch (epoch 0 is the initial network).");
    else if (!strncmp(file, "plane_layers_", 13))
        sb_printf(b, "The information plane of every layer in its own panel, on its own scale (%s estimator%s); "
                     "colour = epoch.", e, settings > 1 ? ", its first setting" : "");
    else if (!strncmp(file, "plane_anim_", 11))
        sb_printf(b, "Animation: the information plane (%s%s) growing epoch by epoch.", e,
                  settings > 1 ? ", its first setting" : "");
    else if (!strncmp(file, "plane_", 6))
        sb_printf(b, "The information plane (%s estimator): each layer's trajectory of I(X;T) against I(T;Y); "
                     "points are coloured by epoch (colour bar), the circled point is the first recorded epoch "
                     "and the label marks the last.", e);
    else if (!strncmp(file, "mi_epochs_", 10))
        sb_printf(b, "I(X;T) and I(T;Y) of every layer against epoch (%s%s).", e, settings > 1 ? ", its first setting" : "");
    else if (!strncmp(file, "layer_mi_", 9))
        sb_printf(b, "Mutual information between neighbouring layers against epoch (%s).", e);
    else if (!strncmp(file, "compare_plane", 13))
        sb_puts(b, "Information planes side by side on shared axes; a group of runs that differ only in "
                   "seed is drawn as its mean trajectory with error bars of +-1 standard deviation across runs.");
    else if (!strncmp(file, "compare_mi_epochs", 17))
        sb_puts(b, "I(X;T) and I(T;Y) against epoch per group: mean over the runs, band = +-1 standard deviation.");
    else if (!strncmp(file, "compare_curves", 14))
        sb_puts(b, "Loss and accuracy per group: test (solid, band = +-1 standard deviation over runs) and "
                   "train (dashed) means.");
}

/* The figures of this call (report entries with an image extension under fig_dir), the
 * estimators side by side first. */
static void figures(sbuf *b, const ip_plot_report *rep, const char *fig_dir, const char *rel, int n_est,
                    const plot_mi *const *mi)
{
    int any = 0;
    for (int k = 0; k < 2 * rep->n_made; k++) {
        int i = k % rep->n_made, pass = k / rep->n_made;
        const char *p = rep->made[i], *slash = strrchr(p, '/');
        const char *file = slash ? slash + 1 : p;
        if (strncmp(p, fig_dir, strlen(fig_dir)) || !strchr(file, '.')) continue;
        if (!strncmp(file, "planes_estimators.", 18) != !pass) continue;
        const char *ext = strrchr(file, '.') + 1;
        int img = !strcmp(ext, "png") || !strcmp(ext, "svg") || !strcmp(ext, "gif");
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)(ext - 1 - file), file);
        sb_puts(b, "<figure>\n");
        if (img) {
            sb_printf(b, "<a href=\"%s/", rel);
            sb_html(b, file);
            sb_printf(b, "\"><img src=\"%s/", rel);
            sb_html(b, file);
            sb_puts(b, "\" alt=\"");
            sb_html(b, stem);
            sb_puts(b, "\"></a>\n");
        } else { /* PDF: browsers show it on click; an <img> cannot */
            sb_printf(b, "<p><a href=\"%s/", rel);
            sb_html(b, file);
            sb_puts(b, "\">");
            sb_html(b, file);
            sb_puts(b, "</a> (PDF; plot with --format png or svg for inline pictures)</p>\n");
        }
        sb_puts(b, "<figcaption>");
        caption(b, file, n_est, mi);
        sb_printf(b, " <a href=\"%s/", rel);
        sb_html(b, stem);
        sb_printf(b, ".gp\">gnuplot script</a>, <a href=\"%s/", rel);
        sb_html(b, stem);
        sb_puts(b, ".dat\">data</a>.</figcaption>\n</figure>\n");
        any = 1;
    }
    if (!any) sb_puts(b, "<p>No figures were made.</p>\n");
}

static void skipped(sbuf *b, const ip_plot_report *rep)
{
    if (!rep->n_skipped) return;
    sb_puts(b, "<div class=\"note\"><strong>Not drawn:</strong><ul>\n");
    for (int i = 0; i < rep->n_skipped; i++) {
        sb_puts(b, "<li>");
        sb_html(b, rep->skipped[i]);
        sb_puts(b, "</li>\n");
    }
    sb_puts(b, "</ul></div>\n");
}

/* The final (last_name: or latest) epoch and the one of best test accuracy; a run without a test
 * set has only the final row and no test columns. */
static void metrics_table(sbuf *b, const plot_metrics *m, const char *last_name)
{
    int last = m->n - 1, best = 0;
    for (int i = 1; i < m->n; i++)
        if (m->test_acc[i] > m->test_acc[best]) best = i;
    sb_printf(b, "<table>\n<tr><th class=\"l\"></th><th>epoch</th><th>train loss</th><th>train accuracy</th>"
                 "%s<th>time [s]</th></tr>\n",
              m->has_test ? "<th>test loss</th><th>test accuracy</th>" : "");
    int rows[2] = {last, best};
    const char *names[2] = {last_name, "best test accuracy"};
    for (int k = 0; k < (m->has_test ? 2 : 1); k++) {
        int i = rows[k];
        char test[128] = "";
        if (m->has_test)
            snprintf(test, sizeof test, "<td>%.4f</td><td>%.2f%%</td>", m->test_loss[i], 100 * m->test_acc[i]);
        sb_printf(b, "<tr><td class=\"l\">%s</td><td>%d</td><td>%.4f</td><td>%.2f%%</td>%s<td>%.1f</td></tr>\n",
                  names[k], m->epoch[i], m->train_loss[i], 100 * m->train_acc[i], test, m->seconds[i]);
    }
    sb_puts(b, "</table>\n");
    if (!m->has_test) sb_puts(b, "<p>This run has no test set (data.train_fraction 1, or no test files).</p>\n");
}

static void analysis_table(sbuf *b, const plot_mi *m, const char *csv_rel)
{
    char title[256];
    plot_estimator_title(title, sizeof title, m);
    sb_puts(b, "<h3>");
    sb_html(b, title);
    sb_printf(b, "</h3>\n<p>In %s; %d recorded epochs from %d to %d; full table: <a href=\"", m->unit,
              m->n_epochs, m->epochs[0], m->epochs[m->n_epochs - 1]);
    sb_html(b, csv_rel);
    sb_puts(b, "\">");
    sb_html(b, csv_rel);
    sb_puts(b, "</a>. <em>peak − final</em>: how far I(X;T) fell after its peak (the "
               "<a href=\"#compression\">compression summary</a> gives it relative to the peak, for every setting).");
    if (m->n_variants > 1) {
        char label[256];
        plot_setting_label(label, sizeof label, m);
        sb_printf(b, " The table holds %d settings; below, the first (", m->n_variants);
        sb_html(b, label);
        sb_puts(b, ").");
    }
    sb_puts(b, "</p>\n<table>\n"
               "<tr><th class=\"l\">layer</th><th>I(X;T) first</th><th>I(X;T) peak (epoch)</th>"
               "<th>I(X;T) final</th><th>peak − final</th><th>I(T;Y) first</th><th>I(T;Y) final</th></tr>\n");
    for (int l = 0; l < m->n_layers; l++) {
        const double *x = m->i_xt + (size_t)l * m->n_epochs, *y = m->i_ty + (size_t)l * m->n_epochs;
        int first = -1, last = -1, peak = -1;
        for (int k = 0; k < m->n_epochs; k++) {
            if (isnan(x[k])) continue;
            if (first < 0) first = k;
            last = k;
            if (peak < 0 || x[k] > x[peak]) peak = k;
        }
        sb_puts(b, "<tr><td class=\"l\">");
        sb_html(b, m->layers[l]);
        if (first < 0) {
            sb_puts(b, "</td><td colspan=\"6\">no values</td></tr>\n");
            continue;
        }
        sb_printf(b, "</td><td>%.4g</td><td>%.4g (%d)</td><td>%.4g</td><td>%.3g</td><td>%.4g</td><td>%.4g</td></tr>\n",
                  x[first], x[peak], m->epochs[peak], x[last], x[peak] - x[last], y[first], y[last]);
    }
    sb_puts(b, "</table>\n");
}

/* The compression summary, run_dir/analysis/compression.csv (estimate/results.h: a row per
 * setting and layer), as a table. A missing or unreadable file is a note, not a failure: the
 * page is still worth having. csv_rel: the file as seen from index.html. */
static void compression_table(sbuf *b, const char *run_dir, const char *csv_rel, double threshold)
{
    static const char *const cols[] = {"estimator", "mode",     "beta",           "layer",    "ixt_peak_epoch",
                                       "ixt_peak",  "ixt_final", "ixt_drop",      "ity_peak_epoch", "ity_peak",
                                       "ity_final", "ity_drop",  "unit"};
    enum { N = sizeof cols / sizeof cols[0] };
    char path[PATH_MAX];
    int c[N];
    ip_csv t;
    snprintf(path, sizeof path, "%s/analysis/compression.csv", run_dir);
    sb_puts(b, "<h3 id=\"compression\">Compression</h3>\n");
    if (!ip_is_file(path)) {
        sb_puts(b, "<p>No compression summary (analysis/compression.csv): the run was analysed by an older "
                   "infoplane; <code>infoplane analyze</code> it again.</p>\n");
        return;
    }
    if (ip_csv_read(&t, path, IP_CSV_HEADER) != IP_OK) {
        sb_puts(b, "<p class=\"note\">");
        sb_html(b, ip_error_message());
        sb_puts(b, "</p>\n");
        return;
    }
    for (int k = 0; k < N; k++)
        if ((c[k] = ip_csv_column(&t, cols[k])) < 0) {
            sb_puts(b, "<p class=\"note\">");
            sb_html(b, path);
            sb_printf(b, " has no column %s.</p>\n", cols[k]);
            ip_csv_free(&t);
            return;
        }
    sb_printf(b, "<p>For every estimator setting and layer: the epoch at which the estimate of I(X;T) peaks, the "
                 "peak, its final value and the <em>drop</em> after the peak, (peak − final) / |peak|; the same for "
                 "I(T;Y). A layer is marked <em>compressed</em> when its I(X;T) dropped by more than %g %% of its "
                 "peak. These are estimates, not the true mutual information, and a drop within the estimator's own "
                 "spread (over seeds, over its parameter) means nothing: see docs/compression.md. Table: <a href=\"",
              100 * threshold);
    sb_html(b, csv_rel);
    sb_puts(b, "\">");
    sb_html(b, csv_rel);
    sb_puts(b, "</a>.</p>\n<table>\n<tr><th class=\"l\">estimator</th><th class=\"l\">layer</th>"
               "<th>I(X;T) peak (epoch)</th><th>I(X;T) final</th><th>drop</th><th class=\"l\"></th>"
               "<th>I(T;Y) peak (epoch)</th><th>I(T;Y) final</th><th>drop</th><th class=\"l\">unit</th></tr>\n");
    for (int r = 0; r < t.n_rows; r++) {
        plot_mi m; /* only the names, for the setting's label */
        char title[320];
        memset(&m, 0, sizeof m);
        snprintf(m.estimator, sizeof m.estimator, "%s", ip_csv_cell(&t, r, c[0]));
        snprintf(m.mode, sizeof m.mode, "%s", ip_csv_cell(&t, r, c[1]));
        m.beta = strtod(ip_csv_cell(&t, r, c[2]), NULL);
        plot_estimator_title(title, sizeof title, &m);
        double v[8];
        for (int k = 0; k < 8; k++) v[k] = strtod(ip_csv_cell(&t, r, c[4 + k]), NULL);
        sb_puts(b, "<tr><td class=\"l\">");
        sb_html(b, title);
        sb_puts(b, "</td><td class=\"l\">");
        sb_html(b, ip_csv_cell(&t, r, c[3]));
        sb_printf(b, "</td><td>%.4g (%d)</td><td>%.4g</td><td>%.1f %%</td><td class=\"l\">%s</td>"
                     "<td>%.4g (%d)</td><td>%.4g</td><td>%.1f %%</td><td class=\"l\">",
                  v[1], (int)v[0], v[2], 100 * v[3], v[3] > threshold ? "compressed" : "" /* a NaN drop never counts */,
                  v[5], (int)v[4], v[6], 100 * v[7]);
        sb_html(b, ip_csv_cell(&t, r, c[12]));
        sb_puts(b, "</td></tr>\n");
    }
    sb_puts(b, "</table>\n");
    ip_csv_free(&t);
}

static int finish(plot_ctx *c, sbuf *b, const char *out_dir)
{
    sb_printf(b, "<p class=\"meta\">Made by infoplane %s from the run's result tables. Every figure can be "
                 "re-rendered with <code>gnuplot FIGURE.gp</code> in its directory.</p>\n",
              IP_VERSION);
    sb_puts(b, SCRIPT);
    sb_puts(b, "</body>\n</html>\n");
    if (b->failed) return IP_ERR_NOMEM;
    int rc = plot_write_file(out_dir, "index.html", b->s, b->len);
    if (!rc) plot_report_made(c->rep, out_dir, "index.html");
    return rc;
}

int plot_html_run(plot_ctx *c, const char *run_dir, const char *out_dir, const char *run_name,
                  const plot_metrics *metrics, int n_est, const plot_mi *const *mi, const char *const *est_csv)
{
    sbuf b = {0};
    char title[512], rel[PATH_MAX], path[PATH_MAX];
    snprintf(title, sizeof title, "infoplane run %s", run_name);
    head(&b, title);
    sb_puts(&b, "<h1>Run ");
    sb_html(&b, run_name);
    sb_puts(&b, "</h1>\n<p class=\"meta\">Run directory: <code>");
    sb_html(&b, run_dir);
    sb_puts(&b, "</code></p>\n<nav><a href=\"#metrics\">Final metrics</a><a href=\"#figures\">Figures</a>"
                "<a href=\"#analysis\">Analysis</a><a href=\"#config\">Configuration</a></nav>\n");

    sb_puts(&b, "<h2 id=\"metrics\">Final metrics</h2>\n");
    if (metrics) metrics_table(&b, metrics, "final");
    else sb_puts(&b, "<p>No metrics.csv in this run.</p>\n");

    sb_puts(&b, "<h2 id=\"figures\">Figures</h2>\n");
    skipped(&b, c->rep);
    int rc = plot_relpath(out_dir, c->dir, rel, sizeof rel);
    if (!rc) figures(&b, c->rep, c->dir, rel, n_est, mi);

    sb_puts(&b, "<h2 id=\"analysis\">Analysis</h2>\n");
    if (!n_est)
        sb_puts(&b, "<p>No analysis results yet: run <code>infoplane analyze RUN_DIR/run.h5</code>, then plot again.</p>\n");
    for (int e = 0; e < n_est && !rc; e++) {
        rc = plot_relpath(out_dir, est_csv[e], rel, sizeof rel);
        if (!rc) analysis_table(&b, mi[e], rel);
    }
    if (n_est && !rc) {
        snprintf(path, sizeof path, "%s/analysis", run_dir);
        rc = plot_relpath(out_dir, path, rel, sizeof rel);
        if (!rc && strlen(rel) + 20 < sizeof rel) strcat(rel, "/compression.csv");
        if (!rc) compression_table(&b, run_dir, rel, c->opt->compression_threshold);
    }

    sb_puts(&b, "<h2 id=\"config\">Configuration</h2>\n");
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    char *cfg = NULL;
    if (!rc && ip_is_file(path) && ip_read_file(path, &cfg, NULL) == IP_OK) {
        sb_puts(&b, "<p>config.yaml as run:</p>\n<pre>");
        sb_html(&b, cfg);
        sb_puts(&b, "</pre>\n");
        free(cfg);
    } else if (!rc) {
        sb_puts(&b, "<p>No config.yaml in this run.</p>\n");
    }
    if (!rc) rc = finish(c, &b, out_dir);
    sb_free(&b);
    return rc;
}

int plot_html_live(const char *out_dir, const char *run_name, const char *status, const plot_metrics *metrics,
                   const char *fig_rel, const char *caption, const char *note, int refresh)
{
    sbuf b = {0};
    char title[512];
    snprintf(title, sizeof title, "infoplane run %s%s", run_name, refresh > 0 ? " (in progress)" : "");
    head_refresh(&b, title, refresh);
    sb_puts(&b, "<h1>Run ");
    sb_html(&b, run_name);
    sb_puts(&b, "</h1>\n<p class=\"meta\">");
    sb_html(&b, status);
    sb_puts(&b, "</p>\n");
    if (note && *note) {
        sb_puts(&b, "<div class=\"note\">");
        sb_html(&b, note);
        sb_puts(&b, "</div>\n");
    }
    sb_puts(&b, "<h2 id=\"figures\">Information plane</h2>\n");
    if (fig_rel) {
        sb_puts(&b, "<figure>\n<a href=\"");
        sb_html(&b, fig_rel);
        sb_puts(&b, "\"><img src=\"");
        sb_html(&b, fig_rel);
        sb_puts(&b, "\" alt=\"the information plane so far\"></a>\n<figcaption>");
        sb_html(&b, caption ? caption : "");
        sb_puts(&b, "</figcaption>\n</figure>\n");
    } else {
        sb_puts(&b, "<p>The information plane appears here once the first epochs are analysed.</p>\n");
    }
    sb_puts(&b, "<h2 id=\"metrics\">Metrics so far</h2>\n");
    if (metrics && metrics->n > 0) metrics_table(&b, metrics, "latest");
    else sb_puts(&b, "<p>No metrics yet.</p>\n");
    sb_printf(&b, "<p class=\"meta\">Made by infoplane %s while the run trains; the full report replaces this "
                  "page when the run ends.</p>\n", IP_VERSION);
    sb_puts(&b, SCRIPT);
    sb_puts(&b, "</body>\n</html>\n");
    int rc = b.failed ? IP_ERR_NOMEM : plot_write_file(out_dir, "index.html", b.s, b.len);
    sb_free(&b);
    return rc;
}

int plot_html_compare(plot_ctx *c, int n, const char *const *run_dirs, const int *group, int n_groups,
                      char (*group_label)[256], const char *estimator)
{
    sbuf b = {0};
    char title[256], rel[PATH_MAX];
    snprintf(title, sizeof title, "infoplane: comparison of %d runs", n);
    head(&b, title);
    sb_printf(&b, "<h1>Comparison of %d runs (%s)</h1>\n<h2>Groups</h2>\n<p>Runs whose config.yaml agree "
                  "apart from <code>seed:</code> form a group; a group of several runs is drawn as its mean "
                  "with a +-1 standard deviation spread.</p>\n<table>\n<tr><th class=\"l\">group</th>"
                  "<th class=\"l\">runs</th></tr>\n",
              n, estimator);
    int rc = IP_OK;
    for (int g = 0; g < n_groups && !rc; g++) {
        sb_puts(&b, "<tr><td class=\"l\">");
        sb_html(&b, group_label[g]);
        sb_puts(&b, "</td><td class=\"l\">");
        for (int i = 0, first = 1; i < n && !rc; i++) {
            if (group[i] != g) continue;
            char idx[PATH_MAX + 16], tmp[PATH_MAX];
            snprintf(idx, sizeof idx, "%s/index.html", run_dirs[i]);
            snprintf(tmp, sizeof tmp, "%s", run_dirs[i]);
            if (!first) sb_puts(&b, ", ");
            first = 0;
            if (ip_is_file(idx) && plot_relpath(c->dir, idx, rel, sizeof rel) == IP_OK) {
                sb_puts(&b, "<a href=\"");
                sb_html(&b, rel);
                sb_puts(&b, "\">");
                sb_html(&b, basename(tmp));
                sb_puts(&b, "</a>");
            } else {
                sb_html(&b, basename(tmp));
            }
        }
        sb_puts(&b, "</td></tr>\n");
    }
    sb_puts(&b, "</table>\n<h2>Figures</h2>\n");
    skipped(&b, c->rep);
    figures(&b, c->rep, c->dir, ".", 0, NULL);
    if (!rc) rc = finish(c, &b, c->dir);
    sb_free(&b);
    return rc;
}

/* For the other pages of this module (the sweep's, plot_sweep_html.c): the same head and end. */
void plot_html_head(sbuf *b, const char *title) { head(b, title); }
int plot_html_finish(plot_ctx *c, sbuf *b, const char *out_dir) { return finish(c, b, out_dir); }
