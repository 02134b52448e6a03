/* YAML text -> cfg_node tree, through libyaml's event API (as libcyaml's load.c does): every
 * event is deleted before the next is parsed, parser problems are reported with line:column,
 * and a half-built tree is freed on every error path. The only file that includes yaml.h. */
#include "config_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/mem.h"
#include "core/status.h"

/* Config files are shallow (section -> key -> list of layer maps -> size list); anything much
 * deeper is a mistake or hostile input, and the recursion below must stay bounded. */
#define CFG_MAX_DEPTH 32

cfg_node *cfg_node_new(cfg_node_kind kind, const char *origin)
{
    cfg_node *n = ip_calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->origin = origin;
    return n;
}

void cfg_node_free(cfg_node *n)
{
    if (!n) return;
    for (int i = 0; i < n->n; i++) {
        if (n->keys) cfg_node_free(n->keys[i]);
        cfg_node_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->value);
    free(n);
}

/* Make room for one more child; maps grow keys and items together. */
static int node_grow(cfg_node *n)
{
    if (n->n < n->cap) return IP_OK;
    int cap = n->cap ? 2 * n->cap : 4;
    cfg_node **items = realloc(n->items, sizeof *items * (size_t)cap);
    if (!items) return ip_fail(IP_ERR_NOMEM, "out of memory building the YAML tree");
    n->items = items;
    if (n->kind == CFG_MAP) {
        cfg_node **keys = realloc(n->keys, sizeof *keys * (size_t)cap);
        if (!keys) return ip_fail(IP_ERR_NOMEM, "out of memory building the YAML tree");
        n->keys = keys;
    }
    n->cap = cap;
    return IP_OK;
}

int cfg_map_append(cfg_node *map, cfg_node *key, cfg_node *value)
{
    int rc = node_grow(map);
    if (rc != IP_OK) {
        cfg_node_free(key);
        cfg_node_free(value);
        return rc;
    }
    map->keys[map->n] = key;
    map->items[map->n] = value;
    map->n++;
    return IP_OK;
}

cfg_node *cfg_map_get(const cfg_node *map, const char *key, int *index)
{
    if (!map || map->kind != CFG_MAP) return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->value, key) == 0) {
            if (index) *index = i;
            return map->items[i];
        }
    return NULL;
}

int cfg_node_is_null(const cfg_node *n)
{
    if (!n || n->kind != CFG_SCALAR || !n->plain) return 0;
    const char *v = n->value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

int cfg_node_fail(const cfg_node *n, const char *fmt, ...)
{
    char what[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n->line > 0) return ip_fail(IP_ERR_FORMAT, "%s:%d:%d: %s", n->origin, n->line, n->col, what);
    return ip_fail(IP_ERR_FORMAT, "%s: %s", n->origin, what);
}

typedef struct {
    yaml_parser_t parser;
    const char *text;
    size_t len;
    const char *origin;
    int positions;
} tree_builder;

/* The reader reports a byte offset rather than a mark: turn it into line:column. */
static void offset_to_mark(const char *text, size_t len, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Report libyaml's problem (after yaml_parser_parse failed) with its position. */
static int parser_fail(tree_builder *b)
{
    yaml_parser_t *p = &b->parser;
    if (p->error == YAML_MEMORY_ERROR) return ip_fail(IP_ERR_NOMEM, "%s: out of memory parsing YAML", b->origin);
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) offset_to_mark(b->text, b->len, p->problem_offset, &line, &col);
    const char *problem = p->problem ? p->problem : "unknown problem";
    /* libyaml's words for a tab are "cannot start any token": say what it is. */
    const char *hint = "";
    size_t at = p->problem_mark.index;
    if (p->error == YAML_SCANNER_ERROR && at < b->len && b->text[at] == '\t')
        hint = "; it is a tab, and YAML indents with spaces only";
    char context[256] = "";
    if (p->context && b->positions)
        snprintf(context, sizeof context, " (%s at line %d column %d)", p->context,
                 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    else if (p->context)
        snprintf(context, sizeof context, " (%s)", p->context);
    if (b->positions)
        return ip_fail(IP_ERR_FORMAT, "%s:%d:%d: invalid YAML: %s%s%s", b->origin, line, col, problem, context,
                       hint);
    return ip_fail(IP_ERR_FORMAT, "%s: invalid YAML in the value at column %d: %s%s%s", b->origin, col, problem,
                   context, hint);
}

static int next_event(tree_builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev)) return parser_fail(b);
    return IP_OK;
}

static void set_position(const tree_builder *b, cfg_node *n, const yaml_event_t *ev)
{
    if (!b->positions) return;
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
}

/* Build the node that starts with *ev. Takes ownership of *ev: it is deleted on every path,
 * before any further event is parsed. On failure *out is NULL. */
static int build_node(tree_builder *b, yaml_event_t *ev, cfg_node **out, int depth)
{
    int rc = IP_OK;
    cfg_node *n = NULL, *key = NULL, *value = NULL;
    yaml_event_t child;
    *out = NULL;

    if (ev->type == YAML_ALIAS_EVENT) {
        cfg_node where = {.origin = b->origin};
        set_position(b, &where, ev);
        rc = cfg_node_fail(&where, "aliases (*%s) are not supported in config files; write the value out",
                           (const char *)ev->data.alias.anchor);
        yaml_event_delete(ev);
        return rc;
    }
    if (ev->type != YAML_SCALAR_EVENT && ev->type != YAML_SEQUENCE_START_EVENT &&
        ev->type != YAML_MAPPING_START_EVENT) {
        yaml_event_delete(ev); /* cannot happen with a well-behaved parser */
        return ip_fail(IP_ERR_FORMAT, "%s: unexpected YAML event %d", b->origin, (int)ev->type);
    }
    n = cfg_node_new(ev->type == YAML_SCALAR_EVENT     ? CFG_SCALAR
                     : ev->type == YAML_MAPPING_START_EVENT ? CFG_MAP
                                                            : CFG_SEQ,
                     b->origin);
    if (!n) {
        yaml_event_delete(ev);
        return IP_ERR_NOMEM;
    }
    set_position(b, n, ev);
    if (depth > CFG_MAX_DEPTH) {
        yaml_event_delete(ev);
        rc = cfg_node_fail(n, "nested deeper than %d levels", CFG_MAX_DEPTH);
        goto out;
    }
    if (n->kind == CFG_SCALAR) {
        const char *tag = (const char *)ev->data.scalar.tag;
        /* "!!str 10" is a string, like "10" in quotes; any other tag leaves plain text plain. */
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !(tag && strcmp(tag, YAML_STR_TAG) == 0);
        n->value = ip_malloc(ev->data.scalar.length + 1);
        if (n->value) {
            memcpy(n->value, ev->data.scalar.value, ev->data.scalar.length);
            n->value[ev->data.scalar.length] = '\0';
        }
        yaml_event_delete(ev);
        if (!n->value) rc = IP_ERR_NOMEM;
        goto out;
    }
    yaml_event_delete(ev);

    for (;;) {
        if ((rc = next_event(b, &child)) != IP_OK) goto out;
        if (child.type == YAML_MAPPING_END_EVENT || child.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&child);
            break;
        }
        if (n->kind == CFG_SEQ) {
            if ((rc = build_node(b, &child, &value, depth + 1)) != IP_OK) goto out;
            if ((rc = node_grow(n)) != IP_OK) goto out;
            n->items[n->n++] = value;
            value = NULL;
            continue;
        }
        /* A mapping: a key, then its value. */
        if ((rc = build_node(b, &child, &key, depth + 1)) != IP_OK) goto out;
        if (key->kind != CFG_SCALAR) {
            rc = cfg_node_fail(key, "mapping keys must be plain names, not a %s",
                               key->kind == CFG_MAP ? "mapping" : "list");
            goto out;
        }
        int first = -1;
        if (cfg_map_get(n, key->value, &first)) {
            const cfg_node *prev = n->keys[first];
            if (prev->line > 0)
                rc = cfg_node_fail(key, "duplicate key '%s' (first given at line %d column %d)", key->value,
                                   prev->line, prev->col);
            else
                rc = cfg_node_fail(key, "duplicate key '%s'", key->value);
            goto out;
        }
        if ((rc = next_event(b, &child)) != IP_OK) goto out;
        if ((rc = build_node(b, &child, &value, depth + 1)) != IP_OK) goto out;
        rc = cfg_map_append(n, key, value); /* owns both from here, also on failure */
        key = value = NULL;
        if (rc != IP_OK) goto out;
    }

out:
    cfg_node_free(key);
    cfg_node_free(value);
    if (rc != IP_OK) {
        cfg_node_free(n);
        n = NULL;
    }
    *out = n;
    return rc;
}

int cfg_tree_parse(cfg_node **root, const char *text, size_t len, const char *origin, int positions)
{
    tree_builder b = {.text = text, .len = len, .origin = origin, .positions = positions};
    yaml_event_t ev;
    cfg_node *doc = NULL;
    int rc = IP_OK, n_docs = 0;
    *root = NULL;

    if (!yaml_parser_initialize(&b.parser)) return ip_fail(IP_ERR_NOMEM, "%s: cannot start the YAML parser", origin);
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);

    /* STREAM-START, then per document: DOCUMENT-START node DOCUMENT-END; then STREAM-END. */
    for (;;) {
        if ((rc = next_event(&b, &ev)) != IP_OK) goto out;
        yaml_event_type_t type = ev.type;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT && ++n_docs > 1) {
            cfg_node where = {.origin = origin};
            set_position(&b, &where, &ev);
            yaml_event_delete(&ev);
            rc = cfg_node_fail(&where, "a config holds one YAML document; found a second one here");
            goto out;
        }
        if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_START_EVENT ||
            type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if ((rc = build_node(&b, &ev, &doc, 0)) != IP_OK) goto out;
    }

out:
    yaml_parser_delete(&b.parser);
    if (rc != IP_OK) {
        cfg_node_free(doc);
        doc = NULL;
    }
    *root = doc;
    return rc;
}
