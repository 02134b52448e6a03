/* CSV matrices: one sample per row, numbers only, comma-separated, no header. Used by
 * `infoplane entropy` / `mi` and by tests that exchange matrices with reference scripts. */
#ifndef IP_CSV_H
#define IP_CSV_H

/* Read `path` into *data (rows x cols, row-major, malloc'd and owned by the caller). Blank lines
 * are skipped; a CR before the newline is accepted. Fails with IP_ERR_IO when the file cannot be
 * read and IP_ERR_FORMAT, naming the file, line and field, for a non-numeric or non-finite field,
 * a row with a different field count than the first (ragged), or a file without any row. */
int ip_csv_read_matrix(const char *path, double **data, int *rows, int *cols);

/* Write a (rows x cols, leading dimension lda) with 17 significant digits, so that reading it back
 * gives the same doubles. Written to PATH.tmp and renamed: never a half-written PATH. */
int ip_csv_write_matrix(const char *path, const double *a, int rows, int cols, int lda);

#endif
