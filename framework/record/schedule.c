/* Epoch schedules (schedule.h): which epochs are recorded and which of them keep their
 * activations in run.h5. Pure functions of the record config, so the trainer, a resumed run and
 * the analyzer all agree on the same epochs without storing the schedule anywhere but the config. */
#include "schedule.h"

#include <stdio.h>

/* Saxe et al.'s log-like spacing: dense early, where the dynamics are fast. */
static int log_selects(int epoch)
{
    if (epoch < 20) return 1;
    if (epoch < 100) return epoch % 5 == 0;
    if (epoch < 2000) return epoch % 20 == 0;
    return epoch % 100 == 0;
}

int ip_schedule_selects(const ip_schedule *s, int epoch)
{
    if (epoch < 0) return 0;
    if (epoch == 0) return 1; /* the initial network is always the first point of a trajectory */
    switch (s->kind) {
    case IP_SCHED_ALL: return 1;
    case IP_SCHED_EVERY: return s->every > 0 ? epoch % s->every == 0 : 1;
    case IP_SCHED_LOG: return log_selects(epoch);
    case IP_SCHED_LIST:
        /* The config loader sorts the list, but a linear scan does not depend on that. */
        for (int i = 0; i < s->n_list && i < IP_MAX_LIST; i++)
            if (s->list[i] == epoch) return 1;
        return 0;
    }
    return 0;
}

int ip_schedule_count(const ip_schedule *s, int total_epochs)
{
    int n = 0;
    for (int e = 0; e <= total_epochs; e++) n += ip_schedule_selects(s, e);
    return n;
}

const char *ip_schedule_text(const ip_schedule *s, char *buf, size_t cap)
{
    if (!cap) return buf;
    buf[0] = '\0';
    switch (s->kind) {
    case IP_SCHED_ALL: snprintf(buf, cap, "all"); break;
    case IP_SCHED_LOG: snprintf(buf, cap, "log"); break;
    case IP_SCHED_EVERY: snprintf(buf, cap, "{every: %d}", s->every); break;
    case IP_SCHED_LIST: {
        size_t len = 0;
        for (int i = 0; i < s->n_list && i < IP_MAX_LIST && len < cap; i++) {
            int w = snprintf(buf + len, cap - len, "%s%d", i ? ", " : "[", s->list[i]);
            len += w > 0 ? (size_t)w : 0;
        }
        if (len < cap) snprintf(buf + len, cap - len, "%s", s->n_list ? "]" : "[]");
        break;
    }
    }
    return buf;
}

int ip_schedule_records(const ip_record_config *cfg, int epoch) { return ip_schedule_selects(&cfg->epochs, epoch); }

int ip_schedule_stores(const ip_record_config *cfg, int epoch)
{
    if (!ip_schedule_records(cfg, epoch)) return 0;
    switch (cfg->store) {
    case IP_STORE_ACTIVATIONS: return 1;
    case IP_STORE_NONE: return 0;
    case IP_STORE_SCHEDULE: return ip_schedule_selects(&cfg->store_epochs, epoch);
    }
    return 0;
}

const char *ip_store_text(const ip_record_config *cfg, char *buf, size_t cap)
{
    if (cfg->store == IP_STORE_SCHEDULE) return ip_schedule_text(&cfg->store_epochs, buf, cap);
    if (cap) snprintf(buf, cap, "%s", cfg->store == IP_STORE_NONE ? "none" : "activations");
    return buf;
}
