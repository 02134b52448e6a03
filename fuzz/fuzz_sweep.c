/* Fuzz target: the sweep-file loader (config/config_sweep.c), beside the run config's. The input is
 * the sweep file's text. A relative base is looked up in this process's scratch directory first
 * (where it is never found), then in the current one, so most inputs are checked whole and end at
 * the base; the values' way back from flow text (take_value) is exercised for every set, grid and
 * seeds entry. */
#include "fuzz_common.h"

#include "config/config_sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *text = malloc(n + 1);
    if (!text) abort();
    memcpy(text, data, n);
    text[n] = '\0';
    ip_sweep_spec s;
    if (ip_sweep_load_text(&s, text, "fuzz_sweep.yaml", fuzz_dir()) == 0) ip_sweep_spec_free(&s);
    free(text);
    return 0;
}
