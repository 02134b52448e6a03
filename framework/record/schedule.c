/* The record schedule (schedule.h): which epochs have their activations written to run.h5.
 * Pure functions of the record config, so the trainer, a resumed run and the analyzer all
 * agree on the same epochs without storing the schedule anywhere but the config. */
#include "schedule.h"

/* Saxe et al.'s log-like spacing: dense early, where the dynamics are fast. */
static int log_records(int epoch)
{
    if (epoch < 20) return 1;
    if (epoch < 100) return epoch % 5 == 0;
    if (epoch < 2000) return epoch % 20 == 0;
    return epoch % 100 == 0;
}

int ip_schedule_records(const ip_record_config *cfg, int epoch)
{
    if (epoch < 0) return 0;
    if (epoch == 0) return 1; /* the initial network is always the first point of a trajectory */
    switch (cfg->epochs) {
    case IP_SCHED_ALL: return 1;
    case IP_SCHED_EVERY: return cfg->every > 0 ? epoch % cfg->every == 0 : 1;
    case IP_SCHED_LOG: return log_records(epoch);
    case IP_SCHED_LIST:
        /* The config loader sorts the list, but a linear scan does not depend on that. */
        for (int i = 0; i < cfg->n_list && i < IP_MAX_LIST; i++)
            if (cfg->list[i] == epoch) return 1;
        return 0;
    }
    return 0;
}

int ip_schedule_count(const ip_record_config *cfg, int total_epochs)
{
    int n = 0;
    for (int e = 0; e <= total_epochs; e++) n += ip_schedule_records(cfg, e);
    return n;
}
