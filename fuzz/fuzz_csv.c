/* Fuzz target: the CSV reader (core/csv.c), as the DATA files of `infoplane entropy` / `mi` read
 * it (a numeric matrix) and as the plot module reads result tables (a header, then any field). */
#include "fuzz_common.h"

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char path[512];
    fuzz_write(path, sizeof path, "input.csv", data, n);
    double *m = NULL;
    int rows, cols;
    if (ip_csv_read_matrix(path, &m, &rows, &cols) == 0) free(m);
    ip_csv t;
    if (ip_csv_read(&t, path, IP_CSV_HEADER) == 0) {
        double v;
        (void)ip_csv_column(&t, "epoch");
        for (int r = 0; r < t.n_rows; r++)
            for (int c = 0; c < t.n_cols; c++) (void)ip_csv_number(&t, r, c, &v);
    }
    ip_csv_free(&t);
    return 0;
}
