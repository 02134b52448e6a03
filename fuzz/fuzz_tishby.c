/* Fuzz target: the Tishby loader on a directory holding its two IDX files (patterns, then
 * "\n--\n", then labels), through splitting and assembling into train and test sets. */
#include "fuzz_common.h"

#include "data/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    size_t n_x, n_y;
    const uint8_t *y;
    char path[512];
    fuzz_split(data, n, &n_x, &y, &n_y);
    fuzz_write(path, sizeof path, "tishby-images-idx2-ubyte", data, n_x);
    fuzz_write(path, sizeof path, "tishby-labels-idx1-ubyte", y, n_y);

    ip_data_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.dataset, sizeof cfg.dataset, "tishby");
    snprintf(cfg.path, sizeof cfg.path, "%s", fuzz_dir());
    cfg.train_fraction = 0.85;
    ip_data d;
    memset(&d, 0, sizeof d);
    if (ip_data_load(&d, &cfg, 1) == 0) ip_data_free(&d);
    return 0;
}
