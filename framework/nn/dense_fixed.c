/* Forward products over a fixed set of sparse rows, four rows at a time (see dense_fixed.h).
 * Per batch, rows are grouped greedily: each row not yet grouped takes the three rows (among the
 * next WINDOW ungrouped ones of its batch) that add the fewest new nonzero columns. Per group the
 * union of the four rows' nonzero columns is stored in ascending order with the four values
 * (zero where a row has none). The product runs as ip_dense_sparse_forward's: output blocks of BW
 * columns split between the pool's workers, input bands of BAND columns whose transposed weights
 * (a 32 KB tile) stay in L1, a group's 4 x BW sums held in sixteen registers while its union
 * columns of the band are added and kept between bands. The weights are transposed once per
 * pass over the set (at its first batch) and kept, not once per batch, which took a third of the
 * time. */
#include "dense_fixed.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/parallel.h"
#include "dense_sparse.h"
#include "dense_sparse_common.h"
#include "kernels_sparse.h"

#define ROWS 4 /* rows per group */
_Static_assert(ROWS == 4, "ip_kern_fixed_band takes groups of four rows");
/* A row's partners are sought among the next WINDOW rows not yet grouped: grouping costs
 * rows x WINDOW mask comparisons, not rows^2 (a full-batch run has batches of 60,000). */
#define WINDOW 256

struct ip_fixed_rows {
    int n, I, batch, n_batches, n_bands;
    int *batch_group; /* n_batches + 1: each batch's first group */
    int *group_rows;  /* ROWS per group: a row of its batch, or batch + slot - 1 for an empty slot */
    int *group_band;  /* n_bands + 1 per group: where its union columns of each band begin */
    int *col;         /* the union columns */
    float *val;       /* ROWS values per union column */
    float *part;      /* per worker: the partial sums of batch + ROWS - 1 rows (BW each) */
    float *wt;        /* the weights transposed: per output block, n_bands tiles of BAND x BW */
    size_t wt_floats; /* of wt, for O outputs (0: none yet) */
    const float *wt_of; /* the W they came from */
};

void ip_fixed_rows_free(ip_fixed_rows *f)
{
    if (!f) return;
    free(f->batch_group);
    free(f->group_rows);
    free(f->group_band);
    free(f->col);
    free(f->val);
    free(f->part);
    free(f->wt);
    free(f);
}

/* Groups the rows of one batch (x: rows x I) into ROWS-row groups, written to group_rows;
 * returns the number of groups. mask: rows x words scratch, used: rows. */
static int group_batch(int *group_rows, const float *x, int rows, int I, uint64_t *mask, char *used)
{
    int words = (I + 63) / 64, n_groups = 0;
    if (rows <= 0) return 0;
    memset(mask, 0, (size_t)rows * words * sizeof *mask);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < I; j++)
            if (x[(size_t)r * I + j] != 0.0f) mask[(size_t)r * words + j / 64] |= (uint64_t)1 << (j % 64);
    memset(used, 0, (size_t)rows);
    uint64_t cur[(IP_FIXED_MAX_INPUTS + 63) / 64];
    for (int a = 0; a < rows; a++) {
        if (used[a]) continue;
        int *g = group_rows + (size_t)n_groups * ROWS;
        used[a] = 1;
        g[0] = a;
        memcpy(cur, mask + (size_t)a * words, (size_t)words * sizeof *cur);
        for (int s = 1; s < ROWS; s++) {
            int best = -1, best_cost = INT_MAX, seen = 0;
            for (int c = a + 1; c < rows && best_cost > 0 && seen < WINDOW; c++) {
                if (used[c]) continue;
                seen++;
                int cost = 0;
                for (int w = 0; w < words; w++) cost += __builtin_popcountll(mask[(size_t)c * words + w] & ~cur[w]);
                if (cost < best_cost) best_cost = cost, best = c;
            }
            if (best < 0) {
                g[s] = rows + s - 1; /* an empty slot: its sums are computed and dropped */
                continue;
            }
            used[best] = 1;
            g[s] = best;
            for (int w = 0; w < words; w++) cur[w] |= mask[(size_t)best * words + w];
        }
        n_groups++;
    }
    return n_groups;
}

/* The union columns of group g (rows of x, a batch of `rows`) in band b into col/val from position
 * n (counting only when col is NULL); returns the new position. */
static size_t union_band(int *col, float *val, size_t n, const int *g, const float *x, int rows, int I, int b)
{
    int j1 = (b + 1) * BAND < I ? (b + 1) * BAND : I;
    for (int j = b * BAND; j < j1; j++) {
        float v[ROWS];
        int any = 0;
        for (int s = 0; s < ROWS; s++) {
            v[s] = g[s] < rows ? x[(size_t)g[s] * I + j] : 0.0f;
            any |= v[s] != 0.0f; /* NaN counts as nonzero, so it reaches the output */
        }
        if (!any) continue;
        if (col) {
            col[n] = j;
            memcpy(val + n * ROWS, v, sizeof v);
        }
        n++;
    }
    return n;
}

ip_fixed_rows *ip_fixed_rows_build(const float *x, int n, int I, int batch)
{
    if (n <= 0 || I <= 0 || I > IP_FIXED_MAX_INPUTS || batch <= 0) return NULL;
    for (int r0 = 0; r0 < n; r0 += batch)
        if (!ip_dense_sparse_takes(x + (size_t)r0 * I, n - r0 < batch ? n - r0 : batch, I)) return NULL;
    ip_fixed_rows *f = ip_calloc(1, sizeof *f);
    if (!f) return NULL;
    f->n = n, f->I = I, f->batch = batch;
    f->n_batches = (n + batch - 1) / batch;
    f->n_bands = (I + BAND - 1) / BAND;
    int max_groups = f->n_batches * ((batch + ROWS - 1) / ROWS);
    uint64_t *mask = ip_malloc((size_t)batch * ((I + 63) / 64) * sizeof *mask);
    char *used = ip_malloc((size_t)batch);
    f->batch_group = ip_malloc(((size_t)f->n_batches + 1) * sizeof *f->batch_group);
    f->group_rows = ip_malloc((size_t)max_groups * ROWS * sizeof *f->group_rows);
    f->group_band = ip_malloc((size_t)max_groups * (f->n_bands + 1) * sizeof *f->group_band);
    f->part = ip_aligned_alloc((size_t)IP_PAR_MAX_THREADS * ((size_t)batch + ROWS - 1) * BW * sizeof *f->part);
    int ok = mask && used && f->batch_group && f->group_rows && f->group_band && f->part;
    /* the groups; then the union columns, counted and then stored */
    int n_groups = 0;
    for (int i = 0; ok && i < f->n_batches; i++) {
        int r0 = i * batch, rows = n - r0 < batch ? n - r0 : batch;
        f->batch_group[i] = n_groups;
        n_groups += group_batch(f->group_rows + (size_t)n_groups * ROWS, x + (size_t)r0 * I, rows, I, mask, used);
    }
    if (ok) f->batch_group[f->n_batches] = n_groups;
    for (int pass = 0; ok && pass < 2; pass++) {
        size_t pos = 0;
        for (int i = 0; i < f->n_batches; i++) {
            int r0 = i * batch, rows = n - r0 < batch ? n - r0 : batch;
            for (int g = f->batch_group[i]; g < f->batch_group[i + 1]; g++) {
                int *band = f->group_band + (size_t)g * (f->n_bands + 1);
                for (int b = 0; b < f->n_bands; b++) {
                    band[b] = (int)pos;
                    pos = union_band(f->col, f->val, pos, f->group_rows + (size_t)g * ROWS, x + (size_t)r0 * I, rows,
                                     I, b);
                }
                band[f->n_bands] = (int)pos;
            }
        }
        if (pass == 0) {
            if (pos > INT_MAX) { /* positions are ints */
                ok = 0;
                break;
            }
            f->col = ip_malloc((pos + 1) * sizeof *f->col);
            f->val = ip_malloc((pos + 1) * ROWS * sizeof *f->val);
            ok = f->col && f->val;
        }
    }
    free(mask);
    free(used);
    if (!ok) {
        ip_fixed_rows_free(f);
        return NULL;
    }
    return f;
}

typedef struct {
    ip_fixed_rows *f;
    float *out;
    const float *W, *b;
    int batch_index, batch, O, refresh;
} fixed_job;

static void fixed_blocks(void *ctx, int begin, int end, int worker)
{
    const fixed_job *job = ctx;
    const ip_fixed_rows *f = job->f;
    int I = f->I, O = job->O, batch = job->batch;
    int g0 = f->batch_group[job->batch_index], g1 = f->batch_group[job->batch_index + 1];
    float *part = f->part + (size_t)worker * ((size_t)f->batch + ROWS - 1) * BW;
    for (int blk = begin; blk < end; blk++) {
        int o0 = blk * BW, w = O - o0 < BW ? O - o0 : BW;
        float *wt = f->wt + (size_t)blk * f->n_bands * BAND * BW, bias[BW] = {0};
        memcpy(bias, job->b + o0, (size_t)w * sizeof *bias);
        for (int b = 0; b < f->n_bands; b++) {
            int j0 = b * BAND, n = I - j0 < BAND ? I - j0 : BAND;
            if (job->refresh) ip_transpose_into_tile(wt + (size_t)j0 * BW, job->W, I, o0, w, j0, n);
            ip_kern_fixed_band(part, wt + (size_t)j0 * BW, b, bias, f->group_rows, f->group_band, f->n_bands, f->col,
                               f->val, g0, g1);
        }
        for (int r = 0; r < batch; r++)
            memcpy(job->out + (size_t)r * O + o0, part + (size_t)r * BW, (size_t)w * sizeof *part);
    }
}

int ip_dense_fixed_forward(float *out, ip_fixed_rows *f, int row0, int batch, const float *W, const float *b,
                           int I, int O)
{
    if (!f || I != f->I || row0 < 0 || row0 % f->batch != 0 || row0 >= f->n) return 0;
    int rows = f->n - row0 < f->batch ? f->n - row0 : f->batch;
    if (batch != rows) return 0;
    int n_blocks = (O + BW - 1) / BW;
    size_t wt_floats = (size_t)n_blocks * f->n_bands * BAND * BW;
    if (wt_floats != f->wt_floats) {
        free(f->wt);
        f->wt_floats = 0;
        if (!(f->wt = ip_aligned_alloc(wt_floats * sizeof *f->wt))) return 0;
        f->wt_floats = wt_floats;
        f->wt_of = NULL;
    }
    /* A pass over the set begins at its first batch: the weights may have changed since the last. */
    int refresh = row0 == 0 || f->wt_of != W;
    fixed_job job = {f, out, W, b, row0 / f->batch, batch, O, refresh};
    ip_parallel_for(n_blocks, 1, fixed_blocks, &job);
    f->wt_of = W;
    return 1;
}
