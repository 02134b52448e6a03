/* The training loop: loads the data, builds the network, trains with the configured
 * optimizer, and at the scheduled epochs records every layer's output on the analysis set
 * into DIR/run.h5 (record/run.h). Also keeps DIR/config.yaml and DIR/metrics.csv. */
#ifndef IP_TRAIN_H
#define IP_TRAIN_H

#include "../config/config.h"
#include "../record/run.h"

typedef struct {
    const char *out_dir; /* the run directory; created when missing */
    int resume;          /* continue the run in out_dir from its last completed epoch */
    int progress;        /* 1: a progress bar on stderr (a terminal); 0: plain lines */
    int quiet;           /* 1: no per-epoch output */
} ip_train_options;

/* Train cfg into opt->out_dir. On success *final holds the last epoch's metrics.
 * Refuses to overwrite a directory that already holds a run unless resuming. On failure
 * (bad data, NaN loss, I/O) returns a negative status with a message; the epochs already
 * written to run.h5 stay readable. A stop requested by a signal (core/interrupt.h) is taken at
 * the next batch boundary and returns IP_ERR_INTERRUPTED, the message saying which epochs the
 * run holds; the epoch in progress is dropped, and resuming gives the uninterrupted run's bytes. */
int ip_train(const ip_config *cfg, const ip_train_options *opt, ip_epoch_metrics *final);

#endif
