/* Fuzz target: the IDX reader (plain and gzip: zlib reads both; the seed corpus has both). */
#include "fuzz_common.h"

#include "data/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char path[512];
    fuzz_write(path, sizeof path, "input.idx", data, n);
    ip_idx idx;
    if (ip_idx_read(&idx, path, 0, "data") == 0) ip_idx_free(&idx);
    return 0;
}
