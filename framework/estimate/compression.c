/* The compression summary of one trajectory (see compression.h): peak, final value and the
 * relative drop after the peak. */
#include "compression.h"

#include <math.h>

const char *const ip_compression_columns[IP_COMPRESSION_COLS] = {"layer",          "ixt_peak_epoch", "ixt_peak",
                                                                  "ixt_final",      "ixt_drop",       "ity_peak_epoch",
                                                                  "ity_peak",       "ity_final",      "ity_drop"};

void ip_compression_of(const int *epochs, const double *values, int n, ip_compression_series *out)
{
    int peak = -1, last = -1;
    for (int k = 0; k < n; k++) {
        /* The last epoch: the largest (its first row, should an epoch appear twice). */
        if (last < 0 || epochs[k] > epochs[last]) last = k;
        if (isnan(values[k])) continue;
        /* The peak: the largest value; of equal values, the earliest epoch. */
        if (peak < 0 || values[k] > values[peak] || (values[k] == values[peak] && epochs[k] < epochs[peak]))
            peak = k;
    }
    out->peak_epoch = peak < 0 ? -1 : epochs[peak];
    out->peak = peak < 0 ? NAN : values[peak];
    out->final = last < 0 ? NAN : values[last];
    if (!isfinite(out->peak) || !isfinite(out->final)) out->drop = NAN;
    else if (out->peak == 0) out->drop = 0;
    else out->drop = (out->peak - out->final) / fabs(out->peak);
}
