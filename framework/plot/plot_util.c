/* The plot module's plumbing: text buffers, file writes (through core/fsutil), finding and
 * running gnuplot (posix_spawn, exit status and stderr checked), and the styling every figure
 * shares so the figures of a run look like one family. */
#include "plot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/fsutil.h"
#include "core/status.h"

extern char **environ;

/* ---- text buffer ---- */

static int sb_reserve(sbuf *b, size_t extra)
{
    if (b->failed) return 0;
    if (b->len + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) cap *= 2;
    char *s = ip_malloc(cap);
    if (!s) {
        b->failed = 1;
        return 0;
    }
    if (b->s) memcpy(s, b->s, b->len + 1);
    else s[0] = '\0';
    free(b->s);
    b->s = s;
    b->cap = cap;
    return 1;
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sb_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sb_puts(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (!sb_reserve(b, n)) return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void sb_html(sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        default: {
            char c[2] = {*s, 0};
            sb_puts(b, c);
        }
        }
    }
}

void sb_gpstr(sbuf *b, const char *s)
{
    /* A single-quoted gnuplot string is inert: no backslash escapes, no backquote command
     * substitution and no @macro expansion happen inside it (a double-quoted one runs `...`).
     * Only ' itself needs doubling; a line break is spliced in as the expression '..."\n"...',
     * which titles and labels accept; other control characters become spaces. */
    sb_puts(b, "'");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\'') {
            sb_puts(b, "''");
        } else if (ch == '\n') {
            sb_puts(b, "'.\"\\n\".'");
        } else if (ch == '\r') {
            continue;
        } else {
            char c[2] = {ch < 0x20 || ch == 0x7f ? ' ' : (char)ch, 0};
            sb_puts(b, c);
        }
    }
    sb_puts(b, "'");
}

void sb_datstr(sbuf *b, const char *s)
{
    /* A data file's string column: gnuplot reads "..." there without escapes, so a " inside
     * becomes ' and a line break or other control character a space (one row stays one line). */
    sb_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char c[2] = {ch == '"' ? '\'' : ch < 0x20 || ch == 0x7f ? ' ' : (char)ch, 0};
        sb_puts(b, c);
    }
    sb_puts(b, "\"");
}

void sb_line(sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char c[2] = {ch < 0x20 || ch == 0x7f ? ' ' : (char)ch, 0};
        sb_puts(b, c);
    }
}

void sb_free(sbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* ---- files ---- */

int plot_write_file(const char *dir, const char *name, const char *data, size_t n)
{
    char path[2 * PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return ip_fail(IP_ERR_IO, "%s/%s: path too long", dir, name);
    return ip_write_file_atomic(path, data, n);
}

int plot_relpath(const char *from, const char *to, char *out, size_t cap)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(from, a)) return ip_fail(IP_ERR_IO, "%s: %s", from, strerror(errno));
    if (!realpath(to, b)) return ip_fail(IP_ERR_IO, "%s: %s", to, strerror(errno));
    /* the longest common prefix that ends at a component boundary */
    size_t common = 0;
    for (size_t i = 0;; i++) {
        int ea = a[i] == '\0' || a[i] == '/', eb = b[i] == '\0' || b[i] == '/';
        if (ea && eb) common = i;
        if (a[i] != b[i] || !a[i] || !b[i]) break;
    }
    out[0] = '\0';
    size_t len = 0;
    for (const char *s = a + common; *s; s++) /* one ".." per component of `from` left over */
        if (*s == '/' && len + 4 < cap) len += (size_t)snprintf(out + len, cap - len, "../");
    const char *rest = b + common;
    if (*rest == '/') rest++;
    if (len + strlen(rest) + 2 > cap) return ip_fail(IP_ERR_IO, "%s: relative path too long", to);
    snprintf(out + len, cap - len, "%s", *rest ? rest : (len ? "" : "."));
    if (len && !*rest) out[len - 1] = '\0'; /* "../.." rather than "../../" */
    return IP_OK;
}

/* ---- gnuplot ---- */

static int executable(const char *p) { return access(p, X_OK) == 0 && ip_is_file(p); }

int ip_plot_find_gnuplot(char *path, unsigned long cap)
{
    const char *want = getenv("IP_GNUPLOT");
    const char *name = want && *want ? want : "gnuplot";
    if (strchr(name, '/')) {
        if (executable(name) && snprintf(path, cap, "%s", name) < (int)cap) return IP_OK;
    } else {
        const char *env = getenv("PATH");
        char dirs[8192];
        snprintf(dirs, sizeof dirs, "%s", env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            char cand[PATH_MAX];
            snprintf(cand, sizeof cand, "%s/%s", *d ? d : ".", name);
            if (executable(cand) && snprintf(path, cap, "%s", cand) < (int)cap) return IP_OK;
        }
    }
    return ip_fail(IP_ERR, "gnuplot not found (%s%s%s): the figures are drawn by gnuplot; install it "
                   "with 'apt-get install gnuplot-nox' (Debian/Ubuntu) or point IP_GNUPLOT at it",
                   want && *want ? "IP_GNUPLOT=" : "looked for 'gnuplot' in PATH",
                   want && *want ? want : "", want && *want ? " is not an executable" : "");
}

int plot_gnuplot_run(const char *gnuplot, const char *dir, const char *script, const char *output)
{
    char partial[PATH_MAX], expr[PATH_MAX + 32], final_path[2 * PATH_MAX], partial_path[2 * PATH_MAX];
    snprintf(partial, sizeof partial, "%s.partial", output);
    snprintf(expr, sizeof expr, "outfile=\"%s\"", partial);
    snprintf(final_path, sizeof final_path, "%s/%s", dir, output);
    snprintf(partial_path, sizeof partial_path, "%s/%s", dir, partial);

    /* gnuplot's stderr goes to an unlinked temporary file we read back for the message. */
    char errname[] = "/tmp/infoplane-gnuplot-XXXXXX";
    int errfd = mkstemp(errname);
    if (errfd < 0) return ip_fail(IP_ERR_IO, "cannot create a temporary file: %s", strerror(errno));
    unlink(errname);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    posix_spawn_file_actions_addclose(&fa, errfd);
    posix_spawn_file_actions_addchdir_np(&fa, dir); /* the .gp names its files relative to dir */
    char *argv[] = {(char *)gnuplot, "-e", expr, (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        close(errfd);
        return ip_fail(IP_ERR, "cannot run %s: %s (install gnuplot-nox)", gnuplot, strerror(rc));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            close(errfd);
            return ip_fail(IP_ERR, "waiting for %s: %s", gnuplot, strerror(errno));
        }

    char msg[1400] = "";
    if (lseek(errfd, 0, SEEK_SET) == 0) {
        ssize_t got = read(errfd, msg, sizeof msg - 1);
        msg[got > 0 ? got : 0] = '\0';
    }
    close(errfd);
    struct stat st;
    int produced = stat(partial_path, &st) == 0 && st.st_size > 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !produced) {
        unlink(partial_path);
        char why[64];
        if (WIFEXITED(status)) snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
        else snprintf(why, sizeof why, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return ip_fail(IP_ERR, "gnuplot failed on %s/%s (%s%s):\n%s", dir, script, why,
                       produced ? "" : ", no output", msg[0] ? msg : "(no message on stderr)");
    }
    return ip_publish_file(partial_path, final_path);
}

int plot_gnuplot_spawn(const char *gnuplot, const char *dir, const char *script, const char *output, pid_t *pid)
{
    char expr[PATH_MAX + 32];
    snprintf(expr, sizeof expr, "outfile=\"%s\"", output);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    char *argv[] = {(char *)gnuplot, "-e", expr, (char *)script, NULL};
    int rc = posix_spawn(pid, gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return ip_fail(IP_ERR, "cannot run %s: %s (install gnuplot-nox)", gnuplot, strerror(rc));
    return IP_OK;
}

/* ---- shared figure setup ---- */

int plot_ctx_init(plot_ctx *c, const ip_plot_options *opt, const char *dir, ip_plot_report *rep)
{
    memset(c, 0, sizeof *c);
    c->opt = opt;
    c->rep = rep;
    if (opt->format < IP_PLOT_PNG || opt->format > IP_PLOT_SVG)
        return ip_fail(IP_ERR, "figure format %d: expected png, pdf or svg", (int)opt->format);
    c->ext = ip_plot_format_names[opt->format];
    c->width = opt->width > 0 ? opt->width : 900;
    c->height = opt->height > 0 ? opt->height : 700;
    if (c->width < IP_PLOT_MIN_SIZE || c->height < IP_PLOT_MIN_SIZE || c->width > IP_PLOT_MAX_SIZE ||
        c->height > IP_PLOT_MAX_SIZE)
        return ip_fail(IP_ERR, "figure size %dx%d: width and height must be %d..%d pixels", c->width, c->height,
                       IP_PLOT_MIN_SIZE, IP_PLOT_MAX_SIZE);
    if (snprintf(c->dir, sizeof c->dir, "%s", dir) >= (int)sizeof c->dir)
        return ip_fail(IP_ERR_IO, "%s: path too long", dir);
    int rc = ip_plot_find_gnuplot(c->gnuplot, sizeof c->gnuplot);
    if (rc) return rc;
    return ip_mkdir_p(c->dir);
}

static void terminal(sbuf *b, const plot_ctx *c, const char *ext, int gif_delay)
{
    /* Font sizes scale with the figure so a larger figure is not just more whitespace. */
    int fs = (int)lround(12.0 * sqrt((double)c->width * c->height / (900.0 * 700.0)));
    if (fs < 8) fs = 8;
    if (!strcmp(ext, "png"))
        sb_printf(b, "set terminal pngcairo size %d,%d noenhanced font \"DejaVu Sans,%d\" linewidth 1.2\n",
                  c->width, c->height, fs);
    else if (!strcmp(ext, "pdf")) /* 100 px per inch; cairo fonts are in points (72 per inch) */
        sb_printf(b, "set terminal pdfcairo size %.2fin,%.2fin noenhanced font \"DejaVu Sans,%d\" linewidth 1.2\n",
                  c->width / 100.0, c->height / 100.0, (int)lround(fs * 0.9));
    else if (!strcmp(ext, "svg"))
        sb_printf(b, "set terminal svg size %d,%d noenhanced font \"DejaVu Sans,%d\" background \"white\"\n",
                  c->width, c->height, fs + 2);
    else /* libgd's gif: TrueType font by name through fontconfig */
        sb_printf(b, "set terminal gif animate delay %d loop 0 optimize size %d,%d noenhanced font \"DejaVuSans,%d\"\n",
                  gif_delay, c->width, c->height, fs - 1);
}

int plot_script_write(plot_ctx *c, const char *base, const char *ext, const sbuf *gp, const sbuf *dat, int gif_delay)
{
    if (!ext) ext = c->ext;
    if (gp->failed || (dat && dat->failed)) return IP_ERR_NOMEM;
    char out[PATH_MAX], script[PATH_MAX], data[PATH_MAX];
    snprintf(out, sizeof out, "%s.%s", base, ext);
    snprintf(script, sizeof script, "%s.gp", base);
    snprintf(data, sizeof data, "%s.dat", base);

    sbuf s = {0};
    sb_printf(&s, "# %s: made by infoplane from a run's result tables; the data is in %s.\n"
                  "# Re-render with:  gnuplot %s   (run in this directory)\n",
              out, data, script);
    sb_printf(&s, "if (!exists(\"outfile\")) outfile = \"%s\"\n", out);
    terminal(&s, c, ext, gif_delay);
    sb_puts(&s, "set output outfile\n");
    plot_gp_style(&s);
    if (gp->s) sb_puts(&s, gp->s);
    sb_puts(&s, "unset output\n");
    if (s.failed) return IP_ERR_NOMEM;

    int rc = dat ? plot_write_file(c->dir, data, dat->s ? dat->s : "", dat->len) : IP_OK;
    if (!rc) rc = plot_write_file(c->dir, script, s.s, s.len);
    sb_free(&s);
    return rc;
}

static int render(plot_ctx *c, const char *base, const char *ext, const sbuf *gp, const sbuf *dat, int gif_delay)
{
    if (!ext) ext = c->ext;
    char out[PATH_MAX], script[PATH_MAX];
    snprintf(out, sizeof out, "%s.%s", base, ext);
    snprintf(script, sizeof script, "%s.gp", base);
    int rc = plot_script_write(c, base, ext, gp, dat, gif_delay);
    if (!rc) rc = plot_gnuplot_run(c->gnuplot, c->dir, script, out);
    if (!rc) plot_report_made(c->rep, c->dir, out);
    return rc;
}

int plot_render(plot_ctx *c, const char *base, const char *ext, sbuf *gp, sbuf *dat, int gif_delay)
{
    int rc = render(c, base, ext, gp, dat, gif_delay);
    sb_free(gp);
    if (dat) sb_free(dat);
    return rc;
}

void plot_gp_style(sbuf *b)
{
    sb_puts(b, "set encoding utf8\n"
               "set border 3 lc rgb \"#404040\"\n"
               "set tics nomirror out scale 0.6\n"
               "set grid lt 1 lc rgb \"#e0e0e0\" lw 1\n"
               "set key opaque box lc rgb \"#c0c0c0\" samplen 2 spacing 1.1\n"
                              /* viridis: perceptually uniform, readable in grey and for colour-blind readers */
               "set palette defined (0 '#440154', 1 '#482878', 2 '#3e4989', 3 '#31688e', 4 '#26828e', "
               "5 '#1f9e89', 6 '#35b779', 7 '#6ece58', 8 '#b5de2b', 9 '#fde725')\n"
               "set style line 100 lc rgb \"#404040\" lw 1\nset colorbox border 100\n");
}

int plot_epochs_log_spaced(const int *epochs, int n)
{
    /* Log-spaced schedules (every epoch, then every 5th, 20th, 100th ...) have gaps that grow;
     * a fixed stride or every epoch keeps them equal. */
    if (n < 4 || epochs[n - 1] < 20) return 0;
    int first = epochs[1] - epochs[0], last = epochs[n - 1] - epochs[n - 2];
    return first > 0 && last >= 4 * first;
}

double plot_epoch_colour(int epoch, int log_spaced) { return log_spaced ? log10(epoch + 1.0) : (double)epoch; }

static int nice_epoch_ticks(int first, int last, int *t, int cap)
{
    static const int steps[] = {0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000};
    int n = 0;
    /* Over four decades or more the 3s go (0, 1, 10, 100, ...): ten labels such as "3000" and
     * "10000" run together in a panel of a few hundred pixels. */
    int decades_only = last >= 5000;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && n < cap; i++) {
        int lead = steps[i];
        while (lead >= 10) lead /= 10;
        if (decades_only && lead == 3) continue;
        if (steps[i] >= first && steps[i] <= last) t[n++] = steps[i];
    }
    if (n == 0 || t[n - 1] < last) {
        /* The last epoch always gets a tick: it is where the run ended. Within 0.45 decades of the
         * nice tick before it (2000 after 1000: their labels would run together in a narrow panel)
         * it takes that tick's place. */
        if (n > 1 && log10(last + 1.0) - log10(t[n - 1] + 1.0) <= 0.45) n--;
        if (n < cap) t[n++] = last;
    }
    return n;
}

static void epoch_tics(sbuf *b, const char *axis, int first, int last, int log_spaced, int plus_one)
{
    if (!log_spaced) {
        sb_printf(b, "set %stics autofreq\n", axis);
        return;
    }
    int t[16];
    int n = nice_epoch_ticks(first, last, t, 16);
    sb_printf(b, "set %stics (", axis);
    for (int i = 0; i < n; i++)
        sb_printf(b, "%s\"%d\" %.6g", i ? ", " : "", t[i], plus_one ? t[i] + 1.0 : log10(t[i] + 1.0));
    sb_puts(b, ")\n");
}

void plot_gp_epoch_colourbar(sbuf *b, int first, int last, int log_spaced)
{
    double lo = plot_epoch_colour(first, log_spaced), hi = plot_epoch_colour(last, log_spaced);
    if (hi <= lo) { /* one recorded epoch: a range around it so the bar still draws, one tic */
        sb_printf(b, "set cbrange [%.6g:%.6g]\nset cbtics (\"%d\" %.6g)\nset cblabel \"epoch\"\n", lo - 0.5,
                  hi + 0.5, first, lo);
        return;
    }
    sb_printf(b, "set cbrange [%.6g:%.6g]\n", lo, hi);
    sb_printf(b, "set cblabel \"epoch%s\"\n", log_spaced ? " (log scale)" : "");
    epoch_tics(b, "cb", first, last, log_spaced, 0);
}

void plot_gp_epoch_xaxis(sbuf *b, int first, int last, int log_spaced)
{
    if (log_spaced) {
        sb_puts(b, "set logscale x\n");
        sb_printf(b, "set xrange [%g:%g]\n", first + 1.0, (last + 1.0) * 1.15);
        sb_puts(b, "set xlabel \"epoch (log scale)\"\n");
    } else {
        sb_puts(b, "unset logscale x\n");
        if (last > first) sb_printf(b, "set xrange [%d:%d]\n", first, last);
        else sb_printf(b, "set xrange [%g:%g]\n", first - 1.0, last + 1.0);
        sb_puts(b, "set xlabel \"epoch\"\n");
    }
    epoch_tics(b, "x", first, last, log_spaced, 1);
}

const char *plot_series_colour(int i)
{
    /* Okabe-Ito, reordered so the first colours are the most distinct on white */
    static const char *c[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                              "#56B4E9", "#000000", "#999933", "#882255", "#44AA99"};
    return c[i % (int)(sizeof c / sizeof c[0])];
}

int plot_series_point(int i)
{
    static const int pt[] = {7, 5, 9, 11, 13, 15, 7, 5, 9, 11};
    return pt[i % (int)(sizeof pt / sizeof pt[0])];
}

void plot_padded_ranges(double r[4], double xmin, double xmax, double ymin, double ymax, double right_extra)
{
    if (!(xmax >= xmin)) xmin = 0, xmax = 1;
    if (!(ymax >= ymin)) ymin = 0, ymax = 1;
    double dx = xmax - xmin, dy = ymax - ymin;
    if (dx <= 1e-12 * fmax(1, fabs(xmax))) dx = fmax(1.0, 0.2 * fabs(xmax)), xmin -= dx / 2, xmax += dx / 2;
    if (dy <= 1e-12 * fmax(1, fabs(ymax))) dy = fmax(1.0, 0.2 * fabs(ymax)), ymin -= dy / 2, ymax += dy / 2;
    r[0] = xmin - 0.05 * dx;
    r[1] = xmax + (0.05 + right_extra) * dx;
    r[2] = ymin - 0.06 * dy;
    r[3] = ymax + 0.08 * dy;
    if (xmin >= 0 && r[0] < 0) r[0] = 0; /* information is not negative: no axis room below 0 */
    if (ymin >= 0 && r[2] < 0) r[2] = 0;
}

void plot_gp_key_bottom(sbuf *b)
{
    sb_puts(b, "set key at screen 0.5,0.012 center bottom horizontal reverse Left width 1 maxrows 2 "
               "opaque box lc rgb \"#c0c0c0\"\n");
}

void plot_gp_end_labels(sbuf *b, int n, const char (*names)[PLOT_NAME_LEN], const double *xs, const double *ys,
                        const int *left, const double r[4], double h, double w)
{
    /* Greedy: labels sorted by height, each pushed up until it clears the ones placed below
     * it (in axis fractions; a label is h high and w wide). */
    int order[64];
    double ly[64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ys[order[j]] < ys[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double sx = r[1] - r[0], sy = r[3] - r[2];
    for (int a = 0; a < n; a++) {
        int i = order[a];
        if (!isfinite(xs[i]) || !isfinite(ys[i])) continue;
        double fx = (xs[i] - r[0]) / sx, fy = (ys[i] - r[2]) / sy;
        /* fy only grows and each pass clears one label for good, so n passes suffice; the
         * bound also guards against rounding making ly[j] + h - ly[j] a hair below h */
        for (int moved = 1, pass = 0; moved && pass <= n; pass++) {
            moved = 0;
            for (int c = 0; c < a; c++) {
                int j = order[c];
                if (!isfinite(xs[j]) || !isfinite(ys[j])) continue;
                double gx = (xs[j] - r[0]) / sx;
                /* label extents along x: [fx, fx + w] on the right, [fx - w, fx] on the left */
                double a0 = left[i] ? fx - w : fx, b0 = left[j] ? gx - w : gx;
                if (fabs(a0 - b0) < w && fabs(ly[j] - fy) < h) {
                    fy = ly[j] + 1.001 * h;
                    moved = 1;
                }
            }
        }
        ly[i] = fy;
        double yl = r[2] + fy * sy;
        sb_printf(b, "set label ");
        sb_gpstr(b, names[i]);
        sb_printf(b, " at %.9g,%.9g %s offset char %s0.9,0 front tc rgb \"#202020\"\n", xs[i], yl,
                  left[i] ? "right" : "left", left[i] ? "-" : "");
        if (fabs(yl - ys[i]) > 1e-9 * sy) /* a leader line from a label moved off its point */
            sb_printf(b, "set arrow from %.9g,%.9g to %.9g,%.9g nohead lc rgb \"#909090\" lw 0.8 front\n", xs[i],
                      ys[i], xs[i] + (left[i] ? -0.012 : 0.012) * sx, yl);
    }
}

void plot_label_extent(const plot_ctx *c, int rows, int cols, int chars, double *h, double *w)
{
    double fs = 12.0 * sqrt((double)c->width * c->height / (900.0 * 700.0)); /* as terminal() */
    double plot_h = fmax(60.0, c->height * 0.75 / rows - (rows > 1 ? 50 : 0));
    double plot_w = fmax(60.0, c->width * 0.75 / cols - (cols > 1 ? 40 : 0));
    *h = fmin(0.3, 1.35 * fs / plot_h);
    *w = fmin(0.6, (0.62 * fs * chars + 1.2 * fs) / plot_w);
}

int plot_arrived_left(const double *x, int n, double span)
{
    double sum = 0;
    int k = 0;
    for (int i = n - 2; i >= 0 && k < 5; i--, k++) sum += x[i];
    return k > 0 && x[n - 1] < sum / k - 0.01 * span;
}

void plot_report_made(ip_plot_report *r, const char *dir, const char *name)
{
    if (!r || r->n_made >= IP_PLOT_MAX_ITEMS) return;
    if (snprintf(r->made[r->n_made++], sizeof r->made[0], "%s/%s", dir, name) >= (int)sizeof r->made[0])
        r->made[r->n_made - 1][sizeof r->made[0] - 2] = '~'; /* a report line, marked as shortened */
}

void plot_report_skipped(ip_plot_report *r, const char *fmt, ...)
{
    if (!r || r->n_skipped >= IP_PLOT_MAX_ITEMS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->skipped[r->n_skipped++], sizeof r->skipped[0], fmt, ap);
    va_end(ap);
}

const char *const ip_plot_format_names[] = {"png", "pdf", "svg", NULL};

ip_plot_report *plot_begin(const ip_plot_options *opt_in, ip_plot_options *opt, ip_plot_report *report,
                           ip_plot_report *scratch)
{
    if (opt_in) *opt = *opt_in;
    else ip_plot_options_default(opt);
    ip_plot_report *rep = report ? report : scratch;
    memset(rep, 0, sizeof *rep);
    return rep;
}

void ip_plot_options_default(ip_plot_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->format = IP_PLOT_PNG;
    opt->width = 900;
    opt->height = 700;
    opt->figures = IP_FIG_ALL;
    opt->max_frames = 60;
    opt->compression_threshold = 0.05; /* cli/ sets estimate/compression.h's, the same */
}
