/* The sparse input of the LogDet block route (logdet_run.c; docs/logdet.md, "The sparse route"):
 * the raw, uncentred input X kept column by column (compressed sparse columns of the columns the
 * route keeps), and the product G = X^T Z over its nonzeros only. Internal to framework/estimate.
 *
 * Each entry of G is the sum of x_ij z_ic over the column's nonzeros in ascending row order,
 * computed by one thread with plain multiplies and adds (no FMA), so G has the same bits at every
 * kernel level (core/cpu.h) and with any number of threads. */
#ifndef IP_LOGDET_SPARSE_H
#define IP_LOGDET_SPARSE_H

#include <stddef.h>

typedef struct {
    int m, k;     /* rows of X, columns held */
    size_t nnz;
    size_t *start; /* k + 1: column c's nonzeros are [start[c], start[c + 1]) */
    int *row;      /* nnz row indices, ascending within a column */
    double *val;   /* nnz values */
    double *pack;  /* the product's scratch: a band of Z per worker */
} ip_ld_csc;

/* Nonzeros of the columns cols[0..k) of a (m x ?, row-major, leading dimension lda). */
size_t ip_ld_count_nonzeros(const double *a, int m, int lda, const int *cols, int k);

/* Builds the CSC of the columns cols[0..k) of a. IP_OK or IP_ERR_NOMEM (c then empty). */
int ip_ld_csc_build(ip_ld_csc *c, const double *a, int m, int lda, const int *cols, int k);

void ip_ld_csc_free(ip_ld_csc *c); /* safe on a zeroed struct */

/* g (c->k x n, leading dimension ldg) <- A^T Z, A the held columns, Z m x n (leading dimension
 * ldz). Bands of 16 output columns are shared between the thread pool's workers
 * (core/parallel.h); the caller's thread must not be inside a pool body, and one csc serves one
 * product at a time (its scratch holds the bands). */
void ip_ld_csc_tmul(const ip_ld_csc *c, const double *z, int n, int ldz, double *g, int ldg);

#endif
