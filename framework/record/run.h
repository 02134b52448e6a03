/* The run file (DIR/run.h5): the only interface to HDF5 in infoplane. The files of
 * framework/record/ (run_*.c, see run_internal.h) are the only ones that include hdf5.h.
 * Layout: docs/hdf5-layout.md. A writer appends one epoch at a time in HDF5's SWMR mode and
 * commits it with /checkpoint, so the file is valid after every epoch, and a run killed at any
 * moment opens with any HDF5 tool as it is and resumes. The run stores the config as text
 * (ip_run_provenance), not the config's schema. Keeping two writers apart is the callers' job:
 * train and analyze hold the run directory's lock (core/dirlock.h). */
#ifndef IP_RUN_H
#define IP_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "../core/limits.h"
#include "schedule.h" /* IP_SCHEDULE_TEXT */

#define IP_LAYER_NAME_LEN 32
#define IP_TABLE_NAME_LEN 128
#define IP_RUN_MAX_LAYERS 64 /* recorded layers of a run */

typedef struct ip_run ip_run; /* opaque */

typedef struct {
    int epoch;
    double train_loss, train_acc, test_loss, test_acc, seconds;
} ip_epoch_metrics;

/* path (DIR/metrics.csv) <- one row per epoch: epoch,train_loss,train_acc[,test_loss,test_acc],seconds,
 * written atomically; the test columns only when with_test. What `train` writes beside its runs
 * and `plot` draws the curves from. IP_OK or an error with a message. */
int ip_metrics_write_csv(const char *path, const ip_epoch_metrics *rows, int n, int with_test);

/* What a run holds, for readers (analyze, info, plot). Arrays owned by the struct;
 * release with ip_run_describe_free. */
typedef struct {
    int n_layers;
    char (*layer_names)[IP_LAYER_NAME_LEN];
    int *layer_units;          /* features of each recorded layer */
    int n_samples;             /* analysis set size */
    int d_x;                   /* input features */
    int n_classes;
    int n_recorded;            /* recorded epochs so far */
    int *recorded_epochs;      /* n_recorded, ascending */
    int n_metrics;             /* rows of per-epoch metrics */
    ip_epoch_metrics *metrics;
    char *config_text;         /* the YAML text as run */
    char *overrides;           /* --set strings */
    uint64_t seed;
    int threads;
    char versions[512];        /* infoplane, HDF5, OpenBLAS */
    char data_description[2048];
    /* Added with the recorder; everything above keeps its meaning. */
    int last_epoch;            /* last completed epoch (-1: none); rows after it are ignored */
    int train_rows, test_rows; /* the analysis set holds train rows first, then test rows */
    int compression;           /* gzip level of the layer datasets (0: none) */
    char created[40];          /* ISO 8601 UTC time of ip_run_create */
    char config_source[IP_PATH_LEN];
    char config_summary[1024]; /* one readable paragraph: arch, data, optimizer, schedule */
    int n_tables;              /* results tables under /analysis, as paths below it */
    char (*table_names)[IP_TABLE_NAME_LEN];
    int store_none;            /* 1: no activations kept (record.store: none), n_recorded stays 0 */
    /* /layers @store: "activations" (also for runs made before it), "none", or the store schedule
     * ("log", "{every: 5}", "[0, 10]"): then recorded_epochs are the epochs kept, a part of those
     * recorded and analysed while training. */
    char store[IP_SCHEDULE_TEXT];
    /* Added with the import contract (docs/hdf5-layout.md, "Importing"). */
    int imported;              /* 1: another program wrote the file (no infoplane_format attribute) */
    char provenance[2048];     /* an imported file's root `description` (or `source`) text, "" if none */
    int writable_file;         /* an imported file this process may write (/analysis tables go in) */
} ip_run_description;

/* ---- writing (train) ---- */

/* What made a run, as the run file keeps it: text, not the config's struct (the trainer fills
 * it from its config). Strings are the caller's and may be NULL (stored as ""). */
typedef struct {
    const char *config_text;   /* the YAML text as run */
    const char *overrides;     /* the --set strings, one "key=value" per line */
    const char *source;        /* the config file's path */
    uint64_t seed;
    const char *summary;       /* one readable paragraph (config/config_summary.h); NULL: "(no config)" */
    int compression;           /* gzip level of the layer datasets and /inputs, 0..9 (0: none) */
    /* The analysis set's split as configured (record.samples, record.test_samples; 0: unset):
     * ip_run_create guesses the train/test rows from them; ip_run_set_analysis_rows corrects. */
    int train_samples, test_samples;
    /* 1: the run keeps no activations (record.store: none; analysed while training): its layer
     * datasets stay empty (0 rows) and ip_run_append_activations is refused. */
    int store_none;
    /* /layers @store as the config writes record.store ("activations", "none", "log", ...; NULL:
     * from store_none). Only a label: which epochs are kept is the appending caller's choice. */
    const char *store;
} ip_run_provenance;

/* Create path, refusing (with a message naming it) when it exists. Stores the provenance
 * (prov may be NULL: no config), versions, thread count, the data description, the layer names
 * and sizes, and the analysis set (x: n_samples x d_x float32, y: n_samples labels; train rows
 * first, then test rows). The file is built as PATH.partial and appears under PATH only when
 * epoch 0 is complete (its ip_run_append_epoch); closing before that removes it. */
int ip_run_create(ip_run **run, const char *path, const ip_run_provenance *prov, int n_layers,
                  const char (*layer_names)[IP_LAYER_NAME_LEN], const int *layer_units, int n_samples,
                  int d_x, const float *x, const int *y, int n_classes, const char *data_description,
                  int threads);

/* How many rows of the analysis set are training and test samples (defaults from the config
 * guess; call right after ip_run_create when the data set clamped either count). */
int ip_run_set_analysis_rows(ip_run *run, int train_rows, int test_rows);

/* Append one recorded epoch: acts[l] is layer l's output on the analysis set,
 * n_samples x layer_units[l] float32. Flushes, but the epoch counts as written only after
 * its ip_run_append_epoch (call this first). */
int ip_run_append_activations(ip_run *run, int epoch, const float *const *acts);

/* Where the next ip_run_append_activations would copy to when the run is written on its writer
 * thread: every layer's n_samples x layer_units floats, layer after layer. A caller that fills
 * it and passes pointers into it saves copying a recorded epoch once more. Waits while its
 * previous contents are still being written. NULL when appends are written synchronously (epoch
 * 0, IP_RECORD_SYNC=1), after a failed write, or when out of memory: then use your own buffer. */
float *ip_run_activation_room(ip_run *run);

/* Append one row of per-epoch metrics and overwrite the resume state (parameters,
 * optimizer moments, step count, RNG state), then flush and commit the epoch (/checkpoint).
 * Called after every epoch (and once for epoch 0 with the initial network's metrics).
 * opt_m/opt_v may be NULL when n_opt is 0. After any failed append the run refuses further
 * appends; what was committed before stays readable and resumable. */
int ip_run_append_epoch(ip_run *run, const ip_epoch_metrics *m, const float *params, size_t n_params,
                        const float *opt_m, const float *opt_v, size_t n_opt, int64_t opt_step,
                        const uint64_t rng_state[4]);

/* Appends to a published run (after epoch 0, or once resumed) are written by a thread of the
 * run: the calls above copy their inputs and return while the previous epoch may still be
 * being written (at most two epochs in flight). A failed write is reported by the next append,
 * ip_run_sync or ip_run_close, with the same message. A kill loses at most the epochs in
 * flight; only committed epochs count, as always. The other ip_run_* functions on a writing
 * run first wait for its pending writes. IP_RECORD_SYNC=1 in the environment writes on the
 * calling thread instead. */

/* Wait until everything appended so far is written and committed; returns a failed write's
 * status and message (once; afterwards "an earlier write failed"), IP_OK for other runs. */
int ip_run_sync(ip_run *run);

/* Direct I/O. The writer thread writes a layer row of a page or more itself: its whole pages
 * with O_DIRECT at the address HDF5 gave the row's chunk, bypassing the page cache (see
 * docs/hdf5-layout.md). That is right only while the run's settings allow it (no compression,
 * chunks allocated as the dataset grows, 4096-byte file pages, float32, one chunk per row,
 * HDF5's POSIX driver, ...); they are checked once when a run is created or resumed, and rows
 * otherwise go through HDF5 (H5Dwrite_chunk, H5Dwrite for compressed runs), byte for byte the
 * same file. IP_RECORD_DIRECT=0 in the environment (read at create and resume) turns the direct
 * path off. Returns how many layer rows were written directly so far (after pending writes);
 * *why_not (may be NULL; owned by the run) is "" while the path is usable, else the reason. */
long ip_run_direct_rows(ip_run *run, const char **why_not);

/* ---- reopening to resume ---- */

/* Open an existing run for appending. Reads back the last state into the caller's buffers
 * (sizes must match; an error names the file otherwise) and returns the last completed
 * epoch in *last_epoch. Recorded epochs after it (if a crash left any) are dropped. Works on
 * a run killed at any moment (SIGKILL); refuses while another process is writing the run. */
int ip_run_open_resume(ip_run **run, const char *path, float *params, size_t n_params, float *opt_m,
                       float *opt_v, size_t n_opt, int64_t *opt_step, uint64_t rng_state[4],
                       int *last_epoch);

/* ---- reading (analyze, info, plot) ---- */

/* Open a run. Read-only opens work on a run being trained (read in HDF5's SWMR mode then) or
 * killed, and see only completed epochs. `writable` (for ip_run_write_table) waits for no one:
 * it fails when a trainer holds the run. Either first repairs a file an older infoplane or
 * another program left marked "open for writing" (as h5clear -s would). Errors name the file:
 * missing, not HDF5 / corrupt, not a run, dataset missing, a layer not float32, /epochs not
 * strictly ascending. A file without infoplane_format is read by the import contract
 * (docs/hdf5-layout.md, "Importing"; run_import.c): its errors name the missing or wrong path. */
int ip_run_open_read(ip_run **run, const char *path, int writable);
/* 1 when path is an HDF5 file without infoplane_format (an imported file), 0 when it is an
 * infoplane run, -1 when it cannot be opened (no message set: ip_run_open_read says why). */
int ip_run_is_imported(const char *path);
int ip_run_describe(ip_run *run, ip_run_description *d);
void ip_run_describe_free(ip_run_description *d);

/* The analysis set: x (n_samples x d_x) in double, y (n_samples); either may be NULL (not read). */
int ip_run_read_inputs(ip_run *run, double *x, int *y);
/* Layer `layer` at recorded index `k` (not the epoch number) into out (n_samples x units), double. */
int ip_run_read_layer(ip_run *run, int layer, int k, double *out);

/* Write (replacing) a results table under /analysis/NAME: n_rows x n_cols doubles with the
 * column names as an attribute, plus string attributes (n_attrs key/value pairs). The tables of a
 * session (from ip_run_open_read(..., 1) to ip_run_close) reach the file together, in one step
 * that a kill cannot split: at ip_run_commit_tables, or at ip_run_close. Until then this run's
 * own readers (ip_run_read_table, ip_run_describe) see them and other processes see the old
 * /analysis. After a failed write none of the session's tables are committed. */
int ip_run_write_table(ip_run *run, const char *name, int n_rows, int n_cols, const char *const *columns,
                       const double *data, int n_attrs, const char *const *keys, const char *const *values);

/* Commit the tables written so far (see ip_run_write_table): /analysis is replaced by the old
 * tables plus the new ones. IP_OK when there are none. */
int ip_run_commit_tables(ip_run *run);

/* Read /analysis/NAME back: *data (rows x cols, malloc'd) and *columns (cols malloc'd strings
 * in a malloc'd array; release with ip_run_strings_free) are owned by the caller. */
int ip_run_read_table(ip_run *run, const char *name, int *rows, int *cols, double **data, char ***columns);
/* A string attribute of /analysis/NAME (as written by ip_run_write_table), malloc'd into *value. */
int ip_run_read_table_attr(ip_run *run, const char *name, const char *key, char **value);
void ip_run_strings_free(char **strings, int n);

/* Read a 1-D or 2-D numeric dataset of any HDF5 file as doubles (a 1-D one is n x 1).
 * *data is malloc'd and owned by the caller. Errors name the file and dataset. */
int ip_h5_read_matrix(const char *file, const char *dataset, double **data, int *rows, int *cols);

/* Close and release; safe on NULL. A writer first waits for its pending writes. A writer that
 * never completed epoch 0 removes its PATH.partial. Returns an error (e.g. a full disk on the
 * last flush, or a failed pending write not reported yet) after releasing. */
int ip_run_close(ip_run *run);

#endif
