/* The record section: the analysis set (how many training and test samples), the epoch
 * schedule (all, log, {every: K} or a list; record/schedule.h), the HDF5 compression, and what
 * run.h5 keeps (record.store: activations, none, or a schedule of its own). */
#include "config_fields.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

/* all | log | {every: K} | [0, 1, 2, 5, ...] into *s; `expected` names the forms in messages. */
static int parse_schedule(ip_schedule *s, const cfg_node *v, const char *key, const char *expected)
{
    char sub[160];
    s->every = 0;
    s->n_list = 0;
    if (v->kind == CFG_SCALAR) {
        if (strcmp(v->value, "all") == 0) {
            s->kind = IP_SCHED_ALL;
            return IP_OK;
        }
        if (strcmp(v->value, "log") == 0) {
            s->kind = IP_SCHED_LOG;
            return IP_OK;
        }
        long long k;
        char got[192];
        if (cfg_parse_ll(v, &k))
            return cfg_node_fail(v, "%s: expected %s, got %s (every K-th epoch is written {every: %lld})", key,
                                 expected, cfg_describe(v, got, sizeof got), k);
        return cfg_fail_expected(v, key, expected);
    }
    if (v->kind == CFG_MAP) {
        for (int i = 0; i < v->n; i++)
            if (strcmp(v->keys[i]->value, "every") != 0)
                return cfg_node_fail(v->keys[i], "%s: unknown key '%.64s' (allowed: every)", key, v->keys[i]->value);
        const cfg_node *every = cfg_map_get(v, "every", NULL);
        if (!every) return cfg_fail_expected(v, key, expected);
        snprintf(sub, sizeof sub, "%s.every", key);
        s->kind = IP_SCHED_EVERY;
        return cfg_convert_int(every, sub, 1, INT_MAX, &s->every);
    }
    if (v->n > IP_MAX_LIST) return cfg_node_fail(v, "%s: at most %d epochs in a list, got %d", key, IP_MAX_LIST, v->n);
    for (int i = 0; i < v->n; i++) {
        snprintf(sub, sizeof sub, "%s[%d]", key, i);
        int rc = cfg_convert_int(v->items[i], sub, 0, INT_MAX, &s->list[i]);
        if (rc != IP_OK) return rc;
        if (i > 0 && s->list[i] <= s->list[i - 1])
            return cfg_node_fail(v->items[i], "%s: the list must be strictly ascending (%d comes after %d)", sub,
                                 s->list[i], s->list[i - 1]);
    }
    s->kind = IP_SCHED_LIST;
    s->n_list = v->n;
    return IP_OK;
}

/* epochs: all | log | {every: K} | [0, 1, 2, 5, ...] */
static int fn_record_epochs(void *base, const cfg_node *v, const char *key)
{
    return parse_schedule(&((ip_config *)base)->record.epochs, v, key,
                          "all, log, {every: K} or an ascending list of epochs");
}

/* store: activations | none | log | {every: K} | [e1, e2, ...] (`all` is `activations`). */
static int fn_record_store(void *base, const cfg_node *v, const char *key)
{
    ip_record_config *r = &((ip_config *)base)->record;
    memset(&r->store_epochs, 0, sizeof r->store_epochs);
    if (v->kind == CFG_SCALAR && (!strcmp(v->value, "activations") || !strcmp(v->value, "all"))) {
        r->store = IP_STORE_ACTIVATIONS;
        return IP_OK;
    }
    if (v->kind == CFG_SCALAR && !strcmp(v->value, "none")) {
        r->store = IP_STORE_NONE;
        return IP_OK;
    }
    int rc = parse_schedule(&r->store_epochs, v, key,
                            "activations, none, log, {every: K} or an ascending list of recorded epochs");
    if (rc == IP_OK) r->store = IP_STORE_SCHEDULE;
    return rc;
}

/* Across the section: a store list names recorded epochs (the other store schedules are
 * intersected with record.epochs: they select epochs by rule, not by name). */
static int check_record(ip_config *cfg, const cfg_node *section)
{
    const ip_record_config *r = &cfg->record;
    if (r->store != IP_STORE_SCHEDULE || r->store_epochs.kind != IP_SCHED_LIST) return IP_OK;
    const cfg_node *v = cfg_map_get(section, "store", NULL);
    for (int i = 0; i < r->store_epochs.n_list; i++) {
        if (ip_schedule_records(r, r->store_epochs.list[i])) continue;
        char sched[IP_SCHEDULE_TEXT];
        const cfg_node *at = v && v->kind == CFG_SEQ && i < v->n ? v->items[i] : (v ? v : section);
        return cfg_node_fail(at, "record.store[%d]: epoch %d is not recorded (record.epochs: %.200s); a store list "
                                 "names recorded epochs",
                             i, r->store_epochs.list[i], ip_schedule_text(&r->epochs, sched, sizeof sched));
    }
    return IP_OK;
}

static const cfg_field record_fields[] = {
    INT_F(ip_config, "samples", record.samples, 0, INT_MAX),
    INT_F(ip_config, "test_samples", record.test_samples, 0, INT_MAX),
    FN_F("epochs", fn_record_epochs),
    INT_F(ip_config, "compression", record.compression, 0, 9),
    FN_F("store", fn_record_store),
};

const cfg_section cfg_record_section = {"record", record_fields, N_OF(record_fields), check_record};
