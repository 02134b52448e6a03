/* What `infoplane run` shows while it analyses during training (online.c): the live view, a
 * text rendering of the information plane that the trainer draws above its progress bar on a
 * terminal (train.h, ip_train_hook.view), and the self-refreshing report DIR/index.html (plot.h,
 * ip_plot_live). Both show the first setting of the analysis, LogDet's when there is one. */
#ifndef IP_CLI_LIVE_H
#define IP_CLI_LIVE_H

#include <stddef.h>

#include "estimate/results.h"
#include "plot/plot.h"

typedef struct cli_live cli_live; /* opaque */

/* view: keep the text view; report: keep the refreshing report, its figure sized by popt (NULL:
 * the defaults). On success *l is the caller's (cli_live_free). */
int cli_live_create(cli_live **l, int view, int report, const ip_plot_options *popt);

/* The run is open in out_dir and its settings' results exist (res[0..n-1]): picks the setting
 * shown, renders the view of the rows so far and writes the first page of the report. A report
 * that cannot be written is dropped (the run goes on without it). */
void cli_live_start(cli_live *l, const char *out_dir, const ip_results *res, int n);

/* After an analysed epoch, on the thread that analysed it (one thread at a time): the view again,
 * and when the CSV files were just rewritten (csv), the report's figure (ip_plot_live_update:
 * never waits). */
void cli_live_epoch(cli_live *l, const ip_results *res, int n, int csv);

/* ip_train_hook.view, called by the trainer on its own thread: copies the view into buf (cap
 * bytes) and returns 1 when it changed since the last call that returned 1; else 0 and buf is
 * untouched. Its own mutex guards the text (rendered on the analysis thread). */
int cli_live_view(cli_live *l, char *buf, size_t cap);

void cli_live_free(cli_live *l); /* safe on NULL; after the analysis has stopped */

#endif
