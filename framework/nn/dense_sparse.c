/* Sparse-input products of the dense layer (see dense_sparse.h). The outputs are cut into blocks
 * of BW = 64 columns, split between the thread pool's workers, and the inputs into bands of
 * BAND = 128 columns. For one output block and input band a worker copies the weights transposed
 * into a tile (BAND x 64 floats, 32 KB: it stays in L1), and each nonzero input x[r][j] of the
 * band costs one multiply-add of tile row j into 64 accumulators held in registers; a row's
 * accumulators go back to out between bands, so each output's sum still runs over its nonzero
 * inputs in ascending order. The weight gradient does the same per input column over bands of
 * rows (the batch in compressed-column form) and adds its I x 64 sums into dW transposed.
 * Dense sgemm spends 2 * B * I * O flops on these products whatever the input; this spends them
 * on the nonzeros only: on MNIST batches about a fifth. */
#include "dense_sparse.h"

#include <string.h>

#include "../core/parallel.h"

#define BW 64
#define BAND 128

/* Sixteen floats, the kernels' unit. Built three times (AVX-512, AVX2, SSE) and picked at load
 * time; the ISO C mode the project builds in (no FP contraction) gives all three the same
 * multiply-then-add arithmetic, so the same results. */
typedef float v16 __attribute__((vector_size(64)));
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

typedef struct {
    int *held;                         /* [0]: the batch size whose rows the CSR holds (0: none) */
    const float **held_input;          /* and the input it came from */
    int *row_start, *col_start, *next; /* B + 1, I + 1, I */
    int *row_order, *col_order;        /* rows (B) and columns (I) by number of nonzeros */
    int *hist;                         /* B + I + 2, for sorting them */
    int *col_index, *row_index;        /* CSR column of each nonzero (cap + I), CSC row (cap) */
    float *row_value, *col_value;      /* their values */
    float *work;                       /* per worker: WORKER_FLOATS(B, I) */
    size_t cap;                        /* the most nonzeros the sparse route takes */
} sparse_scratch;

static size_t cap_of(int batch, int I)
{
    return (size_t)batch * I * IP_SPARSE_MAX_DENSITY_NUM / IP_SPARSE_MAX_DENSITY_DEN;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* A worker's room: the weight tile (BAND x BW) and the output rows' partial sums (B x BW) of the
 * forward product, or the gradient's block of dout (B x BW) and its sums (I x BW); then a cursor
 * per row or column (max(B, I) ints) and the block's bias (BW). Rows here are contiguous: rows
 * O floats apart would share cache sets. */
static size_t worker_floats(int batch, int I)
{
    return (size_t)BAND * BW + ((size_t)batch + I) * BW + round16((size_t)(batch > I ? batch : I)) + BW;
}

size_t ip_dense_sparse_scratch_floats(int max_batch, int I, int O)
{
    size_t cap = cap_of(max_batch, I);
    size_t ints = 16 + round16((size_t)max_batch + 1) + round16((size_t)I + 1) + round16((size_t)I) +
                  round16((size_t)max_batch) + round16((size_t)I) + round16((size_t)max_batch + I + 2) +
                  round16(cap + I) + round16(cap);
    return ints + round16(cap + I) + round16(cap) + (size_t)IP_PAR_MAX_THREADS * worker_floats(max_batch, I);
}

/* Lays the scratch out for the batch at hand (a smaller batch needs less of the room sized for
 * max_batch). */
static sparse_scratch carve(float *scratch, int batch, int I)
{
    sparse_scratch s;
    s.cap = cap_of(batch, I);
    int *ip = (int *)scratch;
    s.held = ip;
    s.held_input = (const float **)(void *)(ip + 8); /* 64-byte aligned scratch: room for a pointer */
    ip += 16;
    s.row_start = ip, ip += round16((size_t)batch + 1);
    s.col_start = ip, ip += round16((size_t)I + 1);
    s.next = ip, ip += round16((size_t)I);
    s.row_order = ip, ip += round16((size_t)batch);
    s.col_order = ip, ip += round16((size_t)I);
    s.hist = ip, ip += round16((size_t)batch + I + 2);
    s.col_index = ip, ip += round16(s.cap + I);
    s.row_index = ip, ip += round16(s.cap);
    float *fp = (float *)ip;
    s.row_value = fp, fp += round16(s.cap + I);
    s.col_value = fp, fp += round16(s.cap);
    s.work = fp;
    return s;
}

/* The batch's nonzeros row by row (CSR) into s; 0 when there are more than s->cap. Writes every
 * element's slot and advances only past nonzeros (no branch per element); the I spare slots
 * take the last row's writes beyond cap. NaN counts as nonzero, so it reaches the output. */
static int gather_rows(sparse_scratch *s, const float *in, int batch, int I)
{
    size_t n = 0;
    for (int r = 0; r < batch; r++) {
        const float *x = in + (size_t)r * I;
        s->row_start[r] = (int)n;
        for (int j = 0; j < I; j++) {
            s->col_index[n] = j;
            s->row_value[n] = x[j];
            n += x[j] != 0.0f;
        }
        if (n > s->cap) return 0;
    }
    s->row_start[batch] = (int)n;
    return 1;
}

/* order (n) <- 0 .. n-1 sorted by count[i + 1] - count[i] (a counting sort; hist has max + 2 ints).
 * The kernels take rows (columns) two at a time, and pairs of equal length leave no tails. */
static void order_by_length(int *order, const int *start, int n, int *hist, int max)
{
    memset(hist, 0, ((size_t)max + 2) * sizeof *hist);
    for (int i = 0; i < n; i++) hist[start[i + 1] - start[i] + 1]++;
    for (int v = 0; v <= max; v++) hist[v + 1] += hist[v];
    for (int i = 0; i < n; i++) order[hist[start[i + 1] - start[i]]++] = i;
}

/* The same nonzeros column by column (CSC), rows ascending within a column, from the CSR. */
static void rows_to_columns(sparse_scratch *s, int batch, int I)
{
    int nnz = s->row_start[batch];
    memset(s->col_start, 0, ((size_t)I + 1) * sizeof *s->col_start);
    for (int k = 0; k < nnz; k++) s->col_start[s->col_index[k] + 1]++;
    for (int j = 0; j < I; j++) s->col_start[j + 1] += s->col_start[j];
    memcpy(s->next, s->col_start, (size_t)I * sizeof *s->next);
    for (int r = 0; r < batch; r++)
        for (int k = s->row_start[r]; k < s->row_start[r + 1]; k++) {
            int pos = s->next[s->col_index[k]]++;
            s->row_index[pos] = r;
            s->col_value[pos] = s->row_value[k];
        }
}

/* tile (n x BW) <- rows o0 .. o0+w of W (O x I), columns j0 .. j0+n, transposed; zero beyond w. */
static void transpose_into_tile(float *tile, const float *W, int I, int o0, int w, int j0, int n)
{
    for (int i = 0; i < BW; i++) {
        if (i < w) {
            const float *src = W + (size_t)(o0 + i) * I + j0;
            for (int j = 0; j < n; j++) tile[(size_t)j * BW + i] = src[j];
        } else {
            for (int j = 0; j < n; j++) tile[(size_t)j * BW + i] = 0.0f;
        }
    }
}

/* Macros rather than functions: a function returning a 64-byte vector draws a psABI warning in
 * the clones built without AVX-512. */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v16))
#define STORE16(p, v) memcpy((p), &(v), sizeof(v16))
/* a0..a3 += x * p[0..64) */
#define MADD64(a0, a1, a2, a3, x, p)                                                                  \
    do {                                                                                              \
        v16 t0_, t1_, t2_, t3_;                                                                       \
        LOAD16(t0_, p), LOAD16(t1_, (p) + 16), LOAD16(t2_, (p) + 32), LOAD16(t3_, (p) + 48);         \
        a0 += (x)*t0_, a1 += (x)*t1_, a2 += (x)*t2_, a3 += (x)*t3_;                                   \
    } while (0)
#define LOAD64(a0, a1, a2, a3, p) (LOAD16(a0, p), LOAD16(a1, (p) + 16), LOAD16(a2, (p) + 32), LOAD16(a3, (p) + 48))
#define STORE64(p, a0, a1, a2, a3) (STORE16(p, a0), STORE16((p) + 16, a1), STORE16((p) + 32, a2), STORE16((p) + 48, a3))

/* Both kernels take two output rows (dW columns) at a time: one row's sum is a chain of dependent
 * adds, and a second, independent chain keeps the FP units busy. Pairs come in order of length,
 * so they end together. */

/* For every row r: part[r] (BW floats) += sum over r's nonzeros in columns [j0, j1) of
 * x * tile[j - j0], starting from bias instead when first. cursor[r] is where r's nonzeros in
 * this band begin, and is moved past them. */
CLONES static void forward_band(float *part, const float *tile, int j0, int j1, const float *bias, int first,
                                const sparse_scratch *s, int *cursor, int batch)
{
    const int *end = s->row_start + 1, *col = s->col_index;
    const float *val = s->row_value;
    for (int p = 0; p < batch; p += 2) {
        int r = s->row_order[p], q = p + 1 < batch ? s->row_order[p + 1] : r;
        float *part_r = part + (size_t)r * BW, *part_q = part + (size_t)q * BW;
        v16 a0, a1, a2, a3, c0, c1, c2, c3;
        LOAD64(a0, a1, a2, a3, first ? bias : part_r);
        LOAD64(c0, c1, c2, c3, first ? bias : part_q);
        int k = cursor[r], k_end = end[r], m = cursor[q], m_end = q != r ? end[q] : m;
        for (; k < k_end && col[k] < j1 && m < m_end && col[m] < j1; k++, m++) {
            MADD64(a0, a1, a2, a3, val[k], tile + (size_t)(col[k] - j0) * BW);
            MADD64(c0, c1, c2, c3, val[m], tile + (size_t)(col[m] - j0) * BW);
        }
        for (; k < k_end && col[k] < j1; k++) MADD64(a0, a1, a2, a3, val[k], tile + (size_t)(col[k] - j0) * BW);
        for (; m < m_end && col[m] < j1; m++) MADD64(c0, c1, c2, c3, val[m], tile + (size_t)(col[m] - j0) * BW);
        cursor[r] = k;
        STORE64(part_r, a0, a1, a2, a3);
        if (q == r) continue;
        cursor[q] = m;
        STORE64(part_q, c0, c1, c2, c3);
    }
}

/* For every column j: sums[j] += sum over j's nonzeros in rows [r0, r1) of x * dout_block[r - r0]
 * (starting from zero when first); cursor as in forward_band, per column. */
CLONES static void grad_band(float *sums, const float *dout_block, int r0, int r1, int first,
                             const sparse_scratch *s, int *cursor, int I)
{
    const int *end = s->col_start + 1, *row = s->row_index;
    const float *val = s->col_value;
    for (int p = 0; p < I; p += 2) {
        int j = s->col_order[p], q = p + 1 < I ? s->col_order[p + 1] : j;
        float *sum_j = sums + (size_t)j * BW, *sum_q = sums + (size_t)q * BW;
        v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
        if (!first) LOAD64(a0, a1, a2, a3, sum_j), LOAD64(c0, c1, c2, c3, sum_q);
        int k = cursor[j], k_end = end[j], m = cursor[q], m_end = q != j ? end[q] : m;
        for (; k < k_end && row[k] < r1 && m < m_end && row[m] < r1; k++, m++) {
            MADD64(a0, a1, a2, a3, val[k], dout_block + (size_t)(row[k] - r0) * BW);
            MADD64(c0, c1, c2, c3, val[m], dout_block + (size_t)(row[m] - r0) * BW);
        }
        for (; k < k_end && row[k] < r1; k++) MADD64(a0, a1, a2, a3, val[k], dout_block + (size_t)(row[k] - r0) * BW);
        for (; m < m_end && row[m] < r1; m++) MADD64(c0, c1, c2, c3, val[m], dout_block + (size_t)(row[m] - r0) * BW);
        cursor[j] = k;
        STORE64(sum_j, a0, a1, a2, a3);
        if (q == j) continue;
        cursor[q] = m;
        STORE64(sum_q, c0, c1, c2, c3);
    }
}

typedef struct {
    const sparse_scratch *s;
    float *out, *dW;
    const float *W, *b, *dout;
    int batch, I, O;
} sparse_job;

static float *worker_area(const sparse_job *job, int worker)
{
    return job->s->work + (size_t)worker * worker_floats(job->batch, job->I);
}

static void forward_blocks(void *ctx, int begin, int end, int worker)
{
    const sparse_job *job = ctx;
    const sparse_scratch *s = job->s;
    int I = job->I, O = job->O, batch = job->batch;
    float *tile = worker_area(job, worker), *part = tile + (size_t)BAND * BW;
    int *cursor = (int *)(part + ((size_t)batch + I) * BW);
    float *bias = (float *)cursor + round16((size_t)(batch > I ? batch : I));
    for (int blk = begin; blk < end; blk++) {
        int o0 = blk * BW, w = O - o0 < BW ? O - o0 : BW;
        memcpy(bias, job->b + o0, (size_t)w * sizeof *bias);
        memset(bias + w, 0, (size_t)(BW - w) * sizeof *bias);
        memcpy(cursor, s->row_start, (size_t)batch * sizeof *cursor);
        for (int j0 = 0; j0 < I; j0 += BAND) {
            int n = I - j0 < BAND ? I - j0 : BAND;
            transpose_into_tile(tile, job->W, I, o0, w, j0, n);
            forward_band(part, tile, j0, j0 + n, bias, j0 == 0, s, cursor, batch);
        }
        for (int r = 0; r < batch; r++)
            memcpy(job->out + (size_t)r * O + o0, part + (size_t)r * BW, (size_t)w * sizeof *part);
    }
}

static void grad_blocks(void *ctx, int begin, int end, int worker)
{
    const sparse_job *job = ctx;
    const sparse_scratch *s = job->s;
    int I = job->I, O = job->O, batch = job->batch;
    float *dout_block = worker_area(job, worker) + (size_t)BAND * BW, *sums = dout_block + (size_t)batch * BW;
    int *cursor = (int *)(sums + (size_t)I * BW);
    for (int blk = begin; blk < end; blk++) {
        int o0 = blk * BW, w = O - o0 < BW ? O - o0 : BW;
        /* the block's columns of dout, contiguous and zero-padded: rows O floats apart would
         * map to the same cache sets */
        for (int r = 0; r < batch; r++) {
            float *d = dout_block + (size_t)r * BW;
            memcpy(d, job->dout + (size_t)r * O + o0, (size_t)w * sizeof *d);
            memset(d + w, 0, (size_t)(BW - w) * sizeof *d);
        }
        memcpy(cursor, s->col_start, (size_t)I * sizeof *cursor);
        for (int r0 = 0; r0 < batch; r0 += BAND) {
            int r1 = batch - r0 < BAND ? batch : r0 + BAND;
            grad_band(sums, dout_block + (size_t)r0 * BW, r0, r1, r0 == 0, s, cursor, I);
        }
        for (int i = 0; i < w; i++) {
            float *g = job->dW + (size_t)(o0 + i) * I;
            for (int j = 0; j < I; j++) g[j] += sums[(size_t)j * BW + i];
        }
    }
}

int ip_dense_sparse_forward(float *out, const float *in, const float *W, const float *b, int batch, int I,
                            int O, float *scratch)
{
    sparse_scratch s = carve(scratch, batch, I);
    *s.held = 0;
    if (!gather_rows(&s, in, batch, I)) return 0;
    *s.held = batch;
    *s.held_input = in;
    order_by_length(s.row_order, s.row_start, batch, s.hist, I);
    sparse_job job = {&s, out, NULL, W, b, NULL, batch, I, O};
    ip_parallel_for((O + BW - 1) / BW, 1, forward_blocks, &job);
    return 1;
}

int ip_dense_sparse_weight_grad(float *dW, const float *dout, const float *in, int batch, int I, int O,
                                float *scratch)
{
    sparse_scratch s = carve(scratch, batch, I);
    /* The backward pass follows the forward pass of the same batch (layer.h), whose rows are
     * still here; gathered again only when called on its own. */
    if (!(*s.held == batch && *s.held_input == in)) {
        *s.held = 0;
        if (!gather_rows(&s, in, batch, I)) return 0;
    }
    rows_to_columns(&s, batch, I);
    order_by_length(s.col_order, s.col_start, I, s.hist, batch);
    sparse_job job = {&s, NULL, dW, NULL, NULL, dout, batch, I, O};
    ip_parallel_for((O + BW - 1) / BW, 1, grad_blocks, &job);
    return 1;
}
