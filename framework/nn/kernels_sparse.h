/* The kernels of the dense layer's sparse-input products (kernels_sparse.c): finding a row's
 * nonzeros, and the multiply-adds of one input band into a block of BW outputs held in
 * registers, for the ordinary sparse route (dense_sparse.c) and for prepared row sets
 * (dense_fixed.c). Every level (core/cpu.h) gives the same bits: the same multiply-then-add
 * arithmetic (ISO C mode: no FMA contraction) in the same order. Internal to framework/nn. */
#ifndef IP_KERNELS_SPARSE_H
#define IP_KERNELS_SPARSE_H

/* col, val <- the indices in [j0, j1) where x is nonzero (NaN included; -0 is zero) and those
 * values, ascending; returns how many. Writes up to j1 - j0 slots whatever the count (the spare
 * room); none when j1 <= j0. */
int ip_kern_nonzeros(int *col, float *val, const float *x, int j0, int j1);

/* The forward product of one band (columns [b BAND, b BAND + BAND)) for the n rows order[0..n),
 * taken two at a time: part[r] (BW floats) += the sum over row r's nonzeros of the band, ascending,
 * of val[k] * tile[col[k] - b BAND] (tile: BAND x BW, the band's weights transposed); starting
 * from bias (BW) instead of part[r] when b is 0. Row r's nonzeros of band b are
 * [band[r stride + b], band[r stride + b + 1]). */
void ip_kern_sparse_rows_band(float *part, const float *tile, int b, const float *bias, const int *order, int n,
                              const int *band, int stride, const int *col, const float *val);

/* The weight gradient's counterpart over one band of rows, for the I columns order[0..I), two at a
 * time: sums[j] (BW floats) += the sum over column j's nonzeros in [from[j], to[j]), ascending,
 * of val[k] * d[row[k]] (d: rows x BW, the block of dout); starting from zero when b is 0. */
void ip_kern_sparse_cols_band(float *sums, const float *d, int b, const int *order, int I, const int *from,
                              const int *to, const int *row, const float *val);

/* A prepared set's groups g0 .. g1 of four rows (dense_fixed.c): for each, its rows
 * rows[4 g .. 4 g + 4) get part[row] (BW floats) += the sum over the group's union columns of
 * band b, [band[g (nb + 1) + b], band[g (nb + 1) + b + 1]), ascending, of
 * val[4 k + slot] * tile[col[k] - b BAND]; starting from bias when b is 0. */
void ip_kern_fixed_band(float *part, const float *tile, int b, const float *bias, const int *rows, const int *band,
                        int nb, const int *col, const float *val, int g0, int g1);

#endif
