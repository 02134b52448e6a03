/* Fuzz target: the run-file reader on damaged run files (the seed corpus holds small valid
 * runs): open, describe, read the analysis set, every layer of every recorded epoch, and every
 * result table, as `infoplane info` and `analyze` do. */
#include "fuzz_common.h"

#include "record/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char path[512];
    fuzz_write(path, sizeof path, "run.h5", data, n);
    ip_run *run = NULL;
    if (ip_run_open_read(&run, path, 0) != 0) return 0;
    ip_run_description d;
    if (ip_run_describe(run, &d) == 0) {
        /* Only small runs are read whole: the corpus's runs are tiny, and a header that claims a
         * huge run must be refused by the reader itself, which the describe call covers. */
        size_t inputs = (size_t)d.n_samples * (size_t)d.d_x;
        if (d.n_samples > 0 && d.d_x > 0 && inputs <= (1u << 20)) {
            double *x = malloc(inputs * sizeof *x);
            int *y = malloc((size_t)d.n_samples * sizeof *y);
            if (x && y) (void)ip_run_read_inputs(run, x, y);
            free(x);
            free(y);
        }
        for (int l = 0; l < d.n_layers; l++) {
            size_t cells = (size_t)d.n_samples * (size_t)d.layer_units[l];
            if (d.n_samples <= 0 || d.layer_units[l] <= 0 || cells > (1u << 20)) continue;
            double *a = malloc(cells * sizeof *a);
            for (int k = 0; a && k < d.n_recorded && k < 4; k++) (void)ip_run_read_layer(run, l, k, a);
            free(a);
        }
        for (int t = 0; t < d.n_tables; t++) {
            int rows, cols;
            double *tab = NULL;
            char **columns = NULL;
            if (ip_run_read_table(run, d.table_names[t], &rows, &cols, &tab, &columns) == 0) {
                free(tab);
                ip_run_strings_free(columns, cols);
            }
        }
        ip_run_describe_free(&d);
    }
    ip_run_close(run);
    return 0;
}
