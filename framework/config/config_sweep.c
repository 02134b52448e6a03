/* The sweep file loader (config_sweep.h): YAML -> the cfg_node tree (config_tree.c) -> the
 * ip_sweep_spec of sweep/sweep_spec.h. Every value of set and grid is kept as YAML flow text, the
 * form `infoplane run --set KEY=VALUE` takes, so each run gets its overrides through the same
 * machinery as a user's --set; that text is parsed back here and compared with the file's node,
 * so a value that would mean something else on its way to a run is refused, not passed on. */
#include "config_sweep.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_fields.h"
#include "config_tree.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"

#define TOP_KEYS "base, set, grid, seeds, threshold, slurm"

/* ---- values as flow text ------------------------------------------------------------- */

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} text_buf;

static void tb_put(text_buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *bigger = realloc(b->s, cap);
        if (!bigger) {
            b->failed = 1;
            return;
        }
        b->s = bigger;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void tb_puts(text_buf *b, const char *s) { tb_put(b, s, strlen(s)); }

/* A plain scalar that reads the same in any flow context: no indicator, quote or blank. Numbers,
 * booleans, names and most paths are such; only they may stay plain (the others are strings,
 * where quoting changes nothing the run config looks at). */
static int plain_safe(const char *v)
{
    if (!*v) return 0;
    for (const char *c = v; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-/", *c)) return 0;
    return 1;
}

static void put_scalar(text_buf *b, const cfg_node *n, int quotes)
{
    const char *v = n->value;
    if (cfg_node_is_null(n)) {
        tb_puts(b, quotes ? "~" : "");
        return;
    }
    if (!quotes || (n->plain && plain_safe(v))) {
        tb_puts(b, v);
        return;
    }
    int control = 0;
    for (const char *c = v; *c; c++) control |= (unsigned char)*c < 0x20 || *c == 0x7f;
    if (!control) { /* single quotes: nothing is special inside but the quote itself, doubled */
        tb_puts(b, "'");
        for (const char *c = v; *c; c++) tb_puts(b, *c == '\'' ? "''" : (char[2]){*c, 0});
        tb_puts(b, "'");
        return;
    }
    tb_puts(b, "\"");
    for (const char *c = v; *c; c++) {
        unsigned char ch = (unsigned char)*c;
        char esc[8];
        if (ch == '"' || ch == '\\') snprintf(esc, sizeof esc, "\\%c", ch);
        else if (ch == '\n') snprintf(esc, sizeof esc, "\\n");
        else if (ch == '\t') snprintf(esc, sizeof esc, "\\t");
        else if (ch < 0x20 || ch == 0x7f) snprintf(esc, sizeof esc, "\\x%02x", ch);
        else snprintf(esc, sizeof esc, "%c", ch);
        tb_puts(b, esc);
    }
    tb_puts(b, "\"");
}

/* n in flow style: `quotes` 1 gives YAML that parses back to n, 0 the same without quotes (for
 * names and tables). At the top, YAML's null is the empty text, as "--set data.path=" is. */
static void put_flow(text_buf *b, const cfg_node *n, int quotes, int top)
{
    if (n->kind == CFG_SCALAR) {
        if (top && cfg_node_is_null(n)) return;
        put_scalar(b, n, quotes);
        return;
    }
    tb_puts(b, n->kind == CFG_MAP ? "{" : "[");
    for (int i = 0; i < n->n; i++) {
        if (i) tb_puts(b, ", ");
        if (n->kind == CFG_MAP) {
            put_scalar(b, n->keys[i], quotes);
            tb_puts(b, ": ");
        }
        put_flow(b, n->items[i], quotes, 0);
    }
    tb_puts(b, n->kind == CFG_MAP ? "}" : "]");
}

/* Numbers, booleans and null: what a plain scalar may mean beyond its text. */
static int special(const cfg_node *n)
{
    double x;
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", NULL};
    if (cfg_node_is_null(n) || cfg_parse_real(n, &x)) return 1;
    for (int i = 0; words[i]; i++)
        if (!strcasecmp(n->value, words[i])) return 1;
    return 0;
}

/* 1 when b (parsed back from a's flow text) means what a means. */
static int same_meaning(const cfg_node *a, const cfg_node *b)
{
    if (a->kind != b->kind || a->n != b->n) return 0;
    if (a->kind == CFG_SCALAR) {
        int na = cfg_node_is_null(a), nb = cfg_node_is_null(b);
        if (na || nb) return na == nb;
        if (strcmp(a->value, b->value)) return 0;
        return a->plain == b->plain || ((a->plain ? !special(a) : 1) && (b->plain ? !special(b) : 1));
    }
    for (int i = 0; i < a->n; i++)
        if ((a->kind == CFG_MAP && !same_meaning(a->keys[i], b->keys[i])) || !same_meaning(a->items[i], b->items[i]))
            return 0;
    return 1;
}

/* Fill v from node n (key `key`): its flow text, its words and its position. The two texts are
 * malloc'd into v (also on failure), owned by the spec and released by ip_sweep_spec_free. */
static int take_value(ip_sweep_value *v, const char *key, const cfg_node *n)
{
    text_buf val = {0}, words = {0};
    cfg_node *back = NULL;
    snprintf(v->key, sizeof v->key, "%s", key);
    v->line = n->line;
    v->col = n->col;
    put_flow(&val, n, 1, 1);
    put_flow(&words, n, 0, 1);
    tb_puts(&val, "");
    tb_puts(&words, "");
    if (val.failed || words.failed) {
        free(val.s);
        free(words.s);
        return ip_fail(IP_ERR_NOMEM, "out of memory reading a sweep file");
    }
    v->value = val.s;
    v->text = words.s;
    if (cfg_node_is_null(n)) return IP_OK;
    int rc = cfg_tree_parse(&back, val.s, val.len, "(the value as passed on)", 0);
    if (rc != IP_OK || !back || !same_meaning(n, back))
        rc = cfg_node_fail(n, "%s: this value cannot be passed on to a run as it is (it reads back as '%.80s'); "
                              "write it as a plain YAML scalar, list or mapping", key, val.s);
    cfg_node_free(back);
    return rc;
}

/* ---- the file's sections ------------------------------------------------------------- */

static int expect_map(const cfg_node *v, const char *key, const char *what)
{
    if (v->kind == CFG_MAP) return IP_OK;
    return cfg_fail_expected(v, key, what);
}

/* A key of set or grid: a scalar naming a key of the run config (not the seed: that is `seeds`). */
static int check_key(const cfg_node *k, const char *section)
{
    if (strlen(k->value) >= IP_SWEEP_KEY_LEN) return cfg_node_fail(k, "%s: key '%.64s...' is too long", section, k->value);
    if (!strcmp(k->value, "seed"))
        return cfg_node_fail(k, "%s: seed: give the seeds as a list under the top-level key seeds, e.g. "
                                "seeds: [1, 2, 3]", section);
    return cfg_check_key(k, k->value);
}

static int load_set(ip_sweep_spec *s, const cfg_node *v)
{
    if (cfg_node_is_null(v)) return IP_OK;
    int rc = expect_map(v, "set", "a mapping of config keys to values (e.g. train.epochs: 400)");
    if (rc) return rc;
    if (v->n > IP_SWEEP_MAX_VALUES) return cfg_node_fail(v, "set: at most %d keys, got %d", IP_SWEEP_MAX_VALUES, v->n);
    if (v->n && !(s->set = ip_calloc((size_t)v->n, sizeof *s->set))) return IP_ERR_NOMEM;
    for (int i = 0; i < v->n; i++) {
        if ((rc = check_key(v->keys[i], "set")) != IP_OK) return rc;
        rc = take_value(&s->set[s->n_set++], v->keys[i]->value, v->items[i]);
        if (rc) return rc;
    }
    return IP_OK;
}

static int load_grid(ip_sweep_spec *s, const cfg_node *v, const cfg_node *set)
{
    if (cfg_node_is_null(v) || (v->kind == CFG_MAP && v->n == 0))
        return cfg_node_fail(v, "grid: empty; expected config keys with lists of values, e.g. "
                                "model.activation: [tanh, relu]");
    int rc = expect_map(v, "grid", "a mapping of config keys to lists of values (e.g. model.activation: [tanh, relu])");
    if (rc) return rc;
    if (v->n > IP_SWEEP_MAX_AXES) return cfg_node_fail(v, "grid: at most %d keys, got %d", IP_SWEEP_MAX_AXES, v->n);
    if (!(s->axes = ip_calloc((size_t)v->n, sizeof *s->axes))) return IP_ERR_NOMEM;
    for (int i = 0; i < v->n; i++) {
        const cfg_node *k = v->keys[i], *list = v->items[i];
        if ((rc = check_key(k, "grid")) != IP_OK) return rc;
        int at;
        if (set && set->kind == CFG_MAP && cfg_map_get(set, k->value, &at))
            return cfg_node_fail(k, "grid: %s is given in set too (line %d); a key is either fixed or swept",
                                 k->value, set->keys[at]->line);
        if (list->kind != CFG_SEQ) {
            char what[160];
            snprintf(what, sizeof what, "a list of values (e.g. %s: [a, b]); a single value belongs in set", k->value);
            return cfg_fail_expected(list, k->value, what);
        }
        if (list->n == 0) return cfg_node_fail(list, "%s: empty list; give at least one value", k->value);
        if (list->n > IP_SWEEP_MAX_VALUES)
            return cfg_node_fail(list, "%s: at most %d values, got %d", k->value, IP_SWEEP_MAX_VALUES, list->n);
        ip_sweep_axis *a = &s->axes[s->n_axes++];
        snprintf(a->key, sizeof a->key, "%s", k->value);
        a->line = k->line;
        a->col = k->col;
        if (!(a->values = ip_calloc((size_t)list->n, sizeof *a->values))) return IP_ERR_NOMEM;
        for (int j = 0; j < list->n; j++) {
            if ((rc = take_value(&a->values[a->n++], k->value, list->items[j])) != IP_OK) return rc;
            for (int q = 0; q < j; q++) /* the same value twice would be the same runs twice */
                if (!strcmp(a->values[q].value, a->values[j].value))
                    return cfg_node_fail(list->items[j], "%s: value '%.60s' is given twice (also at line %d column %d)",
                                         k->value, a->values[j].text, a->values[q].line, a->values[q].col);
        }
    }
    return IP_OK;
}

static int load_seeds(ip_sweep_spec *s, const cfg_node *v)
{
    if (v->kind != CFG_SEQ) return cfg_fail_expected(v, "seeds", "a list of seeds, e.g. [1, 2, 3]");
    if (v->n == 0) return cfg_node_fail(v, "seeds: empty list; give at least one seed, e.g. [1, 2, 3]");
    if (v->n > IP_SWEEP_MAX_VALUES) return cfg_node_fail(v, "seeds: at most %d, got %d", IP_SWEEP_MAX_VALUES, v->n);
    if (!(s->seeds = ip_calloc((size_t)v->n, sizeof *s->seeds))) return IP_ERR_NOMEM;
    static const cfg_field seed_field = {"seed", F_U64, 0, NOLIM, NULL, 0, NULL, 0};
    for (int i = 0; i < v->n; i++) {
        uint64_t seed;
        char key[32];
        snprintf(key, sizeof key, "seeds[%d]", i);
        int rc = cfg_convert_field(&seed, &seed_field, v->items[i], key);
        if (!rc) rc = take_value(&s->seeds[s->n_seeds++], "seed", v->items[i]);
        if (rc) return rc;
        for (int q = 0; q < i; q++)
            if (!strcmp(s->seeds[q].value, s->seeds[i].value))
                return cfg_node_fail(v->items[i], "seeds: %s is given twice (also at line %d column %d)",
                                     s->seeds[i].value, s->seeds[q].line, s->seeds[q].col);
    }
    return IP_OK;
}

/* slurm: {options: ["--account=x", ...]}: extra sbatch options for `sweep --slurm` (docs/cluster.md).
 * Each one option of sbatch's long form, written into the job script as an #SBATCH line; the
 * options the sweep sets itself (the array, the output, the directory) are refused. */
static int load_slurm(ip_sweep_spec *s, const cfg_node *v)
{
    static const char *const ours[] = {"--array", "--output", "--error", "--chdir", "--parsable", "--wrap", "--wait", NULL};
    if (cfg_node_is_null(v)) return IP_OK;
    int rc = expect_map(v, "slurm", "a mapping with options (e.g. options: [\"--account=lab\"])");
    if (rc) return rc;
    for (int i = 0; i < v->n; i++) {
        const cfg_node *k = v->keys[i], *list = v->items[i];
        if (strcmp(k->value, "options"))
            return cfg_node_fail(k, "unknown key '%.64s' in section 'slurm' (allowed: options)", k->value);
        if (list->kind != CFG_SEQ)
            return cfg_fail_expected(list, "slurm.options", "a list of sbatch options, e.g. [\"--account=lab\", \"--qos=short\"]");
        if (list->n > IP_SWEEP_MAX_SLURM_OPTIONS)
            return cfg_node_fail(list, "slurm.options: at most %d, got %d", IP_SWEEP_MAX_SLURM_OPTIONS, list->n);
        if (list->n && !(s->slurm_options = ip_calloc((size_t)list->n, sizeof *s->slurm_options))) return IP_ERR_NOMEM;
        for (int j = 0; j < list->n; j++) {
            const cfg_node *o = list->items[j];
            if (o->kind != CFG_SCALAR || cfg_node_is_null(o))
                return cfg_fail_expected(o, "slurm.options", "an sbatch option such as \"--account=lab\"");
            const char *t = o->value;
            if (strncmp(t, "--", 2) || !t[2] || strlen(t) > 512 || strpbrk(t, "\n\r\t #'\"\\"))
                return cfg_node_fail(o, "slurm.options: '%.80s': expected one sbatch option in its long form, "
                                        "without blanks, quotes or '#' (e.g. --account=lab, --qos=short)", t);
            for (int q = 0; ours[q]; q++) {
                size_t n = strlen(ours[q]);
                if (!strncmp(t, ours[q], n) && (t[n] == '\0' || t[n] == '='))
                    return cfg_node_fail(o, "slurm.options: %s is set by infoplane sweep --slurm itself "
                                            "(docs/cluster.md)", ours[q]);
            }
            if (!(s->slurm_options[s->n_slurm_options] = ip_malloc(strlen(t) + 1))) return IP_ERR_NOMEM;
            memcpy(s->slurm_options[s->n_slurm_options++], t, strlen(t) + 1);
        }
    }
    return IP_OK;
}

/* base: relative to the sweep file's directory when the file is there, else to the current one. */
static int find_base(ip_sweep_spec *s, const cfg_node *v, const char *dir)
{
    if (v->kind != CFG_SCALAR || cfg_node_is_null(v))
        return cfg_fail_expected(v, "base", "the path of the run config the points start from");
    char near[2 * IP_PATH_LEN];
    const char *name = v->value;
    int relative = name[0] != '/' && dir && dir[0] && strcmp(dir, ".") != 0;
    snprintf(near, sizeof near, "%s/%s", relative ? dir : ".", name);
    const char *found = relative && ip_is_file(near) ? near : ip_is_file(name) ? name : NULL;
    if (!found) {
        if (relative)
            return cfg_node_fail(v, "base: %s: no such file, neither next to the sweep file (%s) nor in the current "
                                    "directory", name, near);
        return cfg_node_fail(v, "base: %s: no such file%s", name, ip_is_dir(name) ? " (it is a directory)" : "");
    }
    if (strlen(found) >= sizeof s->base) return cfg_node_fail(v, "base: path longer than %zu characters", sizeof s->base - 1);
    memcpy(s->base, found, strlen(found) + 1);
    return IP_OK;
}

static int convert(ip_sweep_spec *s, const cfg_node *root, const char *dir)
{
    const cfg_node *base = NULL, *set = cfg_map_get(root, "set", NULL);
    int rc = IP_OK, has_grid = 0;
    for (int i = 0; i < root->n && !rc; i++) {
        const char *k = root->keys[i]->value;
        const cfg_node *v = root->items[i];
        if (!strcmp(k, "base")) base = v;
        else if (!strcmp(k, "set")) rc = load_set(s, v);
        else if (!strcmp(k, "grid")) has_grid = 1, rc = load_grid(s, v, set);
        else if (!strcmp(k, "seeds")) rc = load_seeds(s, v);
        else if (!strcmp(k, "threshold")) {
            static const cfg_field f = {"threshold", F_REAL, 0, 0, HUGE_VAL, 0, 0, NULL, 0, NULL, 0};
            rc = cfg_convert_field(&s->threshold, &f, v, "threshold");
            s->has_threshold = 1;
        } else if (!strcmp(k, "slurm")) {
            rc = load_slurm(s, v);
        } else {
            rc = cfg_node_fail(root->keys[i], "unknown key '%.64s' in a sweep file (allowed: " TOP_KEYS ")", k);
        }
    }
    if (rc) return rc;
    if (!base) return cfg_node_fail(root, "no base: give the run config every point starts from, e.g. "
                                          "base: configs/tishby_tanh.yaml");
    if (!has_grid && !s->n_seeds)
        return cfg_node_fail(root, "nothing to sweep: give a grid (config keys with lists of values) or seeds "
                                   "(a list), or both");
    long long runs = s->n_seeds ? s->n_seeds : 1;
    for (int a = 0; a < s->n_axes; a++) runs *= s->axes[a].n;
    if (runs > IP_SWEEP_MAX_RUNS)
        return cfg_node_fail(root, "the grid and seeds make %lld runs; at most %d are allowed", runs, IP_SWEEP_MAX_RUNS);
    return find_base(s, base, dir);
}

/* ---- entry points -------------------------------------------------------------------- */

void ip_sweep_spec_free(ip_sweep_spec *s)
{
    if (!s) return;
    for (int i = 0; s->set && i < s->n_set; i++) free(s->set[i].value), free(s->set[i].text);
    for (int a = 0; s->axes && a < s->n_axes; a++) {
        for (int j = 0; j < s->axes[a].n; j++) free(s->axes[a].values[j].value), free(s->axes[a].values[j].text);
        free(s->axes[a].values);
    }
    for (int i = 0; s->seeds && i < s->n_seeds; i++) free(s->seeds[i].value), free(s->seeds[i].text);
    free(s->set);
    free(s->axes);
    free(s->seeds);
    for (int i = 0; s->slurm_options && i < s->n_slurm_options; i++) free(s->slurm_options[i]);
    free(s->slurm_options);
    free(s->text);
    memset(s, 0, sizeof *s);
}

/* Takes ownership of text (kept in s->text on success). */
static int load_owned(ip_sweep_spec *s, char *text, size_t len, const char *name, const char *dir)
{
    cfg_node *root = NULL;
    int rc = IP_OK;
    memset(s, 0, sizeof *s);
    s->text = text;
    s->threshold = 0.05;
    if (strlen(name) >= sizeof s->path) {
        rc = ip_fail(IP_ERR_IO, "%.200s...: file name longer than %zu characters", name, sizeof s->path - 1);
        goto out;
    }
    snprintf(s->path, sizeof s->path, "%s", name);
    if (memchr(text, '\0', len)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: contains a NUL byte; a sweep file is YAML text", name);
        goto out;
    }
    if ((rc = cfg_tree_parse(&root, text, len, s->path, 1)) != IP_OK) goto out;
    if (!root || cfg_node_is_null(root)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: the sweep file is empty; expected a mapping with " TOP_KEYS, name);
        goto out;
    }
    if (root->kind != CFG_MAP) {
        rc = cfg_fail_expected(root, "a sweep file", "a mapping with " TOP_KEYS);
        goto out;
    }
    rc = convert(s, root, dir);
out:
    cfg_node_free(root);
    if (rc != IP_OK) ip_sweep_spec_free(s);
    return rc;
}

int ip_sweep_load_text(ip_sweep_spec *s, const char *text, const char *name, const char *dir)
{
    size_t len = strlen(text);
    char *copy = ip_malloc(len + 1);
    memset(s, 0, sizeof *s);
    if (!copy) return IP_ERR_NOMEM;
    memcpy(copy, text, len + 1);
    return load_owned(s, copy, len, name ? name : "<sweep>", dir);
}

int ip_sweep_load(ip_sweep_spec *s, const char *path)
{
    char *text = NULL, dir[IP_PATH_LEN];
    size_t len = 0;
    memset(s, 0, sizeof *s);
    int rc = ip_read_file(path, &text, &len);
    if (rc != IP_OK) return rc;
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    else snprintf(dir, sizeof dir, ".");
    return load_owned(s, text, len, path, dir);
}
