/* Fuzz target: the CIFAR-10 binary reader on a directory holding data_batch_1.bin, then
 * "\n--\n", then test_batch.bin (gzip or plain, as the reader accepts both). */
#include "fuzz_common.h"

#include "data/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    size_t n_train, n_test;
    const uint8_t *test;
    char path[512];
    fuzz_split(data, n, &n_train, &test, &n_test);
    fuzz_write(path, sizeof path, "data_batch_1.bin", data, n_train);
    fuzz_write(path, sizeof path, "test_batch.bin", test, n_test);

    ip_data_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.dataset, sizeof cfg.dataset, "cifar10");
    snprintf(cfg.path, sizeof cfg.path, "%s", fuzz_dir());
    ip_data d;
    memset(&d, 0, sizeof d);
    if (ip_data_load(&d, &cfg, 1) == 0) ip_data_free(&d);
    return 0;
}
