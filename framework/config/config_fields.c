/* The field-table machinery of framework/config (config_fields.h): scalar conversion with YAML's
 * rules (plain scalars only are numbers and booleans), range checks, and the messages that say
 * what was expected and what was found. */
#include "config_fields.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/names.h"
#include "core/status.h"

/* ---- scalar conversion ---------------------------------------------------------------- */

/* How a node looks, for "got ..." in messages. Quoted strings are told apart from plain text
 * because a quoted "10" is a string in YAML, not a number. */
const char *cfg_describe(const cfg_node *v, char *buf, size_t size)
{
    if (v->kind == CFG_MAP) return "a mapping";
    if (v->kind == CFG_SEQ) return "a list";
    if (cfg_node_is_null(v)) return "nothing";
    const char *dots = strlen(v->value) > 60 ? "..." : "";
    if (v->plain)
        snprintf(buf, size, "'%.60s%s'", v->value, dots);
    else
        snprintf(buf, size, "the quoted string \"%.60s%s\" (numbers and booleans are written without quotes)",
                 v->value, dots);
    return buf;
}

int cfg_fail_expected(const cfg_node *v, const char *key, const char *expected)
{
    char got[192];
    return cfg_node_fail(v, "%s: expected %s, got %s", key, expected, cfg_describe(v, got, sizeof got));
}

/* A plain decimal integer ("12", "+3", "-1"), whole text consumed. */
int cfg_parse_ll(const cfg_node *v, long long *out)
{
    if (v->kind != CFG_SCALAR || !v->plain || cfg_node_is_null(v)) return 0;
    const char *s = v->value;
    if (!((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9'))) return 0;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || errno) return 0;
    *out = x;
    return 1;
}

/* A plain finite number ("1e-3", "0.5", "2"). strtod's "inf", "nan" and hex forms are refused
 * because they are not YAML numbers and a NaN learning rate is never meant. */
int cfg_parse_real(const cfg_node *v, double *out)
{
    if (v->kind != CFG_SCALAR || !v->plain || cfg_node_is_null(v)) return 0;
    const char *s = v->value;
    for (const char *c = s; *c; c++)
        if (!strchr("0123456789+-.eE", *c)) return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || !isfinite(x)) return 0;
    *out = x;
    return 1;
}

static int parse_bool(const cfg_node *v, int *out)
{
    if (v->kind != CFG_SCALAR || !v->plain) return 0;
    static const char *const yes[] = {"true", "yes", "on", NULL}, *const no[] = {"false", "no", "off", NULL};
    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(v->value, yes[i]) == 0) return *out = 1, 1;
        if (strcasecmp(v->value, no[i]) == 0) return *out = 0, 1;
    }
    return 0;
}

/* "an integer in 0..9", "an integer in 1..2147483647": always the range, whose top is what a
 * too large value (99999999999) needs to be told. */
static const char *int_range_text(char *buf, size_t size, long long lo, long long hi)
{
    snprintf(buf, size, "an integer in %lld..%lld", lo, hi);
    return buf;
}

int cfg_convert_int(const cfg_node *v, const char *key, long long lo, long long hi, int *out)
{
    long long x;
    char range[64];
    if (!cfg_parse_ll(v, &x) || x < lo || x > hi)
        return cfg_fail_expected(v, key, int_range_text(range, sizeof range, lo, hi));
    *out = (int)x;
    return IP_OK;
}

/* ---- fields ------------------------------------------------------------------------- */

static const char *real_range_text(char *buf, size_t size, const cfg_field *f)
{
    if (f->hi == HUGE_VAL)
        snprintf(buf, size, "a number %s %g", f->lo_open ? ">" : ">=", f->lo);
    else
        snprintf(buf, size, "a number in %c%g, %g%c", f->lo_open ? '(' : '[', f->lo, f->hi, f->hi_open ? ')' : ']');
    return buf;
}

/* Convert v into the member f describes of the struct at base, checking type and range. */
int cfg_convert_field(void *base, const cfg_field *f, const cfg_node *v, const char *key)
{
    char *member = (char *)base + f->off;
    char buf[512], range[128];
    switch (f->type) {
    case F_INT:
        return cfg_convert_int(v, key, (long long)f->lo, (long long)f->hi, (int *)(void *)member);
    case F_U64: {
        /* The whole uint64 range: strtoull, but only on digits, since it would wrap "-1". */
        const char *s = v->kind == CFG_SCALAR && v->plain ? v->value : "";
        char *end = NULL;
        unsigned long long x = 0;
        errno = 0;
        if (s[0] >= '0' && s[0] <= '9') x = strtoull(s, &end, 10);
        if (!end || *end || errno)
            return cfg_fail_expected(v, key, "a non-negative integer up to 18446744073709551615");
        uint64_t u = (uint64_t)x;
        memcpy(member, &u, sizeof u);
        return IP_OK;
    }
    case F_REAL: {
        double x;
        if (!cfg_parse_real(v, &x) || x < f->lo || (f->lo_open && x == f->lo) || x > f->hi ||
            (f->hi_open && x == f->hi))
            return cfg_fail_expected(v, key, real_range_text(range, sizeof range, f));
        memcpy(member, &x, sizeof x);
        return IP_OK;
    }
    case F_BOOL: {
        int b;
        if (!parse_bool(v, &b)) return cfg_fail_expected(v, key, "true or false");
        memcpy(member, &b, sizeof b);
        return IP_OK;
    }
    case F_ENUM:
    case F_NAME: {
        int i = v->kind == CFG_SCALAR ? ip_name_find(f->names, v->value) : -1;
        if (i < 0) {
            char got[192];
            if (v->kind != CFG_SCALAR || cfg_node_is_null(v))
                return cfg_node_fail(v, "%s: expected one of %s, got %s", key, ip_names_join(buf, sizeof buf, f->names),
                                     cfg_describe(v, got, sizeof got));
            return cfg_node_fail(v, "%s: unknown value '%.60s' (valid: %s)", key, v->value,
                                 ip_names_join(buf, sizeof buf, f->names));
        }
        if (f->type == F_ENUM)
            memcpy(member, &i, sizeof i);
        else
            snprintf(member, f->size, "%s", f->names[i]);
        return IP_OK;
    }
    case F_PATH:
        if (v->kind != CFG_SCALAR) return cfg_fail_expected(v, key, "a path");
        if (strlen(v->value) >= f->size)
            return cfg_node_fail(v, "%s: path longer than %zu characters", key, f->size - 1);
        snprintf(member, f->size, "%s", cfg_node_is_null(v) ? "" : v->value);
        return IP_OK;
    case F_FN:
        return f->fn(base, v, key);
    }
    return ip_fail(IP_ERR, "%s: internal error: unknown field type", key);
}

const cfg_field *cfg_find_field(const cfg_field *fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0) return &fields[i];
    return NULL;
}

/* "a, b, c" of the keys in a table (all of them when kinds is 0, else those for that kind). */
const char *cfg_field_list(char *buf, size_t size, const cfg_field *fields, int n, unsigned kinds)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (kinds && !(fields[i].kinds & kinds)) continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", fields[i].name);
        if (w < 0 || (size_t)w >= size - used) break;
        used += (size_t)w;
    }
    return buf;
}

/* Accept one positive integer or a list of them (e.g. hidden: [1024, 20, 20]) into out[max]. */
int cfg_convert_int_list(const cfg_node *v, const char *key, int lo, int max, int *out, int *n_out)
{
    char item_key[160];
    if (v->kind == CFG_MAP) return cfg_fail_expected(v, key, "a list of positive integers");
    if (v->kind == CFG_SCALAR) {
        if (cfg_node_is_null(v)) return cfg_fail_expected(v, key, "a list of positive integers");
        *n_out = 1;
        return cfg_convert_int(v, key, lo, INT_MAX, &out[0]);
    }
    if (v->n > max) return cfg_node_fail(v, "%s: at most %d entries, got %d", key, max, v->n);
    for (int i = 0; i < v->n; i++) {
        snprintf(item_key, sizeof item_key, "%s[%d]", key, i);
        int rc = cfg_convert_int(v->items[i], item_key, lo, INT_MAX, &out[i]);
        if (rc != IP_OK) return rc;
    }
    *n_out = v->n;
    return IP_OK;
}
