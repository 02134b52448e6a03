/* The plain-language summary that ends `infoplane info`: how well the network fits, which layers
 * compressed and by how much, and the warning signs in one estimator setting's results (an
 * estimate above its possible maximum, a data-processing-inequality violation, an estimator
 * saturated at log m). Pure arithmetic over the tables' values plus text to a FILE; no run-file
 * I/O (cli/cmd_info.c reads the tables). What the warnings mean: docs/tutorial.md. */
#ifndef IP_RUN_SUMMARY_H
#define IP_RUN_SUMMARY_H

#include <stdio.h>

/* Slack of every check, as a fraction of the bound or of the earlier layer's value (and at least
 * IP_SUMMARY_ABS_TOL in the table's unit): estimates a hair above a bound are rounding, not a sign. */
#define IP_SUMMARY_TOL 0.01
#define IP_SUMMARY_ABS_TOL 1e-6

/* One sentence on the fit from the last epoch's metrics (accuracies in [0, 1]). */
void ip_summary_fit(FILE *out, double train_acc, double test_acc, double train_loss, double test_loss);

/* One estimator setting's compression table (rows x IP_COMPRESSION_COLS, a row per layer, as
 * /analysis/GROUP/compression): which layers compressed, where I(X;T) peaked and how much it fell.
 * Layer l is named by the string at names + (l - 1) * stride (names may be NULL: "layer l"). */
void ip_summary_compression(FILE *out, const char *group, const char *unit, const double *comp, int rows,
                            const char *names, size_t stride, int n_names);

/* The warning signs of one setting's layers table (rows x cols, columns epoch, layer, i_xt, i_ty,
 * ...; rows epoch-major, layers 1..L in order within an epoch) in the table's unit. log_m is the
 * log of the number of analysed samples and h_y_max a bound on I(T;Y) (H(Y) of the analysed labels),
 * both in that unit. The bounds apply to the plug-in estimators only (binning, kde: group names
 * starting so); the data-processing check applies to all. Writes a line per kind of warning and
 * returns how many kinds were found (0: none, nothing written). */
int ip_summary_warnings(FILE *out, const char *group, const double *t, int rows, int cols, double log_m,
                        double h_y_max);

#endif
