/* Loading a sweep file (docs/sweep.md) into sweep/sweep_spec.h's struct. Like the run config, it
 * is checked whole before anything runs: unknown keys, wrong types, empty lists, duplicate values
 * or seeds, keys that the run config does not have (the same messages as --set), a base config
 * that is not there; each refused with the file, line and column. Whether every value suits its
 * key is for the run config's own loader to say, point by point (framework/sweep/sweep_plan.c). */
#ifndef IP_CONFIG_SWEEP_H
#define IP_CONFIG_SWEEP_H

#include "sweep/sweep_spec.h"

/* Load the sweep file at `path` into *s. On failure a negative status with the message set, and
 * *s left empty (ip_sweep_spec_free is still safe). On success the caller owns what *s holds and
 * releases it with ip_sweep_spec_free. */
int ip_sweep_load(ip_sweep_spec *s, const char *path);

/* The same from text in memory; `name` stands for the file in messages and s->path, and `dir` is
 * the directory a relative base is looked up in first (the sweep file's own). */
int ip_sweep_load_text(ip_sweep_spec *s, const char *text, const char *name, const char *dir);

/* Release everything *s owns and empty it (an empty or NULL spec is fine). */
void ip_sweep_spec_free(ip_sweep_spec *s);

#endif
