/* A sweep file as a plain struct (docs/sweep.md): the base config, the overrides for every point,
 * the grid and the seeds. Only the types live here; framework/config/config_sweep.c fills them
 * from YAML (config/ is the one place that reads YAML) and the rest of framework/sweep/ expands
 * them into runs. Every value keeps its line and column in the sweep file, so a value that the
 * run config refuses is reported where the user wrote it. */
#ifndef IP_SWEEP_SPEC_H
#define IP_SWEEP_SPEC_H

#include <stdint.h>

#include "core/limits.h"

#define IP_SWEEP_KEY_LEN 96     /* "section.key" */
#define IP_SWEEP_MAX_AXES 16    /* keys in grid */
#define IP_SWEEP_MAX_VALUES 256 /* values of one grid key, entries of set, seeds */
#define IP_SWEEP_MAX_RUNS 10000 /* grid points x seeds */
#define IP_SWEEP_MAX_SLURM_OPTIONS 64 /* slurm.options entries */

/* One override: KEY=VALUE as `infoplane run --set` takes it. */
typedef struct {
    char key[IP_SWEEP_KEY_LEN]; /* "train.epochs" */
    char *value;                /* the value as YAML flow text ("400", "[10, 7, 5]", "'a b'"), owned */
    char *text;                 /* the value in words for names and tables: a scalar as written, a list
                                 * or mapping in flow form without quotes ("[10, 7, 5]"), owned */
    int line, col;              /* of the value in the sweep file, from 1 */
} ip_sweep_value;

/* One key of the grid and its values, in file order. */
typedef struct {
    char key[IP_SWEEP_KEY_LEN];
    int line, col;              /* of the key */
    int n;
    ip_sweep_value *values;     /* n values (each with key = this key), owned */
} ip_sweep_axis;

typedef struct {
    char path[IP_PATH_LEN];     /* the sweep file, as given */
    char base[IP_PATH_LEN];     /* the base config as found: relative to the sweep file's directory,
                                 * else to the current directory (an absolute path as it is) */
    int n_set;
    ip_sweep_value *set;        /* applied to every run, in file order; owned */
    int n_axes;
    ip_sweep_axis *axes;        /* the grid; owned */
    int n_seeds;                /* 0: no seeds list, every grid point runs once with its config's seed */
    ip_sweep_value *seeds;      /* key "seed", value the seed in decimal; owned */
    double threshold;           /* compression threshold on ixt_drop (docs/sweep.md) */
    int has_threshold;          /* 1 when the file gives threshold (else 0.05 is used) */
    int n_slurm_options;
    char **slurm_options;       /* slurm.options: extra sbatch options ("--account=x"), owned (docs/cluster.md) */
    char *text;                 /* the file's text as read, owned */
} ip_sweep_spec;

#endif
