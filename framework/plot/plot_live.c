/* The report of a run in progress (see plot.h, ip_plot_live): DIR/index.html reloading itself,
 * showing the information plane drawn from the CSV table as it is on disk. One gnuplot at most
 * runs at a time, started without waiting and reaped at a later update, so the caller (the
 * analysis while training) never waits for a figure. Every finished figure gets a new name
 * (figures/live/plane_EST.vN.png, renamed into place when complete) and the page names the newest,
 * so a browser never shows a cached or half-written one; the one before stays for a page loaded
 * just before, older ones are removed. */
#include "plot_internal.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"

#define REFRESH_SECONDS 3   /* the page reloads itself this often */
#define FIGURE_INTERVAL 5.0 /* seconds between the starts of two renderings, at least */

struct ip_plot_live {
    ip_plot_options opt;
    ip_plot_report rep;
    plot_ctx c;                  /* figures into run_dir/figures/live */
    int have_gnuplot;
    char run_dir[PATH_MAX], name[256], estimator[PLOT_NAME_LEN], base[PLOT_NAME_LEN + 8];
    pid_t pid;                   /* the rendering in flight (0: none) */
    double started;              /* when it started (monotonic seconds; < 0: never) */
    int version;                 /* of the newest finished figure (0: none yet) */
    char pending[640], shown[640]; /* the caption of the figure in flight, of the newest */
    char note[PATH_MAX + 640];   /* why there is no figure, or why the newest is older */
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* figures/live/plane_EST.vN.png, relative to the run directory (or within live/ with rel 0). */
static void figure_name(const ip_plot_live *l, int version, int rel, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s.v%d.png", rel ? "figures/live/" : "", l->base, version);
}

static int write_page(ip_plot_live *l, const char *status, int refresh)
{
    char path[PATH_MAX + 16], fig[PATH_MAX];
    plot_metrics m = {0};
    snprintf(path, sizeof path, "%s/metrics.csv", l->run_dir);
    int have = ip_is_file(path) && plot_metrics_read(path, &m) == IP_OK;
    if (l->version) figure_name(l, l->version, 1, fig, sizeof fig);
    int rc = plot_html_live(l->run_dir, l->name, status, have ? &m : NULL, l->version ? fig : NULL, l->shown,
                            l->note, refresh);
    if (have) plot_metrics_free(&m);
    return rc;
}

int ip_plot_live_create(ip_plot_live **out, const char *run_dir, const char *estimator, const ip_plot_options *opt)
{
    *out = NULL;
    ip_plot_live *l = ip_calloc(1, sizeof *l);
    if (!l) return IP_ERR_NOMEM;
    if (opt) l->opt = *opt;
    else ip_plot_options_default(&l->opt);
    l->opt.format = IP_PLOT_PNG; /* what every browser shows inline */
    l->started = -1;
    snprintf(l->run_dir, sizeof l->run_dir, "%s", run_dir);
    snprintf(l->estimator, sizeof l->estimator, "%s", estimator);
    snprintf(l->base, sizeof l->base, "plane_%s", estimator);
    char real[PATH_MAX];
    if (!realpath(run_dir, real)) snprintf(real, sizeof real, "%s", run_dir);
    snprintf(l->name, sizeof l->name, "%s", basename(real));
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/figures/live", run_dir);
    int rc = plot_ctx_init(&l->c, &l->opt, dir, &l->rep);
    l->have_gnuplot = rc == IP_OK;
    if (rc != IP_OK) snprintf(l->note, sizeof l->note, "No live figure: %s", ip_error_message());
    rc = write_page(l, "Training: the first epochs are being analysed.", REFRESH_SECONDS);
    if (rc != IP_OK) {
        free(l);
        return rc;
    }
    *out = l;
    return IP_OK;
}

/* The rendering in flight, when it has ended (wait: until it has): published or noted. */
static void reap(ip_plot_live *l, int wait)
{
    if (!l->pid) return;
    int status = 0;
    pid_t got;
    while ((got = waitpid(l->pid, &status, wait ? 0 : WNOHANG)) < 0 && errno == EINTR) {}
    if (got == 0) return; /* still running */
    l->pid = 0;
    char partial[PATH_MAX + 96], final_path[2 * PATH_MAX + 8], name[PATH_MAX];
    snprintf(partial, sizeof partial, "%s/%s.partial.png", l->c.dir, l->base);
    struct stat st;
    int ok = got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && stat(partial, &st) == 0 && st.st_size > 0;
    if (!ok) {
        unlink(partial);
        snprintf(l->note, sizeof l->note, "The newest live figure could not be drawn (gnuplot %s %d); run "
                                          "'gnuplot %s.gp' in %s to see why.",
                 got > 0 && WIFEXITED(status) ? "exit status" : "signal",
                 got > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : got > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                 l->base, l->c.dir);
        return;
    }
    figure_name(l, l->version + 1, 0, name, sizeof name);
    snprintf(final_path, sizeof final_path, "%s/%s", l->c.dir, name);
    if (ip_publish_file(partial, final_path) != IP_OK) {
        snprintf(l->note, sizeof l->note, "%s", ip_error_message());
        return;
    }
    l->version++;
    l->note[0] = '\0';
    snprintf(l->shown, sizeof l->shown, "%s", l->pending);
    char status_line[1024];
    snprintf(status_line, sizeof status_line, "Training; this page reloads itself every %d s. Live figure %d: %s.",
             REFRESH_SECONDS, l->version, l->pending);
    write_page(l, status_line, REFRESH_SECONDS);
    if (l->version > 2) { /* the page before may still be loading the one before */
        figure_name(l, l->version - 2, 0, name, sizeof name);
        snprintf(final_path, sizeof final_path, "%s/%s", l->c.dir, name);
        unlink(final_path);
    }
}

/* A new rendering of the table as it is now. */
static int start(ip_plot_live *l)
{
    char csv[PATH_MAX + 80];
    snprintf(csv, sizeof csv, "%s/analysis/%s.csv", l->run_dir, l->estimator);
    if (!ip_is_file(csv)) return IP_OK; /* not written yet */
    plot_mi m;
    int rc = plot_mi_read(csv, &m);
    if (rc != IP_OK) return rc;
    if (m.n_epochs < 1) {
        plot_mi_free(&m);
        return IP_OK;
    }
    char et[256], out[PATH_MAX], script[PATH_MAX];
    plot_estimator_title(et, sizeof et, &m);
    sbuf g = {0}, d = {0};
    plot_plane_build(&l->c, &m, l->name, et, l->base, &g, &d);
    rc = plot_script_write(&l->c, l->base, "png", &g, &d, 0);
    sb_free(&g);
    sb_free(&d);
    snprintf(out, sizeof out, "%s.partial.png", l->base);
    snprintf(script, sizeof script, "%s.gp", l->base);
    if (rc == IP_OK) rc = plot_gnuplot_spawn(l->c.gnuplot, l->c.dir, script, out, &l->pid);
    if (rc == IP_OK)
        snprintf(l->pending, sizeof l->pending, "%s, epochs %d to %d (%d analysed)", et, m.epochs[0],
                 m.epochs[m.n_epochs - 1], m.n_epochs);
    plot_mi_free(&m);
    return rc;
}

int ip_plot_live_update(ip_plot_live *l)
{
    if (!l || !l->have_gnuplot) return IP_OK;
    reap(l, 0);
    double now = now_seconds();
    if (l->pid || (l->started >= 0 && now - l->started < FIGURE_INTERVAL)) return IP_OK;
    int rc = start(l);
    if (l->pid || rc != IP_OK) l->started = now; /* a missing table is looked for again next time */
    if (rc != IP_OK) snprintf(l->note, sizeof l->note, "The live figure could not be drawn: %s", ip_error_message());
    return rc;
}

/* Whether DIR/index.html is still the live page. */
static int page_is_live(const ip_plot_live *l)
{
    char path[PATH_MAX + 16], *text = NULL;
    snprintf(path, sizeof path, "%s/index.html", l->run_dir);
    if (ip_read_file(path, &text, NULL) != IP_OK) return 0;
    int live = strstr(text, PLOT_LIVE_MARK) != NULL;
    free(text);
    return live;
}

void ip_plot_live_free(ip_plot_live *l)
{
    if (!l) return;
    if (l->pid) { /* the run is over: a figure still being drawn is of no use now, and publishing
                   * it would write the live page over the report that may have replaced it */
        kill(l->pid, SIGTERM);
        while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR) {}
        l->pid = 0;
        char partial[PATH_MAX + 96];
        snprintf(partial, sizeof partial, "%s/%s.partial.png", l->c.dir, l->base);
        unlink(partial);
    }
    if (page_is_live(l)) {
        /* The run ended without its report (stopped, or failed): the newest figure stays, without
         * reloading. */
        write_page(l, "This run ended before its report was made (see the terminal for why and how to continue "
                      "it); below is the last live figure.", 0);
    } else if (l->have_gnuplot) {
        /* The report replaced the page: the live figures go. */
        DIR *dp = opendir(l->c.dir);
        struct dirent *e;
        size_t n = strlen(l->base);
        while (dp && (e = readdir(dp))) {
            if (strncmp(e->d_name, l->base, n) || e->d_name[n] != '.') continue;
            char p[PATH_MAX + 300];
            snprintf(p, sizeof p, "%s/%s", l->c.dir, e->d_name);
            unlink(p);
        }
        if (dp) closedir(dp);
        rmdir(l->c.dir);
    }
    free(l);
}
