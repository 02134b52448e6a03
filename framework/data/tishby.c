/* The 12-bit task of Shwartz-Ziv & Tishby (2017): all 4096 binary patterns and their labels, read
 * from the IDX copies of var_u.mat, or, where those files are missing, made by our own generator
 * in the paper's spirit (the published labels follow no published rule; docs/data.md). */
#include "dataset.h"

#include "core/mem.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TISHBY_BITS 12
#define TISHBY_N 4096

static const char *const IMAGES = "tishby-images-idx2-ubyte";
static const char *const LABELS = "tishby-labels-idx1-ubyte";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The generator. The paper: "12 uniformly distributed points on a 2D sphere" and a label
 * y = [f(x) > theta] with f invariant under O(3) rotations, theta chosen so that p(y=1) ~ 1/2.
 * Ours: the 12 points are the vertices u_i of a regular icosahedron (the one exactly uniform
 * arrangement of 12 points on the sphere), and
 *     f(x) = k + 0.4 |S|^2,   k = sum_i x_i,   S = sum_i x_i u_i,
 * the number of active points plus how clustered they are (the length of their vector sum).
 * Both terms depend only on the angles between the active points, so f is rotation invariant.
 * theta is the value of f that puts the count of ones closest to 2048 (1998 ones result).
 * Why 0.4: like var_u, the label is then 0 for at most 4 active bits, 1 for at least 8, and mixed
 * for 5, 6 and 7 (fractions of ones 0.152, 0.381, 0.924; var_u's: 0.076, 0.576, 0.924); any
 * weight in about [0.39, 0.42] gives the same labels, so rounding cannot flip one. */
#define TISHBY_CLUSTER_WEIGHT 0.4

void ip_tishby_generate(uint8_t *x, uint8_t *y, double *threshold, int *n_ones)
{
    const double phi = (1.0 + sqrt(5.0)) / 2.0;
    double u[TISHBY_BITS][3];
    int v = 0;
    for (int a = -1; a <= 1; a += 2)
        for (int b = -1; b <= 1; b += 2) {
            const double p[3][3] = {{0, a, b * phi}, {a, b * phi, 0}, {b * phi, 0, a}};
            for (int r = 0; r < 3; r++, v++) {
                double norm = sqrt(p[r][0] * p[r][0] + p[r][1] * p[r][1] + p[r][2] * p[r][2]);
                for (int c = 0; c < 3; c++) u[v][c] = p[r][c] / norm;
            }
        }

    /* f on a grid of 1e-9: symmetric patterns then tie exactly despite rounding in the sums. */
    double f[TISHBY_N], sorted[TISHBY_N];
    for (int i = 0; i < TISHBY_N; i++) {
        double s[3] = {0, 0, 0};
        int k = 0;
        for (int j = 0; j < TISHBY_BITS; j++) {
            int bit = (i >> (TISHBY_BITS - 1 - j)) & 1; /* column 0 = most significant, as in var_u */
            x[(size_t)i * TISHBY_BITS + j] = (uint8_t)bit;
            k += bit;
            for (int c = 0; c < 3; c++) s[c] += bit * u[j][c];
        }
        double fx = k + TISHBY_CLUSTER_WEIGHT * (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
        f[i] = sorted[i] = round(fx * 1e9) / 1e9;
    }

    /* theta: among the values f takes, the one whose "f > theta" count is closest to half
     * (the smaller value on a tie). In ascending order, f > sorted[b-1] holds for N - b patterns
     * when b is the end of a run of equal values. */
    qsort(sorted, TISHBY_N, sizeof *sorted, cmp_double);
    double best = 0;
    int best_count = -1;
    for (int b = 1; b <= TISHBY_N; b++) {
        if (b < TISHBY_N && sorted[b] == sorted[b - 1]) continue;
        int count = TISHBY_N - b;
        if (best_count < 0 || abs(count - TISHBY_N / 2) < abs(best_count - TISHBY_N / 2)) {
            best = sorted[b - 1];
            best_count = count;
        }
    }
    for (int i = 0; i < TISHBY_N; i++) y[i] = f[i] > best;
    *threshold = best;
    *n_ones = best_count;
}

static int check_binary(const uint8_t *a, size_t n, size_t stride, const char *path, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] <= 1) continue;
        if (stride == 1) return ip_fail(IP_ERR_FORMAT, "%s: %s %d of sample %zu is not 0 or 1", path, what, a[i], i);
        return ip_fail(IP_ERR_FORMAT, "%s: %s %d at sample %zu, column %zu is not 0 or 1", path, what, a[i],
                       i / stride, i % stride);
    }
    return IP_OK;
}

static void tishby_source(ip_data_source *s, const uint8_t *x, const uint8_t *y, int n, int bits, const char *name)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->c = bits;
    s->h = s->w = 1;
    s->xb = x;
    s->x_stride = (size_t)bits;
    s->yb = y;
    s->y_stride = 1;
    s->scale = 1.0f; /* inputs are the bits themselves, 0 and 1 */
    s->name = name;
}

int ip_data_load_tishby(ip_data *d, const ip_data_config *cfg, uint64_t seed)
{
    static const char *const defaults[] = {"../shared/data/tishby", "data/tishby", NULL};
    char img[IP_PATH_LEN + 64], lbl[IP_PATH_LEN + 64];
    ip_idx x, y;
    uint8_t *gx = NULL, *gy = NULL;
    int rc = IP_OK;
    const char *dir = NULL;
    const char *given[] = {cfg->path, NULL};
    const char *const *dirs = cfg->path[0] ? given : defaults;
    ip_data_source src;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);

    for (int i = 0; dirs[i] && !dir && !cfg->generate; i++)
        if (ip_data_find_file(img, sizeof img, dirs[i], IMAGES) && ip_data_find_file(lbl, sizeof lbl, dirs[i], LABELS)) dir = dirs[i];

    if (!dir && cfg->path[0]) /* asked for files by name: a missing one is an error, not a cue to invent data */
        return ip_fail(IP_ERR_IO, "%s/%s and %s: not found (leave data.path empty to search %s and %s, or to use "
                       "the generator when neither has them)",
                       cfg->path, IMAGES, LABELS, defaults[0], defaults[1]);

    if (!dir) {
        double theta;
        int ones;
        gx = ip_malloc((size_t)TISHBY_N * TISHBY_BITS);
        gy = ip_malloc(TISHBY_N);
        if (!gx || !gy) {
            rc = IP_ERR_NOMEM;
            goto out;
        }
        ip_tishby_generate(gx, gy, &theta, &ones);
        d->generated = 1;
        ip_data_describe(d,
                         "generated: tishby 12-bit task by infoplane's generator (not the var_u labels): all 4096 "
                         "patterns, 12 icosahedron vertices u_i, y = [k + 0.4 |sum_i x_i u_i|^2 > %.6f] (k = active bits), "
                         "%d ones; ",
                         theta, ones);
        if (cfg->generate)
            ip_data_describe(d, "asked for by data.generate (the files in %s or %s, if any, not read)", defaults[0],
                             defaults[1]);
        else
            ip_data_describe(d, "%s and %s not found in %s or %s (scripts/get-data.sh tishby)", IMAGES, LABELS,
                             defaults[0], defaults[1]);
        tishby_source(&src, gx, gy, TISHBY_N, TISHBY_BITS, "the generated tishby task");
    } else {
        if ((rc = ip_idx_read(&x, img, 2, "pattern data")) < 0) goto out;
        if ((rc = ip_idx_read(&y, lbl, 1, "label data")) < 0) goto out;
        if (y.dims[0] != x.dims[0]) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: %d labels, but %s has %d patterns", lbl, y.dims[0], img, x.dims[0]);
            goto out;
        }
        if ((rc = check_binary(x.data, (size_t)x.dims[0] * x.item_size, x.item_size, img, "input")) < 0) goto out;
        if ((rc = check_binary(y.data, (size_t)y.dims[0], 1, lbl, "label")) < 0) goto out;
        ip_data_describe(d, "tishby from %s: %s + %s (%d patterns of %d bits)", dir, img, lbl, x.dims[0], x.dims[1]);
        tishby_source(&src, x.data, y.data, x.dims[0], x.dims[1], img);
    }
    rc = ip_data_assemble(d, &src, NULL, cfg, seed, 2);

out:
    ip_idx_free(&x);
    ip_idx_free(&y);
    free(gx);
    free(gy);
    return rc;
}
