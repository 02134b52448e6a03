/* Shared by the plot module's files only: a growable text buffer, atomic file writes, the
 * gnuplot runner, the result-table readers and the figure context. Not a public interface. */
#ifndef IP_PLOT_INTERNAL_H
#define IP_PLOT_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "plot.h"

/* ---- text buffer: sb_printf appends; after an allocation failure every call is a no-op and
 * sb.failed is set, so builders check once at the end. Release with sb_free. ---- */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_puts(sbuf *b, const char *s);
void sb_html(sbuf *b, const char *s);   /* s with & < > " escaped */
void sb_gpstr(sbuf *b, const char *s);  /* s as an inert single-quoted gnuplot string (script) */
void sb_datstr(sbuf *b, const char *s); /* s as a one-line "..." string column of a data file */
void sb_line(sbuf *b, const char *s);   /* s with control characters as spaces (comment lines) */
void sb_free(sbuf *b);

/* Write `n` bytes to dir/name through a temporary and a rename (ip_write_file_atomic), so a
 * reader never sees a half-written file. */
int plot_write_file(const char *dir, const char *name, const char *data, size_t n);
/* Relative path from directory `from` to `to` (both must exist), e.g. "../run1/index.html". */
int plot_relpath(const char *from, const char *to, char *out, size_t cap);

/* Run `gnuplot -e 'outfile="NAME.partial"' SCRIPT` in `dir`; on exit status 0 and a non-empty
 * output, rename NAME.partial to NAME. Otherwise remove the partial file and fail with
 * gnuplot's stderr in the message. */
int plot_gnuplot_run(const char *gnuplot, const char *dir, const char *script, const char *output);
/* Start `gnuplot -e 'outfile="OUTPUT"' SCRIPT` in `dir` without waiting (stdin, stdout and stderr
 * on /dev/null); *pid is the caller's to reap (waitpid). Fails only when it cannot start. */
int plot_gnuplot_spawn(const char *gnuplot, const char *dir, const char *script, const char *output, pid_t *pid);

/* ---- result tables ---- */
#define PLOT_NAME_LEN 64

typedef struct {
    int n;
    int *epoch;
    double *train_loss, *train_acc, *test_loss, *test_acc, *seconds; /* NaN-free, except: */
    int has_test; /* 0: a run without a test set (no test columns); test_loss and test_acc are NaN */
} plot_metrics;

/* analysis/ESTIMATOR.csv: one (mode, beta) variant (a setting of the estimator: LogDet's mode
 * and beta, binning's range and bin count, KDE's bound and noise, ...), every layer, every
 * recorded epoch. */
typedef struct {
    char estimator[PLOT_NAME_LEN], mode[PLOT_NAME_LEN], unit[16];
    double beta;
    int n_variants;               /* (mode, beta) combinations in the file */
    int n_layers, n_epochs;
    char (*layers)[PLOT_NAME_LEN];/* in order of first appearance */
    int *epochs;                  /* ascending */
    double *i_xt, *i_ty;          /* [layer * n_epochs + k]; NaN where the file has no row */
} plot_mi;

/* analysis/ESTIMATOR_layers.csv: MI between pairs of layers. */
typedef struct {
    char unit[16];
    int n_pairs, n_epochs;
    char (*pairs)[2 * PLOT_NAME_LEN + 8]; /* "layer1 ; layer2" */
    int *epochs;
    double *mi;                   /* [pair * n_epochs + k]; NaN where missing */
} plot_pairs;

int plot_metrics_read(const char *path, plot_metrics *m);
void plot_metrics_free(plot_metrics *m);
/* The first variant of the table. */
int plot_mi_read(const char *path, plot_mi *t);
void plot_mi_free(plot_mi *t);
/* Every variant of the table, one plot_mi per distinct (mode, beta) in file order (each
 * with n_variants = *n); a malformed row of any variant fails naming file and line. Release
 * with plot_mi_free_all. */
int plot_mi_read_all(const char *path, plot_mi **all, int *n);
void plot_mi_free_all(plot_mi *all, int n);
int plot_pairs_read(const char *path, plot_pairs *t);
void plot_pairs_free(plot_pairs *t);

/* ---- figure helpers shared by run and compare figures ---- */
typedef struct {
    const ip_plot_options *opt;
    char gnuplot[PATH_MAX];
    char dir[PATH_MAX];           /* where the figures go */
    const char *ext;              /* "png", "pdf", "svg" */
    int width, height;
    ip_plot_report *rep;
} plot_ctx;

/* Write BASE.dat and BASE.gp (script = terminal + the body in `gp`) into ctx->dir and
 * render BASE.EXT (ext NULL = ctx->ext; "gif" = animated GIF with `gif_delay` 1/100 s).
 * Frees gp and dat (which may be NULL), whatever happens: a figure ends with it. */
int plot_render(plot_ctx *c, const char *base, const char *ext, sbuf *gp, sbuf *dat, int gif_delay);
/* What plot_render writes before it runs gnuplot: BASE.dat and BASE.gp (whose default output is
 * BASE.EXT) in ctx->dir. gp and dat stay the caller's. */
int plot_script_write(plot_ctx *c, const char *base, const char *ext, const sbuf *gp, const sbuf *dat, int gif_delay);
/* The information plane of one table (plane_EST of a run, every layer, points coloured by epoch):
 * its script body into *g and data into *d (both the caller's to free), data file BASE.dat. */
void plot_plane_build(const plot_ctx *c, const plot_mi *m, const char *run, const char *est_title, const char *base,
                      sbuf *g, sbuf *d);

/* The start of every script: encoding, fonts, grid, the viridis palette. */
void plot_gp_style(sbuf *b);
/* A boxed key centred at the bottom of the canvas (below the x label, which a plain
 * `set key below` can overlap); the plot needs a bottom margin that leaves room for it. */
void plot_gp_key_bottom(sbuf *b);
/* Epoch colouring: log10(epoch + 1) when the schedule looks log-spaced, else the epoch. */
int plot_epochs_log_spaced(const int *epochs, int n);
double plot_epoch_colour(int epoch, int log_spaced);
/* `set cbrange`, `set cbtics` and `set cblabel` for epochs first..last. */
void plot_gp_epoch_colourbar(sbuf *b, int first, int last, int log_spaced);
/* Same tics for an x axis holding epoch + 1 on a log scale (or plain epochs). */
void plot_gp_epoch_xaxis(sbuf *b, int first, int last, int log_spaced);
/* Categorical line colour (colour-blind safe) and filled point type of series i. */
const char *plot_series_colour(int i);
int plot_series_point(int i);
/* "LogDet (cov, β = 78400)": the estimator's name and its setting label. */
void plot_estimator_title(char *out, size_t cap, const plot_mi *t);
/* The estimator's display name: "LogDet", "binning", "KDE", "matrix Rényi", "KSG", or the
 * name itself. */
const char *plot_estimator_name(const char *estimator);
/* The setting of a variant in words (docs/plots.md): logdet "cov, β = 78400"; binning "30 bins
 * (range per layer)", "30 bins on [-1:1]", "bin width 0.07"; kde "upper bound, s² = 0.1";
 * renyi "α = 1.01, σ = 2" or "α = 1.01, σ by rule"; ksg "k = 3"; anything else "mode, β = beta"
 * (or "mode" when beta is 0). Empty when the table has no mode. */
void plot_setting_label(char *out, size_t cap, const plot_mi *t);
/* Labels at trajectory end points pushed apart vertically so they do not overlap;
 * xs, ys: end points; left[i]: put label i left of its point (the trajectory arrived from
 * the right, so a label on the right would cover it); range: the panel's axis ranges. */
void plot_gp_end_labels(sbuf *b, int n, const char (*names)[PLOT_NAME_LEN], const double *xs,
                        const double *ys, const int *left, const double range[4], double h, double w);
/* Label height and width (of `chars` characters) as fractions of a panel's plot area, for a
 * canvas split into rows x cols panels. */
void plot_label_extent(const plot_ctx *c, int rows, int cols, int chars, double *h, double *w);
/* Whether a trajectory arrived at its last point moving left clearly (by more than 1% of
 * the axis span `span`): then its end label goes on the left, off the trajectory. */
int plot_arrived_left(const double *x, int n, double span);
/* Axis ranges [xmin xmax ymin ymax] covering the values with a margin (extra room on the
 * right for end labels); a zero span becomes a unit one, so one point still plots. */
void plot_padded_ranges(double range[4], double xmin, double xmax, double ymin, double ymax,
                        double right_extra);

/* Rows x columns of a grid of n panels: 2 -> 1x2, 3 -> 1x3, 4 -> 2x2, 5..9 -> 3 columns. */
void plot_panel_layout(int n, int *rows, int *cols);
/* The I(X;T), I(T;Y) extent of one layer (layer >= 0) or of all (-1), widening the bounds. */
void plot_mi_bounds(const plot_mi *m, int layer, double *xmin, double *xmax, double *ymin, double *ymax);

/* Figures over several variants or estimators (plot_estimators.c). fig_plane_settings:
 * plane_EST with one panel per setting of one table (KDE: a panel per noise level, the lower
 * bound dashed); fig_planes_estimators: planes_estimators, one panel per estimator (its first
 * setting; KDE with its lower bound dashed). v[e], nv[e]: the variants of estimator e. */
int plot_fig_plane_settings(plot_ctx *c, const plot_mi *v, int nv, const char *run);
int plot_fig_planes_estimators(plot_ctx *c, int n_est, const plot_mi *const *v, const int *nv, const char *run);
/* How many panels plane_EST has for these variants (KDE: distinct noise levels). */
int plot_setting_panels(const plot_mi *v, int nv);

void plot_report_made(ip_plot_report *r, const char *dir, const char *name);
void plot_report_skipped(ip_plot_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* index.html of a run / of a comparison (plot_html.c). */
int plot_html_run(plot_ctx *c, const char *run_dir, const char *out_dir, const char *run_name,
                  const plot_metrics *metrics, int n_est, const plot_mi *const *mi,
                  const char *const *est_csv);
int plot_html_compare(plot_ctx *c, int n, const char *const *run_dirs, const int *group,
                      int n_groups, char (*group_label)[256], const char *estimator);

/* The start of every page (doctype, title, the shared CSS, <body>) and its end (the footer, the
 * image-count script), written as DIR/index.html through plot_write_file (plot_html.c). */
void plot_html_head(sbuf *b, const char *title);
int plot_html_finish(plot_ctx *c, sbuf *b, const char *out_dir);

/* The sweep's page (plot_sweep_html.c): its runs, the figures listed in figs[0..n_figs), the
 * compression counts of DIR/aggregate/compression.csv when present. */
int plot_html_sweep(plot_ctx *c, const char *sweep_dir, const ip_plot_sweep_info *info, char (*figs)[192], int n_figs,
                    char (*captions)[512]);

int plot_ctx_init(plot_ctx *c, const ip_plot_options *opt, const char *dir, ip_plot_report *rep);

/* The page of a run in progress (plot_live.c): DIR/index.html with the live figure at fig_rel
 * (relative to the page; NULL: none yet), `caption` under it, `note` (NULL: none) in a box, the
 * metrics so far (NULL: none) and, when refresh > 0, a <meta http-equiv="refresh"> of that many
 * seconds, then marked with PLOT_LIVE_MARK in its head, so the run can tell it from its final report. */
#define PLOT_LIVE_MARK "<meta name=\"generator\" content=\"infoplane live report\">"
int plot_html_live(const char *out_dir, const char *run_name, const char *status, const plot_metrics *metrics,
                   const char *fig_rel, const char *caption, const char *note, int refresh);

/* The start of every public entry point: *opt = *opt_in (defaults when NULL); returns report, or
 * scratch when it is NULL, cleared. */
ip_plot_report *plot_begin(const ip_plot_options *opt_in, ip_plot_options *opt, ip_plot_report *report,
                           ip_plot_report *scratch);

#endif
