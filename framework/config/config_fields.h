/* Internal to framework/config: the field tables every section is converted through (a key, its
 * type, its range, where it goes), the scalar conversions behind them and the "expected ..., got
 * ..." messages. The section files (config_model.c, config_data.c, ...) each define one table. */
#ifndef IP_CONFIG_FIELDS_H
#define IP_CONFIG_FIELDS_H

#include <stddef.h>

#include "config.h"
#include "config_tree.h"

typedef enum { F_INT, F_U64, F_REAL, F_BOOL, F_ENUM, F_NAME, F_PATH, F_FN } cfg_field_type;

/* An F_FN field converts v itself into the struct at base; key names it in messages. */
typedef int (*cfg_field_fn)(void *base, const cfg_node *v, const char *key);

typedef struct {
    const char *name;
    cfg_field_type type;
    size_t off;                /* into the base struct (ip_config, or ip_layer_spec for layers) */
    double lo, hi;             /* F_INT, F_REAL: the allowed range */
    int lo_open, hi_open;      /* F_REAL: 1 when that bound itself is excluded */
    const char *const *names;  /* F_ENUM (index stored as int), F_NAME (text stored) */
    size_t size;               /* F_NAME, F_PATH: the buffer size */
    cfg_field_fn fn;           /* F_FN */
    unsigned kinds;            /* layer keys: bit (1 << ip_layer_kind) for each kind it applies to */
} cfg_field;

#define NOLIM 0, 0, 0, 0
#define INT_F(T, nm, m, lo, hi) {nm, F_INT, offsetof(T, m), lo, hi, 0, 0, NULL, 0, NULL, 0}
#define REAL_F(T, nm, m, lo, hi, lo_open, hi_open)                                                     \
    {nm, F_REAL, offsetof(T, m), lo, hi, lo_open, hi_open, NULL, 0, NULL, 0}
#define BOOL_F(T, nm, m) {nm, F_BOOL, offsetof(T, m), NOLIM, NULL, 0, NULL, 0}
#define ENUM_F(T, nm, m, names) {nm, F_ENUM, offsetof(T, m), NOLIM, names, 0, NULL, 0}
#define NAME_F(T, nm, m, names) {nm, F_NAME, offsetof(T, m), NOLIM, names, sizeof(((T *)0)->m), NULL, 0}
#define PATH_F(T, nm, m) {nm, F_PATH, offsetof(T, m), NOLIM, NULL, sizeof(((T *)0)->m), NULL, 0}
#define FN_F(nm, fn) {nm, F_FN, 0, NOLIM, NULL, 0, fn, 0}
#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* F_ENUM writes an enum through an int pointer: each enum it is used for asserts this. */
#define CFG_INT_SIZED_ENUM(T) _Static_assert(sizeof(T) == sizeof(int), #T " must be int-sized")

/* One section of the file: its keys, and a check across them run after all are converted
 * (NULL when there is none). Each section file defines one of these. */
typedef struct {
    const char *name;
    const cfg_field *fields;
    int n;
    int (*check)(ip_config *cfg, const cfg_node *section);
} cfg_section;

extern const cfg_section cfg_model_section, cfg_data_section, cfg_train_section, cfg_record_section,
    cfg_analysis_section, cfg_plot_section;

/* How a node looks, for "got ..." in messages ("a list", "'ten'", "the quoted string ..."),
 * written into buf when it needs to be. */
const char *cfg_describe(const cfg_node *v, char *buf, size_t size);

/* "KEY: expected EXPECTED, got ..." at v's position; returns IP_ERR_FORMAT. */
int cfg_fail_expected(const cfg_node *v, const char *key, const char *expected);

/* Plain scalars only (a quoted "12" is a string): 1 with *out set, or 0. */
int cfg_parse_ll(const cfg_node *v, long long *out);   /* decimal integer, whole text */
int cfg_parse_real(const cfg_node *v, double *out);   /* finite number; no inf, nan, hex */

/* An integer in [lo, hi] into *out, or a message naming key and the range. */
int cfg_convert_int(const cfg_node *v, const char *key, long long lo, long long hi, int *out);

/* One integer >= lo, or a list of at most max of them (e.g. hidden: [1024, 20, 20]), into
 * out[], with the count in *n_out. */
int cfg_convert_int_list(const cfg_node *v, const char *key, int lo, int max, int *out, int *n_out);

/* Convert v into the member f describes of the struct at base, checking type and range. */
int cfg_convert_field(void *base, const cfg_field *f, const cfg_node *v, const char *key);

/* The field called name in fields[0..n), or NULL. */
const cfg_field *cfg_find_field(const cfg_field *fields, int n, const char *name);

/* IP_OK when `key` ("section.key", or "seed") is a key of the run config that --set can set;
 * else the message --set would give (unknown section or key, with the allowed ones), at `at`.
 * Defined in config.c, which holds the table of sections. */
int cfg_check_key(const cfg_node *at, const char *key);

/* "a, b, c" of the keys in a table (all of them when kinds is 0, else those for that kind). */
const char *cfg_field_list(char *buf, size_t size, const cfg_field *fields, int n, unsigned kinds);

#endif
