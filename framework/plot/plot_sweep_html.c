/* SWEEP_DIR/index.html: the sweep on one page. Its runs by grid point with their state and a
 * link to each run's own report, the comparison figures, and the compression counts of
 * aggregate/compression.csv as a table; relative links only, so the directory can be moved. */
#include "plot_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/fsutil.h"
#include "core/status.h"

static void runs_table(sbuf *b, const char *sweep_dir, const ip_plot_sweep_info *info)
{
    sb_puts(b, "<h2>Runs</h2>\n<table>\n<tr><th class=\"l\">grid point</th><th class=\"l\">runs (each links to its "
               "report)</th></tr>\n");
    for (int g = 0; g < info->n_points; g++) {
        sb_puts(b, "<tr><td class=\"l\">");
        sb_html(b, info->point_labels[g]);
        sb_puts(b, "</td><td class=\"l\">");
        for (int i = 0, first = 1; i < info->n_runs; i++) {
            const ip_plot_sweep_run *r = &info->runs[i];
            if (r->point != g) continue;
            char idx[PATH_MAX];
            snprintf(idx, sizeof idx, "%s/%s/index.html", sweep_dir, r->name);
            sb_puts(b, first ? "" : "<br>");
            first = 0;
            if (ip_is_file(idx)) {
                sb_puts(b, "<a href=\"");
                sb_html(b, r->name);
                sb_puts(b, "/index.html\">");
                sb_html(b, r->name);
                sb_puts(b, "</a>");
            } else {
                sb_html(b, r->name);
            }
            if (strcmp(r->state, "done")) {
                sb_puts(b, " <em>(");
                sb_html(b, r->state);
                if (r->why && *r->why) {
                    sb_puts(b, ": ");
                    sb_html(b, r->why);
                }
                sb_puts(b, ")</em>");
            }
        }
        sb_puts(b, "</td></tr>\n");
    }
    sb_puts(b, "</table>\n");
}

/* aggregate/compression.csv as a table: a row per grid point, setting and layer. */
static void compression_table(sbuf *b, const char *sweep_dir, const ip_plot_sweep_info *info)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/aggregate/compression.csv", sweep_dir);
    sb_puts(b, "<h2>Compression</h2>\n");
    ip_csv t;
    if (!ip_is_file(path) || ip_csv_read(&t, path, IP_CSV_HEADER) != IP_OK) {
        ip_error_clear();
        sb_puts(b, "<p>No compression counts: the runs have no <code>analysis/compression.csv</code>.</p>\n");
        return;
    }
    static const char *const need[] = {"point", "estimator", "mode", "beta", "layer", "runs", "compressed",
                                       "ixt_drop_median"};
    int c[8], ok = 1;
    for (int k = 0; k < 8; k++) ok &= (c[k] = ip_csv_column(&t, need[k])) >= 0;
    if (ok) {
        sb_printf(b, "<p>A run counts as compressed in a layer when its I(X;T) fell after its peak by more than "
                     "%g of the peak: <code>ixt_drop = (peak - final) / |peak|</code> &gt; %g "
                     "(<a href=\"aggregate/compression.csv\">compression.csv</a>).</p>\n<table>\n<tr><th class=\"l\">"
                     "grid point</th><th class=\"l\">estimator</th><th class=\"l\">layer</th><th>compressed</th>"
                     "<th>median drop</th></tr>\n", info->threshold, info->threshold);
        for (int r = 0; r < t.n_rows; r++) {
            const char *pt = ip_csv_cell(&t, r, c[0]);
            sb_puts(b, "<tr><td class=\"l\">");
            int g = 0;
            while (g < info->n_points && strcmp(info->point_names[g], pt)) g++;
            sb_html(b, g < info->n_points ? info->point_labels[g] : pt);
            plot_mi id;
            memset(&id, 0, sizeof id);
            snprintf(id.estimator, sizeof id.estimator, "%s", ip_csv_cell(&t, r, c[1]));
            snprintf(id.mode, sizeof id.mode, "%s", ip_csv_cell(&t, r, c[2]));
            id.beta = strtod(ip_csv_cell(&t, r, c[3]), NULL);
            char title[256];
            plot_estimator_title(title, sizeof title, &id);
            sb_puts(b, "</td><td class=\"l\">");
            sb_html(b, title);
            sb_puts(b, "</td><td class=\"l\">");
            sb_html(b, ip_csv_cell(&t, r, c[4]));
            sb_puts(b, "</td><td>");
            sb_html(b, ip_csv_cell(&t, r, c[6]));
            sb_puts(b, " of ");
            sb_html(b, ip_csv_cell(&t, r, c[5]));
            char *end; /* 3 digits are what a reader compares; compression.csv keeps all of them */
            double drop = strtod(ip_csv_cell(&t, r, c[7]), &end);
            sb_puts(b, "</td><td>");
            if (*end || end == ip_csv_cell(&t, r, c[7])) sb_html(b, ip_csv_cell(&t, r, c[7]));
            else sb_printf(b, "%.3g", drop);
            sb_puts(b, "</td></tr>\n");
        }
        sb_puts(b, "</table>\n");
    } else {
        sb_puts(b, "<p><a href=\"aggregate/compression.csv\">compression.csv</a> has other columns than expected.</p>\n");
    }
    ip_csv_free(&t);
}

int plot_html_sweep(plot_ctx *c, const char *sweep_dir, const ip_plot_sweep_info *info, char (*figs)[192], int n_figs,
                    char (*captions)[512])
{
    sbuf b = {0};
    char title[PATH_MAX + 32];
    int count[4] = {0, 0, 0, 0};
    static const char *const states[] = {"done", "running", "failed", "waiting"};
    for (int i = 0; i < info->n_runs; i++)
        for (int k = 0; k < 4; k++) count[k] += !strcmp(info->runs[i].state, states[k]);
    snprintf(title, sizeof title, "infoplane sweep: %s", info->title);
    plot_html_head(&b, title);
    sb_puts(&b, "<h1>Sweep ");
    sb_html(&b, info->title);
    sb_printf(&b, "</h1>\n<p class=\"meta\">%d runs in %d grid point%s: %d done, %d running, %d failed, %d waiting. "
                  "Tables: <a href=\"aggregate/aggregate.csv\">aggregate.csv</a> (median, mean, quartiles, "
                  "extremes over the seeds), <a href=\"aggregate/results.csv\">results.csv</a> (every run's "
                  "rows).</p>\n",
              info->n_runs, info->n_points, info->n_points == 1 ? "" : "s", count[0], count[1], count[2], count[3]);
    if (info->note && *info->note) {
        sb_puts(&b, "<p class=\"note\">");
        sb_html(&b, info->note);
        sb_puts(&b, "</p>\n");
    }
    runs_table(&b, sweep_dir, info);
    sb_puts(&b, "<h2>Figures</h2>\n");
    for (int i = 0; i < c->rep->n_skipped; i++) {
        sb_puts(&b, "<p class=\"note\">");
        sb_html(&b, c->rep->skipped[i]);
        sb_puts(&b, "</p>\n");
    }
    for (int i = 0; i < n_figs; i++) {
        const char *ext = strrchr(figs[i], '.');
        char stem[128];
        snprintf(stem, sizeof stem, "%.*s", ext ? (int)(ext - figs[i]) : (int)strlen(figs[i]), figs[i]);
        sb_puts(&b, "<figure>\n<a href=\"figures/");
        sb_html(&b, figs[i]);
        if (ext && !strcmp(ext, ".pdf")) {
            sb_puts(&b, "\">");
            sb_html(&b, figs[i]);
            sb_puts(&b, "</a> (PDF)\n");
        } else {
            sb_puts(&b, "\"><img src=\"figures/");
            sb_html(&b, figs[i]);
            sb_puts(&b, "\" alt=\"");
            sb_html(&b, stem);
            sb_puts(&b, "\"></a>\n");
        }
        sb_puts(&b, "<figcaption>");
        sb_html(&b, captions[i]);
        sb_puts(&b, " <a href=\"figures/");
        sb_html(&b, stem);
        sb_puts(&b, ".gp\">gnuplot script</a>, <a href=\"figures/");
        sb_html(&b, stem);
        sb_puts(&b, ".dat\">data</a>.</figcaption>\n</figure>\n");
    }
    if (!n_figs) sb_puts(&b, "<p>No figures yet.</p>\n");
    compression_table(&b, sweep_dir, info);
    int rc = plot_html_finish(c, &b, sweep_dir);
    sb_free(&b);
    return rc;
}
