/* Helpers shared by the plot tests: scratch copies of the stored run fixtures (figures are
 * written into a run directory, never into tests/fixtures), and checks that a file really is
 * a PNG/GIF/PDF/SVG of the expected size. Include after testutil.h. */
#ifndef IP_TEST_PLOT_UTIL_H
#define IP_TEST_PLOT_UTIL_H

#include <unistd.h>

/* A fresh directory under /tmp holding copies of the named fixtures; remove with rm_tree. */
static inline char *scratch_with(const char *const *fixtures, int n)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "/tmp/ip-test-plot-XXXXXX");
    if (!mkdtemp(dir)) fail_msg("mkdtemp failed");
    for (int i = 0; i < n; i++) {
        char cmd[768];
        snprintf(cmd, sizeof cmd, "cp -r tests/fixtures/%s %s/", fixtures[i], dir);
        if (system(cmd) != 0) fail_msg("cannot copy fixture %s (run the tests from the repository root)", fixtures[i]);
    }
    return dir;
}

static inline void rm_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}

static inline long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long)st.st_size : -1;
}

static inline unsigned char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[len] = 0;
    if (n) *n = b ? len : 0;
    return b;
}

/* Fails unless path is a PNG whose IHDR says w x h. */
static inline void assert_png(const char *path, int w, int h)
{
    long n = 0;
    unsigned char *b = slurp(path, &n);
    if (!b) fail_msg("%s: missing", path);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int ok = n > 33 && !memcmp(b, sig, 8) && !memcmp(b + 12, "IHDR", 4);
    long pw = ok ? (long)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19] : -1;
    long ph = ok ? (long)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23] : -1;
    int iend = n > 12 && !memcmp(b + n - 8, "IEND", 4); /* complete, not truncated */
    free(b);
    if (!ok || !iend) fail_msg("%s: not a complete PNG (%ld bytes)", path, n);
    if (pw != w || ph != h) fail_msg("%s: PNG is %ldx%ld, expected %dx%d", path, pw, ph, w, h);
}

/* Walks the GIF block structure; returns the number of frames (fails on a malformed file). */
static inline int gif_frames(const char *path, int *w, int *h)
{
    long n = 0;
    unsigned char *b = slurp(path, &n);
    if (!b) fail_msg("%s: missing", path);
    if (n < 13 || memcmp(b, "GIF89a", 6)) fail_msg("%s: no GIF89a header", path);
    *w = b[6] | b[7] << 8, *h = b[8] | b[9] << 8;
    long p = 13;
    if (b[10] & 0x80) p += 3L << ((b[10] & 7) + 1);
    int frames = 0, done = 0;
    while (p < n && !done) {
        unsigned char t = b[p++];
        if (t == 0x3B) done = 1;
        else if (t == 0x21 || t == 0x2C) {
            if (t == 0x2C) {
                if (p + 9 > n) break;
                unsigned char flags = b[p + 8];
                p += 9;
                if (flags & 0x80) p += 3L << ((flags & 7) + 1);
                p++; /* LZW minimum code size */
                frames++;
            } else {
                p++; /* extension label */
            }
            while (p < n && b[p]) p += b[p] + 1; /* data sub-blocks */
            p++;
        } else {
            break;
        }
    }
    free(b);
    if (!done) fail_msg("%s: malformed or truncated GIF", path);
    return frames;
}

static inline void assert_file_contains(const char *path, const char *needle)
{
    unsigned char *b = slurp(path, NULL);
    if (!b) fail_msg("%s: missing", path);
    int found = strstr((char *)b, needle) != NULL;
    free(b);
    if (!found) fail_msg("%s: does not contain \"%s\"", path, needle);
}

#endif
