/* The results of one estimator setting over a run's recorded epochs, and how they are written:
 * the run-file tables /analysis/GROUP/layers (and /pairs for LogDet) and the CSV files
 * DIR/analysis/NAME.csv and logdet_layers.csv. Shared by `infoplane analyze` (analyze.c, epochs
 * read back from the run file) and the analysis while training (cli/online.c, epochs as they are
 * recorded), so both write the same bytes. Layout of the tables and files: analyze.h. */
#ifndef IP_RESULTS_H
#define IP_RESULTS_H

#include <stddef.h>

#include "estimator.h"
#include "record/run.h"

#define IP_RESULTS_MAX_EXTRA 2 /* extra columns of a layers table */

/* One setting's plane and the rows it collected. A KDE plane gives two row sets (upper, lower). */
typedef struct {
    const ip_estimator *e;
    ip_plane *plane;
    int n_sub;                  /* row sets: 2 for KDE, else 1 */
    int n_extra;                /* extra columns of its layers table */
    int L;                      /* recorded layers */
    int bits;                   /* results in bits (1) or nats (0) */
    char mode[2][64], param[64];
    char groups[2][IP_TABLE_NAME_LEN]; /* its table groups under /analysis */
    int n_epochs, cap;          /* epochs held, room for */
    double *rows[2];            /* n_epochs x L x (4 + n_extra): epoch, layer, i_xt, i_ty, extra... */
    double *pair_rows;          /* logdet: n_epochs x (L-1) x 4: epoch, layer, i_tt, beta */
    double *ixt, *ity, *extra;  /* one epoch: 2 L each, extra 2 L */
    double seconds;             /* preparation and every epoch */
} ip_results;

/* Prepare setting e for a run's analysis set (x: m x d_x, y, n_classes; L layers of units[l]):
 * its plane (ip_plane_create), names and room for cap_epochs epochs (it grows when needed).
 * Errors are prefixed with run_path and the estimator's name. Release with ip_results_free. */
int ip_results_create(ip_results *s, const ip_estimator *e, int bits, const double *x, int m, int d_x, const int *y,
                      int n_classes, int L, const int *units, int cap_epochs, const char *run_path);

/* One recorded epoch: layers[l] is m x units[l]; its rows are appended. */
int ip_results_epoch(ip_results *s, int epoch, const double *const *layers, const char *run_path);

/* Drop the rows of epochs after `last_epoch`. */
void ip_results_truncate(ip_results *s, int last_epoch);

/* The epoch of held row set k. */
int ip_results_epoch_at(const ip_results *s, int k);

/* Write the setting's tables into run (writable; committed by ip_run_commit_tables or at close):
 * GROUP/layers (GROUP/pairs for LogDet) and GROUP/compression, the compression summary of its
 * rows (compression.h; a row per layer, columns ip_compression_columns, no rows before an epoch
 * is held), each with the setting's attributes. layers: the layer names, comma-separated. */
int ip_results_write_tables(ip_run *run, const ip_results *s, const char *layers);

/* DIR/analysis/NAME.csv (and logdet_layers.csv) for the n settings, all holding the same epochs:
 * each file starts with the rows of the present file (same header) that are not of these
 * settings, then these settings' rows epoch by epoch, setting after setting. Each file is
 * written to a temporary name and renamed into place (after a failure none is renamed). Then
 * DIR/compression.csv is rebuilt from them (ip_compression_write_csv). */
int ip_results_write_csv(const char *dir, const ip_results *s, int n);

/* DIR/compression.csv (through a temporary and a rename): the compression summary (compression.h)
 * of every setting and layer in the estimator files DIR/NAME.csv as they are, one row each, with
 * the header
 *   estimator,mode,beta,layer,ixt_peak_epoch,ixt_peak,ixt_final,ixt_drop,ity_peak_epoch,ity_peak,
 *   ity_final,ity_drop,unit
 * estimator, mode, beta, layer and unit copied from NAME.csv (rows join on them), files in
 * estimator order, settings and each setting's layers in the order they first appear there (layers
 * ascending, as NAME.csv is written); peak and final with NAME.csv's 12 significant digits (the
 * same text as its cells), drops with 17. ip_results_write_csv calls it after writing the NAME.csv
 * files. A NAME.csv of another header is left out; one whose epoch or values do not parse fails,
 * naming the file and line (DIR/compression.csv keeps its old contents then). */
int ip_compression_write_csv(const char *dir);

/* The row sets as exact text (hex floats), to be kept beside a run and read back by
 * ip_results_load: what the analysis while training restores its rows from on a resume. */
int ip_results_save(const char *path, const ip_results *s, int n);
/* Fill the settings' rows from path (written by ip_results_save), keeping the epochs up to
 * last_epoch. IP_OK; IP_ERR with a message when the file is missing or does not hold every one
 * of these settings. */
int ip_results_load(const char *path, ip_results *s, int n, int last_epoch);

void ip_results_free(ip_results *s); /* safe on a zeroed one */

#endif
