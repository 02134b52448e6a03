/* `infoplane sweep`: a grid of run configs, each with several seeds, run N at a time as child
 * processes (`infoplane run` per run, so a failing or killed run never takes the others down),
 * resumable from the directories alone, and summarised at the end: the aggregate over seeds per
 * grid point, one tidy table of every run's results, the compression counts, comparison figures
 * and an index.html (docs/sweep.md).
 *
 * The sweep directory (default sweeps/NAME for a sweep file NAME.yaml):
 *   NAME_OF_RUN/            a run directory per run, as `infoplane run` makes it, plus
 *     sweep.args            the --set values the run was started with, one a line
 *     sweep.done            written (atomically) after the run exited 0: the run is complete
 *     sweep.failed          the exit status and the log of the last failed attempt
 *   logs/NAME_OF_RUN.log    stdout and stderr of every attempt, appended
 *   aggregate/              aggregate.csv, results.csv, compression.csv (sweep_aggregate.c)
 *   figures/, index.html    drawn by plot/ from aggregate/ (plot/plot_sweep.c) */
#ifndef IP_SWEEP_H
#define IP_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "sweep_spec.h"

#define IP_SWEEP_NAME_LEN 200 /* a run directory's name, with its NUL */

/* One run: a grid point with one seed. */
typedef struct {
    char name[IP_SWEEP_NAME_LEN]; /* "activation=tanh_optimizer=sgd_seed=1": unique, filesystem-safe */
    int point;                    /* its grid point, 0..n_points-1 */
    uint64_t seed;                /* its seed (from seeds, else the loaded config's) */
    int n_sets;
    char **sets;                  /* "KEY=VALUE" for --set: set entries, grid values, seed; owned */
    const ip_sweep_value **from;  /* from[i]: the sweep file's value behind sets[i] (for messages) */
} ip_sweep_run;

typedef struct {
    ip_sweep_spec spec;           /* the sweep file, loaded */
    char dir[IP_PATH_LEN];        /* the sweep directory */
    int n_points;
    char (*point_names)[IP_SWEEP_NAME_LEN]; /* a grid point's runs' name without the seed part */
    char **point_labels;          /* "activation: tanh, optimizer: sgd" */
    int *choice;                  /* [point * n_axes + a]: the index of axis a's value at the point */
    int n_runs;
    ip_sweep_run *runs;           /* grid points in order (the last grid key fastest), seeds inside */
    int auto_threads;             /* 1: the sweep picks train.threads (the file does not set it) */
    char format[8];               /* the figures' format and size, from the first run's config */
    int width, height;
} ip_sweep_plan;

/* Load the sweep file, expand it into runs and load every run's config with its --set values
 * (exactly what its `infoplane run` will do), before anything is started or written. out_dir NULL:
 * sweeps/NAME. A value the run config refuses is reported at its place in the sweep file. On
 * success the caller owns *p and releases it with ip_sweep_plan_free; on failure *p is empty. */
int ip_sweep_plan_make(ip_sweep_plan *p, const char *sweep_path, const char *out_dir);
void ip_sweep_plan_free(ip_sweep_plan *p);

/* ---- the state of each run, from its directory alone (sweep_exec.c) ---- */
typedef enum { IP_SWEEP_WAITING = 0, IP_SWEEP_RUNNING, IP_SWEEP_DONE, IP_SWEEP_FAILED } ip_sweep_state;
extern const char *const ip_sweep_state_names[]; /* "waiting", "running", "done", "failed" */

typedef struct {
    ip_sweep_state state;
    long pid;                     /* running: the process holding the run directory, when known */
    int started;                  /* waiting: the run was started before and resumes */
    char why[512];                /* failed: the exit status and the log; done elsewhere: empty */
} ip_sweep_run_state;

/* The state of run i: done when sweep.done holds its --set values, running when its directory is
 * locked by a process, failed when sweep.failed is there, else waiting. Reads only. */
void ip_sweep_state_of(const ip_sweep_plan *p, int i, ip_sweep_run_state *st);

/* Print one line per run and a summary line ("6 runs: 4 done, 1 running, 1 failed, 0 waiting")
 * to f. Returns the number of failed runs. */
int ip_sweep_print_status(const ip_sweep_plan *p, FILE *f);

typedef struct {
    const char *exe;  /* the infoplane that runs each point ("/proc/self/exe" from the command line) */
    int jobs;         /* runs at a time, >= 1 */
    int cores;        /* to split between them; 0 = the CPUs this process may use */
    int quiet;        /* 1: no progress lines on stderr */
    const char *only; /* a run's name: that run alone, without the sweep directory's lock (an array
                       * task of `sweep --slurm`, sweep_slurm.c; its run directory's lock still holds) */
} ip_sweep_options;

typedef struct {
    int done, failed, skipped, busy; /* busy: held by another process, not run */
    int stopped;                     /* the signal that stopped the sweep (core/interrupt.h), else 0 */
    int threads;                     /* train.threads given to new runs (0: the sweep file's own) */
    double seconds;
} ip_sweep_summary;

/* Run every run that is not done, o->jobs at a time, each as `EXE run BASE --out DIR/NAME --quiet
 * [--resume] --set ...` with stdout and stderr appended to DIR/logs/NAME.log. Progress lines on
 * stderr. Returns IP_OK when the runs could be attempted (sum says how they went), or a negative
 * status when the sweep directory cannot be used (another sweep holds it, no space ...). */
int ip_sweep_execute(const ip_sweep_plan *p, const ip_sweep_options *o, ip_sweep_summary *sum);

/* ---- on Slurm (sweep_slurm.c, docs/cluster.md) ---- */
typedef struct {
    const char *exe;        /* the infoplane the tasks run: an absolute path every node can reach */
    const char *partition, *time, *mem; /* sbatch's --partition, --time, --mem; NULL: not given */
    int cpus;               /* --cpus-per-task; 0: not given (then 1) */
    int max_running;        /* the array's %K throttle; 0: none */
    int quiet;
} ip_sweep_slurm_options;

typedef struct {
    long job;               /* the array job's id; 0 when nothing was submitted */
    int submitted;          /* array tasks submitted now */
    int done, queued;       /* runs complete already; runs queued or running under an earlier job */
    char script[4224], points[4224], logs[4224]; /* PATH_MAX and a file name */
} ip_sweep_slurm_result;

/* 1 when sbatch is on PATH. */
int ip_sweep_slurm_available(void);

/* Write DIR/slurm/array-N.sh (an sbatch array script, one task per run neither complete nor
 * queued or running under a job recorded in DIR/slurm/jobs) and array-N.points (task index i is
 * line i+1), submit it with sbatch and record the job id in DIR/slurm/jobs. Nothing to submit:
 * r->job is 0. */
int ip_sweep_slurm_submit(const ip_sweep_plan *p, const ip_sweep_slurm_options *o, ip_sweep_slurm_result *r);

/* The jobs recorded in DIR/slurm/jobs, a line for --status ("" when none). */
void ip_sweep_slurm_status(const ip_sweep_plan *p, FILE *f);

/* ---- the aggregate (sweep_aggregate.c) ---- */
typedef struct {
    int runs;            /* complete runs aggregated */
    int with_compression;/* of them, with analysis/compression.csv */
    char note[512];      /* what was left out and why ("" when nothing) */
} ip_sweep_aggregate_report;

/* From the complete runs' analysis/NAME.csv (and analysis/compression.csv when present), write
 * DIR/aggregate/results.csv, aggregate.csv and compression.csv (docs/sweep.md). A deterministic
 * function of those files: the same runs give byte-identical files. */
int ip_sweep_aggregate(const ip_sweep_plan *p, double threshold, ip_sweep_aggregate_report *rep);

/* The aggregate, then the figures and DIR/index.html (plot/); lists what was written on stdout. */
int ip_sweep_collect(const ip_sweep_plan *p, double threshold, int quiet);

#endif
