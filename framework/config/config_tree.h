/* Internal to framework/config: a small YAML tree with source positions, built from libyaml's
 * event stream by config_tree.c (the one file that includes yaml.h). config.c applies the --set
 * overrides to this tree and then converts it, once, into the validated ip_config. */
#ifndef IP_CONFIG_TREE_H
#define IP_CONFIG_TREE_H

#include <stddef.h>

typedef enum { CFG_SCALAR, CFG_MAP, CFG_SEQ } cfg_node_kind;

typedef struct cfg_node cfg_node;
struct cfg_node {
    cfg_node_kind kind;
    char *value;        /* scalar: its text, owned (NULL for maps and sequences) */
    int plain;          /* scalar: 1 when written plain (unquoted, no !!str tag): only plain
                         * scalars may be numbers, booleans or null, as in YAML itself */
    int line, col;      /* 1-based start; 0 for nodes from a --set value (the origin says it all) */
    const char *origin; /* the file name or the "--set key=value" text; not owned, outlives the tree */
    int n, cap;
    cfg_node **keys;    /* map: the key scalars, in file order */
    cfg_node **items;   /* map: the values (items[i] belongs to keys[i]); sequence: the items */
};

/* Parse `text` (len bytes) into *root. `origin` names the text in messages and is stored, not
 * copied, in every node. `positions`: 1 to keep line:column (files), 0 for --set values, where
 * messages then read "ORIGIN: ..." and parser problems give the column inside the value.
 * An empty stream (no document at all) gives *root = NULL and IP_OK. Rejects, with position:
 * malformed YAML, duplicate keys, non-scalar keys, aliases, more than one document, nesting
 * deeper than 32. On failure *root is NULL, nothing is leaked, and the message is set. */
int cfg_tree_parse(cfg_node **root, const char *text, size_t len, const char *origin, int positions);

/* A new empty node of `kind` (value NULL), or NULL with the message set. Caller owns it. */
cfg_node *cfg_node_new(cfg_node_kind kind, const char *origin);

/* Append key/value to a map (takes ownership of both, also on failure, when they are freed). */
int cfg_map_append(cfg_node *map, cfg_node *key, cfg_node *value);

/* The value under `key` in map, or NULL; *index receives its position when index is non-NULL. */
cfg_node *cfg_map_get(const cfg_node *map, const char *key, int *index);

/* 1 for a plain empty, "~" or "null" scalar: YAML's null, e.g. "epochs:" with nothing after. */
int cfg_node_is_null(const cfg_node *n);

/* Free a node and everything under it (NULL is fine). */
void cfg_node_free(cfg_node *n);

/* Set the message "ORIGIN:LINE:COL: <fmt>" (or "ORIGIN: <fmt>" without a position) and return
 * IP_ERR_FORMAT. */
int cfg_node_fail(const cfg_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
