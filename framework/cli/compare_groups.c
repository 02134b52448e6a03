/* Grouping runs by configuration for `infoplane plot RUN_DIR RUN_DIR ...` (see compare_groups.h).
 * The configs are loaded through config/ like any other, so comments, key order and formatting
 * do not split a group, and overrides given with --set at training time count. */
#include "compare_groups.h"
#include "commands.h"

#include "config/config_compare.h"
#include "core/fsutil.h"
#include "core/status.h"
#include "record/run.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The --set strings stored in RUN/run.h5 as one malloc'd block of "key=value" lines (or NULL
 * when there are none, or no readable run file: then config.yaml alone describes the run). */
static char *stored_overrides(const char *run_dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/run.h5", run_dir);
    if (!ip_is_file(path)) return NULL;
    ip_run *r = NULL;
    ip_run_description d;
    memset(&d, 0, sizeof d);
    char *sets = NULL;
    if (ip_run_open_read(&r, path, 0) != IP_OK || ip_run_describe(r, &d) != IP_OK)
        fprintf(stderr, "infoplane: note: %s: its --set overrides cannot be read (%s); grouping by config.yaml alone\n",
                path, ip_error_message());
    else if (d.overrides && *d.overrides)
        sets = strdup(d.overrides); /* NULL when out of memory: as if there were none */
    ip_run_describe_free(&d);
    ip_run_close(r);
    return sets;
}

/* RUN/config.yaml with the stored overrides into *cfg; 0 when there is no config to load. */
static int load_run_config(const char *run_dir, ip_config *cfg)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    if (!ip_is_file(path)) return 0;
    char *sets = stored_overrides(run_dir), **set = NULL;
    int n_sets = 0;
    size_t lines = 1;
    for (const char *c = sets; c && *c; c++) lines += *c == '\n';
    if (sets && !(set = calloc(lines, sizeof *set))) {
        free(sets);
        fprintf(stderr, "infoplane: note: %s: out of memory; compared as a group of its own\n", run_dir);
        return 0;
    }
    for (char *line = sets, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (*line) set[n_sets++] = line;
    }
    int rc = ip_config_load(cfg, path, n_sets, set);
    free(set);
    free(sets);
    if (rc != IP_OK) {
        fprintf(stderr, "infoplane: note: %s: %s; compared as a group of its own\n", run_dir, ip_error_message());
        return 0;
    }
    return 1;
}

static void run_name(const char *run_dir, char *out, size_t cap)
{
    char real[PATH_MAX];
    snprintf(out, cap, "%s", realpath(run_dir, real) ? basename(real) : run_dir);
}

/* A group's label: the settings its configuration does not share with every other group's
 * ("activation: tanh", at most three), then its seeds when it has several runs; a single run
 * with nothing to show is named by its directory. */
static void make_label(cli_run_groups *g, int q, int n, const char *const *runs, const ip_config *const *cfgs,
                       const ip_config **others)
{
    char *out = g->label[q];
    size_t cap = sizeof g->label[q], len;
    int first = 0, members = 0, n_others = 0, shown = 0;
    while (g->group[first] != q) first++;
    for (int i = 0; i < n; i++) {
        if (g->group[i] == q) members++;
        else others[n_others++] = cfgs[i];
    }
    out[0] = '\0';
    if (g->groups.n_groups > 1 && cfgs[first]) shown = ip_config_distinct(cfgs[first], n_others, others, 3, out, cap);
    if (!shown && (g->groups.n_groups > 1 || members == 1)) run_name(runs[first], out, cap);
    if (members < 2) return;
    len = strlen(out);
    len += (size_t)snprintf(out + len, cap > len ? cap - len : 0, "%sseeds", len ? " (" : "");
    for (int i = 0, k = 0; i < n; i++) {
        if (g->group[i] != q) continue;
        char seed[32] = "?";
        if (cfgs[i]) snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfgs[i]->seed);
        len += (size_t)snprintf(out + len, cap > len ? cap - len : 0, "%s%s", k++ ? ", " : " ", seed);
    }
    if (shown || g->groups.n_groups > 1) snprintf(out + len, cap > len ? cap - len : 0, ")");
}

int cli_group_runs(int n, const char *const *runs, cli_run_groups *g)
{
    memset(g, 0, sizeof *g);
    ip_config *loaded = calloc((size_t)n, sizeof *loaded);
    const ip_config **cfgs = calloc((size_t)n, sizeof *cfgs), **others = calloc((size_t)n, sizeof *others);
    g->group = calloc((size_t)n, sizeof *g->group);
    g->label = calloc((size_t)n, sizeof *g->label);
    g->labels = calloc((size_t)n, sizeof *g->labels);
    int rc = IP_OK;
    if (!loaded || !cfgs || !others || !g->group || !g->label || !g->labels) {
        rc = ip_fail(IP_ERR_NOMEM, "out of memory grouping %d runs", n);
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (load_run_config(runs[i], &loaded[i])) cfgs[i] = &loaded[i];
    g->groups.n_groups = ip_config_group(n, cfgs, g->group);
    for (int q = 0; q < g->groups.n_groups; q++) {
        make_label(g, q, n, runs, cfgs, others);
        g->labels[q] = g->label[q];
    }
    g->groups.group = g->group;
    g->groups.label = g->labels;
out:
    for (int i = 0; cfgs && i < n; i++)
        if (cfgs[i]) ip_config_free(&loaded[i]);
    free(loaded);
    free(cfgs);
    free(others);
    return rc;
}

void cli_run_groups_free(cli_run_groups *g)
{
    free(g->group);
    free(g->label);
    free(g->labels);
    memset(g, 0, sizeof *g);
}
