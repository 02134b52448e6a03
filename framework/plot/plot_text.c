/* The information plane as text: a grid of characters with every layer's points drawn as its
 * number, for the live view of `infoplane run` on a terminal (cli/live.c). Pure: rows in, lines
 * out, no files and no gnuplot, cheap enough to redraw after every analysed epoch. */
#include "plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_W 8 /* the y tick labels' field */

/* Bounded appends into the caller's buffer; `over` once something did not fit. */
typedef struct {
    char *s;
    size_t cap, len;
    int over;
} tbuf;

static void tb_printf(tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(tbuf *b, const char *fmt, ...)
{
    if (b->over) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) b->over = 1;
    else b->len += (size_t)n;
}

static void tb_repeat(tbuf *b, char c, int n)
{
    for (int i = 0; i < n && !b->over; i++) tb_printf(b, "%c", c);
}

/* The mark of layer l (1-based): 1..9, then a..z, then '*'. */
static char layer_mark(int l)
{
    if (l <= 9) return (char)('0' + l);
    if (l <= 35) return (char)('a' + l - 10);
    return '*';
}

static int usable(const double *r) { return !isnan(r[2]) && !isnan(r[3]) && !isinf(r[2]) && !isinf(r[3]) && r[1] >= 1; }

/* Column (0..w-1) of value v on [lo, hi]. */
static int cell(double v, double lo, double hi, int w)
{
    int c = (int)lround((v - lo) / (hi - lo) * (w - 1));
    return c < 0 ? 0 : c >= w ? w - 1 : c;
}

/* Value v as at most LABEL_W characters. */
static void tick(char *out, size_t cap, double v)
{
    snprintf(out, cap, "%.3g", fabs(v) < 5e-13 ? 0.0 : v);
}

int ip_plot_text_plane(char *buf, unsigned long cap, const double *rows, int n, int stride, const ip_plot_text_options *opt)
{
    ip_plot_text_options o = {0};
    if (opt) o = *opt;
    int W = o.width > 0 ? o.width : 64, H = o.height > 0 ? o.height : 16;
    if (!buf || cap == 0) return -1;
    buf[0] = '\0';
    if (W < 16 || W > 200 || H < 4 || H > 100 || stride < 4 || n < 0 || (n > 0 && !rows)) return -1;

    /* The ranges of the usable rows, and each layer's newest row. */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int n_used = 0, max_layer = 0;
    for (int k = 0; k < n; k++) {
        const double *r = rows + (size_t)k * stride;
        if (!usable(r)) continue;
        n_used++;
        xmin = fmin(xmin, r[2]), xmax = fmax(xmax, r[2]);
        ymin = fmin(ymin, r[3]), ymax = fmax(ymax, r[3]);
        if (r[1] > max_layer) max_layer = r[1] > 1000 ? 1000 : (int)r[1];
    }
    if (!n_used) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
    if (!(xmax - xmin > 1e-12 * fmax(1, fabs(xmax)))) xmin -= 0.5, xmax += 0.5;
    if (!(ymax - ymin > 1e-12 * fmax(1, fabs(ymax)))) ymin -= 0.5, ymax += 0.5;

    /* The grid: every point in row order (later rows on top), then every layer's newest point. */
    char *grid = malloc((size_t)W * H); /* owned here, freed below */
    unsigned char *hot = calloc((size_t)W * H, 1);
    int *newest = calloc((size_t)max_layer + 1, sizeof *newest); /* row index + 1 of layer l's newest */
    if (!grid || !hot || !newest) {
        free(grid), free(hot), free(newest);
        return -1;
    }
    memset(grid, ' ', (size_t)W * H);
    for (int k = 0; k < n; k++) {
        const double *r = rows + (size_t)k * stride;
        if (!usable(r)) continue;
        int l = r[1] > 1000 ? 1000 : (int)r[1];
        grid[(size_t)(H - 1 - cell(r[3], ymin, ymax, H)) * W + cell(r[2], xmin, xmax, W)] = layer_mark(l);
        if (!newest[l] || rows[(size_t)(newest[l] - 1) * stride] <= r[0]) newest[l] = k + 1;
    }
    for (int l = 1; l <= max_layer; l++) {
        if (!newest[l]) continue;
        const double *r = rows + (size_t)(newest[l] - 1) * stride;
        size_t at = (size_t)(H - 1 - cell(r[3], ymin, ymax, H)) * W + cell(r[2], xmin, xmax, W);
        grid[at] = layer_mark(l);
        hot[at] = 1;
    }

    tbuf b = {buf, cap, 0, 0};
    int lines = 0;
    char unit[40] = "";
    if (o.unit && *o.unit) snprintf(unit, sizeof unit, " [%.30s]", o.unit);
    if (o.title) tb_printf(&b, "%s\n", o.title), lines++;
    tb_printf(&b, "%*s I(T;Y)%s\n", LABEL_W, "", unit), lines++;
    for (int row = 0; row < H; row++) {
        char label[32] = "";
        if (row == 0) tick(label, sizeof label, ymax);
        else if (row == H - 1) tick(label, sizeof label, ymin);
        else if (row == (H - 1) / 2) tick(label, sizeof label, ymax - (ymax - ymin) * row / (H - 1));
        tb_printf(&b, "%*.*s |", LABEL_W, LABEL_W, label);
        for (int c = 0; c < W; c++) {
            char ch = grid[(size_t)row * W + c];
            if (hot[(size_t)row * W + c] && o.ansi) tb_printf(&b, "\033[1;7m%c\033[0m", ch);
            else tb_printf(&b, "%c", ch);
        }
        tb_printf(&b, "\n"), lines++;
    }
    tb_printf(&b, "%*s +", LABEL_W, ""), tb_repeat(&b, '-', W), tb_printf(&b, "\n"), lines++;

    /* x ticks: the minimum under the first column, the middle centred, the maximum ending at the last. */
    char lo[32], mid[32], hi[32], line[256];
    tick(lo, sizeof lo, xmin), tick(mid, sizeof mid, (xmin + xmax) / 2), tick(hi, sizeof hi, xmax);
    memset(line, ' ', (size_t)W);
    line[W] = '\0';
    int lmid = (int)strlen(mid), lhi = (int)strlen(hi), llo = (int)strlen(lo);
    memcpy(line + W - lhi, hi, (size_t)lhi);
    if (W / 2 - lmid / 2 > llo + 1 && W / 2 - lmid / 2 + lmid < W - lhi - 1) memcpy(line + W / 2 - lmid / 2, mid, (size_t)lmid);
    memcpy(line, lo, (size_t)llo);
    tb_printf(&b, "%*s  %s\n", LABEL_W, "", line), lines++;

    /* The legend on the left, the x axis' name on the right. */
    char legend[128], xname[64];
    if (!n_used) snprintf(legend, sizeof legend, "no analysed epoch yet");
    else if (max_layer == 1) snprintf(legend, sizeof legend, "1 = layer 1%s", o.ansi ? ", newest point highlighted" : "");
    else snprintf(legend, sizeof legend, "1..%c = layers%s", layer_mark(max_layer), o.ansi ? ", newest points highlighted" : "");
    snprintf(xname, sizeof xname, "I(X;T)%s", unit);
    int pad = W - (int)strlen(legend) - (int)strlen(xname);
    tb_printf(&b, "%*s  %s%*s%s\n", LABEL_W, "", legend, pad > 1 ? pad : 1, "", xname), lines++;

    free(grid), free(hot), free(newest);
    if (b.over) {
        buf[0] = '\0';
        return -1;
    }
    return lines;
}
