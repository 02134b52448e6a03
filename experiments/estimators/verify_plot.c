/* The verification figures: each written as BASE.dat (the numbers, one gnuplot index per panel)
 * and BASE.gp (the script; `gnuplot BASE.gp` in the output directory renders BASE.png), in the
 * conventions of framework/plot (docs/plots.md): the figure beside its script and data, the
 * Okabe-Ito colours, one colour per estimator in every figure, the truth black and dashed. */
#include "verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vp_colour(int kind)
{
    /* logdet, binning, kde, renyi, ksg: framework/plot's series colours in kind order */
    static const char *c[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"};
    return kind >= 0 && kind < 6 ? c[kind] : "#999933";
}

static const double *series_of(const vp_figure *f, int p, int s) { return f->val + ((size_t)p * f->n_series + s) * f->n_x; }

static int drawn(const vp_figure *f, int s) { return !(f->normalise && f->series[s].style == VS_REF); }

/* Min and max of the finite values of one series in one panel; 0 when there is none. */
static int finite_range(const double *v, int n, double *lo, double *hi)
{
    int any = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (!any || v[i] < *lo) *lo = v[i];
            if (!any || v[i] > *hi) *hi = v[i];
            any = 1;
        }
    return any;
}

static void gp_quoted(FILE *g, const char *s)
{
    fputc('\'', g);
    for (; *s; s++) fputs(*s == '\'' ? "''" : (char[]){*s, 0}, g);
    fputc('\'', g);
}

static int write_dat(const char *path, const vp_figure *f)
{
    FILE *o = fopen(path, "w");
    if (!o) return fprintf(stderr, "verify: cannot write %s\n", path), -1;
    fprintf(o, "# %s\n# made by build/verify_estimators (experiments/estimators); values in nats%s\n", f->title,
            f->normalise ? ", then each series min-max scaled to [0, 10] in its panel" : "");
    for (int p = 0; p < f->n_panels; p++) {
        fprintf(o, "%s# panel %d: %s\n# column 1: %s", p ? "\n\n" : "", p, f->panel[p], f->xlabel);
        for (int s = 0; s < f->n_series; s++) fprintf(o, "; column %d: %s", s + 2, f->series[s].label);
        fputc('\n', o);
        double lo[VP_MAX_SERIES], hi[VP_MAX_SERIES];
        for (int s = 0; s < f->n_series; s++)
            if (!finite_range(series_of(f, p, s), f->n_x, &lo[s], &hi[s])) lo[s] = 0, hi[s] = 0;
        for (int i = 0; i < f->n_x; i++) {
            fprintf(o, "%.6g", f->x[i]);
            for (int s = 0; s < f->n_series; s++) {
                double v = series_of(f, p, s)[i];
                if (f->normalise && isfinite(v)) v = hi[s] > lo[s] ? 10.0 * (v - lo[s]) / (hi[s] - lo[s]) : 0.0;
                if (isfinite(v)) fprintf(o, " %.10g", v);
                else fputs(" NaN", o);
            }
            fputc('\n', o);
        }
    }
    return fclose(o) ? (fprintf(stderr, "verify: cannot write %s\n", path), -1) : 0;
}

static void gp_series_style(FILE *g, const vp_series *s)
{
    switch (s->style) {
    case VS_TRUTH: fputs("with lines lc rgb '#000000' dt 2 lw 2", g); break;
    case VS_TARGET: fprintf(g, "with lines lc rgb '%s' dt 4 lw 1.5", vp_colour(s->colour)); break;
    case VS_REF: fputs("with lines lc rgb '#808080' dt 3 lw 1.2", g); break;
    default: fprintf(g, "with linespoints lc rgb '%s' pt 7 ps 0.45 lw 1.5", vp_colour(s->colour));
    }
}

int vp_write(const char *dir, const char *base, const vp_figure *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.dat", dir, base);
    if (write_dat(path, f)) return -1;
    snprintf(path, sizeof path, "%s/%s.gp", dir, base);
    FILE *g = fopen(path, "w");
    if (!g) return fprintf(stderr, "verify: cannot write %s\n", path), -1;
    /* Pixels: panels of 430 x 330, the title (and note) on top, the key of every series below
     * the panels (two entries a row), as fractions of the canvas for the multiplot layout. */
    int n_keys = 0;
    for (int s = 0; s < f->n_series; s++) n_keys += drawn(f, s);
    int n_lines = 1;
    for (const char *c = f->note; c && *c; c++) n_lines += *c == '\n';
    int top = 50 + 20 * (n_lines + (f->note != NULL)), key_h = 22 * ((n_keys + 1) / 2) + 14, bottom = key_h + 60;
    int w = 430 * f->cols + 90 < 1150 ? 1150 : 430 * f->cols + 90, h = 330 * f->rows + 95 * (f->rows - 1) + top + bottom;
    fprintf(g, "# %s.png: made by build/verify_estimators (experiments/estimators); the data is in %s.dat.\n"
               "# Re-render with:  gnuplot %s.gp   (run in this directory)\n"
               "if (!exists(\"outfile\")) outfile = \"%s.png\"\n"
               "set terminal pngcairo size %d,%d noenhanced font \"DejaVu Sans,11\" linewidth 1.2\n"
               "set output outfile\nset encoding utf8\nset datafile missing 'NaN'\n"
               "set border 3 lc rgb \"#404040\"\nset tics nomirror out scale 0.6\n"
               "set grid lt 1 lc rgb \"#e0e0e0\" lw 1\n",
            base, base, base, base, w, h);
    fprintf(g, "set xlabel ");
    gp_quoted(g, f->xlabel);
    fprintf(g, "\nset ylabel ");
    gp_quoted(g, f->normalise ? "scaled estimate (min 0, max 10)" : f->ylabel);
    fprintf(g, "\nset multiplot layout %d,%d margins %.4f,%.4f,%.4f,%.4f spacing %.4f,%.4f title ", f->rows, f->cols,
            75.0 / w, 1.0 - 15.0 / w, (double)bottom / h, 1.0 - (double)top / h, 85.0 / w, 95.0 / h);
    char title[600];
    snprintf(title, sizeof title, "%s%s%s", f->title, f->note ? "\\n" : "", f->note ? f->note : "");
    fputc('"', g); /* double quotes so \n breaks the line; the text has no '"' or '\' of its own */
    for (const char *c = title; *c; c++) {
        if (*c == '\n') fputs("\\n", g); /* a line break in the note */
        else fputc(*c == '"' ? '\'' : *c, g);
    }
    fputs("\" font \",12\"\n", g);
    fprintf(g, "set key at screen 0.5, %.4f center bottom vertical Left reverse maxrows %d opaque box lc rgb \"#c0c0c0\" "
               "samplen 2.5 spacing 1.1 width 1 font \",10\"\n", 8.0 / h, (n_keys + 1) / 2);
    for (int p = 0; p < f->n_panels; p++) {
        fprintf(g, "\n# panel %d\nset title ", p);
        gp_quoted(g, f->panel[p]);
        fputc('\n', g);
        int first = 1, n_drawn = 0;
        for (int s = 0; s < f->n_series; s++) {
            double lo, hi;
            n_drawn += drawn(f, s) && finite_range(series_of(f, p, s), f->n_x, &lo, &hi);
        }
        if (!n_drawn) /* nothing finite in this panel: an empty panel that says so */
            fputs("set xrange [0:1]\nset yrange [0:1]\nset label 1 'no finite values' at graph 0.5, 0.5 center\n", g);
        if (p == 0) /* the key, once, below the panels: every series, the same colours in every panel */
            for (int s = 0; s < f->n_series; s++) {
                if (!drawn(f, s)) continue;
                int any = 0;
                for (int q = 0; q < f->n_panels && !any; q++) {
                    double lo, hi;
                    any = finite_range(series_of(f, q, s), f->n_x, &lo, &hi);
                }
                fprintf(g, "%s keyentry ", first ? "plot" : ", \\\n    ");
                gp_series_style(g, &f->series[s]);
                fputs(" title ", g);
                char label[128];
                snprintf(label, sizeof label, "%s%s", f->series[s].label, any ? "" : " (no finite values)");
                gp_quoted(g, label);
                first = 0;
            }
        for (int s = 0; s < f->n_series; s++) {
            double lo, hi;
            if (!drawn(f, s) || !finite_range(series_of(f, p, s), f->n_x, &lo, &hi)) continue; /* all NaN */
            fprintf(g, "%s '%s.dat' index %d using 1:%d ", first ? "plot" : ", \\\n    ", base, p, s + 2);
            gp_series_style(g, &f->series[s]);
            fputs(" notitle", g);
            first = 0;
        }
        if (!n_drawn) fprintf(g, "%s -1 notitle\nunset label 1\nset autoscale", first ? "plot" : ", \\\n    ");
        fputc('\n', g);
        if (p == 0) fputs("unset key\n", g);
    }
    fputs("unset multiplot\nunset output\n", g);
    return fclose(g) ? (fprintf(stderr, "verify: cannot write %s\n", path), -1) : 0;
}
