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

#endif
