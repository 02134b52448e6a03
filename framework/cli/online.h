/* The analysis while training (analysis.online: true, `infoplane run --online`): a recorded
 * epoch hook of the trainer (train.h, ip_train_hook) that gives every recorded epoch to one
 * information plane per estimator setting of the config as training goes on. cli/ wires it, so
 * train/ and estimate/ stay apart.
 *
 * With two threads or more (train.threads, or OpenBLAS's default) and no Renyi among the settings,
 * the analysis runs beside training on a thread of its own: the trainer copies each recorded
 * epoch's layers into a one-epoch slot and trains on while the thread analyses them; before the
 * trainer commits an epoch, every earlier recorded epoch is analysed (train.h, before_commit).
 * Training then uses the other threads; its weights are the same bits on any thread count, and
 * the analysis' values too (LogDet, binning, KDE, KSG; Renyi's eigensolvers are not, so a config
 * with Renyi analyses on the training thread, as with one thread).
 *
 * What it writes, the same bytes `infoplane analyze` would write for the whole run
 * (estimate/results.h is the code both use):
 *   DIR/analysis/online.state: the rows so far as exact text, after every analysed epoch, from
 *     which a resumed run restores the epochs analysed before its stop; a run stopped while its
 *     last committed epoch was being analysed records that epoch again on resume (train.h, missing);
 *   DIR/analysis/NAME.csv, logdet_layers.csv, compression.csv: rewritten (through a temporary)
 *     after an analysed epoch when a second has passed since the last time, and at the end;
 *   the run file's /analysis tables: at the end of every training session (completed, stopped by
 *     a signal, or failed), once the trainer has closed the run file. They cannot be written
 *     during training: the trainer writes in HDF5's SWMR mode, which creates no new objects, and
 *     its writer thread owns the file meanwhile. A run killed outright (SIGKILL) has its tables
 *     from its last session end; `--resume` brings them up to date. */
#ifndef IP_CLI_ONLINE_H
#define IP_CLI_ONLINE_H

#include "config/config.h"
#include "plot/plot.h"
#include "train/train.h"

typedef struct cli_online cli_online; /* opaque */

/* The settings of cfg's analysis section (ip_estimator_choice_expand); *hook is filled with the
 * callbacks to pass as ip_train_options.on_record. IP_OK or IP_ERR with a message. */
int cli_online_create(cli_online **o, const ip_config *cfg, ip_train_hook *hook);

/* What the run shows while it trains (live.h), before training: show_view, the text plane drawn
 * above the progress bar (hook->view is set; the trainer calls it on a terminal only); report,
 * DIR/index.html reloading itself with the newest information-plane figure (sized by popt) until
 * the run's report replaces it. The first setting is shown, LogDet's when there is one. The view
 * is rendered after every analysed epoch on the thread that analysed it; the figure is redrawn
 * after the CSV files are, at most every 5 s, by a gnuplot nobody waits for. */
int cli_online_live(cli_online *o, ip_train_hook *hook, int show_view, int report, const ip_plot_options *popt);

/* After training: one line per setting on stdout (as `analyze` prints), saying where the results
 * are and what the setting cost. */
void cli_online_report(const cli_online *o);

void cli_online_free(cli_online *o); /* safe on NULL */

#endif
