/* The record section: the analysis set (how many training and test samples), the epoch
 * schedule (all, log, {every: K} or a list; record/schedule.h) and the HDF5 compression. */
#include "config_fields.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

static const char *const store_names[] = {"activations", "none", NULL}; /* index = record.store_none */

/* epochs: all | log | {every: K} | [0, 1, 2, 5, ...] */
static int fn_record_epochs(void *base, const cfg_node *v, const char *key)
{
    ip_record_config *r = &((ip_config *)base)->record;
    const char *expected = "all, log, {every: K} or an ascending list of epochs";
    char sub[160];
    r->every = 0;
    r->n_list = 0;
    if (v->kind == CFG_SCALAR) {
        if (strcmp(v->value, "all") == 0) {
            r->epochs = IP_SCHED_ALL;
            return IP_OK;
        }
        if (strcmp(v->value, "log") == 0) {
            r->epochs = IP_SCHED_LOG;
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
        r->epochs = IP_SCHED_EVERY;
        return cfg_convert_int(every, sub, 1, INT_MAX, &r->every);
    }
    if (v->n > IP_MAX_LIST) return cfg_node_fail(v, "%s: at most %d epochs in a list, got %d", key, IP_MAX_LIST, v->n);
    for (int i = 0; i < v->n; i++) {
        snprintf(sub, sizeof sub, "%s[%d]", key, i);
        int rc = cfg_convert_int(v->items[i], sub, 0, INT_MAX, &r->list[i]);
        if (rc != IP_OK) return rc;
        if (i > 0 && r->list[i] <= r->list[i - 1])
            return cfg_node_fail(v->items[i], "%s: the list must be strictly ascending (%d comes after %d)", sub,
                                 r->list[i], r->list[i - 1]);
    }
    r->epochs = IP_SCHED_LIST;
    r->n_list = v->n;
    return IP_OK;
}

static const cfg_field record_fields[] = {
    INT_F(ip_config, "samples", record.samples, 0, INT_MAX),
    INT_F(ip_config, "test_samples", record.test_samples, 0, INT_MAX),
    FN_F("epochs", fn_record_epochs),
    INT_F(ip_config, "compression", record.compression, 0, 9),
    ENUM_F(ip_config, "store", record.store_none, store_names),
};

const cfg_section cfg_record_section = {"record", record_fields, N_OF(record_fields), NULL};
