/* The one CSV reader and writer. Reads a whole table (numbers or short names, comma-separated,
 * with or without a header line) so every later error can name the file, line and field; writes
 * a table field by field into a temporary renamed into place at the end (core/fsutil), so a
 * reader never sees it half-written. The dialect: no quoting, fields trimmed of blanks (spaces,
 * tabs, a CR before the newline), blank lines skipped, a leading UTF-8 byte-order mark ignored.
 * Used for the DATA files of `entropy`/`mi`,
 * metrics.csv and the analysis/ tables. */
#ifndef IP_CSV_H
#define IP_CSV_H

#include "fsutil.h"

/* A table read from a file. cell and header point into text; all of it is owned by the struct
 * and released by ip_csv_free. */
typedef struct {
    char *path;    /* the file, for messages */
    char *text;    /* the file's bytes, split into NUL-terminated fields in place */
    int n_cols, n_rows;
    char **header; /* n_cols column names, or NULL for a table read without a header */
    char **cell;   /* row r, field c: cell[r * n_cols + c] */
    int *line;     /* the file line (from 1) of each row */
} ip_csv;

enum { IP_CSV_HEADER = 1 }; /* flag of ip_csv_read: the first non-blank line names the columns */

/* Read `path` into *t. Every row must have as many fields as the header (or, without one, as
 * the first row). Fails with IP_ERR_IO when the file cannot be read (or is a directory) and
 * IP_ERR_FORMAT, naming the file and line, for UTF-16 text, a NUL byte, a row of another length,
 * or no line at all (without a header: no row). On failure *t is left empty (ip_csv_free is still safe). */
int ip_csv_read(ip_csv *t, const char *path, int flags);
void ip_csv_free(ip_csv *t);

/* The column called `name` (-1 when the header has none, or there is no header). */
int ip_csv_column(const ip_csv *t, const char *name);

static inline const char *ip_csv_cell(const ip_csv *t, int r, int c) { return t->cell[(size_t)r * t->n_cols + c]; }

/* Row r, field c as a finite double; otherwise IP_ERR_FORMAT with "PATH: line N, field F
 * (NAME): 'TEXT' is not a number" or "...: not a finite number". */
int ip_csv_number(const ip_csv *t, int r, int c, double *v);

/* Fail with IP_ERR_FORMAT and the message "PATH: line N, field F (NAME, with a header): " + fmt, where N is row
 * r's line (r < 0: no line) and the field part is left out for c < 0. Returns IP_ERR_FORMAT. */
int ip_csv_fail(const ip_csv *t, int r, int c, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A numeric table without header (one sample per row) into *data (rows x cols, row-major,
 * malloc'd and owned by the caller). Errors as ip_csv_read and ip_csv_number, and "PATH: no
 * data (the file is empty)" for a file without rows. */
int ip_csv_read_matrix(const char *path, double **data, int *rows, int *cols);

/* ---- writing: fields are put one after the other, rows end by themselves ---- */
typedef struct {
    ip_atomic_file out;
    int n_cols, col;   /* fields per row; the next field's column */
    long rows;         /* rows written so far (the header not counted) */
    int bad;           /* a field this dialect cannot hold (a comma, quote or line break) */
} ip_csv_writer;

/* Start PATH (as PATH.tmp.PID) with a header line of the n_cols names (header NULL: none). */
int ip_csv_writer_open(ip_csv_writer *w, const char *path, int n_cols, const char *const *header);
void ip_csv_put_text(ip_csv_writer *w, const char *s);
void ip_csv_put_int(ip_csv_writer *w, long long v);
void ip_csv_put_real(ip_csv_writer *w, double v, int digits); /* printf "%.DIGITSg" */

/* v in the fewest significant digits that read back (strtod) as exactly v, never fewer than its
 * integer part needs: "0.1" (not 0.10000000000000001), "3000" (not 3e+03), "1e-05". For names
 * and descriptions of settings, which must be readable and never make two values one. Returns buf. */
const char *ip_number_text(char *buf, size_t n, double v);
/* Row r of t, field by field as it was read (t->n_cols must be w->n_cols). */
void ip_csv_put_row(ip_csv_writer *w, const ip_csv *t, int r);
/* Check that every row is complete and every write succeeded, then rename PATH into place. On
 * failure the temporary is removed and PATH keeps its old contents. */
int ip_csv_writer_commit(ip_csv_writer *w);
/* Drop the temporary (nothing happens after a commit). */
void ip_csv_writer_abandon(ip_csv_writer *w);

/* Write a (rows x cols, leading dimension lda) without header, with 17 significant digits, so
 * that reading it back gives the same doubles. */
int ip_csv_write_matrix(const char *path, const double *a, int rows, int cols, int lda);

#endif
