/* Fuzz target: the YAML config loader and --set overrides. The input is YAML text, then
 * optionally "\n--\n" and one override ("key=value") per line. */
#include "fuzz_common.h"

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    size_t n_yaml, n_sets;
    const uint8_t *sets;
    fuzz_split(data, n, &n_yaml, &sets, &n_sets);
    char *text = malloc(n_yaml + 1), *set_text = malloc(n_sets + 1);
    char *overrides[16];
    int n_over = 0;
    if (!text || !set_text) abort();
    memcpy(text, data, n_yaml);
    text[n_yaml] = '\0';
    memcpy(set_text, sets, n_sets);
    set_text[n_sets] = '\0';
    for (char *line = strtok(set_text, "\n"); line && n_over < 16; line = strtok(NULL, "\n")) overrides[n_over++] = line;

    ip_config cfg;
    if (ip_config_load_text(&cfg, text, "fuzz.yaml", n_over, overrides) == 0) ip_config_free(&cfg);
    free(text);
    free(set_text);
    return 0;
}
