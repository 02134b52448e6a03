/* Fully connected layer, PyTorch's nn.Linear: out = in W^T + b with W [out x in], b [out].
 * A non-flat input (C,H,W) is used as its flat C*H*W vector, as after a flatten.
 * Input columns that are zero in every sample of a batch (MNIST's border pixels: about a fifth
 * of the 784) contribute exactly nothing to out and to dW, so when there are enough of them the
 * two products run on the compacted nonzero columns only (see dense_forward). */
#include <string.h>

#include "../core/blas.h"
#include "../core/status.h"
#include "layer_kinds.h"

/* Compact only when at least 1/COMPACT_MIN_FRACTION of the input columns are zero throughout the
 * batch (gathering costs a pass over in and W), and only wide inputs (the first layer). */
#define COMPACT_MIN_FRACTION 10
#define COMPACT_MIN_INPUTS 256
/* Products of fewer multiply-adds than this run with BLAS on one thread (see blas_serial_begin). */
#define SERIAL_MAX_MACS ((size_t)1 << 22)

/* Scratch layout: [0] the number of kept columns Ic (0: the batch ran dense), then the kept
 * column indices (I ints), the compacted input (B x Ic) and the compacted weights (O x Ic),
 * whose room the backward pass reuses for the compacted weight gradient. */
typedef struct {
    int *n_kept, *kept;
    float *xc, *wc;
} dense_scratch;

static dense_scratch scratch_of(const ip_layer *l, int max_rows)
{
    int I = ip_shape_size(l->in);
    dense_scratch s;
    s.n_kept = (int *)l->scratch;
    s.kept = (int *)l->scratch + 16;
    s.xc = l->scratch + 16 + ((size_t)I + 15) / 16 * 16;
    s.wc = s.xc + (size_t)max_rows * I;
    return s;
}

/* The indices of the columns of in (B, I) with a nonzero (or NaN) entry, into kept; returns how
 * many. Stops early (returning I) once too few zero columns can remain for compaction to pay. */
static int nonzero_columns(int *kept, unsigned char *nz, const float *in, int batch, int I)
{
    memset(nz, 0, (size_t)I);
    int limit = I - I / COMPACT_MIN_FRACTION, count = 0;
    for (int r = 0; r < batch; r++) {
        const float *x = in + (size_t)r * I;
        for (int j = 0; j < I; j++) nz[j] |= x[j] != 0.0f;
        if ((r & 15) == 15 || r == batch - 1) {
            count = 0;
            for (int j = 0; j < I; j++) count += nz[j];
            if (count > limit) return I;
        }
    }
    int n = 0;
    for (int j = 0; j < I; j++)
        if (nz[j]) kept[n++] = j;
    return n;
}

/* For a small layer (the conv net's 128 -> 10) switches BLAS to one thread and returns the
 * previous count to restore, else returns 0. Waking BLAS's threads for a few microseconds of work
 * costs more than it saves, and once woken they spin for a while, taking the cores from the
 * thread pool's workers in the layers that follow. One thread gives the same sums: BLAS splits
 * the rows and columns of the output between threads, never the inner dimension. */
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

/* out (B, O) <- in (B, I) W^T + b; params = W (O, I) then b (O). */
static void dense_forward_blas(ip_layer *l, float *out, const float *in, int batch)
{
    int I = ip_shape_size(l->in), O = l->out.c;
    const float *W = l->params, *b = l->params + (size_t)O * I;
    for (int r = 0; r < batch; r++) memcpy(out + (size_t)r * O, b, (size_t)O * sizeof *out);
    if (l->scratch_floats > 0) {
        dense_scratch s = scratch_of(l, batch);
        /* the flags go in the compacted-weights area, which is gathered only afterwards */
        int n = nonzero_columns(s.kept, (unsigned char *)s.wc, in, batch, I);
        *s.n_kept = n < I ? n : 0;
        if (n < I) {
            /* Dropping columns that are zero in every row removes terms that are exactly 0
             * (x * w = +-0 for finite w), so only sgemm's summation order can differ. */
            for (int r = 0; r < batch; r++) {
                const float *x = in + (size_t)r * I;
                float *xc = s.xc + (size_t)r * n;
                for (int j = 0; j < n; j++) xc[j] = x[s.kept[j]];
            }
            for (int o = 0; o < O; o++) {
                const float *w = W + (size_t)o * I;
                float *wc = s.wc + (size_t)o * n;
                for (int j = 0; j < n; j++) wc[j] = w[s.kept[j]];
            }
            /* out (B x O) <- xc (B x Ic) * Wc^T (Ic x O) + out (the bias rows) */
            if (n > 0) ip_sgemm(0, 1, batch, O, n, 1.0f, s.xc, n, s.wc, n, 1.0f, out, O);
            return;
        }
    }
    /* out (B x O) <- in (B x I) * W^T (I x O) + out (the bias rows) */
    ip_sgemm(0, 1, batch, O, I, 1.0f, in, I, W, I, 1.0f, out, O);
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
    dense_scratch s = {0};
    int n = 0;
    if (l->scratch_floats > 0) {
        s = scratch_of(l, batch);
        n = *s.n_kept;
    }
    if (n > 0) {
        /* dWc (O x Ic) <- dout^T (O x B) * xc (B x Ic), then added into the kept columns of dW;
         * the dropped columns would have received exact zeros */
        ip_sgemm(1, 0, O, n, batch, 1.0f, dout, O, s.xc, n, 0.0f, s.wc, n);
        for (int o = 0; o < O; o++) {
            float *w = dW + (size_t)o * I;
            const float *wc = s.wc + (size_t)o * n;
            for (int j = 0; j < n; j++) w[s.kept[j]] += wc[j];
        }
    } else {
        /* dW (O x I) += dout^T (O x B) * in (B x I) */
        ip_sgemm(1, 0, O, I, batch, 1.0f, dout, O, in, I, 1.0f, dW, I);
    }
    for (int r = 0; r < batch; r++) {
        const float *d = dout + (size_t)r * O;
        for (int o = 0; o < O; o++) db[o] += d[o];
    }
    /* din (B x I) <- dout (B x O) * W (O x I) */
    if (din) ip_sgemm(0, 0, batch, I, O, 1.0f, dout, O, W, I, 0.0f, din, I);
}

static void dense_backward(ip_layer *l, float *din, const float *dout, const float *in, const float *out,
                           int batch)
{
    int t = blas_serial_begin(batch, l->out.c, ip_shape_size(l->in));
    dense_backward_blas(l, din, dout, in, out, batch);
    blas_serial_end(t);
}

static const ip_layer_ops dense_ops = {"dense", dense_forward, dense_backward};

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
    if (I >= COMPACT_MIN_INPUTS) /* header, indices, xc (B x I), wc (O x I; >= I bytes of flags) */
        l->scratch_floats = 16 + ((size_t)I + 15) / 16 * 16 + ((size_t)max_batch + O) * I;
    return IP_OK;
}
