/* Epoch schedules: which epochs get their activations recorded (record.epochs) and which of
 * those keep them in run.h5 (record.store). Epoch 0 (the initial network, before any update) is
 * selected by every schedule. The config loader (config/config_record.c) only fills these types. */
#ifndef IP_SCHEDULE_H
#define IP_SCHEDULE_H

#include <stddef.h>

#define IP_MAX_LIST 256       /* epochs of an explicit list */
#define IP_SCHEDULE_TEXT 3200 /* room for ip_schedule_text of any schedule: 256 x "2147483647, " fits */

typedef enum { IP_SCHED_ALL = 0, IP_SCHED_EVERY, IP_SCHED_LIST, IP_SCHED_LOG } ip_schedule_kind;

/* One schedule: all | log | {every: K} | an ascending list. */
typedef struct {
    ip_schedule_kind kind;
    int every;                       /* IP_SCHED_EVERY */
    int n_list, list[IP_MAX_LIST];   /* IP_SCHED_LIST, ascending */
} ip_schedule;

/* record.store: what run.h5 keeps of the recorded epochs. */
typedef enum {
    IP_STORE_ACTIVATIONS = 0, /* every recorded epoch (also written `all`) */
    IP_STORE_NONE,            /* none: everything is analysed while training (analysis.online) */
    IP_STORE_SCHEDULE         /* the recorded epochs that store_epochs selects (analysis.online) */
} ip_store_kind;

/* The record section: what is recorded (the analysis set), when, and what is kept. */
typedef struct {
    int samples;                     /* analysis set: first N training samples (0 = all) */
    int test_samples;                /* optionally the first N test samples too */
    ip_schedule epochs;              /* record.epochs */
    int compression;                 /* gzip level 0..9 */
    ip_store_kind store;             /* record.store */
    ip_schedule store_epochs;        /* IP_STORE_SCHEDULE: its schedule (a list names recorded epochs) */
} ip_record_config;

/* 1 when `epoch` (>= 0) is selected by s. `log` is Saxe et al.'s schedule: every epoch below 20,
 * every 5th below 100, every 20th below 2000, then every 100th. */
int ip_schedule_selects(const ip_schedule *s, int epoch);

/* Number of epochs s selects in 0..total_epochs. */
int ip_schedule_count(const ip_schedule *s, int total_epochs);

/* The schedule as the config writes it: "all", "log", "{every: 5}", "[0, 5, 10]", into buf
 * (truncated to cap; IP_SCHEDULE_TEXT always holds it). Returns buf. */
const char *ip_schedule_text(const ip_schedule *s, char *buf, size_t cap);

/* 1 when `epoch` is recorded under cfg (record.epochs). */
int ip_schedule_records(const ip_record_config *cfg, int epoch);

/* 1 when `epoch` is recorded and its activations are kept in run.h5 (record.store): every
 * recorded epoch for activations, none for none, for a store schedule the recorded epochs it
 * selects (the two intersected; epoch 0 always). */
int ip_schedule_stores(const ip_record_config *cfg, int epoch);

/* record.store as the config writes it ("activations", "none", or the schedule's text), into buf.
 * Returns buf. */
const char *ip_store_text(const ip_record_config *cfg, char *buf, size_t cap);

#endif
