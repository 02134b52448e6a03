/* The record schedule: which epochs get their activations recorded. Epoch 0 (the initial
 * network, before any update) is always recorded. */
#ifndef IP_SCHEDULE_H
#define IP_SCHEDULE_H

#define IP_MAX_LIST 256 /* epochs of an explicit record.epochs list */

typedef enum { IP_SCHED_ALL = 0, IP_SCHED_EVERY, IP_SCHED_LIST, IP_SCHED_LOG } ip_schedule_kind;

/* The record section: what is recorded (the analysis set) and when (the schedule). */
typedef struct {
    int samples;                     /* analysis set: first N training samples (0 = all) */
    int test_samples;                /* optionally the first N test samples too */
    ip_schedule_kind epochs;
    int every;                       /* IP_SCHED_EVERY */
    int n_list, list[IP_MAX_LIST];   /* IP_SCHED_LIST, ascending */
    int compression;                 /* gzip level 0..9 */
    int store_none;                  /* record.store: 0 activations (written to the run file), 1 none
                                      * (needs the analysis while training: analysis.online) */
} ip_record_config;

/* 1 when `epoch` (0..total_epochs) is recorded under cfg. `log` is Saxe et al.'s schedule:
 * every epoch below 20, every 5th below 100, every 20th below 2000, then every 100th. */
int ip_schedule_records(const ip_record_config *cfg, int epoch);

/* Number of recorded epochs in 0..total_epochs. */
int ip_schedule_count(const ip_record_config *cfg, int total_epochs);

#endif
