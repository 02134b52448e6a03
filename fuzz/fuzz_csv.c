/* Fuzz target: the CSV reader (the DATA files of `infoplane entropy` and `mi`). */
#include "fuzz_common.h"

#include "data/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char path[512];
    fuzz_write(path, sizeof path, "input.csv", data, n);
    double *m = NULL;
    int rows, cols;
    if (ip_csv_read_matrix(path, &m, &rows, &cols) == 0) free(m);
    return 0;
}
