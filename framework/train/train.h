/* The training loop: loads the data, builds the network, trains with the configured
 * optimizer, and at the scheduled epochs records every layer's output on the analysis set
 * into DIR/run.h5 (record/run.h). Also keeps DIR/config.yaml and DIR/metrics.csv. */
#ifndef IP_TRAIN_H
#define IP_TRAIN_H

#include <stddef.h>

#include "../config/config.h"
#include "../record/run.h"

/* What a recorded epoch hook (ip_train_hook) is given when the run is open. */
typedef struct {
    const char *out_dir, *run_path;
    ip_run *run;                /* the run being written (record/run.h); do not write to it */
    const float *x;             /* the analysis set: m x d_x, as recorded in /inputs */
    const int *y;               /* m labels in [0, n_classes) */
    int m, d_x, n_classes;
    int n_layers;               /* recorded layers */
    const int *units;           /* n_layers widths */
    const char (*names)[IP_LAYER_NAME_LEN];
    int resumed;                /* 1: the run goes on after last_epoch; 0: a new run (epoch 0 comes next) */
    int last_epoch;             /* resumed: the last completed epoch */
    int n_recorded;             /* resumed: the epochs recorded up to last_epoch, ascending */
    const int *recorded;
} ip_train_record_info;

/* Something that looks at every recorded epoch while training goes on (the online analysis of
 * cli/online.c; train/ knows nothing of what it does). All callbacks run on the training thread.
 *   start: once, when the run is open (created or resumed), before epoch 0 or the next epoch.
 *   epoch: for every recorded epoch (0 included), right after its layers were handed to the run
 *     file and before the epoch is committed. layers[l] is m x units[l] float32, valid during the
 *     call only (a hook working beside training copies them).
 *   before_commit (may be NULL): before every epoch is committed (recorded or not). A hook that
 *     works beside training finishes here every recorded epoch before this one, so a kill leaves
 *     at most the last committed epoch unfinished by the hook.
 *   missing (may be NULL): resumed, after start: whether the hook has not finished the run's last
 *     committed epoch (a recorded one); the trainer then records it again from the restored
 *     weights (the same bits) and hands it to epoch before training on.
 *   finish: once after start, whatever happened, after the run file is closed (the run directory
 *     still locked): status is the training's (IP_OK, IP_ERR_INTERRUPTED, ...), last_epoch the last
 *     epoch the run holds. Its error fails a training that succeeded (or was interrupted).
 *   view (may be NULL): a picture of what the hook has seen, which the trainer draws above its
 *     progress bar when that is on a terminal (ip_train_options.progress) and fits it, redrawn
 *     with ANSI cursor movements at most ten times a second and once more after finish. Called on
 *     the training thread (the hook guards what another thread of its own writes): copies text
 *     lines ('\n'-terminated, NUL-terminated, at most cap bytes) into buf and returns 1 when
 *     they changed since its last call that returned 1, else returns 0 leaving buf alone.
 * beside: how many of train.threads the hook's own thread takes while training runs (0: it
 *   works within the callbacks). Training then runs its thread pool on the rest (at least one)
 *   and BLAS on one thread; the weights are the same bits on any thread count.
 * A non-IP_OK status from start, epoch or before_commit stops the training with that error. */
typedef struct {
    void *ctx;
    int beside;
    int (*start)(void *ctx, const ip_train_record_info *info);
    int (*epoch)(void *ctx, int epoch, const float *const *layers);
    int (*before_commit)(void *ctx, int epoch);
    int (*missing)(void *ctx, int epoch);
    int (*finish)(void *ctx, int status, int last_epoch);
    int (*view)(void *ctx, char *buf, size_t cap);
} ip_train_hook;

typedef struct {
    const char *out_dir; /* the run directory; created when missing */
    int resume;          /* continue the run in out_dir from its last completed epoch */
    int progress;        /* 1: a progress bar on stderr (a terminal); 0: plain lines */
    int quiet;           /* 1: no per-epoch output */
    const ip_train_hook *on_record; /* NULL: none. Required with record.store: none */
} ip_train_options;

/* Train cfg into opt->out_dir. On success *final holds the last epoch's metrics.
 * Refuses to overwrite a directory that already holds a run unless resuming. On failure
 * (bad data, NaN loss, I/O) returns a negative status with a message; the epochs already
 * written to run.h5 stay readable. A stop requested by a signal (core/interrupt.h) is taken at
 * the next batch boundary and returns IP_ERR_INTERRUPTED, the message saying which epochs the
 * run holds; the epoch in progress is dropped, and resuming gives the uninterrupted run's bytes. */
int ip_train(const ip_config *cfg, const ip_train_options *opt, ip_epoch_metrics *final);

#endif
