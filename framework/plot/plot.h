/* Figures and the HTML report of training runs, made from their result tables only
 * (metrics.csv, analysis/ESTIMATOR.csv; config.yaml is shown as text): the one module that runs
 * gnuplot.
 * Every figure is saved beside its gnuplot script and data (FIG.gp + FIG.dat), so running
 * `gnuplot FIG.gp` in the figure's directory re-renders it. See docs/plots.md. */
#ifndef IP_PLOT_H
#define IP_PLOT_H

typedef enum { IP_PLOT_PNG = 0, IP_PLOT_PDF, IP_PLOT_SVG } ip_plot_format;
/* The name table of ip_plot_format, NULL-terminated: "png", "pdf", "svg" (core/names.h). */
extern const char *const ip_plot_format_names[];

/* Figure sizes accepted, in pixels, for the width and the height alike (config plot.width and
 * plot.height, `infoplane plot --size`). */
#define IP_PLOT_MIN_SIZE 200
#define IP_PLOT_MAX_SIZE 10000

/* Figure kinds, as bits of ip_plot_options.figures (0 means all of them). */
enum {
    IP_FIG_PLANE = 1 << 0,        /* information plane: every layer, points coloured by epoch */
    IP_FIG_PLANE_LAYERS = 1 << 1, /* the plane with one panel per layer */
    IP_FIG_ANIMATION = 1 << 2,    /* animated GIF of the plane over epochs */
    IP_FIG_CURVES = 1 << 3,       /* loss and accuracy, train and test */
    IP_FIG_MI_EPOCHS = 1 << 4,    /* I(X;T) and I(T;Y) of every layer against epoch */
    IP_FIG_LAYER_MI = 1 << 5,     /* layer-to-layer MI (analysis/ESTIMATOR_layers.csv) */
    IP_FIG_HTML = 1 << 6,         /* index.html showing figures, config, final metrics, analysis */
    IP_FIG_PLANES_ESTIMATORS = 1 << 7, /* planes_estimators: one panel per estimator (2 or more) */
    IP_FIG_ALL = (1 << 8) - 1
};

typedef struct {
    ip_plot_format format;  /* of every figure except the animation, which is always a GIF */
    const char *estimators; /* comma-separated names ("logdet,binning"); NULL = every
                               analysis/NAME.csv present, logdet first */
    const char *out_dir;    /* run: where figures/ and index.html go (NULL = the run directory);
                               compare: where the figures go (NULL = FIRST_RUN/../compare) */
    int width, height;      /* pixels (PDF: hundredths of an inch), IP_PLOT_MIN_SIZE..IP_PLOT_MAX_SIZE;
                               0 = 900 x 700 */
    unsigned figures;       /* IP_FIG_* bits; 0 = all */
    int max_frames;         /* frames of the animation; 0 = 60 */
    double compression_threshold; /* the report marks a layer "compressed" when its I(X;T) fell by
                               more than this fraction after its peak (analysis/compression.csv);
                               the default is estimate/compression.h's, set by cli/ (plot/ sees
                               result tables, not estimators) */
} ip_plot_options;

/* Defaults: PNG, every estimator, 900 x 700, all figures, 60 frames. */
void ip_plot_options_default(ip_plot_options *opt);

/* What a call made and what it could not make. Filled by the calls below (which clear it
 * first); the strings are owned by the struct, which needs no freeing. */
#define IP_PLOT_MAX_ITEMS 48
typedef struct {
    int n_made;
    char made[IP_PLOT_MAX_ITEMS][512];    /* paths of the figures and pages written */
    int n_skipped;
    char skipped[IP_PLOT_MAX_ITEMS][512]; /* "FIGURE skipped: WHY (WHAT TO DO)" */
} ip_plot_report;

/* Render every figure of one run (RUN_DIR/figures/) and RUN_DIR/index.html. Figures whose
 * tables are missing are skipped and listed in report->skipped with the reason; that is not
 * an error as long as the run has at least one result table. An estimator named in
 * opt->estimators whose table is missing is an error, before anything is written (the message
 * lists the estimators the run has results of). Returns IP_OK or a negative
 * status with ip_error_message() set: no gnuplot (names the package), a malformed table
 * (file and line), a gnuplot failure (its stderr). report may be NULL. */
int ip_plot_run(const char *run_dir, const ip_plot_options *opt, ip_plot_report *report);

/* How ip_plot_compare groups its runs; the caller decides (the command line groups runs whose
 * configurations agree apart from the seed). */
typedef struct {
    int n_groups;
    const int *group;         /* group[i] of run i, in 0..n_groups-1; every group has a run */
    const char *const *label; /* label[g]: group g's name in titles, keys and the page (e.g.
                                 "activation: tanh (seeds 1, 2, 3)"; cut at 255 bytes) */
} ip_plot_groups;

/* Figures comparing n >= 2 runs, grouped as `groups` says (NULL: every run a group of its own,
 * named by its directory): a group of several runs is shown as the mean over its runs with a +-1
 * standard deviation band; different groups (e.g. tanh vs relu) are shown side by side on shared
 * axes. Only the first estimator of opt->estimators (default logdet) is compared. Writes
 * compare_*.{png,pdf,svg} and index.html into opt->out_dir (default FIRST_RUN/../compare). */
int ip_plot_compare(int n, const char *const *run_dirs, const ip_plot_groups *groups, const ip_plot_options *opt,
                    ip_plot_report *report);

/* A sweep's runs and grid points, for its figures and page (ip_plot_sweep). Plain data from the
 * caller (framework/sweep/); the numbers come from the sweep's result tables. */
typedef struct {
    const char *name;  /* the run directory's name, under the sweep directory */
    const char *state; /* "done", "running", "failed", "waiting" */
    const char *why;   /* failed: why (or NULL) */
    int point;         /* its grid point */
} ip_plot_sweep_run;

typedef struct {
    const char *title;               /* the sweep file */
    int n_points;
    const char *const *point_names;  /* as aggregate.csv's point column has them */
    const char *const *point_labels; /* "activation: tanh, optimizer: sgd" */
    int n_runs;
    const ip_plot_sweep_run *runs;
    double threshold;                /* of the compression counts */
    const char *note;                /* shown on the page when not NULL or "" */
} ip_plot_sweep_info;

/* A sweep's figures from SWEEP_DIR/aggregate/aggregate.csv, for every estimator setting: the
 * information plane with one panel per grid point on shared axes (the median over the seeds per
 * layer and epoch, the interquartile range as bars), and I(X;T) and I(T;Y) against epoch (the
 * median as a line, the interquartile range as a band), into SWEEP_DIR/figures/; then
 * SWEEP_DIR/index.html with the runs (state, link to each run's index.html), the figures and the
 * compression counts (SWEEP_DIR/aggregate/compression.csv) when present. Without aggregate.csv
 * only the page is made. Errors as ip_plot_run's. */
int ip_plot_sweep(const char *sweep_dir, const ip_plot_sweep_info *info, const ip_plot_options *opt,
                  ip_plot_report *report);

/* The gnuplot program that would be run: $IP_GNUPLOT if set (a path or a name looked up in
 * PATH), else "gnuplot" in PATH. Fails with a message naming the Debian package to install. */
int ip_plot_find_gnuplot(char *path, unsigned long cap);

/* ---- the report of a run in progress (`infoplane run` analysing while training) ----
 * RUN_DIR/index.html as a page that reloads itself every few seconds, showing the information
 * plane of RUN_DIR/analysis/ESTIMATOR.csv as the table is on disk (redrawn at most every 5 s, by
 * one gnuplot at a time that nobody waits for), with the metrics so far. The figures go to
 * RUN_DIR/figures/live/plane_ESTIMATOR.vN.png, N counting up: each is complete before the page
 * names it, so a browser shows what is on disk, never a cached or half-written file. */
typedef struct ip_plot_live ip_plot_live;

/* Writes the first page (no figure yet). Without gnuplot the page says so and has no figure.
 * opt: the figure size (format and figures are ignored: PNG); NULL for the defaults. On success
 * *l is the caller's, released with ip_plot_live_free; IP_ERR_IO when the page cannot be written. */
int ip_plot_live_create(ip_plot_live **l, const char *run_dir, const char *estimator, const ip_plot_options *opt);

/* Call after the table was rewritten. Never waits: publishes a finished figure (and rewrites the
 * page), and starts a new one when none is running and 5 s have passed since the last start.
 * A failure is noted on the page and returned (the run may go on: a live figure is a view). */
int ip_plot_live_update(ip_plot_live *l);

/* The run is over: stops a figure in flight. When index.html is no longer the live page (the
 * final report replaced it) the live figures are removed; when it still is (the run stopped or
 * failed before its report), it is rewritten without reloading, keeping the newest figure.
 * Frees l; safe on NULL. */
void ip_plot_live_free(ip_plot_live *l);

/* ---- the information plane as text (the live view of `infoplane run` on a terminal) ---- */
typedef struct {
    int width, height; /* the grid in characters, 16..200 x 4..100 (0: 64 x 16) */
    const char *title; /* the first line (NULL: none) */
    const char *unit;  /* "bits" or "nats", in the axis names (NULL: none) */
    int ansi;          /* 1: each layer's newest point in bold reverse video (a terminal); 0: plain text */
} ip_plot_text_options;

/* Render a results table's rows as lines of text into buf (cap bytes, NUL-terminated, every line
 * ending in '\n'): row k is rows[k * stride + 0..3] = epoch, layer (1, 2, ...), I(X;T), I(T;Y)
 * (the layout of analysis/NAME.csv and of estimate/results.h's rows; stride >= 4), n rows.
 * The lines: the title; "I(T;Y) [unit]"; `height` grid rows, each "LABEL |" and `width` cells,
 * I(T;Y) rising upwards, ticks at the top, middle and bottom rows; a "+----" axis; the I(X;T)
 * ticks (minimum, middle, maximum) under the first, middle and last columns; the legend and
 * "I(X;T) [unit]". A point is drawn as its layer's number (1..9, then a..z), later rows on top of
 * earlier ones and each layer's newest epoch on top of all. The axes span the points (a zero span
 * becomes a unit one); rows with a NaN or infinite value or a layer below 1 are skipped; no rows:
 * an empty grid on [0, 1] saying "no analysed epoch yet". Returns the number of lines, or -1 (buf
 * then "") when buf is too small, the sizes are out of range or memory runs out. Allocates
 * nothing that outlives the call; buf is the caller's. */
int ip_plot_text_plane(char *buf, unsigned long cap, const double *rows, int n, int stride,
                       const ip_plot_text_options *opt);

#endif
