/* The run file (run.h, layout in docs/hdf5-layout.md): the only place in infoplane that
 * includes hdf5.h. Crash safety rests on three things: SWMR write mode (metadata reaches the
 * file in dependency order, so the file on disk is always a coherent HDF5 file), a /checkpoint
 * record written last after every epoch (readers and resume trust nothing beyond it), and a
 * double-buffered resume state (the slot being overwritten is never the one /checkpoint names).
 * Appends to a published run are written by a writer thread (see "the writer thread" below);
 * HDF5 may be built without thread safety, so every HDF5 call of the process runs under one mutex. */
#include "run.h"

#include "../core/blas.h"
#include "../core/mem.h"
#include "../core/status.h"
#include "../core/version.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FORMAT_VERSION 1
#define N_METRIC_COLS 6
#define PARTIAL_SUFFIX ".partial"

/* Every HDF5 call of the process happens with this held: an HDF5 built without
 * --enable-threadsafe keeps unguarded global state, so even calls on different files must never
 * overlap (Debian's build is thread-safe; we do not rely on it). The public
 * functions take it around their work; the writer thread takes it around each job. It is never
 * held while waiting for the writer thread. */
static pthread_mutex_t g_h5 = PTHREAD_MUTEX_INITIALIZER;

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
    struct run_writer *w;            /* the writer thread's side of a published writer, or NULL */
    int raw_fd, direct_fd;           /* the writer thread's descriptors of the file: HDF5's own, and
                                      * one opened with O_DIRECT (see write_layer_row); or -1 */
};

static int writer_enable(ip_run *r);
static void writer_free(struct run_writer *w);

/* Runs are laid out in file pages of this size (paged aggregation, see run_create_locked): chunks
 * of a page or more start on a page boundary, which O_DIRECT writes need, and whole pages are
 * what the page cache drops. */
#define FILE_PAGE 4096

/* ---------------------------------------------------------------- errors */

static void h5_quiet(void)
{
    static int done;
    if (!done) {
        H5open();
        /* Our messages name the file and the object; HDF5's stack dumps would only bury them. */
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

typedef struct {
    char inner[256], os[160];
} err_walk;

static herr_t err_walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    err_walk *w = data;
    if (!e->desc) return 0;
    if (n == 0) snprintf(w->inner, sizeof w->inner, "%s", e->desc);
    /* The sec2 driver puts the OS error in its description: "... error message = 'No space ...'". */
    const char *m = strstr(e->desc, "error message = '");
    if (m && !w->os[0]) {
        m += strlen("error message = '");
        size_t len = strcspn(m, "'");
        if (len >= sizeof w->os) len = sizeof w->os - 1;
        memcpy(w->os, m, len);
        w->os[len] = '\0';
    }
    return 0;
}

/* Why the last HDF5 call failed, in a few words (the OS error when there is one). Must run
 * before any other HDF5 call, which would clear the error stack. */
static void h5_detail(char *buf, size_t n)
{
    err_walk w;
    memset(&w, 0, sizeof w);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, err_walk_cb, &w);
    snprintf(buf, n, "%s", w.os[0] ? w.os : w.inner[0] ? w.inner : "HDF5 error");
}

/* ip_fail with the HDF5 reason appended: "PATH: writing /layers/x: No space left on device". */
__attribute__((format(printf, 2, 3))) static int h5_fail(int code, const char *fmt, ...)
{
    char msg[1024], detail[256];
    h5_detail(detail, sizeof detail);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ip_fail(code, "%s: %s", msg, detail);
}

#define CHECK(call, ...)                                                                               \
    do {                                                                                               \
        if ((call) < 0) {                                                                              \
            rc = h5_fail(IP_ERR_IO, __VA_ARGS__);                                                      \
            goto out;                                                                                  \
        }                                                                                              \
    } while (0)

static void close_id(hid_t *id)
{
    if (*id < 0) return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: break;
    }
    *id = H5I_INVALID_HID;
}

/* ---------------------------------------------------------------- attributes */

static hid_t vlen_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

static int attr_write(hid_t loc, const char *name, hid_t type, hid_t space, const void *value)
{
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t e = H5Awrite(a, type, value);
    H5Aclose(a);
    return e < 0 ? -1 : 0;
}

static int attr_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = vlen_str_type(), s = H5Screate(H5S_SCALAR);
    int r = (t < 0 || s < 0) ? -1 : attr_write(loc, name, t, s, &value);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    return r;
}

static int attr_strs(hid_t loc, const char *name, int n, const char *const *values)
{
    hsize_t dim = (hsize_t)n;
    hid_t t = vlen_str_type(), s = H5Screate_simple(1, &dim, NULL);
    int r = (t < 0 || s < 0) ? -1 : attr_write(loc, name, t, s, values);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    return r;
}

static int attr_i64(hid_t loc, const char *name, int64_t v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int r = s < 0 ? -1 : attr_write(loc, name, H5T_NATIVE_INT64, s, &v);
    if (s >= 0) H5Sclose(s);
    return r;
}

static int attr_u64(hid_t loc, const char *name, uint64_t v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int r = s < 0 ? -1 : attr_write(loc, name, H5T_NATIVE_UINT64, s, &v);
    if (s >= 0) H5Sclose(s);
    return r;
}

/* Reads string attribute element(s) of any string flavour (variable or fixed length). Returns
 * n malloc'd strings in a malloc'd array, or NULL (attribute missing or not text). */
static char **attr_read_strs(hid_t loc, const char *name, int *n_out)
{
    char **out = NULL;
    hid_t a = H5I_INVALID_HID, ft = H5I_INVALID_HID, mt = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    void *raw = NULL;
    *n_out = 0;
    if (H5Aexists(loc, name) <= 0) return NULL;
    if ((a = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (ft = H5Aget_type(a)) < 0 || H5Tget_class(ft) != H5T_STRING)
        goto out;
    if ((sp = H5Aget_space(a)) < 0) goto out;
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (n < 0 || n > 100000) goto out;
    int is_var = H5Tis_variable_str(ft) > 0;
    size_t fixed = is_var ? 0 : H5Tget_size(ft);
    if ((mt = H5Tcopy(H5T_C_S1)) < 0) goto out;
    if (H5Tset_size(mt, is_var ? H5T_VARIABLE : fixed + 1) < 0) goto out;
    if (H5Tset_cset(mt, H5Tget_cset(ft)) < 0) goto out; /* HDF5 does not convert ASCII <-> UTF-8 */
    size_t el = is_var ? sizeof(char *) : fixed + 1;
    raw = calloc((size_t)(n ? n : 1), el);
    out = calloc((size_t)(n ? n : 1), sizeof *out);
    if (!raw || !out || H5Aread(a, mt, raw) < 0) {
        free(out);
        out = NULL;
        goto out;
    }
    int ok = 1;
    for (hssize_t i = 0; i < n; i++) {
        const char *src = is_var ? ((char **)raw)[i] : (char *)raw + (size_t)i * el;
        out[i] = strdup(src ? src : "");
        if (!out[i]) ok = 0;
    }
    if (is_var) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
    if (!ok) {
        ip_run_strings_free(out, (int)n);
        out = NULL;
        goto out;
    }
    *n_out = (int)n;
out:
    free(raw);
    close_id(&mt);
    close_id(&sp);
    close_id(&ft);
    close_id(&a);
    return out;
}

static char *attr_read_str(hid_t loc, const char *name)
{
    int n;
    char **v = attr_read_strs(loc, name, &n);
    if (!v) return NULL;
    char *s = n > 0 ? v[0] : NULL;
    for (int i = 1; i < n; i++) free(v[i]);
    free(v);
    return s;
}

static void attr_copy_str(hid_t loc, const char *name, char *dst, size_t n)
{
    char *s = attr_read_str(loc, name);
    snprintf(dst, n, "%s", s ? s : "");
    free(s);
}

static int attr_read_i64(hid_t loc, const char *name, int64_t *v)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t e = H5Aread(a, H5T_NATIVE_INT64, v);
    H5Aclose(a);
    return e < 0 ? -1 : 0;
}

void ip_run_strings_free(char **strings, int n)
{
    if (!strings) return;
    for (int i = 0; i < n; i++) free(strings[i]);
    free(strings);
}

/* ---------------------------------------------------------------- small helpers */


static const char *sched_name(const ip_record_config *r, char *buf, size_t n)
{
    switch (r->epochs) {
    case IP_SCHED_ALL: return "every epoch";
    case IP_SCHED_EVERY: snprintf(buf, n, "every %d epochs", r->every); return buf;
    case IP_SCHED_LIST: snprintf(buf, n, "a list of %d epochs", r->n_list); return buf;
    case IP_SCHED_LOG: return "log-spaced (Saxe et al.)";
    }
    return "?";
}

/* One readable paragraph of the config, stored so `info` never has to parse YAML. */
static void config_summary(const ip_config *c, char *buf, size_t n)
{
    char widths[256] = "", sched[64];
    size_t w = 0;
    for (int i = 0; i < c->model.n_hidden && i < IP_MAX_LAYERS && w < sizeof widths - 16; i++)
        w += (size_t)snprintf(widths + w, sizeof widths - w, "%s%d", i ? "-" : "", c->model.hidden[i]);
    const char *opt = c->train.optim.optimizer == IP_OPT_ADAM ? "adam" : "sgd";
    char shift[48] = "";
    if (c->train.augment_shift > 0) snprintf(shift, sizeof shift, ", augment_shift %d", c->train.augment_shift);
    snprintf(buf, n,
             "model %s (activation %s%s%s); data %s%s; train %d epochs, %s lr %g%s, momentum %g, batch %d%s, "
             "threads %d; record %d train + %d test samples, %s, gzip %d",
             c->model.arch[0] ? c->model.arch : "?", ip_activation_name(c->model.activation), widths[0] ? ", hidden " : "",
             widths, c->data.dataset[0] ? c->data.dataset : "?", c->data.scale == IP_SCALE_STD ? " (scale std)" : "",
             c->train.epochs, opt, c->train.optim.lr, c->train.optim.lr_schedule == IP_LR_COSINE ? " cosine" : "",
             c->train.optim.momentum, c->train.batch_size, shift, c->train.threads, c->record.samples,
             c->record.test_samples, sched_name(&c->record, sched, sizeof sched), c->record.compression);
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Takes an open-file-description write lock on path, so two processes never append to (or
 * resume) the same run at once; HDF5's own lock is released by SWMR mode. Released on close
 * or when the process dies. */
static int take_lock(ip_run *r, const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC); /* a write lock needs a writable descriptor */
    if (fd < 0) return ip_fail(IP_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        int e = errno;
        close(fd);
        if (e == EAGAIN || e == EACCES)
            return ip_fail(IP_ERR_IO, "%s: another process is writing this run right now", path);
        if (e == EINVAL || e == ENOSYS || e == ENOLCK) return IP_OK; /* no locks here: go without */
        return ip_fail(IP_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
    }
    r->lock_fd = fd;
    return IP_OK;
}

static int is_locked_by_other(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int locked = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return locked;
}

static ip_run *run_alloc(const char *path)
{
    ip_run *r = ip_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->file = r->epochs_ds = r->metrics_ds = r->ckpt_ds = r->inputs_ds = r->labels_ds = H5I_INVALID_HID;
    r->st_params = r->st_m = r->st_v = r->st_step = r->st_rng = r->st_epoch = H5I_INVALID_HID;
    r->lock_fd = r->raw_fd = r->direct_fd = -1;
    r->pending_epoch = -1;
    r->ck.epoch = -1;
    snprintf(r->path, sizeof r->path, "%s", path);
    return r;
}

static hid_t checkpoint_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(checkpoint_rec));
    if (t < 0) return t;
    if (H5Tinsert(t, "epoch", HOFFSET(checkpoint_rec, epoch), H5T_NATIVE_INT32) < 0 ||
        H5Tinsert(t, "n_recorded", HOFFSET(checkpoint_rec, n_recorded), H5T_NATIVE_INT32) < 0 ||
        H5Tinsert(t, "n_metrics", HOFFSET(checkpoint_rec, n_metrics), H5T_NATIVE_INT32) < 0 ||
        H5Tinsert(t, "state_slot", HOFFSET(checkpoint_rec, state_slot), H5T_NATIVE_INT32) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* File access: the 1.10 format, which SWMR needs (and which h5py/h5dump >= 1.10 read). */
static hid_t make_fapl(int clear_flags)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return fapl;
    /* A SWMR reader re-reads a metadata block whose checksum fails, in case the writer is
     * rewriting it, sleeping 1 ns, 2 ns, 4 ns, ... in between; HDF5's default of 100 attempts
     * would sleep for ever on a block a killed writer left torn. 24 attempts wait ~17 ms in all,
     * ample for a live writer's rewrite, and then fail with a message instead of hanging. */
    if (H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0 ||
        H5Pset_metadata_read_attempts(fapl, 24) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    if (clear_flags) {
        /* A writer killed in SWMR mode leaves "open for writing" in the superblock and HDF5 then
         * refuses a normal open. h5clear -s resets it through this library property (it is
         * registered on every file-access list but has no public setter in 1.10). We only use
         * it after our own lock showed that no writer is alive. */
        hbool_t yes = 1;
        if (H5Pexist(fapl, "clear_status_flags") <= 0 || H5Pset(fapl, "clear_status_flags", &yes) < 0) {
            H5Pclose(fapl);
            return H5I_INVALID_HID;
        }
    }
    return fapl;
}

enum { OPEN_READ, OPEN_WRITE, OPEN_SWMR_WRITE };

/* Opens an existing run file, saying clearly what is wrong when it cannot be opened:
 * missing, not HDF5 / corrupt, or left "open for writing" by a killed writer (recovered). */
static int open_file(ip_run *r, const char *path, int mode)
{
    int rc = IP_OK;
    hid_t fapl = H5I_INVALID_HID;
    char detail[256] = "";
    if (!file_exists(path)) return ip_fail(IP_ERR_IO, "%s: no such file", path);
    if (access(path, R_OK) != 0) return ip_fail(IP_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        if (is < 0) h5_detail(detail, sizeof detail);
        return ip_fail(IP_ERR_FORMAT, "%s: not an HDF5 file or corrupt (%s)", path,
                       is < 0 ? detail : "no HDF5 signature found");
    }
    if ((fapl = make_fapl(0)) < 0) return h5_fail(IP_ERR, "%s: file access list", path);
    /* A resuming writer opens straight into SWMR mode, so that even the trimming it does first
     * is written in SWMR's safe order, and a kill at any time leaves a file SWMR readers open. */
    unsigned flags = mode == OPEN_READ ? H5F_ACC_RDONLY
                     : mode == OPEN_SWMR_WRITE ? H5F_ACC_RDWR | H5F_ACC_SWMR_WRITE
                                                : H5F_ACC_RDWR;
    int live_writer = r->lock_fd < 0 && is_locked_by_other(path); /* (our own lock would show) */
    for (int attempt = 0; attempt < 3 && r->file < 0; attempt++) {
        if (attempt == 0) {
            r->file = H5Fopen(path, flags, fapl);
            if (r->file < 0) h5_detail(detail, sizeof detail);
        } else if (attempt == 1 && mode == OPEN_READ) {
            /* SWMR read mode opens files whose SWMR writer is running or was killed. */
            r->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
        } else if (strstr(detail, "already open") && !live_writer) {
            /* Left "open for writing" by a dead process: clear that mark as h5clear -s would,
             * then open as asked. */
            hid_t clear = make_fapl(1);
            if (clear >= 0) r->file = H5Fopen(path, flags == H5F_ACC_RDONLY ? H5F_ACC_RDWR : flags, clear);
            if (clear >= 0) H5Pclose(clear);
            if (r->file >= 0 && flags == H5F_ACC_RDONLY) {
                /* Only a writable open can clear the mark; reopen read-only after (below). */
                if (H5Fincrement_filesize(r->file, 0) < 0 || H5Fclose(r->file) < 0) {
                    r->file = H5I_INVALID_HID;
                    break;
                }
                r->file = H5Fopen(path, flags, fapl);
            }
            break;
        }
    }
    /* A killed SWMR writer can leave objects past the end-of-allocation recorded in the
     * superblock (SWMR readers may read there; nobody else may). Make the file's real end the
     * allocated end before writing, as h5clear --increment would, or HDF5 would refuse those
     * objects and, on close, truncate the file to the old end. */
    if (r->file >= 0 && mode != OPEN_READ && H5Fincrement_filesize(r->file, 0) < 0) {
        rc = h5_fail(IP_ERR_IO, "%s: cannot repair the end-of-file mark", path);
        close_id(&r->file);
        goto out;
    }
    if (r->file < 0 && live_writer && mode != OPEN_READ)
        rc = ip_fail(IP_ERR_IO, "%s: another process is writing this run right now", path);
    else if (r->file < 0 && strstr(detail, "already open"))
        rc = ip_fail(IP_ERR_IO, "%s: left open for writing by a process that stopped; cannot clear that mark (%s); "
                                "try h5clear -s %s", path, detail, path);
    else if (r->file < 0)
        rc = ip_fail(IP_ERR_FORMAT, "%s: not an HDF5 file or corrupt (%s)", path, detail);
out:
    close_id(&fapl);
    return rc;
}

static int open_ds(ip_run *r, const char *name, hid_t *ds)
{
    htri_t e = H5Lexists(r->file, name, H5P_DEFAULT);
    if (e <= 0 && strchr(name + 1, '/')) {
        /* H5Lexists on "/a/b" fails (not just returns 0) when /a is missing. */
        char parent[256];
        snprintf(parent, sizeof parent, "%s", name);
        *strrchr(parent, '/') = '\0';
        if (H5Lexists(r->file, parent, H5P_DEFAULT) <= 0)
            return ip_fail(IP_ERR_FORMAT, "%s: group %s missing (not an infoplane run?)", r->path, parent);
    }
    if (e <= 0) return ip_fail(IP_ERR_FORMAT, "%s: dataset %s missing (not an infoplane run?)", r->path, name);
    *ds = H5Dopen2(r->file, name, H5P_DEFAULT);
    if (*ds < 0) return h5_fail(IP_ERR_FORMAT, "%s: cannot open dataset %s", r->path, name);
    return IP_OK;
}

/* Dimensions of a dataset (up to 3); returns the rank or -1. */
static int ds_dims(hid_t ds, hsize_t dims[3])
{
    hid_t s = H5Dget_space(ds);
    if (s < 0) return -1;
    int rank = H5Sget_simple_extent_ndims(s);
    if (rank < 0 || rank > 3 || H5Sget_simple_extent_dims(s, dims, NULL) < 0) rank = -1;
    H5Sclose(s);
    return rank;
}

/* Writes (or reads) `count` rows starting at row `at` of a dataset whose other dimensions are
 * whole. */
static int rows_io(hid_t ds, hid_t memtype, int rank, const hsize_t dims[3], hsize_t at, hsize_t count, void *buf,
                   int write)
{
    hsize_t start[3] = {at, 0, 0}, cnt[3] = {count, dims[1], dims[2]};
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(rank, cnt, NULL);
    int r = -1;
    if (fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0 &&
        (write ? H5Dwrite(ds, memtype, ms, fs, H5P_DEFAULT, buf) : H5Dread(ds, memtype, ms, fs, H5P_DEFAULT, buf)) >= 0)
        r = 0;
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return r;
}

static int write_rows(hid_t ds, hid_t memtype, int rank, const hsize_t dims[3], hsize_t at, hsize_t count,
                      const void *buf)
{
    return rows_io(ds, memtype, rank, dims, at, count, (void *)buf, 1);
}

static int read_rows(hid_t ds, hid_t memtype, int rank, const hsize_t dims[3], hsize_t at, hsize_t count,
                     void *buf)
{
    return rows_io(ds, memtype, rank, dims, at, count, buf, 0);
}

/* pwrite of all n bytes; 0 or -1 with errno set. */
static int pwrite_all(int fd, const char *buf, size_t n, off_t at)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, buf, n, at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return -1;
        }
        buf += w, n -= (size_t)w, at += w;
    }
    return 0;
}

/* Writes row `at` of layer l's dataset [rows x samples x units] of floats, one chunk per row (the
 * caller has extended the dataset to hold it). With no filter the chunk's bytes are the row's
 * floats; where those are also the file's little-endian floats they bypass HDF5's selection and
 * conversion machinery:
 * - on the writer thread, when the dataset allocated the chunk as it grew (layer datasets of
 *   runs made since, ALLOC_TIME_EARLY) at a page boundary and the buffer is page-aligned (the
 *   writer's own buffers are), its whole pages go to the disk with O_DIRECT and the tail with a
 *   plain write. Copying 13 MB an epoch into the page cache, and dropping it again, cost the
 *   writer ~5 ms of CPU per recorded MNIST-MLP epoch on these VMs, taken from training.
 * - otherwise H5Dwrite_chunk, which writes the buffer as the chunk as it is.
 * Returns 0; -1 when an HDF5 call failed (the caller's CHECK reports HDF5's reason); -2 when a
 * pwrite failed, with errno set (the caller reports strerror). */
static int write_layer_row(ip_run *r, int l, const hsize_t dims[3], hsize_t at, const float *buf)
{
    hid_t ds = r->layer_ds[l];
    size_t bytes = (size_t)(dims[1] * dims[2]) * sizeof *buf;
    if (r->compression > 0 || H5Tequal(H5T_NATIVE_FLOAT, H5T_IEEE_F32LE) <= 0)
        return write_rows(ds, H5T_NATIVE_FLOAT, 3, dims, at, 1, buf);
    hsize_t offset[3] = {at, 0, 0};
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    if (r->direct_fd >= 0 && r->raw_fd >= 0 && bytes >= FILE_PAGE && (uintptr_t)buf % FILE_PAGE == 0 &&
        H5Dget_chunk_info_by_coord(ds, offset, &mask, &addr, &size) >= 0 && addr != HADDR_UNDEF &&
        addr % FILE_PAGE == 0 && size == bytes) {
        size_t whole = bytes / FILE_PAGE * FILE_PAGE;
        if (pwrite_all(r->direct_fd, (const char *)buf, whole, (off_t)addr) != 0 ||
            (whole < bytes && pwrite_all(r->raw_fd, (const char *)buf + whole, bytes - whole, (off_t)(addr + whole)) != 0))
            return -2;
        return 0;
    }
    H5Eclear2(H5E_DEFAULT); /* a failed chunk query is not this write's error */
    return H5Dwrite_chunk(ds, H5P_DEFAULT, 0, offset, bytes, buf) < 0 ? -1 : 0;
}

/* Grow (or shrink) the first dimension to n rows. */
static int set_rows(hid_t ds, hsize_t n)
{
    hsize_t dims[3];
    int rank = ds_dims(ds, dims);
    if (rank < 1) return -1;
    dims[0] = n;
    return H5Dset_extent(ds, dims) < 0 ? -1 : 0;
}

/* An extendable chunked dataset with `rank` dims, first one unlimited and starting at 0 rows.
 * early: allocate each new chunk's space as the dataset grows (so the writer can write it itself,
 * see write_layer_row); only without filters, whose output size is known only once written. */
static hid_t create_extendable(hid_t loc, const char *name, hid_t type, int rank, const hsize_t chunk[3],
                               int gzip, int early)
{
    hsize_t dims[3] = {0, chunk[1], chunk[2]}, maxdims[3] = {H5S_UNLIMITED, chunk[1], chunk[2]};
    hid_t sp = H5Screate_simple(rank, dims, maxdims), dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = H5I_INVALID_HID;
    if (sp < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0) goto out;
    /* Shuffle groups the bytes of the floats' exponents together: gzip then finds the repeats. */
    if (gzip > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)gzip) < 0)) goto out;
    /* Every chunk is written whole: fill values would only cost time. */
    if (H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0) goto out;
    if (early && gzip == 0 && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0) goto out;
    ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
out:
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return ds;
}

/* A fixed contiguous dataset whose space is allocated now, so later writes to it are raw data
 * overwritten in place and never touch metadata (what makes /checkpoint and /state safe). */
static hid_t create_fixed(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims)
{
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = H5I_INVALID_HID;
    if (sp >= 0 && dcpl >= 0 && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0)
        ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return ds;
}

/* Closes every dataset of the run (not the file). */
static void close_objects(ip_run *r)
{
    for (int l = 0; r->layer_ds && l < r->n_layers; l++) close_id(&r->layer_ds[l]);
    hid_t *ids[] = {&r->epochs_ds, &r->metrics_ds, &r->ckpt_ds, &r->inputs_ds, &r->labels_ds, &r->st_params,
                    &r->st_m, &r->st_v, &r->st_step, &r->st_rng, &r->st_epoch};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) close_id(ids[i]);
}

static void run_free(ip_run *r)
{
    if (!r) return;
    close_objects(r);
    close_id(&r->file);
    if (r->lock_fd >= 0) close(r->lock_fd); /* only once the file is closed */
    writer_free(r->w);
    free(r->layer_ds);
    free(r->names);
    free(r->units);
    free(r);
}

/* ---------------------------------------------------------------- create */

static int validate_create(const char *path, int n_layers, const char (*names)[IP_LAYER_NAME_LEN],
                           const int *units, int n_samples, int d_x, const float *x, const int *y)
{
    if (!path || !*path) return ip_fail(IP_ERR, "ip_run_create: empty path");
    if (strlen(path) >= IP_PATH_LEN) return ip_fail(IP_ERR, "%s: path too long", path);
    if (n_layers < 1 || n_layers > IP_MAX_LAYERS)
        return ip_fail(IP_ERR, "%s: %d recorded layers (expected 1..%d)", path, n_layers, IP_MAX_LAYERS);
    if (n_samples < 1 || d_x < 1 || !x || !y)
        return ip_fail(IP_ERR, "%s: empty analysis set (%d samples of %d features)", path, n_samples, d_x);
    for (int l = 0; l < n_layers; l++) {
        size_t len = strnlen(names[l], IP_LAYER_NAME_LEN);
        if (len == 0 || len == IP_LAYER_NAME_LEN || strchr(names[l], '/') || !strcmp(names[l], "."))
            return ip_fail(IP_ERR, "%s: bad layer name #%d (non-empty, < %d chars, no '/')", path, l,
                           IP_LAYER_NAME_LEN);
        for (int k = 0; k < l; k++)
            if (!strcmp(names[k], names[l])) return ip_fail(IP_ERR, "%s: layer name %s twice", path, names[l]);
        if (units[l] < 1) return ip_fail(IP_ERR, "%s: layer %s has %d units", path, names[l], units[l]);
        if ((double)n_samples * units[l] * sizeof(float) >= 4294967296.0)
            return ip_fail(IP_ERR, "%s: layer %s: %d samples x %d units exceed HDF5's 4 GB chunk limit", path,
                           names[l], n_samples, units[l]);
    }
    return IP_OK;
}

static int run_create_locked(ip_run **run, const char *path, const ip_config *cfg, int n_layers,
                             const char (*layer_names)[IP_LAYER_NAME_LEN], const int *layer_units, int n_samples,
                             int d_x, const float *x, const int *y, int n_classes, const char *data_description,
                             int threads)
{
    int rc = IP_OK;
    ip_run *r = NULL;
    hid_t fapl = H5I_INVALID_HID, fcpl = H5I_INVALID_HID, g = H5I_INVALID_HID, sp = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    hid_t ct = H5I_INVALID_HID;
    const char **order = NULL;
    *run = NULL;
    h5_quiet();
    if ((rc = validate_create(path, n_layers, layer_names, layer_units, n_samples, d_x, x, y)) != IP_OK) return rc;
    if (file_exists(path))
        return ip_fail(IP_ERR_IO, "%s already exists: it holds another run (resume it, or remove it first)", path);
    if (!(r = run_alloc(path))) return IP_ERR_NOMEM;
    snprintf(r->tmp_path, sizeof r->tmp_path, "%s%s", path, PARTIAL_SUFFIX);
    r->writer = r->writable = 1;
    r->n_layers = n_layers;
    r->n_samples = n_samples;
    r->d_x = d_x;
    r->n_classes = n_classes;
    r->compression = cfg ? cfg->record.compression : 0;
    if (r->compression < 0 || r->compression > 9) {
        rc = ip_fail(IP_ERR, "%s: record.compression %d (expected 0..9)", path, r->compression);
        goto out;
    }
    if (r->compression > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
        rc = ip_fail(IP_ERR, "%s: this HDF5 has no gzip filter; set record.compression: 0", path);
        goto out;
    }
    r->names = ip_calloc((size_t)n_layers, sizeof *r->names);
    r->units = ip_calloc((size_t)n_layers, sizeof *r->units);
    r->layer_ds = ip_malloc(sizeof(hid_t) * (size_t)n_layers);
    order = ip_calloc((size_t)n_layers, sizeof *order);
    if (!r->names || !r->units || !r->layer_ds || !order) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int l = 0; l < n_layers; l++) {
        memcpy(r->names[l], layer_names[l], IP_LAYER_NAME_LEN);
        r->units[l] = layer_units[l];
        r->layer_ds[l] = H5I_INVALID_HID;
        order[l] = r->names[l];
    }

    /* Built under PATH.partial and renamed when epoch 0 is complete: a crash before then
     * leaves nothing under the run's name. */
    if ((fapl = make_fapl(0)) < 0) {
        rc = h5_fail(IP_ERR, "%s: file access list", path);
        goto out;
    }
    /* Paged file-space aggregation with the OS page size: metadata blocks are allocated inside
     * 4 KB file pages, never across two. HDF5 rewrites some of them in place (the chunk index),
     * and a process killed inside a write can stop between pages; within one page it cannot,
     * so a kill never leaves a block half old, half new. */
    if ((fcpl = H5Pcreate(H5P_FILE_CREATE)) < 0 ||
        H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_PAGE, 0, 1) < 0 ||
        H5Pset_file_space_page_size(fcpl, FILE_PAGE) < 0) {
        rc = h5_fail(IP_ERR, "%s: file creation list", path);
        goto out;
    }
    r->file = H5Fcreate(r->tmp_path, H5F_ACC_TRUNC, fcpl, fapl);
    CHECK(r->file, "%s: cannot create", r->tmp_path);

    /* Root attributes: what made this run. */
    char buf[1024], created[40];
    unsigned maj, min, rel;
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    H5get_libversion(&maj, &min, &rel);
    CHECK(attr_i64(r->file, "infoplane_format", FORMAT_VERSION), "%s: writing attributes", r->tmp_path);
    CHECK(attr_str(r->file, "infoplane_version", IP_VERSION), "%s: writing attributes", r->tmp_path);
    snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
    CHECK(attr_str(r->file, "hdf5_version", buf), "%s: writing attributes", r->tmp_path);
    CHECK(attr_str(r->file, "openblas_config", ip_blas_config()), "%s: writing attributes", r->tmp_path);
    CHECK(attr_i64(r->file, "threads", threads), "%s: writing attributes", r->tmp_path);
    CHECK(attr_str(r->file, "created", created), "%s: writing attributes", r->tmp_path);
    CHECK(attr_str(r->file, "data_description", data_description ? data_description : ""), "%s: writing attributes",
          r->tmp_path);
    CHECK(attr_str(r->file, "config_yaml", cfg && cfg->text ? cfg->text : ""), "%s: writing attributes",
          r->tmp_path);
    CHECK(attr_str(r->file, "overrides", cfg && cfg->overrides ? cfg->overrides : ""), "%s: writing attributes",
          r->tmp_path);
    CHECK(attr_str(r->file, "config_source", cfg ? cfg->source : ""), "%s: writing attributes", r->tmp_path);
    CHECK(attr_u64(r->file, "seed", cfg ? cfg->seed : 0), "%s: writing attributes", r->tmp_path);
    if (cfg) config_summary(cfg, buf, sizeof buf);
    else snprintf(buf, sizeof buf, "(no config)");
    CHECK(attr_str(r->file, "config_summary", buf), "%s: writing attributes", r->tmp_path);
    CHECK(attr_i64(r->file, "n_classes", n_classes), "%s: writing attributes", r->tmp_path);

    /* The analysis set, chunked by rows (<= 16 MB) so even a big set stays under HDF5's limits. */
    {
        hsize_t dims[2] = {(hsize_t)n_samples, (hsize_t)d_x};
        hsize_t rows = (hsize_t)(16u << 20) / ((hsize_t)d_x * sizeof(float));
        hsize_t chunk[2] = {rows < 1 ? 1 : rows > dims[0] ? dims[0] : rows, dims[1]};
        CHECK(sp = H5Screate_simple(2, dims, NULL), "%s: /inputs", r->tmp_path);
        CHECK(dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: /inputs", r->tmp_path);
        CHECK(H5Pset_chunk(dcpl, 2, chunk), "%s: /inputs", r->tmp_path);
        if (r->compression > 0) {
            CHECK(H5Pset_shuffle(dcpl), "%s: /inputs", r->tmp_path);
            CHECK(H5Pset_deflate(dcpl, (unsigned)r->compression), "%s: /inputs", r->tmp_path);
        }
        CHECK(r->inputs_ds = H5Dcreate2(r->file, "inputs", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
              "%s: creating /inputs", r->tmp_path);
        CHECK(H5Dwrite(r->inputs_ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x), "%s: writing /inputs",
              r->tmp_path);
        /* A guess from the config (exact unless the data set clamped record.samples or
         * record.test_samples); the trainer states the truth with ip_run_set_analysis_rows. */
        int test_rows = cfg && cfg->record.test_samples > 0 ? cfg->record.test_samples : 0;
        if (cfg && cfg->record.samples > 0 && cfg->record.samples < n_samples) test_rows = n_samples - cfg->record.samples;
        if (test_rows > n_samples) test_rows = n_samples;
        CHECK(attr_i64(r->inputs_ds, "train_rows", n_samples - test_rows), "%s: /inputs", r->tmp_path);
        CHECK(attr_i64(r->inputs_ds, "test_rows", test_rows), "%s: /inputs", r->tmp_path);
        close_id(&sp);
        close_id(&dcpl);
        hsize_t n = (hsize_t)n_samples;
        CHECK(sp = H5Screate_simple(1, &n, NULL), "%s: /labels", r->tmp_path);
        CHECK(r->labels_ds = H5Dcreate2(r->file, "labels", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              "%s: creating /labels", r->tmp_path);
        CHECK(H5Dwrite(r->labels_ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, y), "%s: writing /labels",
              r->tmp_path);
        close_id(&sp);
    }

    /* One extendable dataset per recorded layer, one chunk per recorded epoch. */
    CHECK(g = H5Gcreate2(r->file, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "%s: creating /layers",
          r->tmp_path);
    CHECK(attr_strs(g, "order", n_layers, order), "%s: /layers", r->tmp_path);
    CHECK(attr_i64(g, "compression", r->compression), "%s: /layers", r->tmp_path);
    for (int l = 0; l < n_layers; l++) {
        hsize_t chunk[3] = {1, (hsize_t)n_samples, (hsize_t)layer_units[l]};
        CHECK(r->layer_ds[l] = create_extendable(g, r->names[l], H5T_IEEE_F32LE, 3, chunk, r->compression, 1),
              "%s: creating /layers/%s", r->tmp_path, r->names[l]);
        CHECK(attr_i64(r->layer_ds[l], "index", l), "%s: /layers/%s", r->tmp_path, r->names[l]);
    }
    close_id(&g);
    {
        hsize_t chunk[3] = {1024, 0, 0};
        CHECK(r->epochs_ds = create_extendable(r->file, "epochs", H5T_STD_I32LE, 1, chunk, 0, 0), "%s: creating /epochs",
              r->tmp_path);
        hsize_t mchunk[3] = {256, N_METRIC_COLS, 0};
        CHECK(r->metrics_ds = create_extendable(r->file, "metrics", H5T_IEEE_F64LE, 2, mchunk, 0, 0),
              "%s: creating /metrics", r->tmp_path);
        const char *cols[N_METRIC_COLS] = {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"};
        CHECK(attr_strs(r->metrics_ds, "columns", N_METRIC_COLS, cols), "%s: /metrics", r->tmp_path);
    }
    CHECK(ct = checkpoint_type(), "%s: /checkpoint", r->tmp_path);
    CHECK(r->ckpt_ds = create_fixed(r->file, "checkpoint", ct, 0, NULL), "%s: creating /checkpoint", r->tmp_path);
    CHECK(H5Dwrite(r->ckpt_ds, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, &r->ck), "%s: writing /checkpoint", r->tmp_path);
    CHECK(g = H5Gcreate2(r->file, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "%s: creating /state",
          r->tmp_path);
    close_id(&g);
out:
    close_id(&ct);
    close_id(&g);
    close_id(&sp);
    close_id(&dcpl);
    close_id(&fapl);
    close_id(&fcpl);
    free(order);
    if (rc != IP_OK) {
        if (r) {
            char tmp[sizeof r->tmp_path];
            int had_file = r->file >= 0;
            memcpy(tmp, r->tmp_path, sizeof tmp);
            run_free(r);
            if (had_file) unlink(tmp); /* a half-built file is never left behind */
        }
        return rc;
    }
    *run = r;
    return IP_OK;
}

/* ---------------------------------------------------------------- appending */

static int run_set_analysis_rows_locked(ip_run *r, int train_rows, int test_rows)
{
    int rc = IP_OK;
    if (!r || !r->writer || r->published)
        return ip_fail(IP_ERR, "%s: ip_run_set_analysis_rows must come right after ip_run_create", r ? r->path : "?");
    if (train_rows < 0 || test_rows < 0 || train_rows + test_rows != r->n_samples)
        return ip_fail(IP_ERR, "%s: %d train + %d test rows, but the analysis set has %d", r->path, train_rows, test_rows,
                       r->n_samples);
    CHECK(H5Adelete(r->inputs_ds, "train_rows"), "%s: /inputs", r->tmp_path);
    CHECK(H5Adelete(r->inputs_ds, "test_rows"), "%s: /inputs", r->tmp_path);
    CHECK(attr_i64(r->inputs_ds, "train_rows", train_rows), "%s: /inputs", r->tmp_path);
    CHECK(attr_i64(r->inputs_ds, "test_rows", test_rows), "%s: /inputs", r->tmp_path);
out:
    return rc;
}

static int writer_ready(ip_run *r, const char *what)
{
    if (!r) return ip_fail(IP_ERR, "%s: no run", what);
    if (!r->writer) return ip_fail(IP_ERR, "%s: %s was opened for reading only", r->path, what);
    if (r->failed)
        return ip_fail(IP_ERR_IO, "%s: an earlier write failed; the file holds epochs up to %d (resume from there)",
                       r->path, r->ck.epoch);
    return IP_OK;
}

static int run_append_activations_locked(ip_run *r, int epoch, const float *const *acts)
{
    int rc = writer_ready(r, "ip_run_append_activations");
    if (rc != IP_OK) return rc;
    const char *p = r->published ? r->path : r->tmp_path;
    if (epoch <= r->ck.epoch || r->pending_epoch >= 0)
        return ip_fail(IP_ERR, "%s: activations of epoch %d out of order (last complete epoch %d%s)", p, epoch,
                       r->ck.epoch, r->pending_epoch >= 0 ? ", activations already appended for the next" : "");
    hsize_t row = (hsize_t)r->n_rows;
    for (int l = 0; l < r->n_layers; l++) {
        hsize_t dims[3] = {row + 1, (hsize_t)r->n_samples, (hsize_t)r->units[l]};
        if (!acts || !acts[l]) {
            rc = ip_fail(IP_ERR, "%s: no activations for layer %s", p, r->names[l]);
            goto out;
        }
        CHECK(set_rows(r->layer_ds[l], row + 1), "%s: extending /layers/%s", p, r->names[l]);
        int w = write_layer_row(r, l, dims, row, acts[l]);
        if (w == -2) {
            rc = ip_fail(IP_ERR_IO, "%s: writing /layers/%s: %s", p, r->names[l], strerror(errno));
            goto out;
        }
        CHECK(w, "%s: writing /layers/%s", p, r->names[l]);
    }
    {
        hsize_t dims[3] = {row + 1, 0, 0};
        int32_t e = epoch;
        CHECK(set_rows(r->epochs_ds, row + 1), "%s: extending /epochs", p);
        CHECK(write_rows(r->epochs_ds, H5T_NATIVE_INT32, 1, dims, row, 1, &e), "%s: writing /epochs", p);
    }
    /* Not committed yet (the /checkpoint of append_epoch does that), but handed to the OS now so
     * the commit's flush has less to do. */
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", p);
    r->n_rows++;
    r->pending_epoch = epoch;
out:
    if (rc != IP_OK) r->failed = 1;
    return rc;
}

/* The resume state: two slots of every array, so the one /checkpoint names stays intact while
 * the other is overwritten. Made at the first append_epoch (the sizes are known only then),
 * before SWMR mode starts (SWMR allows no new objects). */
static int make_state(ip_run *r, size_t n_params, size_t n_opt)
{
    int rc = IP_OK;
    hid_t g = H5Gopen2(r->file, "state", H5P_DEFAULT);
    const char *p = r->tmp_path;
    hsize_t dp[2] = {2, (hsize_t)n_params}, dopt[2] = {2, (hsize_t)n_opt}, d1[1] = {2}, drng[2] = {2, 4};
    CHECK(g, "%s: opening /state", p);
    CHECK(r->st_params = create_fixed(g, "params", H5T_IEEE_F32LE, 2, dp), "%s: creating /state/params", p);
    CHECK(r->st_m = create_fixed(g, "opt_m", H5T_IEEE_F32LE, 2, dopt), "%s: creating /state/opt_m", p);
    CHECK(r->st_v = create_fixed(g, "opt_v", H5T_IEEE_F32LE, 2, dopt), "%s: creating /state/opt_v", p);
    CHECK(r->st_step = create_fixed(g, "opt_step", H5T_STD_I64LE, 1, d1), "%s: creating /state/opt_step", p);
    CHECK(r->st_rng = create_fixed(g, "rng", H5T_STD_U64LE, 2, drng), "%s: creating /state/rng", p);
    CHECK(r->st_epoch = create_fixed(g, "epoch", H5T_STD_I32LE, 1, d1), "%s: creating /state/epoch", p);
    r->n_params = n_params;
    r->n_opt = n_opt;
out:
    close_id(&g);
    return rc;
}

static int write_slot(ip_run *r, int slot, int epoch, const float *params, const float *opt_m, const float *opt_v,
                      int64_t opt_step, const uint64_t rng[4])
{
    int rc = IP_OK;
    const char *p = r->published ? r->path : r->tmp_path;
    hsize_t dp[3] = {2, r->n_params, 0}, dopt[3] = {2, r->n_opt, 0}, d1[3] = {2, 0, 0}, drng[3] = {2, 4, 0};
    int32_t e = epoch;
    if (r->n_params) CHECK(write_rows(r->st_params, H5T_NATIVE_FLOAT, 2, dp, slot, 1, params), "%s: writing /state/params", p);
    if (r->n_opt) {
        CHECK(write_rows(r->st_m, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_m), "%s: writing /state/opt_m", p);
        CHECK(write_rows(r->st_v, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_v), "%s: writing /state/opt_v", p);
    }
    CHECK(write_rows(r->st_step, H5T_NATIVE_INT64, 1, d1, slot, 1, &opt_step), "%s: writing /state/opt_step", p);
    CHECK(write_rows(r->st_rng, H5T_NATIVE_UINT64, 2, drng, slot, 1, rng), "%s: writing /state/rng", p);
    CHECK(write_rows(r->st_epoch, H5T_NATIVE_INT32, 1, d1, slot, 1, &e), "%s: writing /state/epoch", p);
out:
    return rc;
}

/* Makes a new run visible under its name once epoch 0 is complete: SWMR mode from here on,
 * then a hard link (which, unlike rename, refuses to replace a run that appeared meanwhile). */
static int publish(ip_run *r)
{
    int rc = IP_OK;
    CHECK(H5Fstart_swmr_write(r->file), "%s: starting SWMR write mode", r->tmp_path);
    r->swmr = 1;
    if ((rc = take_lock(r, r->tmp_path)) != IP_OK) return rc;
    if (link(r->tmp_path, r->path) != 0) {
        int e = errno;
        if (e == EEXIST)
            return ip_fail(IP_ERR_IO, "%s already exists: another run appeared there; this one is in %s", r->path,
                           r->tmp_path);
        if (e != EPERM && e != ENOTSUP && e != ENOSYS)
            return ip_fail(IP_ERR_IO, "%s: cannot create: %s", r->path, strerror(e));
        /* A file system without hard links: check, then rename (a small race we accept there). */
        if (file_exists(r->path)) return ip_fail(IP_ERR_IO, "%s already exists", r->path);
        if (rename(r->tmp_path, r->path) != 0)
            return ip_fail(IP_ERR_IO, "%s: cannot rename %s: %s", r->path, r->tmp_path, strerror(errno));
    } else {
        unlink(r->tmp_path);
    }
    r->published = 1;
    rc = writer_enable(r);
out:
    return rc;
}

static int run_append_epoch_locked(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params,
                                   const float *opt_m, const float *opt_v, size_t n_opt, int64_t opt_step,
                                   const uint64_t rng_state[4])
{
    int rc = writer_ready(r, "ip_run_append_epoch");
    if (rc != IP_OK) return rc;
    const char *p = r->published ? r->path : r->tmp_path;
    hid_t ct = H5I_INVALID_HID;
    if (!m || m->epoch <= r->ck.epoch)
        return ip_fail(IP_ERR, "%s: epoch %d appended after epoch %d", p, m ? m->epoch : -1, r->ck.epoch);
    if (r->pending_epoch >= 0 && r->pending_epoch != m->epoch)
        return ip_fail(IP_ERR, "%s: activations of epoch %d but metrics of epoch %d", p, r->pending_epoch, m->epoch);
    if ((n_params && !params) || (n_opt && (!opt_m || !opt_v)) || !rng_state)
        return ip_fail(IP_ERR, "%s: ip_run_append_epoch: missing state buffers", p);
    if (r->st_params < 0) {
        if (r->published) return ip_fail(IP_ERR, "%s: run has no /state", p);
        if ((rc = make_state(r, n_params, n_opt)) != IP_OK) goto out;
    } else if (n_params != r->n_params || n_opt != r->n_opt) {
        rc = ip_fail(IP_ERR, "%s: state of %zu parameters and %zu optimizer values, but the run holds %zu and %zu", p,
                     n_params, n_opt, r->n_params, r->n_opt);
        goto out;
    }
    int slot = r->ck.epoch < 0 ? 0 : 1 - r->ck.state_slot;
    if ((rc = write_slot(r, slot, m->epoch, params, opt_m, opt_v, opt_step, rng_state)) != IP_OK) goto out;
    {
        double row[N_METRIC_COLS] = {m->epoch, m->train_loss, m->train_acc, m->test_loss, m->test_acc, m->seconds};
        hsize_t n = (hsize_t)r->ck.n_metrics, dims[3] = {n + 1, N_METRIC_COLS, 0};
        CHECK(set_rows(r->metrics_ds, n + 1), "%s: extending /metrics", p);
        CHECK(write_rows(r->metrics_ds, H5T_NATIVE_DOUBLE, 2, dims, n, 1, row), "%s: writing /metrics", p);
    }
    /* Everything of this epoch reaches the file before the record that says it is complete. */
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", p);
    checkpoint_rec nk = {m->epoch, r->n_rows, r->ck.n_metrics + 1, slot};
    CHECK(ct = checkpoint_type(), "%s: /checkpoint", p);
    CHECK(H5Dwrite(r->ckpt_ds, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, &nk), "%s: writing /checkpoint", p);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", p);
    r->ck = nk;
    r->pending_epoch = -1;
    if (!r->published) rc = publish(r);
out:
    close_id(&ct);
    if (rc != IP_OK) r->failed = 1;
    return rc;
}

/* ---------------------------------------------------------------- opening */

/* Opens every dataset a run has and checks that they fit together. */
static int load_run(ip_run *r)
{
    int rc = IP_OK;
    hid_t g = H5I_INVALID_HID, ct = H5I_INVALID_HID;
    char **order = NULL;
    int n_order = 0;
    hsize_t dims[3];
    int64_t v;
    if (attr_read_i64(r->file, "infoplane_format", &v) < 0)
        return ip_fail(IP_ERR_FORMAT, "%s: not an infoplane run (no infoplane_format attribute)", r->path);
    if (v > FORMAT_VERSION)
        return ip_fail(IP_ERR_FORMAT, "%s: run format %lld is newer than this infoplane (%d)", r->path, (long long)v,
                       FORMAT_VERSION);
    if ((rc = open_ds(r, "/inputs", &r->inputs_ds)) != IP_OK) goto out;
    if ((rc = open_ds(r, "/labels", &r->labels_ds)) != IP_OK) goto out;
    if ((rc = open_ds(r, "/epochs", &r->epochs_ds)) != IP_OK) goto out;
    if ((rc = open_ds(r, "/metrics", &r->metrics_ds)) != IP_OK) goto out;
    if ((rc = open_ds(r, "/checkpoint", &r->ckpt_ds)) != IP_OK) goto out;
    if (ds_dims(r->inputs_ds, dims) != 2) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /inputs is not 2-D", r->path);
        goto out;
    }
    r->n_samples = (int)dims[0];
    r->d_x = (int)dims[1];
    r->n_classes = attr_read_i64(r->file, "n_classes", &v) == 0 ? (int)v : 0;
    CHECK(ct = checkpoint_type(), "%s: /checkpoint", r->path);
    CHECK(H5Dread(r->ckpt_ds, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, &r->ck), "%s: reading /checkpoint", r->path);
    r->n_rows = r->ck.n_recorded;

    if (H5Lexists(r->file, "/layers", H5P_DEFAULT) <= 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: group /layers missing", r->path);
        goto out;
    }
    CHECK(g = H5Gopen2(r->file, "/layers", H5P_DEFAULT), "%s: opening /layers", r->path);
    order = attr_read_strs(g, "order", &n_order);
    if (!order || n_order < 1 || n_order > IP_MAX_LAYERS) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /layers has no valid 'order' attribute", r->path);
        goto out;
    }
    r->n_layers = n_order;
    r->compression = attr_read_i64(g, "compression", &v) == 0 ? (int)v : 0;
    r->names = ip_calloc((size_t)n_order, sizeof *r->names);
    r->units = ip_calloc((size_t)n_order, sizeof *r->units);
    r->layer_ds = ip_malloc(sizeof(hid_t) * (size_t)n_order);
    if (!r->names || !r->units || !r->layer_ds) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int l = 0; l < n_order; l++) r->layer_ds[l] = H5I_INVALID_HID;
    for (int l = 0; l < n_order; l++) {
        char name[IP_LAYER_NAME_LEN + 16];
        snprintf(r->names[l], IP_LAYER_NAME_LEN, "%s", order[l]);
        snprintf(name, sizeof name, "/layers/%s", r->names[l]);
        if ((rc = open_ds(r, name, &r->layer_ds[l])) != IP_OK) goto out;
        if (ds_dims(r->layer_ds[l], dims) != 3 || dims[1] != (hsize_t)r->n_samples) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: %s is not [epochs x %d samples x units]", r->path, name, r->n_samples);
            goto out;
        }
        r->units[l] = (int)dims[2];
        if (dims[0] < (hsize_t)r->ck.n_recorded) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: corrupt: /checkpoint counts %d recorded epochs but %s holds %llu", r->path,
                         r->ck.n_recorded, name, (unsigned long long)dims[0]);
            goto out;
        }
    }
    if (ds_dims(r->epochs_ds, dims) != 1 || dims[0] < (hsize_t)r->ck.n_recorded ||
        ds_dims(r->metrics_ds, dims) != 2 || dims[0] < (hsize_t)r->ck.n_metrics || dims[1] != N_METRIC_COLS ||
        r->ck.n_recorded < 0 || r->ck.n_metrics < 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: corrupt: /epochs or /metrics disagree with /checkpoint", r->path);
        goto out;
    }
out:
    ip_run_strings_free(order, n_order);
    close_id(&g);
    close_id(&ct);
    return rc;
}

static int run_open_read_locked(ip_run **run, const char *path, int writable)
{
    int rc;
    *run = NULL;
    h5_quiet();
    ip_run *r = run_alloc(path);
    if (!r) return IP_ERR_NOMEM;
    r->writable = writable != 0;
    /* A writable open excludes a live trainer; a read-only one coexists with it (SWMR read). */
    if (writable && (rc = take_lock(r, path)) != IP_OK) goto out;
    if ((rc = open_file(r, path, writable ? OPEN_WRITE : OPEN_READ)) != IP_OK) goto out;
    rc = load_run(r);
out:
    if (rc != IP_OK) {
        run_free(r);
        return rc;
    }
    *run = r;
    return IP_OK;
}

static int run_open_resume_locked(ip_run **run, const char *path, float *params, size_t n_params, float *opt_m,
                                  float *opt_v, size_t n_opt, int64_t *opt_step, uint64_t rng_state[4],
                                  int *last_epoch)
{
    int rc;
    hsize_t dims[3];
    *run = NULL;
    h5_quiet();
    ip_run *r = run_alloc(path);
    if (!r) return IP_ERR_NOMEM;
    r->writer = r->writable = r->published = 1;
    if ((rc = take_lock(r, path)) != IP_OK) goto out;
    if ((rc = open_file(r, path, OPEN_SWMR_WRITE)) != IP_OK) goto out;
    if ((rc = load_run(r)) != IP_OK) goto out;
    if (r->ck.epoch < 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: holds no completed epoch; nothing to resume", path);
        goto out;
    }
    if ((rc = open_ds(r, "/state/params", &r->st_params)) != IP_OK || (rc = open_ds(r, "/state/opt_m", &r->st_m)) != IP_OK ||
        (rc = open_ds(r, "/state/opt_v", &r->st_v)) != IP_OK || (rc = open_ds(r, "/state/opt_step", &r->st_step)) != IP_OK ||
        (rc = open_ds(r, "/state/rng", &r->st_rng)) != IP_OK || (rc = open_ds(r, "/state/epoch", &r->st_epoch)) != IP_OK)
        goto out;
    if (ds_dims(r->st_params, dims) != 2) goto bad_state;
    r->n_params = (size_t)dims[1];
    if (ds_dims(r->st_m, dims) != 2) goto bad_state;
    r->n_opt = (size_t)dims[1];
    if (r->n_params != n_params || r->n_opt != n_opt) {
        rc = ip_fail(IP_ERR_FORMAT,
                     "%s: the run holds %zu parameters and %zu optimizer values but the network has %zu and %zu "
                     "(a different model?)",
                     path, r->n_params, r->n_opt, n_params, n_opt);
        goto out;
    }
    {
        int slot = r->ck.state_slot;
        int32_t e = -1;
        hsize_t dp[3] = {2, n_params, 0}, dopt[3] = {2, n_opt, 0}, d1[3] = {2, 0, 0}, drng[3] = {2, 4, 0};
        if (slot < 0 || slot > 1) goto bad_state;
        if (n_params) CHECK(read_rows(r->st_params, H5T_NATIVE_FLOAT, 2, dp, slot, 1, params), "%s: reading /state/params", path);
        if (n_opt) {
            CHECK(read_rows(r->st_m, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_m), "%s: reading /state/opt_m", path);
            CHECK(read_rows(r->st_v, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_v), "%s: reading /state/opt_v", path);
        }
        CHECK(read_rows(r->st_step, H5T_NATIVE_INT64, 1, d1, slot, 1, opt_step), "%s: reading /state/opt_step", path);
        CHECK(read_rows(r->st_rng, H5T_NATIVE_UINT64, 2, drng, slot, 1, rng_state), "%s: reading /state/rng", path);
        CHECK(read_rows(r->st_epoch, H5T_NATIVE_INT32, 1, d1, slot, 1, &e), "%s: reading /state/epoch", path);
        if (e != r->ck.epoch) goto bad_state;
    }
    /* Drop whatever a crash left after the last complete epoch, then continue in SWMR mode. */
    for (int l = 0; l < r->n_layers; l++)
        CHECK(set_rows(r->layer_ds[l], (hsize_t)r->ck.n_recorded), "%s: trimming /layers/%s", path, r->names[l]);
    CHECK(set_rows(r->epochs_ds, (hsize_t)r->ck.n_recorded), "%s: trimming /epochs", path);
    CHECK(set_rows(r->metrics_ds, (hsize_t)r->ck.n_metrics), "%s: trimming /metrics", path);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", path);
    r->swmr = 1;
    if ((rc = writer_enable(r)) != IP_OK) goto out;
    *last_epoch = r->ck.epoch;
    *run = r;
    return IP_OK;
bad_state:
    rc = ip_fail(IP_ERR_FORMAT, "%s: corrupt: /state does not match /checkpoint", path);
out:
    run_free(r);
    return rc;
}

/* ---------------------------------------------------------------- reading */

static void table_names_walk(ip_run *r, hid_t g, const char *prefix, ip_run_description *d);

static herr_t table_iter_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    void **ctx = data;
    ip_run *r = ctx[0];
    ip_run_description *d = ctx[1];
    const char *prefix = ctx[2];
    char full[IP_TABLE_NAME_LEN];
    H5O_info_t oi;
    (void)info;
    snprintf(full, sizeof full, "%s%s%s", prefix, prefix[0] ? "/" : "", name);
    if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return 0;
    if (oi.type == H5O_TYPE_GROUP) {
        hid_t sub = H5Gopen2(g, name, H5P_DEFAULT);
        if (sub >= 0) {
            table_names_walk(r, sub, full, d);
            H5Gclose(sub);
        }
    } else if (oi.type == H5O_TYPE_DATASET) {
        void *grown = realloc(d->table_names, sizeof *d->table_names * (size_t)(d->n_tables + 1));
        if (!grown) return -1;
        d->table_names = grown;
        snprintf(d->table_names[d->n_tables++], IP_TABLE_NAME_LEN, "%s", full);
    }
    return 0;
}

static void table_names_walk(ip_run *r, hid_t g, const char *prefix, ip_run_description *d)
{
    void *ctx[3] = {r, d, (void *)prefix};
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, table_iter_cb, ctx);
}

static int run_describe_locked(ip_run *r, ip_run_description *d)
{
    int rc = IP_OK;
    hsize_t dims[3];
    double *rows = NULL;
    hid_t g = H5I_INVALID_HID;
    memset(d, 0, sizeof *d);
    if (!r) return ip_fail(IP_ERR, "ip_run_describe: no run");
    d->n_layers = r->n_layers;
    d->n_samples = r->n_samples;
    d->d_x = r->d_x;
    d->n_classes = r->n_classes;
    d->n_recorded = r->ck.n_recorded;
    d->n_metrics = r->ck.n_metrics;
    d->last_epoch = r->ck.epoch;
    d->compression = r->compression;
    d->layer_names = ip_calloc((size_t)r->n_layers, sizeof *d->layer_names);
    d->layer_units = ip_calloc((size_t)r->n_layers, sizeof *d->layer_units);
    d->recorded_epochs = ip_calloc((size_t)d->n_recorded + 1, sizeof *d->recorded_epochs);
    d->metrics = ip_calloc((size_t)d->n_metrics + 1, sizeof *d->metrics);
    rows = ip_calloc((size_t)d->n_metrics * N_METRIC_COLS + 1, sizeof *rows);
    if (!d->layer_names || !d->layer_units || !d->recorded_epochs || !d->metrics || !rows) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    memcpy(d->layer_names, r->names, sizeof *d->layer_names * (size_t)r->n_layers);
    memcpy(d->layer_units, r->units, sizeof *d->layer_units * (size_t)r->n_layers);
    if (d->n_recorded) {
        dims[0] = (hsize_t)d->n_recorded;
        CHECK(read_rows(r->epochs_ds, H5T_NATIVE_INT, 1, dims, 0, (hsize_t)d->n_recorded, d->recorded_epochs),
              "%s: reading /epochs", r->path);
    }
    if (d->n_metrics) {
        dims[1] = N_METRIC_COLS;
        CHECK(read_rows(r->metrics_ds, H5T_NATIVE_DOUBLE, 2, dims, 0, (hsize_t)d->n_metrics, rows),
              "%s: reading /metrics", r->path);
        for (int i = 0; i < d->n_metrics; i++) {
            const double *row = rows + (size_t)i * N_METRIC_COLS;
            d->metrics[i] = (ip_epoch_metrics){(int)row[0], row[1], row[2], row[3], row[4], row[5]};
        }
    }
    d->config_text = attr_read_str(r->file, "config_yaml");
    d->overrides = attr_read_str(r->file, "overrides");
    if (!d->config_text) d->config_text = strdup("");
    if (!d->overrides) d->overrides = strdup("");
    if (!d->config_text || !d->overrides) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    int64_t v;
    uint64_t seed = 0;
    if (H5Aexists(r->file, "seed") > 0) {
        hid_t a = H5Aopen(r->file, "seed", H5P_DEFAULT);
        if (a >= 0) {
            H5Aread(a, H5T_NATIVE_UINT64, &seed);
            H5Aclose(a);
        }
    }
    d->seed = seed;
    d->threads = attr_read_i64(r->file, "threads", &v) == 0 ? (int)v : 0;
    {
        char iv[64], hv[64], ob[256];
        attr_copy_str(r->file, "infoplane_version", iv, sizeof iv);
        attr_copy_str(r->file, "hdf5_version", hv, sizeof hv);
        attr_copy_str(r->file, "openblas_config", ob, sizeof ob);
        snprintf(d->versions, sizeof d->versions, "infoplane %s, HDF5 %s, %s%s", iv, hv,
                 strncmp(ob, "OpenBLAS", 8) ? "OpenBLAS " : "", ob);
    }
    attr_copy_str(r->file, "data_description", d->data_description, sizeof d->data_description);
    attr_copy_str(r->file, "created", d->created, sizeof d->created);
    attr_copy_str(r->file, "config_source", d->config_source, sizeof d->config_source);
    attr_copy_str(r->file, "config_summary", d->config_summary, sizeof d->config_summary);
    d->train_rows = attr_read_i64(r->inputs_ds, "train_rows", &v) == 0 ? (int)v : r->n_samples;
    d->test_rows = attr_read_i64(r->inputs_ds, "test_rows", &v) == 0 ? (int)v : 0;
    if (H5Lexists(r->file, "/analysis", H5P_DEFAULT) > 0 && (g = H5Gopen2(r->file, "/analysis", H5P_DEFAULT)) >= 0)
        table_names_walk(r, g, "", d);
out:
    close_id(&g);
    free(rows);
    if (rc != IP_OK) ip_run_describe_free(d);
    return rc;
}

void ip_run_describe_free(ip_run_description *d)
{
    if (!d) return;
    free(d->layer_names);
    free(d->layer_units);
    free(d->recorded_epochs);
    free(d->metrics);
    free(d->config_text);
    free(d->overrides);
    free(d->table_names);
    memset(d, 0, sizeof *d);
}

static int run_read_inputs_locked(ip_run *r, double *x, int *y)
{
    int rc = IP_OK;
    if (x) CHECK(H5Dread(r->inputs_ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x), "%s: reading /inputs", r->path);
    if (y) CHECK(H5Dread(r->labels_ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, y), "%s: reading /labels", r->path);
out:
    return rc;
}

static int run_read_layer_locked(ip_run *r, int layer, int k, double *out)
{
    int rc = IP_OK;
    if (!r || layer < 0 || layer >= r->n_layers)
        return ip_fail(IP_ERR, "%s: no layer #%d (the run has %d)", r ? r->path : "?", layer, r ? r->n_layers : 0);
    if (k < 0 || k >= r->ck.n_recorded)
        return ip_fail(IP_ERR, "%s: no recorded epoch #%d in /layers/%s (%d recorded)", r->path, k, r->names[layer],
                       r->ck.n_recorded);
    hsize_t dims[3] = {(hsize_t)r->ck.n_recorded, (hsize_t)r->n_samples, (hsize_t)r->units[layer]};
    CHECK(read_rows(r->layer_ds[layer], H5T_NATIVE_DOUBLE, 3, dims, (hsize_t)k, 1, out), "%s: reading /layers/%s[%d]",
          r->path, r->names[layer], k);
out:
    return rc;
}

/* ---------------------------------------------------------------- results tables */

static int table_path(const ip_run *r, const char *name, char *buf, size_t n)
{
    if (!name || !*name || name[0] == '/' || strstr(name, "//") || name[strlen(name) - 1] == '/' ||
        strlen(name) >= IP_TABLE_NAME_LEN)
        return ip_fail(IP_ERR, "%s: bad table name '%s'", r->path, name ? name : "");
    snprintf(buf, n, "/analysis/%s", name);
    return IP_OK;
}

static int run_write_table_locked(ip_run *r, const char *name, int n_rows, int n_cols, const char *const *columns,
                                  const double *data, int n_attrs, const char *const *keys,
                                  const char *const *values)
{
    int rc = IP_OK;
    char full[IP_TABLE_NAME_LEN + 16];
    hid_t lcpl = H5I_INVALID_HID, sp = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    if (!r) return ip_fail(IP_ERR, "ip_run_write_table: no run");
    if ((rc = table_path(r, name, full, sizeof full)) != IP_OK) return rc;
    if (!r->writable) return ip_fail(IP_ERR, "%s: opened read-only; cannot write %s", r->path, full);
    if (r->swmr)
        return ip_fail(IP_ERR, "%s: cannot add %s while the run is being trained (close it and reopen writable)",
                       r->path, full);
    if (n_rows < 0 || n_cols < 1 || (n_rows && !data))
        return ip_fail(IP_ERR, "%s: %s: bad table shape %d x %d", r->path, full, n_rows, n_cols);
    /* Replacing: unlink the old one (HDF5 does not reuse its space, but the file stays valid). */
    if (H5Lexists(r->file, "/analysis", H5P_DEFAULT) > 0) {
        /* H5Lexists fails when an intermediate group is missing; check each level. */
        char partial[sizeof full];
        int exists = 1;
        for (char *s = strchr(full + 10, '/'); exists; s = s ? strchr(s + 1, '/') : NULL) {
            snprintf(partial, sizeof partial, "%.*s", s ? (int)(s - full) : (int)strlen(full), full);
            exists = H5Lexists(r->file, partial, H5P_DEFAULT) > 0;
            if (!s) break;
        }
        if (exists) CHECK(H5Ldelete(r->file, full, H5P_DEFAULT), "%s: replacing %s", r->path, full);
    }
    CHECK(lcpl = H5Pcreate(H5P_LINK_CREATE), "%s: %s", r->path, full);
    CHECK(H5Pset_create_intermediate_group(lcpl, 1), "%s: %s", r->path, full);
    hsize_t dims[2] = {(hsize_t)n_rows, (hsize_t)n_cols};
    CHECK(sp = H5Screate_simple(2, dims, NULL), "%s: %s", r->path, full);
    CHECK(ds = H5Dcreate2(r->file, full, H5T_IEEE_F64LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT), "%s: creating %s",
          r->path, full);
    if (n_rows) CHECK(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "%s: writing %s", r->path, full);
    if (columns) CHECK(attr_strs(ds, "columns", n_cols, columns), "%s: %s: columns", r->path, full);
    for (int i = 0; i < n_attrs; i++)
        CHECK(attr_str(ds, keys[i], values[i] ? values[i] : ""), "%s: %s: attribute %s", r->path, full, keys[i]);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", r->path);
out:
    close_id(&ds);
    close_id(&sp);
    close_id(&lcpl);
    return rc;
}

static int open_table(ip_run *r, const char *name, hid_t *ds)
{
    char full[IP_TABLE_NAME_LEN + 16];
    int rc = table_path(r, name, full, sizeof full);
    if (rc != IP_OK) return rc;
    /* Walk the path so a missing group reads as "missing", not as an HDF5 failure. */
    for (char *s = full; s; s = strchr(s + 1, '/')) {
        char partial[sizeof full];
        snprintf(partial, sizeof partial, "%.*s", (int)(s - full), full);
        if (s != full && H5Lexists(r->file, partial, H5P_DEFAULT) <= 0)
            return ip_fail(IP_ERR_FORMAT, "%s: %s missing (run the analysis first)", r->path, partial);
    }
    return open_ds(r, full, ds);
}

static int run_read_table_locked(ip_run *r, const char *name, int *rows, int *cols, double **data, char ***columns)
{
    int rc;
    hid_t ds = H5I_INVALID_HID;
    hsize_t dims[3];
    int n_names = 0;
    *data = NULL;
    if (columns) *columns = NULL;
    if ((rc = open_table(r, name, &ds)) != IP_OK) return rc;
    if (ds_dims(ds, dims) != 2) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /analysis/%s is not a 2-D table", r->path, name);
        goto out;
    }
    *rows = (int)dims[0];
    *cols = (int)dims[1];
    if (!(*data = ip_malloc(sizeof(double) * (dims[0] * dims[1] + 1)))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    if (dims[0] && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data) < 0) {
        rc = h5_fail(IP_ERR_IO, "%s: reading /analysis/%s", r->path, name);
        goto out;
    }
    if (columns) {
        *columns = attr_read_strs(ds, "columns", &n_names);
        if (*columns && n_names != *cols) {
            ip_run_strings_free(*columns, n_names);
            *columns = NULL;
        }
        if (!*columns) rc = ip_fail(IP_ERR_FORMAT, "%s: /analysis/%s has no column names", r->path, name);
    }
out:
    close_id(&ds);
    if (rc != IP_OK) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

static int run_read_table_attr_locked(ip_run *r, const char *name, const char *key, char **value)
{
    hid_t ds = H5I_INVALID_HID;
    int rc = open_table(r, name, &ds);
    *value = NULL;
    if (rc != IP_OK) return rc;
    *value = attr_read_str(ds, key);
    if (!*value) rc = ip_fail(IP_ERR_FORMAT, "%s: /analysis/%s has no attribute %s", r->path, name, key);
    close_id(&ds);
    return rc;
}

/* ---------------------------------------------------------------- any HDF5 file */

static int h5_read_matrix_locked(const char *file, const char *dataset, double **data, int *rows, int *cols)
{
    int rc;
    hid_t ds = H5I_INVALID_HID, t = H5I_INVALID_HID;
    hsize_t dims[3] = {0, 1, 1};
    *data = NULL;
    h5_quiet();
    ip_run *r = run_alloc(file);
    if (!r) return IP_ERR_NOMEM;
    if ((rc = open_file(r, file, OPEN_READ)) != IP_OK) goto out;
    char name[1100];
    snprintf(name, sizeof name, "%s%s", dataset[0] == '/' ? "" : "/", dataset);
    if ((rc = open_ds(r, name, &ds)) != IP_OK) goto out;
    CHECK(t = H5Dget_type(ds), "%s: %s", file, name);
    H5T_class_t cls = H5Tget_class(t);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: %s is not numeric", file, name);
        goto out;
    }
    int rank = ds_dims(ds, dims);
    if (rank < 1 || rank > 2) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: %s has %d dimensions; expected a 1-D or 2-D matrix (samples x units)", file,
                     name, rank);
        goto out;
    }
    if (rank == 1) dims[1] = 1;
    if (dims[0] > 0x7fffffff || dims[1] > 0x7fffffff) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: %s is too large", file, name);
        goto out;
    }
    if (!(*data = ip_malloc(sizeof(double) * (dims[0] * dims[1] + 1)))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    if (dims[0] && dims[1]) CHECK(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data), "%s: reading %s", file, name);
    *rows = (int)dims[0];
    *cols = (int)dims[1];
out:
    close_id(&t);
    close_id(&ds);
    run_free(r);
    if (rc != IP_OK) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------- closing */

static int run_close_locked(ip_run *r)
{
    int rc = IP_OK;
    if (!r) return IP_OK;
    int drop = r->writer && !r->published; /* epoch 0 never completed: nothing worth keeping */
    close_objects(r);
    if (r->file >= 0 && H5Fclose(r->file) < 0)
        rc = h5_fail(IP_ERR_IO, "%s: closing", drop ? r->tmp_path : r->path);
    r->file = H5I_INVALID_HID;
    if (drop && r->tmp_path[0]) unlink(r->tmp_path);
    run_free(r);
    return rc;
}

/* ---------------------------------------------------------------- the writer thread */

/* Appends to a published writer are written by a thread of the run, so that training goes on
 * while HDF5 writes. The caller's side checks the order, copies the activations and the state
 * into a job and returns; the thread makes exactly the HDF5 calls the synchronous path makes
 * (run_append_activations_locked, then run_append_epoch_locked), job after job, in order.
 * Two jobs at most: one being written, one being filled or waiting; the caller blocks only
 * when it wants to fill a job whose previous contents are still being written. An epoch still
 * counts only once its /checkpoint is written, so a kill loses at most the epochs in flight.
 * Epoch 0 of a new run (creation, publication) stays synchronous: the run appears under its
 * name before ip_run_append_epoch(0) returns, and errors of that phase come at once.
 * IP_RECORD_SYNC=1 in the environment writes every append on the calling thread (debugging,
 * measuring the write time). An ip_run is used by one thread at a time. */

enum { JOB_FREE, JOB_FILLING, JOB_QUEUED, JOB_WRITING };

typedef struct {
    int state;              /* JOB_*; under mu */
    unsigned long seq;      /* order of submission */
    int has_acts, acts_epoch, has_epoch;
    float *acts;            /* every recorded layer's n_samples x units, layer after layer */
    ip_epoch_metrics m;
    float *params, *opt_m, *opt_v; /* n_params, n_opt, n_opt */
    int64_t opt_step;
    uint64_t rng[4];
} run_job;

struct run_writer {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a job changed state, or stop */
    pthread_t thread;
    int started, stop;      /* stop: under mu */
    run_job job[2];
    int fill;               /* the job the caller fills next (caller only) */
    unsigned long seq;
    int err_rc, err_reported; /* the first failed job's status and message; under mu */
    char err_msg[2048];
    /* The caller's view of the order (what it has handed over, written or not). */
    int epoch_in, acts_in;  /* last epoch handed over; epoch of activations without metrics (-1) */
    int refused;            /* the caller side refused an append the way a failed write does */
    int fd;                 /* the file's descriptor (sec2 driver), for drop_written_pages; or -1 */
};

static int writer_enable(ip_run *r)
{
    const char *sync = getenv("IP_RECORD_SYNC");
    if (r->w || (sync && *sync && strcmp(sync, "0"))) return IP_OK;
    struct run_writer *w = ip_calloc(1, sizeof *w);
    if (!w) return IP_ERR_NOMEM;
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        free(w);
        return ip_fail(IP_ERR, "%s: cannot create the writer's mutex", r->path);
    }
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        free(w);
        return ip_fail(IP_ERR, "%s: cannot create the writer's condition variable", r->path);
    }
    w->epoch_in = r->ck.epoch;
    w->acts_in = r->pending_epoch;
    w->fd = -1;
    r->w = w;
    return IP_OK;
}

/* Frees the writer's memory; its thread must have been stopped (writer_stop). */
static void writer_free(struct run_writer *w)
{
    if (!w) return;
    for (int i = 0; i < 2; i++) {
        free(w->job[i].acts);
        free(w->job[i].params);
        free(w->job[i].opt_m);
        free(w->job[i].opt_v);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* Once a recorded epoch's chunks are on disk, drops their pages from the page cache. A run grows
 * by a recorded epoch per epoch (13 MB for the MNIST MLP), and fresh page-cache pages are slow
 * to come by on a VM whose memory the host backs on first touch: writing 13 MB into new pages
 * took ~20 ms of system time here, into pages the kernel had just taken back ~3 ms. It also
 * keeps a long run from filling the page cache with data nobody reads before the analysis.
 * Only whole pages inside the chunks are dropped, never pages holding HDF5 metadata, which is
 * rewritten in place (a metadata write into a dropped page would first read it from disk).
 * The wait for the disk is the writer thread's, not the training's. */
typedef struct {
    int n;
    haddr_t addr[IP_MAX_LAYERS];
    hsize_t size[IP_MAX_LAYERS];
} written_chunks;

static void drop_written_pages(int fd, const written_chunks *c)
{
    if (fd < 0) return;
    for (int i = 0; i < c->n; i++) {
        off_t from = (off_t)c->addr[i], to = from + (off_t)c->size[i];
        sync_file_range(fd, from, to - from,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        off_t first = (from + FILE_PAGE - 1) / FILE_PAGE * FILE_PAGE, last = to / FILE_PAGE * FILE_PAGE;
        if (last > first) posix_fadvise(fd, first, last - first, POSIX_FADV_DONTNEED);
    }
}

/* Where the chunks of recorded row `row` of every layer are in the file (none on failure:
 * nothing is dropped then). */
static void find_chunks(const ip_run *r, int row, written_chunks *c)
{
    c->n = 0;
    for (int l = 0; l < r->n_layers; l++) {
        hsize_t at[3] = {(hsize_t)row, 0, 0};
        unsigned mask = 0;
        if (H5Dget_chunk_info_by_coord(r->layer_ds[l], at, &mask, &c->addr[c->n], &c->size[c->n]) < 0 ||
            c->addr[c->n] == HADDR_UNDEF)
            return;
        c->n++;
    }
}

/* One job's HDF5 calls, the same as the synchronous path's. Runs on the writer thread; says
 * where the activations it wrote went (c->n = 0: none). */
static int job_write(ip_run *r, const run_job *j, written_chunks *c)
{
    int rc = IP_OK;
    c->n = 0;
    pthread_mutex_lock(&g_h5);
    if (j->has_acts) {
        const float *acts[IP_MAX_LAYERS];
        size_t off = 0;
        for (int l = 0; l < r->n_layers; l++) {
            acts[l] = j->acts + off;
            off += (size_t)r->n_samples * (size_t)r->units[l];
        }
        rc = run_append_activations_locked(r, j->acts_epoch, acts);
        if (rc == IP_OK) find_chunks(r, r->n_rows - 1, c);
    }
    if (rc == IP_OK && j->has_epoch)
        rc = run_append_epoch_locked(r, &j->m, j->params, r->n_params, j->opt_m, j->opt_v, r->n_opt, j->opt_step,
                                     j->rng);
    /* The message is made; a per-thread error stack left behind would be lost with the thread. */
    if (rc != IP_OK) H5Eclear2(H5E_DEFAULT);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

static run_job *next_queued(struct run_writer *w)
{
    run_job *next = NULL;
    for (int i = 0; i < 2; i++)
        if (w->job[i].state == JOB_QUEUED && (!next || w->job[i].seq < next->seq)) next = &w->job[i];
    return next;
}

/* Records a job's failure (the message is thread-local: copied here, on the thread that failed). */
static void writer_record_error(struct run_writer *w, int rc)
{
    if (rc == IP_OK || w->err_rc != IP_OK) return;
    w->err_rc = rc;
    snprintf(w->err_msg, sizeof w->err_msg, "%s", ip_error_message());
}

/* A second descriptor of the file behind fd, for O_DIRECT writes of whole pages; -1 where the
 * file system takes none (tmpfs, say): then every write goes through the page cache. */
static int open_direct(int fd)
{
    char proc[64];
    if (fd < 0) return -1;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return open(proc, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

static void *writer_main(void *arg)
{
    ip_run *r = arg;
    struct run_writer *w = r->w;
    /* A thread-safe HDF5 build keeps an error stack per thread: silence this one's too. */
    pthread_mutex_lock(&g_h5);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int *fdp = NULL;
    w->fd = H5Fget_vfd_handle(r->file, H5P_DEFAULT, (void **)&fdp) >= 0 && fdp ? *fdp : -1;
    r->raw_fd = w->fd;
    r->direct_fd = open_direct(w->fd);
    pthread_mutex_unlock(&g_h5);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        run_job *j = next_queued(w);
        if (!j) {
            if (w->stop) break;
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        j->state = JOB_WRITING;
        int skip = w->err_rc != IP_OK; /* after a failure the run takes no more (as synchronously) */
        pthread_mutex_unlock(&w->mu);
        written_chunks chunks = {0};
        int rc = skip ? IP_OK : job_write(r, j, &chunks);
        if (rc == IP_OK) drop_written_pages(w->fd, &chunks);
        pthread_mutex_lock(&w->mu);
        writer_record_error(w, rc);
        j->has_acts = j->has_epoch = 0;
        j->state = JOB_FREE;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_lock(&g_h5);
    if (r->direct_fd >= 0) close(r->direct_fd);
    r->direct_fd = r->raw_fd = -1;
    pthread_mutex_unlock(&g_h5);
    return NULL;
}

/* Waits until every job handed over is written (or skipped after a failure). */
static void writer_wait(struct run_writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->job[0].state >= JOB_QUEUED || w->job[1].state >= JOB_QUEUED) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static void writer_stop(struct run_writer *w)
{
    if (!w || !w->started) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL); /* it writes what is queued first */
    w->started = 0;
}

/* A failed write, once reported with its own message; afterwards, as the synchronous path
 * says after a failure, that the run takes no more. */
static int writer_check(ip_run *r)
{
    struct run_writer *w = r->w;
    char msg[sizeof w->err_msg];
    pthread_mutex_lock(&w->mu);
    int rc = w->err_rc, first = rc != IP_OK && !w->err_reported;
    if (first) {
        w->err_reported = 1;
        memcpy(msg, w->err_msg, sizeof msg);
    }
    pthread_mutex_unlock(&w->mu);
    if (first) return ip_fail(rc, "%s", msg);
    if (rc != IP_OK || w->refused) {
        writer_wait(w); /* r->ck is the writer's until then */
        return ip_fail(IP_ERR_IO, "%s: an earlier write failed; the file holds epochs up to %d (resume from there)",
                       r->path, r->ck.epoch);
    }
    return IP_OK;
}

/* The job to fill, once its previous contents are written. */
static run_job *writer_job(struct run_writer *w)
{
    run_job *j = &w->job[w->fill];
    pthread_mutex_lock(&w->mu);
    while (j->state >= JOB_QUEUED) pthread_cond_wait(&w->cv, &w->mu);
    j->state = JOB_FILLING;
    pthread_mutex_unlock(&w->mu);
    return j;
}

/* Hands the filled job to the thread (started at the first job). Without a thread (it could
 * not be started) the job is written here. */
static int writer_submit(ip_run *r)
{
    struct run_writer *w = r->w;
    run_job *j = &w->job[w->fill];
    w->fill ^= 1;
    if (!w->started && pthread_create(&w->thread, NULL, writer_main, r) == 0) w->started = 1;
    if (!w->started) {
        written_chunks unused;
        int rc = job_write(r, j, &unused);
        pthread_mutex_lock(&w->mu);
        writer_record_error(w, rc);
        if (rc != IP_OK) w->err_reported = 1;
        j->has_acts = j->has_epoch = 0;
        j->state = JOB_FREE;
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    j->seq = ++w->seq;
    j->state = JOB_QUEUED;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return IP_OK;
}

/* Floats of one recorded epoch: every layer's n_samples x units. */
static size_t activation_floats(const ip_run *r)
{
    size_t total = 0;
    for (int l = 0; l < r->n_layers; l++) total += (size_t)r->n_samples * (size_t)r->units[l];
    return total;
}

/* A job's activation buffer: page-aligned, so its pages can be written with O_DIRECT. */
static float *alloc_pages(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, FILE_PAGE, bytes ? bytes : 1) != 0) {
        ip_fail(IP_ERR_NOMEM, "out of memory (%zu bytes for a recorded epoch)", bytes);
        return NULL;
    }
    return p;
}

static int async_activations(ip_run *r, int epoch, const float *const *acts)
{
    struct run_writer *w = r->w;
    int rc = writer_check(r);
    if (rc != IP_OK) return rc;
    if (epoch <= w->epoch_in || w->acts_in >= 0)
        return ip_fail(IP_ERR, "%s: activations of epoch %d out of order (last complete epoch %d%s)", r->path, epoch,
                       w->epoch_in, w->acts_in >= 0 ? ", activations already appended for the next" : "");
    for (int l = 0; l < r->n_layers; l++)
        if (!acts || !acts[l]) {
            w->refused = 1;
            return ip_fail(IP_ERR, "%s: no activations for layer %s", r->path, r->names[l]);
        }
    run_job *j = writer_job(w);
    if ((rc = writer_check(r)) != IP_OK) return rc; /* the wait may have ended in a failure */
    if (!j->acts && !(j->acts = alloc_pages(sizeof(float) * activation_floats(r)))) return IP_ERR_NOMEM;
    size_t off = 0;
    for (int l = 0; l < r->n_layers; l++) {
        size_t n = (size_t)r->n_samples * (size_t)r->units[l];
        if (acts[l] != j->acts + off) memcpy(j->acts + off, acts[l], sizeof(float) * n); /* not filled in place */
        off += n;
    }
    j->has_acts = 1;
    j->acts_epoch = epoch;
    w->acts_in = epoch;
    return IP_OK;
}

float *ip_run_activation_room(ip_run *r)
{
    if (!r || !r->w || !r->writer) return NULL;
    struct run_writer *w = r->w;
    pthread_mutex_lock(&w->mu);
    int failed = w->err_rc != IP_OK || w->refused;
    pthread_mutex_unlock(&w->mu);
    if (failed) return NULL;
    run_job *j = writer_job(w);
    if (!j->acts) j->acts = alloc_pages(sizeof(float) * activation_floats(r));
    return j->acts;
}

static int async_epoch(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params,
                       const float *opt_m, const float *opt_v, size_t n_opt, int64_t opt_step,
                       const uint64_t rng_state[4])
{
    struct run_writer *w = r->w;
    int rc = writer_check(r);
    if (rc != IP_OK) return rc;
    if (!m || m->epoch <= w->epoch_in)
        return ip_fail(IP_ERR, "%s: epoch %d appended after epoch %d", r->path, m ? m->epoch : -1, w->epoch_in);
    if (w->acts_in >= 0 && w->acts_in != m->epoch)
        return ip_fail(IP_ERR, "%s: activations of epoch %d but metrics of epoch %d", r->path, w->acts_in, m->epoch);
    if ((n_params && !params) || (n_opt && (!opt_m || !opt_v)) || !rng_state)
        return ip_fail(IP_ERR, "%s: ip_run_append_epoch: missing state buffers", r->path);
    if (r->st_params < 0) return ip_fail(IP_ERR, "%s: run has no /state", r->path);
    if (n_params != r->n_params || n_opt != r->n_opt) {
        w->refused = 1;
        return ip_fail(IP_ERR, "%s: state of %zu parameters and %zu optimizer values, but the run holds %zu and %zu",
                       r->path, n_params, n_opt, r->n_params, r->n_opt);
    }
    run_job *j = writer_job(w);
    if ((rc = writer_check(r)) != IP_OK) return rc;
    if ((n_params && !j->params && !(j->params = ip_malloc(sizeof(float) * n_params))) ||
        (n_opt && !j->opt_m && !(j->opt_m = ip_malloc(sizeof(float) * n_opt))) ||
        (n_opt && !j->opt_v && !(j->opt_v = ip_malloc(sizeof(float) * n_opt))))
        return IP_ERR_NOMEM;
    j->m = *m;
    if (n_params) memcpy(j->params, params, sizeof(float) * n_params);
    if (n_opt) {
        memcpy(j->opt_m, opt_m, sizeof(float) * n_opt);
        memcpy(j->opt_v, opt_v, sizeof(float) * n_opt);
    }
    j->opt_step = opt_step;
    memcpy(j->rng, rng_state, sizeof j->rng);
    j->has_epoch = 1;
    w->epoch_in = m->epoch;
    w->acts_in = -1;
    return writer_submit(r);
}

/* ---------------------------------------------------------------- the public functions */

/* Each takes the HDF5 mutex around its work. Those that read a writer's state wait for its
 * thread first (never while holding the mutex, which the thread needs). */

static void sync_writer(ip_run *r)
{
    if (r && r->w) writer_wait(r->w);
}

int ip_run_create(ip_run **run, const char *path, const ip_config *cfg, int n_layers,
                  const char (*layer_names)[IP_LAYER_NAME_LEN], const int *layer_units, int n_samples, int d_x,
                  const float *x, const int *y, int n_classes, const char *data_description, int threads)
{
    pthread_mutex_lock(&g_h5);
    int rc = run_create_locked(run, path, cfg, n_layers, layer_names, layer_units, n_samples, d_x, x, y, n_classes,
                               data_description, threads);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_set_analysis_rows(ip_run *r, int train_rows, int test_rows)
{
    pthread_mutex_lock(&g_h5);
    int rc = run_set_analysis_rows_locked(r, train_rows, test_rows);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_append_activations(ip_run *r, int epoch, const float *const *acts)
{
    if (r && r->w) return async_activations(r, epoch, acts);
    pthread_mutex_lock(&g_h5);
    int rc = run_append_activations_locked(r, epoch, acts);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_append_epoch(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params,
                        const float *opt_m, const float *opt_v, size_t n_opt, int64_t opt_step,
                        const uint64_t rng_state[4])
{
    if (r && r->w) return async_epoch(r, m, params, n_params, opt_m, opt_v, n_opt, opt_step, rng_state);
    pthread_mutex_lock(&g_h5);
    int rc = run_append_epoch_locked(r, m, params, n_params, opt_m, opt_v, n_opt, opt_step, rng_state);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_sync(ip_run *r)
{
    if (!r || !r->w) return IP_OK;
    writer_wait(r->w);
    return writer_check(r);
}

int ip_run_open_resume(ip_run **run, const char *path, float *params, size_t n_params, float *opt_m, float *opt_v,
                       size_t n_opt, int64_t *opt_step, uint64_t rng_state[4], int *last_epoch)
{
    pthread_mutex_lock(&g_h5);
    int rc = run_open_resume_locked(run, path, params, n_params, opt_m, opt_v, n_opt, opt_step, rng_state, last_epoch);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_open_read(ip_run **run, const char *path, int writable)
{
    pthread_mutex_lock(&g_h5);
    int rc = run_open_read_locked(run, path, writable);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_describe(ip_run *r, ip_run_description *d)
{
    sync_writer(r);
    pthread_mutex_lock(&g_h5);
    int rc = run_describe_locked(r, d);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_read_inputs(ip_run *r, double *x, int *y)
{
    sync_writer(r);
    pthread_mutex_lock(&g_h5);
    int rc = run_read_inputs_locked(r, x, y);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_read_layer(ip_run *r, int layer, int k, double *out)
{
    sync_writer(r);
    pthread_mutex_lock(&g_h5);
    int rc = run_read_layer_locked(r, layer, k, out);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_write_table(ip_run *r, const char *name, int n_rows, int n_cols, const char *const *columns,
                       const double *data, int n_attrs, const char *const *keys, const char *const *values)
{
    sync_writer(r);
    pthread_mutex_lock(&g_h5);
    int rc = run_write_table_locked(r, name, n_rows, n_cols, columns, data, n_attrs, keys, values);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_read_table(ip_run *r, const char *name, int *rows, int *cols, double **data, char ***columns)
{
    sync_writer(r);
    pthread_mutex_lock(&g_h5);
    int rc = run_read_table_locked(r, name, rows, cols, data, columns);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_read_table_attr(ip_run *r, const char *name, const char *key, char **value)
{
    sync_writer(r);
    pthread_mutex_lock(&g_h5);
    int rc = run_read_table_attr_locked(r, name, key, value);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_h5_read_matrix(const char *file, const char *dataset, double **data, int *rows, int *cols)
{
    pthread_mutex_lock(&g_h5);
    int rc = h5_read_matrix_locked(file, dataset, data, rows, cols);
    pthread_mutex_unlock(&g_h5);
    return rc;
}

int ip_run_close(ip_run *r)
{
    if (!r) return IP_OK;
    int wrc = IP_OK;
    char wmsg[sizeof r->w->err_msg];
    struct run_writer *w = r->w;
    if (w) {
        /* Activations handed over without their epoch are written too (as the synchronous path
         * would have), uncommitted: readers ignore them and a resume drops them. */
        if (w->job[w->fill].state == JOB_FILLING && w->job[w->fill].has_acts) writer_submit(r);
        writer_wait(w);
        writer_stop(w);
        if (w->err_rc != IP_OK && !w->err_reported) {
            wrc = w->err_rc;
            memcpy(wmsg, w->err_msg, sizeof wmsg);
        }
    }
    pthread_mutex_lock(&g_h5);
    int rc = run_close_locked(r);
    pthread_mutex_unlock(&g_h5);
    return wrc != IP_OK ? ip_fail(wrc, "%s", wmsg) : rc;
}
