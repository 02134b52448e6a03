/* The compression summary of one trajectory (I(X;T) or I(T;Y) of one layer under one estimator
 * setting, over the recorded epochs): where it peaks, its peak and final values, and how much of
 * the peak it lost by the end. Pure arithmetic over arrays; no I/O. What the numbers mean and
 * what they do not: docs/compression.md. Written by results.c (run-file tables) and
 * compression_csv.c (analysis/compression.csv). */
#ifndef IP_COMPRESSION_H
#define IP_COMPRESSION_H

/* A layer "compressed" when its I(X;T) fell by more than this fraction of its peak (5 %). */
#define IP_COMPRESSION_THRESHOLD 0.05

/* The columns of a run file's /analysis/GROUP/compression table, a row per layer (compression_rows
 * in results.c); analysis/compression.csv has these with estimator, mode, beta before and unit after. */
#define IP_COMPRESSION_COLS 9
extern const char *const ip_compression_columns[IP_COMPRESSION_COLS];

typedef struct {
    int peak_epoch; /* the first (smallest) epoch at which the value is largest; -1 when no value is a number */
    double peak;    /* the value there; NaN when no value is a number */
    double final;   /* the value at the last (largest) epoch, as it is (NaN when that value is NaN) */
    double drop;    /* (peak - final) / |peak|: 0 when peak is 0 (a single epoch gives 0 too); NaN when peak
                     * or final is not a finite number */
} ip_compression_series;

/* The summary of n values[k] at epochs[k] (any order; n may be 0). NaN values never peak; a NaN at
 * the last epoch makes final and drop NaN: the estimate there is missing, so no drop is claimed.
 * Infinite values count as values, but a drop from or to one is NaN. */
void ip_compression_of(const int *epochs, const double *values, int n, ip_compression_series *out);

/* 1 when drop > threshold (a NaN drop never compressed), else 0. */
static inline int ip_compressed(double drop, double threshold) { return drop > threshold; }

#endif
