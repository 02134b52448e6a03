/* Helpers shared by the libFuzzer targets (fuzz/fuzz_*.c): the readers under test take paths,
 * so each input is written to files in a private temporary directory first. */
#ifndef IP_FUZZ_COMMON_H
#define IP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The directory of this fuzzing process (made once, under $TMPDIR or /tmp; left for the OS). */
static inline const char *fuzz_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ipfuzz.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
    }
    return dir;
}

/* out <- DIR/name; writes n bytes there (replacing the file). Aborts on I/O errors: they are the
 * harness's, not the code's under test. */
static inline void fuzz_write(char *out, size_t cap, const char *name, const uint8_t *data, size_t n)
{
    snprintf(out, cap, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(out, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(out);
        abort();
    }
}

/* Splits an input in two at the first occurrence of the 4-byte separator "\n--\n" (the second
 * part is empty when there is none), so one input can hold two files. */
static inline void fuzz_split(const uint8_t *data, size_t n, size_t *n_first, const uint8_t **second, size_t *n_second)
{
    static const char sep[] = "\n--\n";
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(data + i, sep, 4) == 0) {
            *n_first = i;
            *second = data + i + 4;
            *n_second = n - i - 4;
            return;
        }
    *n_first = n;
    *second = data + n;
    *n_second = 0;
}

/* Writes the two halves of an input (fuzz_split) as DIR/first and DIR/second, then loads the
 * dataset `name` from DIR through ip_data_load, as a config with data.path = DIR would. */
#ifdef IP_DATASET_H
static inline void fuzz_load_two_files(const char *name, const char *first, const char *second,
                                       const uint8_t *data, size_t n)
{
    size_t n_first, n_second;
    const uint8_t *rest;
    char path[512];
    fuzz_split(data, n, &n_first, &rest, &n_second);
    fuzz_write(path, sizeof path, first, data, n_first);
    fuzz_write(path, sizeof path, second, rest, n_second);

    ip_data_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.dataset, sizeof cfg.dataset, "%s", name);
    snprintf(cfg.path, sizeof cfg.path, "%s", fuzz_dir());
    cfg.train_fraction = 0.85;
    ip_data d;
    memset(&d, 0, sizeof d);
    if (ip_data_load(&d, &cfg, 1) == 0) ip_data_free(&d);
}
#endif

#endif
