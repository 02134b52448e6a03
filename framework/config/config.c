/* The entry points of framework/config: ip_config_load reads the file into a cfg_node tree
 * (config_tree.c), applies the --set overrides to that tree and converts it once, section by
 * section, through the field tables of config_<section>.c; plus the defaults and ip_config_free. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_fields.h"
#include "core/fsutil.h"
#include "config_tree.h"
#include "core/mem.h"
#include "core/status.h"

/* ---- defaults ------------------------------------------------------------------------- */

void ip_config_defaults(ip_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 1;

    snprintf(cfg->model.arch, sizeof cfg->model.arch, "mlp");
    cfg->model.activation = IP_ACT_TANH;
    cfg->model.init = IP_INIT_PYTORCH;

    snprintf(cfg->data.dataset, sizeof cfg->data.dataset, "mnist");
    cfg->data.train_fraction = 0.85;
    cfg->data.gaussian_samples = 1000;
    cfg->data.gaussian_dim = 10;
    cfg->data.gaussian_classes = 2;
    cfg->data.gaussian_separation = 2.0;

    cfg->train.epochs = 10;
    cfg->train.batch_size = 128;
    cfg->train.optim.optimizer = IP_OPT_ADAM;
    cfg->train.optim.lr = 1e-3;
    cfg->train.optim.momentum = 0;
    cfg->train.optim.weight_decay = 0;
    cfg->train.optim.beta1 = 0.9;
    cfg->train.optim.beta2 = 0.999;
    cfg->train.optim.eps = 1e-8;
    cfg->train.threads = 0;
    cfg->train.shuffle = 1;

    cfg->record.samples = 3000;
    cfg->record.test_samples = 0;
    cfg->record.epochs.kind = IP_SCHED_ALL;
    cfg->record.store = IP_STORE_ACTIVATIONS;
    cfg->record.compression = 0; /* zlib manages ~12 MB/s on activations: level 4 costs ~1 s per MLP epoch */

    cfg->analysis.n_estimators = 1;
    snprintf(cfg->analysis.estimators[0], sizeof cfg->analysis.estimators[0], "logdet");
    cfg->analysis.mode = IP_MODE_COV;
    cfg->analysis.beta = 0;
    cfg->analysis.bits = 1;
    ip_estimator_choice_default(&cfg->analysis.params);

    snprintf(cfg->plot.format, sizeof cfg->plot.format, "png");
    cfg->plot.width = 900;
    cfg->plot.height = 700;
    cfg->plot.animation = 1;
}

void ip_config_free(ip_config *cfg)
{
    if (!cfg) return;
    free(cfg->text);
    free(cfg->overrides);
    cfg->text = NULL;
    cfg->overrides = NULL;
}

/* ---- the top level -------------------------------------------------------------------- */

/* The sections in file order; each is defined, with its keys and checks, in config_<name>.c. */
static const cfg_section *const sections[] = {&cfg_model_section,  &cfg_data_section,     &cfg_train_section,
                                              &cfg_record_section, &cfg_analysis_section, &cfg_plot_section};
static const cfg_field seed_field = {"seed", F_U64, offsetof(ip_config, seed), NOLIM, NULL, 0, NULL, 0};
#define TOP_KEYS "seed, model, data, train, record, analysis, plot"

static const cfg_section *find_section(const char *name)
{
    for (int i = 0; i < N_OF(sections); i++)
        if (strcmp(sections[i]->name, name) == 0) return sections[i];
    return NULL;
}

static int expect_section_map(const cfg_node *v, const cfg_section *s)
{
    char keys[512], what[600];
    if (v->kind == CFG_MAP || cfg_node_is_null(v)) return IP_OK;
    snprintf(what, sizeof what, "a mapping of keys (%s)", cfg_field_list(keys, sizeof keys, s->fields, s->n, 0));
    return cfg_fail_expected(v, s->name, what);
}

static int unknown_key(const cfg_node *at, const char *name, const cfg_section *s)
{
    char keys[512];
    return cfg_node_fail(at, "unknown key '%.64s' in section '%s' (allowed: %s)", name, s->name,
                         cfg_field_list(keys, sizeof keys, s->fields, s->n, 0));
}

static int convert_section(ip_config *cfg, const cfg_section *s, const cfg_node *v)
{
    char key[160];
    int rc = expect_section_map(v, s);
    if (rc != IP_OK || v->kind != CFG_MAP) return rc; /* a null section ("plot:") is an empty one */
    for (int i = 0; i < v->n; i++) {
        const cfg_field *f = cfg_find_field(s->fields, s->n, v->keys[i]->value);
        if (!f) return unknown_key(v->keys[i], v->keys[i]->value, s);
        snprintf(key, sizeof key, "%s.%s", s->name, f->name);
        if ((rc = cfg_convert_field(cfg, f, v->items[i], key)) != IP_OK) return rc;
    }
    return s->check ? s->check(cfg, v) : IP_OK;
}

static int convert_root(ip_config *cfg, const cfg_node *root)
{
    for (int i = 0; i < root->n; i++) {
        const char *name = root->keys[i]->value;
        int rc;
        if (strcmp(name, "seed") == 0) {
            rc = cfg_convert_field(cfg, &seed_field, root->items[i], "seed");
        } else {
            const cfg_section *s = find_section(name);
            if (!s)
                return cfg_node_fail(root->keys[i], "unknown key '%.64s' at the top level (allowed: " TOP_KEYS ")",
                                     name);
            rc = convert_section(cfg, s, root->items[i]);
        }
        if (rc != IP_OK) return rc;
    }
    /* Across sections: without the activations of every recorded epoch stored, only the analysis
     * while training has them all. */
    if (cfg->record.store != IP_STORE_ACTIVATIONS && !cfg->analysis.online) {
        const cfg_node *rec = cfg_map_get(root, "record", NULL);
        const cfg_node *v = rec && rec->kind == CFG_MAP ? cfg_map_get(rec, "store", NULL) : NULL;
        if (cfg->record.store == IP_STORE_NONE)
            return cfg_node_fail(v ? v : root,
                                 "record.store: none keeps no activations, so they can only be analysed while "
                                 "training: set analysis.online: true (or use infoplane run --online), or "
                                 "record.store: activations");
        char sched[IP_SCHEDULE_TEXT];
        return cfg_node_fail(v ? v : root,
                             "record.store: %.200s keeps the activations of some recorded epochs only, so the others "
                             "can only be analysed while training: set analysis.online: true (or use infoplane run "
                             "--online), or record.store: activations",
                             ip_store_text(&cfg->record, sched, sizeof sched));
    }
    /* Across sections: shifting needs images. The flat data sets are known by name here; an idx
     * file of flat vectors is refused by the trainer once its shape is known. */
    if (cfg->train.augment_shift > 0 &&
        (strcmp(cfg->data.dataset, "tishby") == 0 || strcmp(cfg->data.dataset, "gaussian") == 0)) {
        const cfg_node *train = cfg_map_get(root, "train", NULL);
        const cfg_node *v = train && train->kind == CFG_MAP ? cfg_map_get(train, "augment_shift", NULL) : NULL;
        return cfg_node_fail(v ? v : root,
                             "train.augment_shift: %d, but data.dataset %s has flat samples, not images "
                             "(only 0 is allowed)",
                             cfg->train.augment_shift, cfg->data.dataset);
    }
    return IP_OK;
}

/* ---- overrides ------------------------------------------------------------------------ */

/* Set the value under `name` in map to v (replacing the old value, or appending the key).
 * Takes ownership of v. */
static int map_set(cfg_node *map, const char *name, cfg_node *v, const char *origin)
{
    int index;
    if (cfg_map_get(map, name, &index)) {
        cfg_node_free(map->items[index]);
        map->items[index] = v;
        return IP_OK;
    }
    cfg_node *key = cfg_node_new(CFG_SCALAR, origin);
    if (key) key->value = ip_malloc(strlen(name) + 1);
    if (!key || !key->value) {
        cfg_node_free(key);
        cfg_node_free(v);
        return IP_ERR_NOMEM;
    }
    strcpy(key->value, name);
    key->plain = 1;
    return cfg_map_append(map, key, v);
}

/* Split `path` ("section.key" or "seed", cut in place) into its section (*s, NULL for seed) and
 * key (*key_name, pointing into path), failing at `at` when the run config has no such key: the
 * same messages for --set and for the keys of a sweep file (cfg_check_key). */
static int resolve_key(const cfg_node *at, char *path, const cfg_section **s, char **key_name)
{
    char *dot = strchr(path, '.');
    const char *sec_name = path;
    *key_name = dot ? dot + 1 : NULL;
    *s = NULL;
    if (dot) *dot = '\0';
    if (strcmp(sec_name, "seed") == 0) {
        if (*key_name) return cfg_node_fail(at, "'seed' is a value, not a section: write seed=N");
        return IP_OK;
    }
    if (!(*s = find_section(sec_name)))
        return cfg_node_fail(at, "unknown key '%s' at the top level (allowed: " TOP_KEYS ")", sec_name);
    if (!*key_name)
        return cfg_node_fail(at, "give a key inside section '%s', e.g. %s.%s", (*s)->name, (*s)->name,
                             (*s)->fields[0].name);
    if (strchr(*key_name, '.')) {
        *strchr(*key_name, '.') = '\0';
        return cfg_node_fail(at, "only section.key can be set; give the whole value of %s.%s, e.g. "
                                 "record.epochs={every: 5}", sec_name, *key_name);
    }
    if (!cfg_find_field((*s)->fields, (*s)->n, *key_name)) return unknown_key(at, *key_name, *s);
    return IP_OK;
}

int cfg_check_key(const cfg_node *at, const char *key)
{
    char path[256];
    const cfg_section *s;
    char *key_name;
    if (strlen(key) >= sizeof path) return cfg_node_fail(at, "key '%.64s...' is too long", key);
    snprintf(path, sizeof path, "%s", key);
    return resolve_key(at, path, &s, &key_name);
}

/* Apply one "section.key=value" to the tree. `origin` is "--set <text>", used in messages and
 * stored in the new nodes (it outlives the tree). Unknown keys fail here, with the same list of
 * allowed keys a file would get; the value itself is checked with the rest, by convert_root. */
static int apply_override(cfg_node *root, const char *text, const char *origin)
{
    cfg_node at = {.origin = origin}, *value = NULL;
    char path[256];
    int rc = IP_OK;
    while (*text == ' ' || *text == '\t') text++;
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) return cfg_node_fail(&at, "expected key=value, e.g. --set train.epochs=3");
    size_t klen = (size_t)(eq - text);
    while (klen > 0 && (text[klen - 1] == ' ' || text[klen - 1] == '\t')) klen--;
    if (klen == 0 || klen >= sizeof path) return cfg_node_fail(&at, "expected key=value, e.g. --set train.epochs=3");
    memcpy(path, text, klen);
    path[klen] = '\0';

    const cfg_section *s = NULL;
    char *key_name = NULL;
    if ((rc = resolve_key(&at, path, &s, &key_name)) != IP_OK) return rc;

    const char *vtext = eq + 1;
    if ((rc = cfg_tree_parse(&value, vtext, strlen(vtext), origin, 0)) != IP_OK) return rc;
    if (!value) { /* "key=" (or only a comment): YAML's null, which the key's check will refuse */
        if (!(value = cfg_node_new(CFG_SCALAR, origin))) return IP_ERR_NOMEM;
        value->plain = 1;
        if (!(value->value = ip_calloc(1, 1))) {
            cfg_node_free(value);
            return IP_ERR_NOMEM;
        }
    }
    if (!s) return map_set(root, "seed", value, origin);

    cfg_node *section = cfg_map_get(root, s->name, NULL);
    if (section && (rc = expect_section_map(section, s)) != IP_OK) {
        cfg_node_free(value);
        return rc;
    }
    if (!section || section->kind != CFG_MAP) { /* absent, or "train:" with nothing: start one */
        cfg_node *map = cfg_node_new(CFG_MAP, origin);
        if (!map) {
            cfg_node_free(value);
            return IP_ERR_NOMEM;
        }
        if ((rc = map_set(root, s->name, map, origin)) != IP_OK) {
            cfg_node_free(value);
            return rc;
        }
        section = map;
    }
    return map_set(section, key_name, value, origin);
}

/* ---- loading -------------------------------------------------------------------------- */

/* The common path: takes ownership of `text` (stored in cfg->text on success). */
static int load_owned(ip_config *cfg, char *text, size_t len, const char *name, int n_overrides, char **overrides)
{
    int rc = IP_OK;
    cfg_node *root = NULL;
    char **origins = NULL;
    size_t total = 1;

    ip_config_defaults(cfg);
    cfg->text = text;
    if (strlen(name) >= sizeof cfg->source) {
        rc = ip_fail(IP_ERR_IO, "%.200s...: file name longer than %zu characters", name, sizeof cfg->source - 1);
        goto out;
    }
    snprintf(cfg->source, sizeof cfg->source, "%s", name);
    if (memchr(text, '\0', len)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: contains a NUL byte; a config is YAML text", name);
        goto out;
    }

    /* The overrides as run, one per line, and "--set <text>" for messages and node origins. */
    if (n_overrides < 0 || (n_overrides > 0 && !overrides)) {
        rc = ip_fail(IP_ERR, "%s: bad override list", name);
        goto out;
    }
    if (!(origins = ip_calloc((size_t)n_overrides + 1, sizeof *origins))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < n_overrides; i++) total += strlen(overrides[i]) + 1;
    if (!(cfg->overrides = ip_malloc(total))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    cfg->overrides[0] = '\0';
    for (int i = 0; i < n_overrides; i++) {
        strcat(cfg->overrides, overrides[i]);
        strcat(cfg->overrides, "\n");
        size_t size = strlen(overrides[i]) + 8;
        if (!(origins[i] = ip_malloc(size))) {
            rc = IP_ERR_NOMEM;
            goto out;
        }
        snprintf(origins[i], size, "--set %s", overrides[i]);
    }

    if ((rc = cfg_tree_parse(&root, text, len, name, 1)) != IP_OK) goto out;
    if (!root || cfg_node_is_null(root)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: the config is empty; expected a mapping with sections " TOP_KEYS, name);
        goto out;
    }
    if (root->kind != CFG_MAP) {
        char got[192];
        rc = cfg_node_fail(root, "expected a mapping with sections " TOP_KEYS ", got %s",
                           cfg_describe(root, got, sizeof got));
        goto out;
    }
    for (int i = 0; i < n_overrides; i++)
        if ((rc = apply_override(root, overrides[i], origins[i])) != IP_OK) goto out;
    rc = convert_root(cfg, root);

out:
    cfg_node_free(root);
    if (origins)
        for (int i = 0; i < n_overrides; i++) free(origins[i]);
    free(origins);
    if (rc != IP_OK) {
        ip_config_free(cfg);
        ip_config_defaults(cfg); /* no half-converted values left behind */
    }
    return rc;
}

int ip_config_load_text(ip_config *cfg, const char *text, const char *name, int n_overrides, char **overrides)
{
    if (!name) name = "<config>";
    size_t len = strlen(text);
    char *copy = ip_malloc(len + 1);
    if (!copy) {
        ip_config_defaults(cfg);
        return IP_ERR_NOMEM;
    }
    memcpy(copy, text, len + 1);
    return load_owned(cfg, copy, len, name, n_overrides, overrides);
}

int ip_config_load(ip_config *cfg, const char *path, int n_overrides, char **overrides)
{
    int rc = IP_OK;
    size_t len = 0, cap = 4096;
    char *text = NULL;
    ip_config_defaults(cfg);
    if ((rc = ip_expect_not_dir(path, "a YAML config file")) != IP_OK) return rc;
    FILE *f = fopen(path, "rb");
    if (!f) return ip_fail(IP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!(text = ip_malloc(cap))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (ferror(f)) {
            rc = ip_fail(IP_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
            goto out;
        }
        if (feof(f)) break;
        if (cap - len - 1 == 0) {
            if (cap > (size_t)64 << 20) { /* a config is a page of text; this is not one */
                rc = ip_fail(IP_ERR_FORMAT, "%s: larger than 64 MiB; not a config file", path);
                goto out;
            }
            char *bigger = realloc(text, cap * 2);
            if (!bigger) {
                rc = ip_fail(IP_ERR_NOMEM, "%s: out of memory reading", path);
                goto out;
            }
            text = bigger;
            cap *= 2;
        }
    }
    text[len] = '\0';
    fclose(f);
    f = NULL;
    rc = load_owned(cfg, text, len, path, n_overrides, overrides);
    text = NULL; /* load_owned owns it now */

out:
    if (f) fclose(f);
    free(text);
    return rc;
}
