/* The steps `infoplane run` shares with the single commands: each calls the typed entry point
 * (ip_analyze, ip_plot_run / ip_plot_compare) and reports on stdout/stderr exactly as the
 * command does, so `run` and train + analyze + plot one after the other behave the same. */
#ifndef IP_CLI_STEPS_H
#define IP_CLI_STEPS_H

#include "estimate/analyze.h"
#include "plot/plot.h"
#include "record/run.h"

/* The `final:` summary line on stdout that train and run end with (without the test fields when
 * the run has no test set: its test metrics are NaN). */
void cli_print_final(const ip_epoch_metrics *m);

/* Analyze run_path with the settings in opt (estimate/analyze.h). Prints where the results went
 * and how long each setting took on stdout, or the problem on stderr. Returns the exit status
 * (cli_interrupt_status() when stopped by a signal). */
int cli_analyze(const char *run_path, const ip_analyze_options *opt);

/* For a run that keeps the activations of some recorded epochs only (record.store: a schedule,
 * d->store): 1, with *n_recorded the epochs its config records up to its last completed epoch
 * (those analysed while training; -1 when the stored config no longer loads). 0 for every other
 * run (activations, none). */
int cli_run_partial_store(const ip_run_description *d, int *n_recorded);

/* The line analyze and the online analysis print per setting on stdout: where its results are
 * (its n_groups run-file table groups and DIR/NAME.csv) and what it cost; `how` is appended to the
 * seconds (e.g. ", while training"). */
void cli_print_setting(const char *run_path, const char *dir, const char *name,
                       const char (*groups)[IP_TABLE_NAME_LEN], int n_groups, double seconds, const char *how);

/* Figures of each run (opt->out_dir then names the comparison's directory when n > 1) and, for
 * several runs, the comparison, its runs grouped by configuration (compare_groups.h). Lists what
 * was written on stdout and what was skipped on stderr. Returns the exit status (as cli_analyze
 * when stopped by a signal, index.html then left as it was). */
int cli_plot(int n, const char *const *runs, const ip_plot_options *opt);

/* The exit status for a stop asked for by a signal (core/interrupt.h): 128 + the signal (130 for
 * SIGINT, 143 for SIGTERM), or 0 when none was. */
int cli_interrupt_status(void);

/* "png" -> IP_PLOT_PNG ...; prints the problem (naming `what`, e.g. "--format") and returns
 * non-zero for any other name. */
int cli_plot_format(const char *what, const char *name, ip_plot_format *format);

#endif
