/* From a sweep file to its runs (sweep.h's ip_sweep_plan): the product of the grid in file order
 * (the last key varying fastest) times the seeds, a readable directory name per run, the --set
 * values of each, and every run's config loaded with them before anything starts. */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_sweep.h"
#include "core/mem.h"
#include "core/status.h"

/* The part of a grid key that names it in directory names and labels: the last component
 * ("activation" of model.activation), or the whole key when another grid key ends the same way
 * (train.epochs and record.epochs). */
static const char *axis_label(const ip_sweep_spec *s, int a)
{
    const char *key = s->axes[a].key, *dot = strrchr(key, '.'), *last = dot ? dot + 1 : key;
    for (int b = 0; b < s->n_axes; b++) {
        const char *other = s->axes[b].key, *od = strrchr(other, '.');
        if (b != a && !strcmp(od ? od + 1 : other, last)) return key;
    }
    return last;
}

/* A value's words as a directory name part: letters, digits and . _ + - are kept, a list's or a
 * mapping's separators become -, brackets, quotes and blanks go, anything else (a slash, a shell
 * character, a byte of UTF-8) becomes _. So a value can never name a path outside the sweep
 * directory or mean anything to a shell. At most `cap` - 1 characters. */
static void safe_part(char *out, size_t cap, const char *text)
{
    size_t n = 0;
    for (const char *c = text; *c && n + 1 < cap; c++) {
        char ch = *c;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("._+-", ch)) {
            out[n++] = ch;
        } else if (ch == ',' || ch == ':') {
            out[n++] = '-';
        } else if (!strchr("[]{}'\" ", ch)) {
            if (n == 0 || out[n - 1] != '_') out[n++] = '_';
        }
    }
    out[n] = '\0';
    if (n == 0) snprintf(out, cap, "none");
}

static void free_runs(ip_sweep_plan *p)
{
    for (int i = 0; p->runs && i < p->n_runs; i++) {
        for (int k = 0; k < p->runs[i].n_sets; k++) free(p->runs[i].sets[k]);
        free(p->runs[i].sets);
        free(p->runs[i].from);
    }
    free(p->runs);
    p->runs = NULL;
}

void ip_sweep_plan_free(ip_sweep_plan *p)
{
    if (!p) return;
    free_runs(p);
    for (int g = 0; p->point_labels && g < p->n_points; g++) free(p->point_labels[g]);
    free(p->point_labels);
    free(p->point_names);
    free(p->choice);
    ip_sweep_spec_free(&p->spec);
    memset(p, 0, sizeof *p);
}

/* "KEY=VALUE" for --set, malloc'd (the caller owns it). */
static char *set_text(const ip_sweep_value *v)
{
    size_t n = strlen(v->key) + strlen(v->value) + 2;
    char *s = ip_malloc(n);
    if (s) snprintf(s, n, "%s=%s", v->key, v->value);
    return s;
}

/* The grid points: choices, names (unique) and labels, allocated into p (ip_sweep_plan_free
 * releases them, also after a failure half-way). */
static int make_points(ip_sweep_plan *p)
{
    const ip_sweep_spec *s = &p->spec;
    int n = 1;
    for (int a = 0; a < s->n_axes; a++) n *= s->axes[a].n;
    p->n_points = n;
    p->point_names = ip_calloc((size_t)n, sizeof *p->point_names);
    p->point_labels = ip_calloc((size_t)n, sizeof *p->point_labels);
    p->choice = ip_calloc((size_t)n * (size_t)(s->n_axes ? s->n_axes : 1), sizeof *p->choice);
    if (!p->point_names || !p->point_labels || !p->choice) return IP_ERR_NOMEM;
    for (int g = 0; g < n; g++) {
        char name[IP_SWEEP_NAME_LEN] = "", label[1024] = "";
        size_t nl = 0, ll = 0;
        for (int a = s->n_axes - 1, rest = g; a >= 0; a--) { /* the last key varies fastest */
            p->choice[g * s->n_axes + a] = rest % s->axes[a].n;
            rest /= s->axes[a].n;
        }
        for (int a = 0; a < s->n_axes; a++) {
            const ip_sweep_value *v = &s->axes[a].values[p->choice[g * s->n_axes + a]];
            char part[48];
            safe_part(part, sizeof part, v->text);
            nl += (size_t)snprintf(name + nl, nl < sizeof name ? sizeof name - nl : 0, "%s%s=%s", a ? "_" : "",
                                   axis_label(s, a), part);
            ll += (size_t)snprintf(label + ll, ll < sizeof label ? sizeof label - ll : 0, "%s%s: %s", a ? ", " : "",
                                   axis_label(s, a), v->text);
        }
        if (!s->n_axes) { /* seeds only: the base config's name stands for the one point */
            const char *b = strrchr(s->base, '/');
            safe_part(name, 64, b ? b + 1 : s->base);
            char *dot = strrchr(name, '.');
            if (dot && dot != name && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml"))) *dot = '\0';
            snprintf(label, sizeof label, "%s", b ? b + 1 : s->base);
        }
        name[IP_SWEEP_NAME_LEN - 40] = '\0'; /* room for a suffix and the seed */
        /* Two values may read the same once made safe ("a b" and "a_b"): number the later ones. */
        size_t len = strlen(name);
        for (int k = 2, clash = 1; clash; k++) {
            clash = 0;
            for (int q = 0; q < g && !clash; q++) clash = !strcmp(p->point_names[q], name);
            if (clash) snprintf(name + len, sizeof name - len, "_%d", k);
        }
        snprintf(p->point_names[g], sizeof p->point_names[g], "%s", name);
        if (!(p->point_labels[g] = ip_malloc(strlen(label) + 1))) return IP_ERR_NOMEM;
        strcpy(p->point_labels[g], label);
    }
    return IP_OK;
}

/* The runs and their --set strings, allocated into p as make_points does. */
static int make_runs(ip_sweep_plan *p)
{
    const ip_sweep_spec *s = &p->spec;
    int seeds = s->n_seeds ? s->n_seeds : 1;
    p->n_runs = p->n_points * seeds;
    if (!(p->runs = ip_calloc((size_t)p->n_runs, sizeof *p->runs))) return IP_ERR_NOMEM;
    for (int g = 0; g < p->n_points; g++)
        for (int k = 0; k < seeds; k++) {
            ip_sweep_run *r = &p->runs[g * seeds + k];
            r->point = g;
            int n = s->n_set + s->n_axes + (s->n_seeds ? 1 : 0);
            r->sets = ip_calloc((size_t)n, sizeof *r->sets);
            r->from = ip_calloc((size_t)n, sizeof *r->from);
            if (!r->sets || !r->from) return IP_ERR_NOMEM;
            for (int i = 0; i < s->n_set; i++) r->from[r->n_sets++] = &s->set[i];
            for (int a = 0; a < s->n_axes; a++) r->from[r->n_sets++] = &s->axes[a].values[p->choice[g * s->n_axes + a]];
            if (s->n_seeds) r->from[r->n_sets++] = &s->seeds[k];
            for (int i = 0; i < r->n_sets; i++)
                if (!(r->sets[i] = set_text(r->from[i]))) return IP_ERR_NOMEM;
            const char *pn = p->point_names[g];
            if (s->n_seeds)
                snprintf(r->name, sizeof r->name, "%s%sseed=%s", s->n_axes ? pn : "", s->n_axes ? "_" : "",
                         s->seeds[k].value);
            else
                snprintf(r->name, sizeof r->name, "%s", pn);
        }
    return IP_OK;
}

/* Load run i's config as its `infoplane run` will. A message about one of its --set values is
 * moved to where the sweep file gives that value. */
static int check_run(ip_sweep_plan *p, int i)
{
    ip_sweep_run *r = &p->runs[i];
    ip_config cfg;
    if (ip_config_load(&cfg, p->spec.base, r->n_sets, r->sets) == IP_OK) {
        r->seed = cfg.seed;
        if (i == 0) {
            snprintf(p->format, sizeof p->format, "%s", cfg.plot.format);
            p->width = cfg.plot.width;
            p->height = cfg.plot.height;
        }
        ip_config_free(&cfg);
        return IP_OK;
    }
    char msg[2048], prefix[1200];
    snprintf(msg, sizeof msg, "%s", ip_error_message());
    for (int k = 0; k < r->n_sets; k++) {
        snprintf(prefix, sizeof prefix, "--set %s: ", r->sets[k]);
        size_t n = strlen(prefix);
        if (!strncmp(msg, prefix, n))
            return ip_fail(IP_ERR_FORMAT, "%s:%d:%d: %s", p->spec.path, r->from[k]->line, r->from[k]->col, msg + n);
    }
    return ip_fail(IP_ERR_FORMAT, "%s: run %s: %s", p->spec.path, r->name, msg);
}

int ip_sweep_plan_make(ip_sweep_plan *p, const char *sweep_path, const char *out_dir)
{
    memset(p, 0, sizeof *p);
    int rc = ip_sweep_load(&p->spec, sweep_path);
    if (rc) return rc;
    if (out_dir && *out_dir) {
        snprintf(p->dir, sizeof p->dir, "%s", out_dir);
    } else { /* sweeps/NAME, as `run` makes runs/NAME */
        const char *b = strrchr(sweep_path, '/');
        b = b ? b + 1 : sweep_path;
        size_t len = strlen(b);
        if (len > 5 && !strcmp(b + len - 5, ".yaml")) len -= 5;
        else if (len > 4 && !strcmp(b + len - 4, ".yml")) len -= 4;
        snprintf(p->dir, sizeof p->dir, "sweeps/%.*s", (int)len, b);
    }
    p->auto_threads = 1;
    for (int i = 0; i < p->spec.n_set; i++) p->auto_threads &= strcmp(p->spec.set[i].key, "train.threads") != 0;
    for (int a = 0; a < p->spec.n_axes; a++) p->auto_threads &= strcmp(p->spec.axes[a].key, "train.threads") != 0;
    if (!(rc = make_points(p))) rc = make_runs(p);
    for (int i = 0; i < p->n_runs && !rc; i++) rc = check_run(p, i);
    if (rc) ip_sweep_plan_free(p);
    return rc;
}
