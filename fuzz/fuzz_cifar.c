/* Fuzz target: the CIFAR-10 binary reader on a directory holding data_batch_1.bin, then
 * "\n--\n", then test_batch.bin (gzip or plain, as the reader accepts both). */
#include "data/dataset.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    fuzz_load_two_files("cifar10", "data_batch_1.bin", "test_batch.bin", data, n);
    return 0;
}
