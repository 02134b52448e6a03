/* CSV matrix reader and writer (see csv.h): the whole file is read at once and parsed with
 * strtod, so every error can name the line and field it concerns. */
#include "csv.h"

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

int ip_csv_read_matrix(const char *path, double **data, int *rows, int *cols)
{
    char *text = NULL;
    size_t len = 0, cap = 0, n = 0;
    double *out = NULL;
    int rc = ip_read_file(path, &text, &len), ncol = -1, nrow = 0;
    if (rc != IP_OK) return rc;
    if (memchr(text, '\0', len)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: not a text file (holds a NUL byte)", path);
        goto out;
    }
    char *p = text;
    for (int line = 1; *p; line++) {
        char *eol = strchr(p, '\n');
        if (eol) *eol = '\0';
        char *q = p;
        while (is_blank(*q)) q++;
        if (*q) { /* a non-blank line: fields separated by commas */
            int field = 0;
            for (;;) {
                field++;
                char *end;
                errno = 0;
                double v = strtod(q, &end);
                char *after = end;
                while (is_blank(*after)) after++;
                if (end == q || (*after && *after != ',')) {
                    char shown[32];
                    size_t k = strcspn(q, ",\r");
                    snprintf(shown, sizeof shown, "%.*s", (int)(k < 24 ? k : 24), q);
                    rc = ip_fail(IP_ERR_FORMAT, "%s: line %d, field %d: '%s' is not a number", path, line, field,
                                 shown);
                    goto out;
                }
                if (!isfinite(v)) {
                    rc = ip_fail(IP_ERR_FORMAT, "%s: line %d, field %d: not a finite number", path, line, field);
                    goto out;
                }
                if (n == cap) {
                    cap = cap ? 2 * cap : 1024;
                    double *bigger = realloc(out, cap * sizeof *out);
                    if (!bigger) {
                        rc = ip_fail(IP_ERR_NOMEM, "%s: out of memory", path);
                        goto out;
                    }
                    out = bigger;
                }
                out[n++] = v;
                if (!*after) break;
                q = after + 1;
                while (is_blank(*q)) q++;
            }
            if (ncol < 0) ncol = field;
            else if (field != ncol) {
                rc = ip_fail(IP_ERR_FORMAT, "%s: line %d has %d fields, but the first row has %d (ragged rows)", path,
                             line, field, ncol);
                goto out;
            }
            nrow++;
        }
        if (!eol) break;
        p = eol + 1;
    }
    if (nrow == 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: no data (the file is empty)", path);
        goto out;
    }
    *data = out;
    out = NULL;
    *rows = nrow;
    *cols = ncol;
out:
    free(out);
    free(text);
    return rc;
}

int ip_csv_write_matrix(const char *path, const double *a, int rows, int cols, int lda)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return ip_fail(IP_ERR_IO, "%s: path too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return ip_fail(IP_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            fprintf(f, "%.17g%c", a[(size_t)i * lda + j], j + 1 < cols ? ',' : '\n');
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return ip_fail(IP_ERR_IO, "%s: write error", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return ip_fail(IP_ERR_IO, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return IP_OK;
}
