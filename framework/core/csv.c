/* The CSV reader and writer (see csv.h). The reader takes the whole file at once and splits it
 * in place, keeping each row's line number for messages; the writer streams fields into an
 * ip_atomic_file and checks at the end that every row is complete. */
#include "csv.h"

#include "mem.h"
#include "status.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static char *trim(char *s)
{
    while (is_blank(*s)) s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1])) s[--n] = '\0';
    return s;
}

void ip_csv_free(ip_csv *t)
{
    free(t->path);
    free(t->text);
    free(t->header);
    free(t->cell);
    free(t->line);
    memset(t, 0, sizeof *t);
}

/* Split `line` in place at commas into f (room for cap; fields past cap are counted only). */
static int split(char *line, char **f, size_t cap)
{
    int n = 0;
    for (char *s = line;;) {
        char *c = strchr(s, ',');
        if (c) *c = '\0';
        if ((size_t)n < cap) f[n] = trim(s);
        n++;
        if (!c) return n;
        s = c + 1;
    }
}

int ip_csv_read(ip_csv *t, const char *path, int flags)
{
    memset(t, 0, sizeof *t);
    size_t len = 0;
    int rc = ip_read_file(path, &t->text, &len);
    if (rc != IP_OK) return rc;
    if (!(t->path = strdup(path))) {
        ip_csv_free(t);
        return ip_fail(IP_ERR_NOMEM, "%s: out of memory", path);
    }
    /* A UTF-8 byte-order mark (spreadsheets write one) is not part of the first field. UTF-16 is
     * named as such rather than as a binary file. */
    size_t bom = len >= 3 && !memcmp(t->text, "\xEF\xBB\xBF", 3) ? 3 : 0;
    if (len >= 2 && (!memcmp(t->text, "\xFF\xFE", 2) || !memcmp(t->text, "\xFE\xFF", 2))) {
        ip_csv_free(t);
        return ip_fail(IP_ERR_FORMAT, "%s: UTF-16 text; save it as UTF-8 (or plain ASCII)", path);
    }
    if (memchr(t->text, '\0', len)) {
        ip_csv_free(t);
        return ip_fail(IP_ERR_FORMAT, "%s: not a text file (holds a NUL byte)", path);
    }
    /* Every field of every line fits in (commas + lines) cells. */
    size_t lines = 1, fields = 1;
    for (const char *s = t->text; *s; s++) lines += *s == '\n', fields += *s == ',' || *s == '\n';
    t->cell = ip_malloc(fields * sizeof *t->cell);
    t->line = ip_malloc(lines * sizeof *t->line);
    if (!t->cell || !t->line) {
        ip_csv_free(t);
        return IP_ERR_NOMEM;
    }
    int want_header = flags & IP_CSV_HEADER, have_header = 0, lineno = 0;
    char **next_cell = t->cell;
    for (char *line = t->text + bom, *next; line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (!*trim(line)) continue; /* blank lines, e.g. a trailing one */
        int n = split(line, next_cell, fields - (size_t)(next_cell - t->cell));
        if (t->n_cols == 0) {
            t->n_cols = n;
        } else if (n != t->n_cols) {
            int cols = t->n_cols;
            ip_csv_free(t);
            return ip_fail(IP_ERR_FORMAT, "%s: line %d has %d fields, but the %s has %d%s", path, lineno, n,
                           have_header ? "header" : "first row", cols, have_header ? "" : " (ragged rows)");
        }
        if (want_header && !have_header) {
            have_header = 1; /* its cells are the first n_cols: moved to their own array below */
        } else {
            t->line[t->n_rows++] = lineno;
        }
        next_cell += n;
    }
    if (want_header && !have_header) {
        ip_csv_free(t);
        return ip_fail(IP_ERR_FORMAT, "%s: empty file (expected a header line)", path);
    }
    if (have_header) { /* the header is the first n_cols cells: give the rows the array */
        char **names = ip_malloc((size_t)t->n_cols * sizeof *names);
        if (!names) {
            ip_csv_free(t);
            return IP_ERR_NOMEM;
        }
        memcpy(names, t->cell, (size_t)t->n_cols * sizeof *names);
        memmove(t->cell, t->cell + t->n_cols, (size_t)t->n_rows * t->n_cols * sizeof *t->cell);
        t->header = names;
    }
    return IP_OK;
}

int ip_csv_column(const ip_csv *t, const char *name)
{
    for (int c = 0; t->header && c < t->n_cols; c++)
        if (!strcmp(t->header[c], name)) return c;
    return -1;
}

int ip_csv_fail(const ip_csv *t, int r, int c, const char *fmt, ...)
{
    char where[256] = "", what[1024];
    size_t n = 0;
    if (r >= 0) n += (size_t)snprintf(where, sizeof where, "line %d", t->line[r]);
    if (c >= 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, "%sfield %d", n ? ", " : "", c + 1);
    if (c >= 0 && t->header && n < sizeof where) snprintf(where + n, sizeof where - n, " (%s)", t->header[c]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!where[0]) return ip_fail(IP_ERR_FORMAT, "%s: %s", t->path, what);
    return ip_fail(IP_ERR_FORMAT, "%s: %s: %s", t->path, where, what);
}

int ip_csv_number(const ip_csv *t, int r, int c, double *v)
{
    const char *s = ip_csv_cell(t, r, c);
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end) return ip_csv_fail(t, r, c, "'%.24s' is not a number", s);
    if (!isfinite(*v)) return ip_csv_fail(t, r, c, "not a finite number");
    return IP_OK;
}

int ip_csv_read_matrix(const char *path, double **data, int *rows, int *cols)
{
    ip_csv t;
    int rc = ip_csv_read(&t, path, 0);
    if (rc != IP_OK) return rc;
    if (t.n_rows == 0) {
        ip_csv_free(&t);
        return ip_fail(IP_ERR_FORMAT, "%s: no data (the file is empty)", path);
    }
    double *out = ip_malloc((size_t)t.n_rows * t.n_cols * sizeof *out);
    if (!out) rc = IP_ERR_NOMEM;
    for (int r = 0; r < t.n_rows && rc == IP_OK; r++)
        for (int c = 0; c < t.n_cols && rc == IP_OK; c++) rc = ip_csv_number(&t, r, c, &out[(size_t)r * t.n_cols + c]);
    if (rc == IP_OK) {
        *data = out;
        *rows = t.n_rows;
        *cols = t.n_cols;
    } else {
        free(out);
    }
    ip_csv_free(&t);
    return rc;
}

/* ---- writing ---- */

int ip_csv_writer_open(ip_csv_writer *w, const char *path, int n_cols, const char *const *header)
{
    memset(w, 0, sizeof *w);
    w->n_cols = n_cols;
    int rc = ip_atomic_open(&w->out, path);
    if (rc != IP_OK) return rc;
    for (int c = 0; header && c < n_cols; c++) ip_csv_put_text(w, header[c]);
    w->rows = 0; /* the header is not a row */
    return IP_OK;
}

/* The separator before a field, and after the row's last field the row's end. */
static void begin_field(ip_csv_writer *w)
{
    if (w->col > 0) fputc(',', w->out.f);
}

static void end_field(ip_csv_writer *w)
{
    if (++w->col == w->n_cols) {
        fputc('\n', w->out.f);
        w->col = 0;
        w->rows++;
    }
}

void ip_csv_put_text(ip_csv_writer *w, const char *s)
{
    if (!w->out.f) return;
    if (strpbrk(s, ",\"\n\r")) w->bad = 1;
    begin_field(w);
    fputs(s, w->out.f);
    end_field(w);
}

void ip_csv_put_int(ip_csv_writer *w, long long v)
{
    if (!w->out.f) return;
    begin_field(w);
    fprintf(w->out.f, "%lld", v);
    end_field(w);
}

void ip_csv_put_real(ip_csv_writer *w, double v, int digits)
{
    if (!w->out.f) return;
    begin_field(w);
    fprintf(w->out.f, "%.*g", digits, v);
    end_field(w);
}

void ip_csv_put_row(ip_csv_writer *w, const ip_csv *t, int r)
{
    for (int c = 0; c < t->n_cols; c++) ip_csv_put_text(w, ip_csv_cell(t, r, c));
}

int ip_csv_writer_commit(ip_csv_writer *w)
{
    if (w->bad || w->col != 0) {
        const char *path = w->out.path;
        int bad = w->bad;
        long row = w->rows + 1;
        ip_atomic_abandon(&w->out);
        if (bad) return ip_fail(IP_ERR, "%s: a field holds a comma, quote or line break (not written)", path);
        return ip_fail(IP_ERR, "%s: row %ld is incomplete (not written)", path, row);
    }
    return ip_atomic_commit(&w->out);
}

void ip_csv_writer_abandon(ip_csv_writer *w) { ip_atomic_abandon(&w->out); }

int ip_csv_write_matrix(const char *path, const double *a, int rows, int cols, int lda)
{
    ip_csv_writer w;
    int rc = ip_csv_writer_open(&w, path, cols, NULL);
    if (rc != IP_OK) return rc;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) ip_csv_put_real(&w, a[(size_t)i * lda + j], 17);
    return ip_csv_writer_commit(&w);
}

const char *ip_number_text(char *buf, size_t n, double v)
{
    int first = fabs(v) >= 1 && isfinite(v) ? (int)floor(log10(fabs(v))) + 1 : 1;
    for (int digits = first < 17 ? first : 17; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}
