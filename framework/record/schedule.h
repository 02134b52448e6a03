/* The record schedule: which epochs get their activations recorded. Epoch 0 (the initial
 * network, before any update) is always recorded. */
#ifndef IP_SCHEDULE_H
#define IP_SCHEDULE_H

#include "../config/config.h"

/* 1 when `epoch` (0..total_epochs) is recorded under cfg. `log` is Saxe et al.'s schedule:
 * every epoch below 20, every 5th below 100, every 20th below 2000, then every 100th. */
int ip_schedule_records(const ip_record_config *cfg, int epoch);

/* Number of recorded epochs in 0..total_epochs. */
int ip_schedule_count(const ip_record_config *cfg, int total_epochs);

#endif
