/* Forward products of the dense layer over a fixed set of sparse input rows: the analysis set,
 * which is multiplied again at every recorded epoch, and the test set, at every evaluation.
 * Prepared once, the rows are taken four at a time: rows whose nonzeros overlap are grouped, and
 * each column where any of the four is nonzero costs one load of the weight tile's row for all
 * four (the ordinary sparse route loads it once per row and nonzero). On MNIST's analysis set the
 * four rows' union has 1.4 times the columns of one row (0.26 of 784 against 0.19), against the
 * four loads it replaces: about 1.4 times faster.
 * Each output is the same sum, in the same order, as ip_dense_sparse_forward's: the union's
 * extra columns add x = 0 times a weight, which changes no float sum (with finite weights; a
 * weight that is Inf or NaN gives NaN here where the ordinary route skips it). Internal to
 * framework/nn (layer_dense.c). */
#ifndef IP_DENSE_FIXED_H
#define IP_DENSE_FIXED_H

typedef struct ip_fixed_rows ip_fixed_rows;

/* Wider inputs are not prepared (they take the ordinary route). */
#define IP_FIXED_MAX_INPUTS 4096

/* Prepares the n rows of x (n x I) for products in batches of `batch` consecutive rows (the last
 * may be shorter). Returns NULL (the caller then takes the ordinary route) when a batch would not
 * take the sparse route (more than half nonzeros in a group of its rows, ip_dense_sparse_takes)
 * or memory is short. The rows are copied: x may be freed. */
ip_fixed_rows *ip_fixed_rows_build(const float *x, int n, int I, int batch);
void ip_fixed_rows_free(ip_fixed_rows *f);

/* out (batch, O) <- rows [row0, row0 + batch) of the prepared set times W^T, plus b (W is O x I,
 * b O). Returns 1 if done; 0 (nothing written) when these rows are not one of the prepared
 * batches, I differs or memory is short. W is read at the first batch of a pass over the set
 * (row0 = 0) and kept transposed in f for the pass's other batches: W must not change between
 * batches of one pass (a pass that does not begin at row 0, or another W, reads it again). */
int ip_dense_fixed_forward(float *out, ip_fixed_rows *f, int row0, int batch, const float *W, const float *b,
                           int I, int O);

#endif
