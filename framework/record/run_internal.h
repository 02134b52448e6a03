/* Inside record/: struct ip_run and the functions the run_*.c files share. Not for use outside
 * framework/record/; everyone else sees run.h. The files: run_file.c (opening, locking, closing),
 * run_layout.c (creating, publishing, checking the layout), run_rows.c (layer rows, direct I/O),
 * run_state.c (epoch commit, resume state), run_writer.c (the writer thread), run_tables.c
 * (/analysis tables), run_describe.c (ip_run_describe), run_h5.c (small HDF5 helpers), run_vfd.c
 * (the file driver of every writer). */
/* Crash safety rests on four things: SWMR write mode (metadata reaches the file in dependency
 * order, so the file on disk is always a coherent HDF5 file), a /checkpoint record written last
 * after every epoch (readers and resume trust nothing beyond it), a double-buffered resume
 * state (the slot being overwritten is never the one /checkpoint names), and a file driver
 * (run_vfd.c) that never lets HDF5's "open for writing" mark reach the disk, so a killed writer
 * leaves a file every tool opens. /analysis is replaced whole (run_tables.c). Appends to a published
 * run are written by a writer thread (run_writer.c); HDF5 may be built without thread safety, so
 * every HDF5 call of the process runs under one mutex (run_h5_mutex). */
#ifndef IP_RUN_INTERNAL_H
#define IP_RUN_INTERNAL_H

#include "run.h"

#include <hdf5.h>

#include <pthread.h>
#include <stdint.h>

#define FORMAT_VERSION 1
#define N_METRIC_COLS 6
#define PARTIAL_SUFFIX ".partial"

/* Runs are laid out in file pages of this size (paged aggregation, see run_create_locked): chunks
 * of a page or more start on a page boundary, which O_DIRECT writes need, and whole pages are
 * what the page cache drops. */
#define FILE_PAGE 4096

/* The longest message a failed write on the writer thread keeps for the caller. */
#define RUN_WRITER_MSG_LEN 2048

/* Every HDF5 call of the process happens with this held: an HDF5 built without
 * --enable-threadsafe keeps unguarded global state, so even calls on different files must never
 * overlap (Debian's build is thread-safe; we do not rely on it). The public
 * functions take it around their work; the writer thread takes it around each job. It is never
 * held while waiting for the writer thread: public functions that read a writer's state wait
 * for its thread first (run_writer_sync), then take the mutex. Defined in run_file.c. */
extern pthread_mutex_t run_h5_mutex;

/* The commit record: everything of epochs <= epoch is in the file. */
typedef struct {
    int32_t epoch, n_recorded, n_metrics, state_slot;
} checkpoint_rec;

struct ip_run {
    hid_t file;
    char path[IP_PATH_LEN + 16];     /* the name the run is (or will be) visible under */
    char tmp_path[IP_PATH_LEN + 32]; /* where a new run is built until epoch 0 is complete */
    int writer;                      /* created or resumed: appends allowed */
    int writable;                    /* any write (tables) allowed */
    int published, swmr, failed;
    int lock_fd;                     /* OFD write lock held by a writer, -1 when none */
    int n_layers, n_samples, d_x, n_classes;
    char (*names)[IP_LAYER_NAME_LEN];
    int *units;
    hid_t *layer_ds;
    hid_t epochs_ds, metrics_ds, ckpt_ds, inputs_ds, labels_ds;
    hid_t st_params, st_m, st_v, st_step, st_rng, st_epoch; /* 2 slots each; H5I_INVALID_HID until made */
    size_t n_params, n_opt;
    checkpoint_rec ck;               /* the committed state */
    int n_rows;                      /* rows written to the layer datasets (>= ck.n_recorded) */
    int pending_epoch;               /* epoch of activations appended but not yet committed, or -1 */
    int compression;
    int store_none;                  /* /layers @store "none": the run keeps no activations */
    char store[IP_SCHEDULE_TEXT];    /* /layers @store ("activations" when absent) */
    int imported;                    /* a file another program wrote (no infoplane_format): see run_import.c */
    struct run_writer *w;            /* the writer thread's side of a published writer, or NULL */
    /* How layer rows reach the file, decided once by run_rows_decide (run_rows.c). */
    int raw_rows;                    /* a row's floats are its chunk's bytes: H5Dwrite_chunk may write them */
    uint64_t direct_layers;          /* bit l: layer l's rows may go to the disk with O_DIRECT */
    char direct_why[192];            /* why direct_layers is 0 ("" when it is not) */
    long direct_rows;                /* layer rows written with O_DIRECT so far */
    int raw_fd, direct_fd;           /* the writer thread's descriptors of the file: HDF5's own, and
                                      * one opened with O_DIRECT (see write_layer_row in run_rows.c); or -1 */
    /* Tables written in this session, in an unlinked copy of /analysis that replaces it in one
     * step (run_tables.c); H5I_INVALID_HID until the first ip_run_write_table. */
    hid_t tables;
    int tables_failed;               /* a table write failed: the copy is dropped, not committed */
};

/* ---- run_h5.c: HDF5 errors, handles, attributes, row I/O ---- */

void h5_quiet(void);
/* Why the last HDF5 call failed, in a few words (the OS error when there is one). Must run
 * before any other HDF5 call, which would clear the error stack. */
void h5_detail(char *buf, size_t n);
/* ip_fail with the HDF5 reason appended: "PATH: writing /layers/x: No space left on device". */
__attribute__((format(printf, 2, 3))) int h5_fail(int code, const char *fmt, ...);

/* In a function with `int rc` and an `out:` label: on a failed (< 0) HDF5 call, report it with
 * HDF5's reason and go to out. */
#define CHECK(call, ...)                                                                               \
    do {                                                                                               \
        if ((call) < 0) {                                                                              \
            rc = h5_fail(IP_ERR_IO, __VA_ARGS__);                                                      \
            goto out;                                                                                  \
        }                                                                                              \
    } while (0)

/* Closes any HDF5 handle and sets it to H5I_INVALID_HID; nothing on an invalid one. */
void h5_close(hid_t *id);

int h5_attr_str(hid_t loc, const char *name, const char *value);
int h5_attr_strs(hid_t loc, const char *name, int n, const char *const *values);
int h5_attr_i64(hid_t loc, const char *name, int64_t v);
int h5_attr_u64(hid_t loc, const char *name, uint64_t v);
/* Reads string attribute element(s) of any string flavour (variable or fixed length). Returns
 * n malloc'd strings in a malloc'd array (release with ip_run_strings_free), or NULL
 * (attribute missing or not text). */
char **h5_attr_read_strs(hid_t loc, const char *name, int *n_out);
/* The first element of a string attribute, malloc'd (caller frees), or NULL. */
char *h5_attr_read_str(hid_t loc, const char *name);
/* The attribute's text into dst (n bytes), "" when missing. */
void h5_attr_copy_str(hid_t loc, const char *name, char *dst, size_t n);
int h5_attr_read_i64(hid_t loc, const char *name, int64_t *v);

/* Dimensions of a dataset (up to 3); returns the rank or -1. */
int h5_ds_dims(hid_t ds, hsize_t dims[3]);
/* Writes (reads) `count` rows starting at row `at` of a dataset whose other dimensions (dims[1],
 * dims[2]) are whole; 0 or -1 (HDF5's error stack says why). */
int h5_write_rows(hid_t ds, hid_t memtype, int rank, const hsize_t dims[3], hsize_t at, hsize_t count,
                  const void *buf);
int h5_read_rows(hid_t ds, hid_t memtype, int rank, const hsize_t dims[3], hsize_t at, hsize_t count, void *buf);
/* Grow (or shrink) the first dimension to n rows. */
int h5_set_rows(hid_t ds, hsize_t n);

/* ---- run_file.c: the file and the ip_run ---- */

/* A zeroed run named path, every handle invalid; NULL when out of memory. Freed by run_free. */
ip_run *run_alloc(const char *path);
/* Closes every handle and descriptor of the run (stopped writer thread) and frees it. */
void run_free(ip_run *r);
/* File access: the 1.10 format SWMR needs, plus (bits of `how`):
 * FAPL_WRITER: through infoplane's file driver (run_vfd.c), which never lets HDF5's "open for
 *   writing" mark reach the disk;
 * FAPL_CLEAR_MARK: open a file a killed writer of an older infoplane (or another program) left
 *   marked, as h5clear -s would;
 * FAPL_LIVE_READ: reading a run a live writer is growing (see run_open_file). */
enum { FAPL_WRITER = 1, FAPL_CLEAR_MARK = 2, FAPL_LIVE_READ = 4 };
hid_t run_make_fapl(unsigned how);

enum { OPEN_READ, OPEN_WRITE, OPEN_SWMR_WRITE };
/* Opens an existing HDF5 file into r->file, saying clearly what is wrong when it cannot be
 * opened: missing, not HDF5 / corrupt, or left "open for writing" by a killed writer (recovered). */
int run_open_file(ip_run *r, const char *path, int mode);
/* Opens dataset `name` (absolute) of r->file into *ds; "missing" errors name the file. */
int run_open_ds(ip_run *r, const char *name, hid_t *ds);

/* r->names, r->units and r->layer_ds for n layers (owned by r, freed when it closes), the
 * datasets marked unopened. IP_OK or IP_ERR_NOMEM. */
int run_alloc_layers(ip_run *r, int n);
/* Takes an OFD write lock on path for the life of r (see run_file.c). */
int run_take_lock(ip_run *r, const char *path);
/* IP_OK when r may be appended to; else the message the caller returns. */
int run_check_appendable(ip_run *r, const char *what);

/* ---- run_vfd.c: the file driver of every writer ---- */

/* infoplane's file driver (sec2's I/O; the superblock written without the "open for writing"
 * mark), registered at the first call. */
hid_t run_vfd_id(void);

/* ---- run_layout.c: what is in the file ---- */

hid_t run_checkpoint_type(void);
/* A fixed contiguous dataset allocated now (rewritten in place later, metadata untouched). */
hid_t run_create_fixed(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims);
/* Makes a new run visible under its name once epoch 0 is committed. */
int run_publish(ip_run *r);
/* Opens every dataset a run has and checks that they fit together. */
int run_load(ip_run *r);

/* ---- run_import.c: files another program wrote (docs/hdf5-layout.md, "Importing") ---- */

/* Opens the datasets of the import contract in a file without infoplane_format and checks them,
 * with an error naming the missing or wrong path; sets r->imported and r->ck (n_recorded =
 * len(/epochs), n_metrics = rows of /metrics or 0). */
int run_load_imported(ip_run *r);

/* ---- run_tables.c: /analysis ---- */

/* Makes the tables written in this session the run's /analysis (nothing without any); see
 * run_tables.c. Called by ip_run_commit_tables and on closing. */
int run_commit_tables_locked(ip_run *r);
/* Where table NAME lives: the session's new tables when there are any, else /analysis; *base is
 * the location and *path the name under it (in buf); "" for /analysis itself. */
void run_tables_base(ip_run *r, const char *name, hid_t *base, char *buf, size_t n);

/* ---- run_rows.c: layer rows ---- */

/* Decides, once, how layer rows are written: sets raw_rows, direct_layers, direct_why. Call when
 * the layer datasets are open (created or resumed), before the first row is written. */
void run_rows_decide(ip_run *r);
/* A descriptor of the file behind fd opened with O_DIRECT, or -1 (with direct_why saying why). */
int run_rows_open_direct(ip_run *r, int fd);
int run_append_activations_locked(ip_run *r, int epoch, const float *const *acts);

/* ---- run_state.c: the epoch commit and the resume state ---- */

int run_append_epoch_locked(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params,
                            const float *opt_m, const float *opt_v, size_t n_opt, int64_t opt_step,
                            const uint64_t rng_state[4]);

/* ---- run_writer.c: the writer thread ---- */

/* Gives a published writer its writer thread's side (not started yet: that happens at the first
 * append); nothing when IP_RECORD_SYNC asks for synchronous writes. */
int run_writer_enable(ip_run *r);
/* Frees the writer's memory; its thread must have been stopped (run_writer_close). */
void run_writer_free(struct run_writer *w);
/* Waits until everything handed to r's writer thread is written; nothing without one. */
void run_writer_sync(ip_run *r);
/* The append paths of a run with a writer thread (same checks and messages as synchronously). */
int run_writer_activations(ip_run *r, int epoch, const float *const *acts);
int run_writer_epoch(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params, const float *opt_m,
                     const float *opt_v, size_t n_opt, int64_t opt_step, const uint64_t rng_state[4]);
/* Writes what is pending and stops the thread. Returns a failed write's status not reported yet
 * (its message copied to msg), or IP_OK. */
int run_writer_close(ip_run *r, char *msg, size_t n);

#endif
