/* The binning estimator (Shwartz-Ziv & Tishby 2017): every unit is cut into bins, every sample's
 * vector of bin indices is a symbol, and entropies are the plug-in entropies of those symbols.
 * Formulas, ranges and what the numbers mean: docs/binning.md. Everything in nats. */
#ifndef IP_BINNING_H
#define IP_BINNING_H

#include "mi_terms.h"

/* How the bin edges are chosen:
 *   LAYER: the matrix's own min..max over all its units (per layer, per epoch), `bins` equal bins;
 *   UNIT:  each unit's (column's) own min..max, `bins` equal bins;
 *   FIXED: [lo, hi] for every unit, `bins` equal bins, values outside go to the first/last bin;
 *   WIDTH: bins of width `width` anchored at 0 (bin index floor(v / width)); no count, no range.
 * A constant column (min == max) puts every sample in one bin. */
typedef enum { IP_BIN_LAYER = 0, IP_BIN_UNIT, IP_BIN_FIXED, IP_BIN_WIDTH } ip_binning_range;
extern const char *const ip_binning_range_names[]; /* "layer", "unit", "fixed", "width"; NULL-terminated */

typedef struct {
    int bins;               /* LAYER/UNIT/FIXED: 1..IP_BINNING_MAX_BINS; default 30 */
    ip_binning_range range; /* default LAYER */
    double lo, hi;          /* FIXED: lo < hi, finite; default -1, 1 */
    double width;           /* WIDTH: > 0, finite; default 0.07 */
} ip_binning_params;

#define IP_BINNING_MAX_BINS 1000000

/* Defaults: 30 bins, adaptive per layer (range LAYER). */
void ip_binning_params_default(ip_binning_params *p);
/* IP_OK or IP_ERR with a message naming the parameter (bins out of range, lo >= hi, ...). */
int ip_binning_params_check(const ip_binning_params *p);

/* The edges actually used for one matrix: lo[j], hi[j] of unit j (LAYER and FIXED: the same for
 * every unit; WIDTH: the data's own min and max, for the record). Either may be NULL. */

/* H(A) of the m x d row-major matrix a (leading dimension lda >= d), m >= 1. NaN/Inf in the data
 * is an error (IP_ERR_NUMERIC naming the row and column). lo/hi: d doubles each or NULL. */
int ip_binning_entropy(const double *a, int m, int d, int lda, const ip_binning_params *p, double *h_nats,
                       double *lo, double *hi);

/* I(A;B) = H(A) + H(B) - H(A,B), each side binned with its own edges (as p says), the joint
 * symbol being the pair of symbols. terms may be NULL. */
int ip_binning_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                  const ip_binning_params *p, double *mi_nats, ip_mi_terms *terms);

/* I(A;Y) = H(A) - sum_y p(y) H(A | Y=y) for labels y[i] in [0, n_classes). terms: h_a = H(A),
 * h_b = H(Y), h_ab = H(A,Y). */
int ip_binning_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes,
                         const ip_binning_params *p, double *mi_nats, ip_mi_terms *terms);

/* One layer of an information plane in one pass: I(X;T) = H(T) (a deterministic network and
 * distinct inputs) and I(T;Y) as ip_binning_mi_labels; lo/hi as ip_binning_entropy. */
int ip_binning_plane(const double *t, int m, int d, int ldt, const int *y, int n_classes,
                     const ip_binning_params *p, double *i_xt, double *i_ty, double *lo, double *hi);

#endif
