/* The dense layer's two products when its input is mostly zeros, as MNIST's pixels are (81%):
 * out = in W^T + b and dW += dout^T in, computed from the input's nonzeros only. Multiplying by
 * an exact zero adds nothing, so these give the dense products' values up to the order of the
 * float sums (each output's sum runs over its nonzero inputs in ascending order, on one thread,
 * so results do not depend on the thread count). Internal to framework/nn (layer_dense.c). */
#ifndef IP_DENSE_SPARSE_H
#define IP_DENSE_SPARSE_H

#include <stddef.h>

/* Inputs with at most this fraction of nonzeros take the sparse route (1/2: beyond that the
 * gathering costs more than the skipped multiply-adds save). */
#define IP_SPARSE_MAX_DENSITY_NUM 1
#define IP_SPARSE_MAX_DENSITY_DEN 2

/* Floats of scratch the two functions need for batches of up to max_batch rows of I inputs
 * and O outputs. */
size_t ip_dense_sparse_scratch_floats(int max_batch, int I, int O);

/* out (B, O) <- in (B, I) W^T + b when in is sparse enough; returns 1 if it did, 0 if in has
 * too many nonzeros (then nothing was written and the caller runs the dense product).
 * W is (O, I), b (O); scratch as sized above, 64-byte aligned. */
int ip_dense_sparse_forward(float *out, const float *in, const float *W, const float *b, int batch, int I,
                            int O, float *scratch);

/* 1 when ip_dense_sparse_forward would take a batch `in` (B, I) (sparse enough), else 0. */
int ip_dense_sparse_takes(const float *in, int batch, int I);

/* dW (O, I) += dout (B, O)^T in (B, I) when in is sparse enough; returns 1 if it did, else 0
 * with dW untouched. */
int ip_dense_sparse_weight_grad(float *dW, const float *dout, const float *in, int batch, int I, int O,
                                float *scratch);

#endif
