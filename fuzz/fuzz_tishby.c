/* Fuzz target: the Tishby loader on a directory holding its two IDX files (patterns, then
 * "\n--\n", then labels), through splitting and assembling into train and test sets. */
#include "data/dataset.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    fuzz_load_two_files("tishby", "tishby-images-idx2-ubyte", "tishby-labels-idx1-ubyte", data, n);
    return 0;
}
