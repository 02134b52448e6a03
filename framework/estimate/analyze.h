/* `infoplane analyze`: every recorded epoch of a run file through any number of estimator
 * settings (estimator.h), streamed one epoch at a time (each epoch's layers are read once and
 * given to every setting), results into the run file and into CSV files beside it. */
#ifndef IP_ANALYZE_H
#define IP_ANALYZE_H

#include <stddef.h>

#include "estimator.h"
#include "record/run.h"

typedef struct {
    int n_settings;
    const ip_estimator *settings; /* n_settings of them, checked; at most IP_EST_MAX_SETTINGS */
    int bits;                     /* 1: results in bits, 0: nats */
    int progress;                 /* on stderr: 0 none, 1 one line rewritten in place (a terminal), 2 a line at
                                   * every tenth of the epochs (a log; only when it all takes 10 s or more) */
    int replace_online;           /* 1: replace a setting's tables even when they hold epochs the run keeps no
                                   * activations for (results of the analysis while training, record.store: a
                                   * schedule); 0: refuse that (nothing written) */
} ip_analyze_options;

/* What an analysis wrote, per setting (in the order of opt->settings): its run-file table groups
 * under /analysis (KDE two: the upper and the lower bound) and the seconds it took (preparation
 * and every epoch). */
typedef struct {
    int n_groups[IP_EST_MAX_SETTINGS];
    char groups[IP_EST_MAX_SETTINGS][2][IP_TABLE_NAME_LEN];
    double seconds[IP_EST_MAX_SETTINGS];
    int in_file; /* 1: the tables went into the run file's /analysis too; 0: an imported file
                  * that is not writable (docs/hdf5-layout.md, "Importing"): CSV files only */
} ip_analyze_report;

/* Analyze the run file `run_path` (opened writable). For each setting (KDE: each of its two
 * bounds) writes, in the run file,
 *   /analysis/GROUP/layers: rows epoch, layer, i_xt, i_ty and the estimator's extra columns
 *     (logdet h_t; binning lo, hi: the range of the bin edges used; renyi sigma: the kernel width)
 *   /analysis/GROUP/pairs (logdet only): rows epoch, layer, i_tt, beta
 * with attributes naming every parameter, GROUP = logdet_<mode>_beta<B>[_lbeta<B2>] for LogDet and
 * NAME_<mode>_<param><value> for the others; and beside it DIR/analysis/NAME.csv
 * (estimator,mode,beta,epoch,layer,i_xt,i_ty,unit: `mode` and `beta` name the setting as
 * ip_estimator_setting says) and DIR/analysis/logdet_layers.csv. Rows of other settings already in
 * those CSV files are kept; a setting whose table holds epochs the run keeps no activations for
 * (the analysis while training of a run with a record.store schedule) is refused before anything
 * is written unless opt->replace_online; each file is written to a temporary name and renamed, and the run
 * file's tables are committed in one step, so nothing is seen half-written and a stop (signal)
 * before the end writes nothing. report may be NULL. */
int ip_analyze(const char *run_path, const ip_analyze_options *opt, ip_analyze_report *report);

/* Where ip_analyze puts the CSV files of `run_path`: DIR/analysis, DIR being the directory of
 * run_path ("." when it has none). */
void ip_analyze_dir(const char *run_path, char *dir, size_t cap);

#endif
