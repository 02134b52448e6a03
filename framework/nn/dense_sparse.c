/* Sparse-input products of the dense layer (see dense_sparse.h). The outputs are cut into blocks
 * of BW = 64 columns, split between the thread pool's workers, and the inputs into bands of
 * BAND = 128 columns. For one output block and input band a worker copies the weights transposed
 * into a tile (BAND x 64 floats, 32 KB: it stays in L1), and each nonzero input x[r][j] of the
 * band costs one multiply-add of tile row j into 64 accumulators held in registers; a row's
 * accumulators are kept between bands, so each output's sum still runs over its nonzero inputs
 * in ascending order. The weight gradient does the same per input column over bands of rows
 * (the batch in compressed-column form) and adds its I x 64 sums into dW transposed.
 * Dense sgemm spends 2 * B * I * O flops on these products whatever the input; this spends them
 * on the nonzeros only: on MNIST batches about a fifth. The vector kernels (finding nonzeros, the
 * band products) are in kernels_sparse.c. */
#include "dense_sparse.h"
#include "dense_sparse_common.h"

#include <string.h>

#include "../core/parallel.h"
#include "kernels_sparse.h"

/* Rows are gathered in this many fixed groups (see gather_rows); the CSR has I spare slots per
 * group. */
#define GROUPS 8

/* The batch's nonzeros twice: row by row (CSR: col_index, row_value, from row_band[r][b] for
 * band b of columns) and column by column (CSC: row_index, col_value, from col_band[b][j] for
 * band b of rows). Both are in ascending order within a row or column. */
typedef struct {
    int *held;                  /* [0]: the batch size whose rows the CSR holds (0: none) */
    const float **held_input;   /* and the input it came from */
    int n_col_bands, n_row_bands;
    int *row_band;              /* B x (n_col_bands + 1): where row r's nonzeros of column band b begin */
    int *col_band;              /* (n_row_bands + 1) x I: where column j's nonzeros of row band b begin */
    int *next;                  /* I: fill positions while building the CSC */
    int *row_order, *col_order; /* rows (B) and columns (I) in order of their number of nonzeros */
    int *hist;                  /* B + I + 2, for sorting them */
    int *col_index, *row_index; /* per nonzero (CSR: cap + GROUPS I slots, CSC: cap) */
    float *row_value, *col_value;
    float *work;                /* per worker: worker_floats(B, I) */
    size_t cap;                 /* the most nonzeros the sparse route takes */
} sparse_scratch;

static size_t cap_of(int batch, int I)
{
    return (size_t)batch * I * IP_SPARSE_MAX_DENSITY_NUM / IP_SPARSE_MAX_DENSITY_DEN;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

static int bands(int n) { return (n + BAND - 1) / BAND; }

/* A worker's room: the weight tile (BAND x BW) and the output rows' partial sums (B x BW) of the
 * forward product, or the gradient's block of dout (B x BW) and its sums (I x BW); then the
 * block's bias (BW). Rows here are contiguous: rows O floats apart would share cache sets. */
static size_t worker_floats(int batch, int I) { return (size_t)BAND * BW + ((size_t)batch + I) * BW + BW; }

static size_t int_slots(int batch, int I)
{
    size_t cap = cap_of(batch, I);
    return 16 + round16((size_t)batch * (bands(I) + 1)) + round16((size_t)(bands(batch) + 1) * I) +
           round16((size_t)I) + round16((size_t)batch) + round16((size_t)I) + round16((size_t)batch + I + 2) +
           round16(cap + (size_t)GROUPS * I) + round16(cap);
}

size_t ip_dense_sparse_scratch_floats(int max_batch, int I, int O)
{
    size_t cap = cap_of(max_batch, I);
    return int_slots(max_batch, I) + round16(cap + (size_t)GROUPS * I) + round16(cap) +
           (size_t)IP_PAR_MAX_THREADS * worker_floats(max_batch, I);
}

/* Lays the scratch out for the batch at hand (a smaller batch needs less of the room sized for
 * max_batch). */
static sparse_scratch carve(float *scratch, int batch, int I)
{
    sparse_scratch s;
    s.cap = cap_of(batch, I);
    s.n_col_bands = bands(I);
    s.n_row_bands = bands(batch);
    int *ip = (int *)scratch;
    s.held = ip;
    s.held_input = (const float **)(void *)(ip + 8); /* 64-byte aligned scratch: room for a pointer */
    ip += 16;
    s.row_band = ip, ip += round16((size_t)batch * (s.n_col_bands + 1));
    s.col_band = ip, ip += round16((size_t)(s.n_row_bands + 1) * I);
    s.next = ip, ip += round16((size_t)I);
    s.row_order = ip, ip += round16((size_t)batch);
    s.col_order = ip, ip += round16((size_t)I);
    s.hist = ip, ip += round16((size_t)batch + I + 2);
    s.col_index = ip, ip += round16(s.cap + (size_t)GROUPS * I);
    s.row_index = ip, ip += round16(s.cap);
    float *fp = (float *)ip;
    s.row_value = fp, fp += round16(s.cap + (size_t)GROUPS * I);
    s.col_value = fp, fp += round16(s.cap);
    s.work = fp;
    return s;
}

static int *row_bands_of(const sparse_scratch *s, int r) { return s->row_band + (size_t)r * (s->n_col_bands + 1); }

/* The batch's nonzeros row by row (CSR) into s, gathered on the thread pool in GROUPS fixed groups
 * of rows (fixed, so that the outcome does not depend on the thread count). Group g's rows fill
 * their own stretch of the arrays, room for half of its elements plus I spare slots; the
 * stretches need not be contiguous, as every row's nonzeros are found through row_band.
 * Each element's slot is written and the position advances only past nonzeros (no branch per
 * element). NaN counts as nonzero, so it reaches the output. */

typedef struct {
    sparse_scratch *s;
    const float *in;
    int batch, I, too_many[GROUPS];
} gather_job;

static size_t group_first_row(int g, int batch) { return (size_t)batch * g / GROUPS; }

static void gather_groups(void *ctx, int begin, int end, int worker)
{
    gather_job *job = ctx;
    sparse_scratch *s = job->s;
    int I = job->I;
    for (int g = begin; g < end; g++) {
        size_t r0 = group_first_row(g, job->batch), r1 = group_first_row(g + 1, job->batch);
        size_t n = cap_of((int)r0, I) + (size_t)g * I, limit = n + cap_of((int)(r1 - r0), I);
        job->too_many[g] = 0;
        for (size_t r = r0; r < r1; r++) {
            const float *x = job->in + r * I;
            int *band = row_bands_of(s, (int)r);
            for (int b = 0; b < s->n_col_bands; b++) {
                band[b] = (int)n;
                int j_end = (b + 1) * BAND < I ? (b + 1) * BAND : I;
                n += ip_kern_nonzeros(s->col_index + n, s->row_value + n, x, b * BAND, j_end);
            }
            band[s->n_col_bands] = (int)n;
            if (n > limit) {
                job->too_many[g] = 1;
                break;
            }
        }
    }
}

/* 1 when every group of rows is at most half nonzeros (then gathered), else 0. */
static int gather_rows(sparse_scratch *s, const float *in, int batch, int I)
{
    gather_job job = {.s = s, .in = in, .batch = batch, .I = I};
    ip_parallel_for(GROUPS, 1, gather_groups, &job);
    for (int g = 0; g < GROUPS; g++)
        if (job.too_many[g]) return 0;
    return 1;
}

/* The same nonzeros column by column (CSC), rows ascending within a column, from the CSR. */
static void rows_to_columns(sparse_scratch *s, int batch, int I)
{
    int *start = s->col_band, nb = s->n_col_bands;
    memset(start, 0, (size_t)I * sizeof *start);
    for (int r = 0; r < batch; r++) {
        const int *band = row_bands_of(s, r);
        for (int k = band[0]; k < band[nb]; k++) start[s->col_index[k]]++;
    }
    /* counts -> where each column begins */
    int pos = 0;
    for (int j = 0; j < I; j++) {
        int c = start[j];
        start[j] = pos;
        pos += c;
    }
    memcpy(s->next, start, (size_t)I * sizeof *s->next);
    for (int r = 0; r < batch; r++) {
        if (r % BAND == 0 && r > 0) /* row band r / BAND begins: each column's fill position */
            memcpy(s->col_band + (size_t)(r / BAND) * I, s->next, (size_t)I * sizeof *s->next);
        const int *band = row_bands_of(s, r);
        for (int k = band[0]; k < band[nb]; k++) {
            int p = s->next[s->col_index[k]]++;
            s->row_index[p] = r;
            s->col_value[p] = s->row_value[k];
        }
    }
    memcpy(s->col_band + (size_t)s->n_row_bands * I, s->next, (size_t)I * sizeof *s->next);
}

/* order (n) <- 0 .. n-1 in order of length (end_i - start_i): a counting sort, hist having room
 * for max + 2 counts. The kernels take rows (columns) two at a time, and pairs of equal length
 * end together. */
static void order_by_length(int *order, const int *start, const int *end, int stride, int n, int *hist, int max)
{
    memset(hist, 0, ((size_t)max + 2) * sizeof *hist);
    for (int i = 0; i < n; i++) hist[end[(size_t)i * stride] - start[(size_t)i * stride] + 1]++;
    for (int v = 0; v <= max; v++) hist[v + 1] += hist[v];
    for (int i = 0; i < n; i++) order[hist[end[(size_t)i * stride] - start[(size_t)i * stride]]++] = i;
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
    float *bias = part + ((size_t)batch + I) * BW;
    for (int blk = begin; blk < end; blk++) {
        int o0 = blk * BW, w = O - o0 < BW ? O - o0 : BW;
        memcpy(bias, job->b + o0, (size_t)w * sizeof *bias);
        memset(bias + w, 0, (size_t)(BW - w) * sizeof *bias);
        for (int b = 0; b < s->n_col_bands; b++) {
            int j0 = b * BAND, n = I - j0 < BAND ? I - j0 : BAND;
            ip_transpose_into_tile(tile, job->W, I, o0, w, j0, n);
            ip_kern_sparse_rows_band(part, tile, b, bias, s->row_order, batch, s->row_band, s->n_col_bands + 1,
                                     s->col_index, s->row_value);
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
    for (int blk = begin; blk < end; blk++) {
        int o0 = blk * BW, w = O - o0 < BW ? O - o0 : BW;
        /* the block's columns of dout, contiguous and zero-padded */
        for (int r = 0; r < batch; r++) {
            float *d = dout_block + (size_t)r * BW;
            memcpy(d, job->dout + (size_t)r * O + o0, (size_t)w * sizeof *d);
            memset(d + w, 0, (size_t)(BW - w) * sizeof *d);
        }
        for (int b = 0; b < s->n_row_bands; b++) {
            const int *from = s->col_band + (size_t)b * I;
            ip_kern_sparse_cols_band(sums, dout_block, b, s->col_order, I, from, from + I, s->row_index,
                                     s->col_value);
        }
        for (int i = 0; i < w; i++) {
            float *g = job->dW + (size_t)(o0 + i) * I;
            for (int j = 0; j < I; j++) g[j] += sums[(size_t)j * BW + i];
        }
    }
}

int ip_dense_sparse_takes(const float *in, int batch, int I)
{
    for (int g = 0; g < GROUPS; g++) {
        size_t r0 = group_first_row(g, batch), r1 = group_first_row(g + 1, batch), n = 0;
        for (size_t k = r0 * I; k < r1 * I; k++) n += in[k] != 0.0f;
        if (n > cap_of((int)(r1 - r0), I)) return 0;
    }
    return 1;
}

int ip_dense_sparse_forward(float *out, const float *in, const float *W, const float *b, int batch, int I,
                            int O, float *scratch)
{
    sparse_scratch s = carve(scratch, batch, I);
    *s.held = 0;
    if (!gather_rows(&s, in, batch, I)) return 0;
    *s.held = batch;
    *s.held_input = in;
    order_by_length(s.row_order, s.row_band, s.row_band + s.n_col_bands, s.n_col_bands + 1, batch, s.hist, I);
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
    const int *first = s.col_band, *last = s.col_band + (size_t)s.n_row_bands * I;
    order_by_length(s.col_order, first, last, 1, I, s.hist, batch);
    sparse_job job = {&s, NULL, dW, NULL, NULL, dout, batch, I, O};
    ip_parallel_for((O + BW - 1) / BW, 1, grad_blocks, &job);
    return 1;
}
