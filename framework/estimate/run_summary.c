/* The plain-language summary of a run (run_summary.h): sentences from the metrics, the
 * compression tables and the layers tables. Only arithmetic and fprintf. */
#include "run_summary.h"

#include "compression.h"

#include <math.h>
#include <string.h>

void ip_summary_fit(FILE *out, double train_acc, double test_acc, double train_loss, double test_loss)
{
    const char *how = train_acc >= 0.99 ? "fits the training set (almost) perfectly"
                      : train_acc >= 0.9 ? "fits the training set well"
                      : train_acc >= 0.7 ? "fits the training set only partly"
                                         : "does not fit the training set";
    double gap = 100 * (train_acc - test_acc);
    fprintf(out, "  fit: the network %s (train accuracy %.1f%%, loss %.3g); on the test set %.1f%% (loss %.3g)",
            how, 100 * train_acc, train_loss, 100 * test_acc, test_loss);
    if (gap > 5) fprintf(out, ", %.1f points lower: it overfits\n", gap);
    else fprintf(out, ": it generalises\n");
}

static void layer_name(char *buf, size_t cap, int l, const char *names, size_t stride, int n_names)
{
    if (names && l >= 1 && l <= n_names) snprintf(buf, cap, "%.*s", (int)stride, names + (size_t)(l - 1) * stride);
    else snprintf(buf, cap, "layer %d", l);
}

void ip_summary_compression(FILE *out, const char *group, const char *unit, const double *comp, int rows,
                            const char *names, size_t stride, int n_names)
{
    char name[96];
    int n_comp = 0, best = -1;
    for (int r = 0; r < rows; r++) {
        const double *v = comp + (size_t)r * IP_COMPRESSION_COLS;
        n_comp += ip_compressed(v[4], IP_COMPRESSION_THRESHOLD);
        if (ip_compressed(v[4], IP_COMPRESSION_THRESHOLD) && (best < 0 || v[4] > comp[(size_t)best * IP_COMPRESSION_COLS + 4]))
            best = r;
    }
    fprintf(out, "  %s: ", group);
    if (rows == 0) {
        fprintf(out, "no layers\n");
        return;
    }
    if (n_comp == 0) {
        fprintf(out, "no layer compressed (none lost more than %g%% of its peak I(X;T))\n", 100 * IP_COMPRESSION_THRESHOLD);
        return;
    }
    fprintf(out, "%d of %d layers compressed:", n_comp, rows);
    for (int r = 0; r < rows; r++) {
        const double *v = comp + (size_t)r * IP_COMPRESSION_COLS;
        if (!ip_compressed(v[4], IP_COMPRESSION_THRESHOLD)) continue;
        layer_name(name, sizeof name, (int)v[0], names, stride, n_names);
        fprintf(out, " %s", name);
    }
    const double *b = comp + (size_t)best * IP_COMPRESSION_COLS;
    layer_name(name, sizeof name, (int)b[0], names, stride, n_names);
    fprintf(out, ".\n    Most: %s, whose I(X;T) peaked at epoch %d (%.3g %s) and fell by %.0f%% to %.3g %s\n", name,
            (int)b[1], b[2], unit, 100 * b[4], b[3], unit);
}

static int starts_with(const char *s, const char *head) { return strncmp(s, head, strlen(head)) == 0; }

int ip_summary_warnings(FILE *out, const char *group, const double *t, int rows, int cols, double log_m,
                        double h_y_max)
{
    if (cols < 4 || rows <= 0) return 0;
    int bounded = starts_with(group, "binning") || starts_with(group, "kde");
    int n_above_x = 0, n_above_y = 0, n_dpi = 0, n_sat = 0, n_last = 0, kinds = 0;
    double worst_x = 0, worst_y = 0, worst_dpi = 0;
    int dpi_epoch = -1, dpi_layer = 0;
    double last_epoch = -INFINITY;
    for (int r = 0; r < rows; r++) last_epoch = fmax(last_epoch, t[(size_t)r * cols]);
    double tol_m = fmax(IP_SUMMARY_TOL * log_m, IP_SUMMARY_ABS_TOL);
    double tol_y = fmax(IP_SUMMARY_TOL * h_y_max, IP_SUMMARY_ABS_TOL);
    for (int r = 0; r < rows; r++) {
        const double *v = t + (size_t)r * cols;
        if (bounded && v[2] > log_m + tol_m) n_above_x++, worst_x = fmax(worst_x, v[2]);
        if (bounded && v[3] > h_y_max + tol_y) n_above_y++, worst_y = fmax(worst_y, v[3]);
        if (v[0] == last_epoch) {
            n_last++;
            if (bounded && v[2] >= log_m - tol_m) n_sat++;
        }
        if (r + 1 < rows) {
            const double *w = v + cols;
            double tol = fmax(IP_SUMMARY_TOL * fabs(v[2]), IP_SUMMARY_ABS_TOL);
            if (w[0] == v[0] && w[1] == v[1] + 1 && w[2] > v[2] + tol) {
                if (!n_dpi++ || w[2] - v[2] > worst_dpi) dpi_epoch = (int)v[0], dpi_layer = (int)v[1];
                worst_dpi = fmax(worst_dpi, w[2] - v[2]);
            }
        }
    }
    if (n_above_x) {
        kinds++;
        fprintf(out, "  warning (%s): I(X;T) above its possible maximum log m = %.4g in %d of %d estimates (up to "
                     "%.4g): with m samples no estimate can exceed it\n", group, log_m, n_above_x, rows, worst_x);
    }
    if (n_above_y) {
        kinds++;
        fprintf(out, "  warning (%s): I(T;Y) above H(Y) = %.4g in %d of %d estimates (up to %.4g)\n", group, h_y_max,
                n_above_y, rows, worst_y);
    }
    if (n_sat) {
        kinds++;
        fprintf(out, "  warning (%s): saturated: %d of %d layers are at log m = %.4g at the last epoch: every sample "
                     "has its own value, so their I(X;T) says nothing (more samples, or fewer bins / more noise)\n",
                group, n_sat, n_last, log_m);
    }
    if (n_dpi) {
        kinds++;
        fprintf(out, "  warning (%s): %d estimates break the data-processing inequality (a layer's I(X;T) above the "
                     "layer before it by more than %g%%), most at epoch %d, layer %d to %d (+%.3g): the true values "
                     "cannot, the estimates do\n", group, n_dpi, 100 * IP_SUMMARY_TOL, dpi_epoch, dpi_layer,
                dpi_layer + 1, worst_dpi);
    }
    return kinds;
}
