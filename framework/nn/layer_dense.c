/* Fully connected layer, PyTorch's nn.Linear: out = in W^T + b with W [out x in], b [out].
 * A non-flat input (C,H,W) is used as its flat C*H*W vector, as after a flatten.
 * A wide input that is mostly zeros (MNIST's pixels: 81%) takes the sparse route for the forward
 * product and the weight gradient (dense_sparse.c): about a fifth of sgemm's work. A fixed set of
 * such rows, forwarded every epoch (the analysis and test sets), can be prepared to be multiplied
 * four rows at a time (dense_fixed.c, ip_dense_prepare_rows). */
#include <string.h>

#include "../core/blas.h"
#include "../core/parallel.h"
#include "../core/status.h"
#include "dense_fixed.h"
#include "dense_sparse.h"
#include "layer_kinds.h"

/* Only inputs this wide get the sparse route's scratch (the first layer of image nets). */
#define SPARSE_MIN_INPUTS 256
/* Products of fewer multiply-adds than this run with BLAS on one thread (see blas_serial_begin). */
#define SERIAL_MAX_MACS ((size_t)1 << 22)
/* sgemm_pool's blocks: this many rows (or columns) of the output each, whatever the thread count. */
#define POOL_BLOCK 64

/* BLAS never runs its own threads here. Once woken, OpenBLAS's threads spin for about 2^28
 * cycles waiting for more work, taking the cores from the thread pool's workers in the layers
 * that follow: with them the MNIST MLP's epochs on 2 cores were ~10% slower and jittered by
 * +-20 ms. So a large product is cut into blocks of the output that the pool's workers multiply
 * with single-threaded BLAS (sgemm_pool), and a small one (the conv net's 128 -> 10) runs on the
 * caller alone (blas_serial_begin). Either way each output element is one sgemm's sum over the
 * whole inner dimension, which is never split, and the blocks have the same shapes on any number
 * of threads (sgemm picks its kernels by shape, so blocks cut per worker gave other last bits):
 * the trained weights do not depend on the thread count. */

/* For a small layer switches BLAS (and with it the pool) to one thread and returns the previous
 * count to restore, else returns 0: handing out a few microseconds of work costs more than it
 * saves. */
static int blas_serial_begin(int batch, int O, int I)
{
    int t = ip_blas_threads();
    if (t <= 1 || (size_t)batch * O * I >= SERIAL_MAX_MACS) return 0;
    ip_blas_set_threads(1);
    return t;
}

static void blas_serial_end(int t)
{
    if (t > 0) ip_blas_set_threads(t);
}

/* C (m x n) <- alpha op(A) op(B) + beta C, row-major, in blocks of POOL_BLOCK of C's rows, or of
 * its columns when it has more of those; pool_gemm_block multiplies blocks [begin, end) one by one. */
typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc, by_cols;
    float alpha, beta;
    const float *a, *b;
    float *c;
} pool_gemm;

static void pool_gemm_block(void *ctx, int begin, int end, int worker)
{
    const pool_gemm *g = ctx;
    (void)worker;
    for (int blk = begin; blk < end; blk++) {
        int r0 = blk * POOL_BLOCK, len = (g->by_cols ? g->n : g->m) - r0;
        if (len > POOL_BLOCK) len = POOL_BLOCK;
        if (g->by_cols) {
            const float *b = g->tb ? g->b + (size_t)r0 * g->ldb : g->b + r0;
            ip_sgemm(g->ta, g->tb, g->m, len, g->k, g->alpha, g->a, g->lda, b, g->ldb, g->beta, g->c + r0, g->ldc);
        } else {
            const float *a = g->ta ? g->a + r0 : g->a + (size_t)r0 * g->lda;
            ip_sgemm(g->ta, g->tb, len, g->n, g->k, g->alpha, a, g->lda, g->b, g->ldb, g->beta,
                     g->c + (size_t)r0 * g->ldc, g->ldc);
        }
    }
}

/* ip_sgemm's arguments; the blocks run on the pool's workers with BLAS on one thread each. */
static void sgemm_pool(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                       int ldb, float beta, float *c, int ldc)
{
    pool_gemm g = {ta, tb, m, n, k, lda, ldb, ldc, n > m, alpha, beta, a, b, c};
    int rows = g.by_cols ? n : m;
    ip_parallel_for_blas((rows + POOL_BLOCK - 1) / POOL_BLOCK, 1, pool_gemm_block, &g);
}

/* out (B, O) <- in (B, I) W^T + b; params = W (O, I) then b (O). */
static void dense_forward_blas(ip_layer *l, float *out, const float *in, int batch)
{
    int I = ip_shape_size(l->in), O = l->out.c;
    const float *W = l->params, *b = l->params + (size_t)O * I;
    if (l->scratch_floats > 0 && ip_dense_sparse_forward(out, in, W, b, batch, I, O, l->scratch)) return;
    for (int r = 0; r < batch; r++) memcpy(out + (size_t)r * O, b, (size_t)O * sizeof *out);
    /* out (B x O) <- in (B x I) * W^T (I x O) + out (the bias rows) */
    sgemm_pool(0, 1, batch, O, I, 1.0f, in, I, W, I, 1.0f, out, O);
}

static void dense_forward(ip_layer *l, float *out, const float *in, int batch)
{
    int t = blas_serial_begin(batch, l->out.c, ip_shape_size(l->in));
    dense_forward_blas(l, out, in, batch);
    blas_serial_end(t);
}

/* dW (O, I) += dout^T in; db (O) += column sums of dout (B, O); din (B, I) <- dout W. */
static void dense_backward_blas(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                                int batch)
{
    int I = ip_shape_size(l->in), O = l->out.c;
    const float *W = l->params;
    float *dW = l->grads, *db = l->grads + (size_t)O * I;
    if (!(l->scratch_floats > 0 && ip_dense_sparse_weight_grad(dW, dout, in, batch, I, O, l->scratch))) {
        /* dW (O x I) += dout^T (O x B) * in (B x I) */
        sgemm_pool(1, 0, O, I, batch, 1.0f, dout, O, in, I, 1.0f, dW, I);
    }
    for (int r = 0; r < batch; r++) {
        const float *d = dout + (size_t)r * O;
        for (int o = 0; o < O; o++) db[o] += d[o];
    }
    /* din (B x I) <- dout (B x O) * W (O x I) */
    if (din) sgemm_pool(0, 0, batch, I, O, 1.0f, dout, O, W, I, 0.0f, din, I);
}

static void dense_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                           int batch)
{
    int t = blas_serial_begin(batch, l->out.c, ip_shape_size(l->in));
    dense_backward_blas(l, din, dout, in, out, batch);
    blas_serial_end(t);
}

static const ip_layer_ops dense_ops = {"dense", dense_forward, dense_backward};

/* A dense layer with a sparse-input route (only those take prepared rows; the others use sgemm). */
static int has_sparse_route(const ip_layer *l) { return l->ops == &dense_ops && l->scratch_floats > 0; }

ip_fixed_rows *ip_dense_prepare_rows(const ip_layer *l, const float *x, int n, int batch)
{
    return has_sparse_route(l) ? ip_fixed_rows_build(x, n, ip_shape_size(l->in), batch) : NULL;
}

int ip_dense_forward_fixed(ip_layer *l, float *out, ip_fixed_rows *f, int row0, int batch)
{
    if (!has_sparse_route(l)) return 0;
    int I = ip_shape_size(l->in), O = l->out.c;
    return ip_dense_fixed_forward(out, f, row0, batch, l->params, l->params + (size_t)O * I, I, O);
}

int ip_dense_setup(ip_layer *l, int max_batch, int index)
{
    int I = ip_shape_size(l->in), O = l->spec.units;
    if (O <= 0) return ip_fail(IP_ERR_FORMAT, "layer %d (dense): units must be positive, not %d", index, O);
    l->ops = &dense_ops;
    l->out = (ip_shape){O, 1, 1};
    l->n_weights = (size_t)O * I;
    l->n_params = l->n_weights + (size_t)O;
    l->fan_in = I;
    l->fan_out = O;
    l->scratch_floats = 0;
    if (I >= SPARSE_MIN_INPUTS) l->scratch_floats = ip_dense_sparse_scratch_floats(max_batch, I, O);
    return IP_OK;
}
