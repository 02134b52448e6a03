/* The HDF5 file under a run, opened and closed safely: the one mutex around HDF5, file access
 * properties, opening a file a killed writer left "open for writing", the lock that keeps two
 * writers apart, and allocating, opening for reading and closing an ip_run. */
#include "run_internal.h"

#include "../core/fsutil.h"
#include "../core/mem.h"
#include "../core/status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

pthread_mutex_t run_h5_mutex = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- the run's memory */

ip_run *run_alloc(const char *path)
{
    ip_run *r = ip_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->file = r->epochs_ds = r->metrics_ds = r->ckpt_ds = r->inputs_ds = r->labels_ds = H5I_INVALID_HID;
    r->st_params = r->st_m = r->st_v = r->st_step = r->st_rng = r->st_epoch = r->tables = H5I_INVALID_HID;
    r->lock_fd = r->raw_fd = r->direct_fd = -1;
    r->pending_epoch = -1;
    r->ck.epoch = -1;
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->direct_why, sizeof r->direct_why, "not opened for appending"); /* run_rows_decide says more */
    return r;
}

/* Closes every dataset of the run (not the file). */
static void close_objects(ip_run *r)
{
    for (int l = 0; r->layer_ds && l < r->n_layers; l++) h5_close(&r->layer_ds[l]);
    hid_t *ids[] = {&r->epochs_ds, &r->metrics_ds, &r->ckpt_ds, &r->inputs_ds, &r->labels_ds, &r->st_params,
                    &r->st_m, &r->st_v, &r->st_step, &r->st_rng, &r->st_epoch, &r->tables};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) h5_close(ids[i]);
}

void run_free(ip_run *r)
{
    if (!r) return;
    close_objects(r);
    h5_close(&r->file);
    if (r->lock_fd >= 0) close(r->lock_fd); /* only once the file is closed */
    run_writer_free(r->w);
    free(r->layer_ds);
    free(r->names);
    free(r->units);
    free(r);
}

int run_check_appendable(ip_run *r, const char *what)
{
    if (!r) return ip_fail(IP_ERR, "%s: no run", what);
    if (!r->writer) return ip_fail(IP_ERR, "%s: %s was opened for reading only", r->path, what);
    if (r->failed)
        return ip_fail(IP_ERR_IO, "%s: an earlier write failed; the file holds epochs up to %d (resume from there)",
                       r->path, r->ck.epoch);
    return IP_OK;
}

/* ---------------------------------------------------------------- locking */

/* Takes an open-file-description write lock on path, so two processes never append to (or
 * resume) the same run at once; HDF5's own lock is released by SWMR mode. Released on close
 * or when the process dies. */
int run_take_lock(ip_run *r, const char *path)
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

/* ---------------------------------------------------------------- opening */

/* File access: the 1.10 format, which SWMR needs (and which h5py/h5dump >= 1.10 read). */
/* A private property of HDF5's file-access lists (registered on every one, no public setter in
 * 1.10; h5clear sets these two), set to true; -1 when this HDF5 lacks it. */
static int set_private_flag(hid_t fapl, const char *name)
{
    hbool_t yes = 1;
    return H5Pexist(fapl, name) > 0 && H5Pset(fapl, name, &yes) >= 0 ? 0 : -1;
}

hid_t run_make_fapl(unsigned how)
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
    hid_t vfd = how & FAPL_WRITER ? run_vfd_id() : H5I_INVALID_HID;
    int bad = (how & FAPL_WRITER) && (vfd < 0 || H5Pset_driver(fapl, vfd, NULL) < 0);
    /* h5clear -s resets the mark this way. We only use it after our own lock showed that no
     * writer is alive. */
    if (!bad && (how & FAPL_CLEAR_MARK)) bad = set_private_flag(fapl, "clear_status_flags") < 0;
    /* HDF5 checks at open that the file is as long as its superblock says, unless the superblock
     * is marked as being written in SWMR mode -- which our writers no longer show. A reader takes
     * the file's size, then reads the superblock: a writer that grew the file in between made the
     * check fail ("truncated file") although nothing is wrong. SWMR readers may read past the end
     * anyway, so for them the check only gets in the way (h5clear --increment skips it too). */
    if (!bad && (how & FAPL_LIVE_READ)) bad = set_private_flag(fapl, "skip_eof_check") < 0;
    if (bad) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

/* A file left marked "open for writing" by a writer that is gone -- an infoplane before run_vfd.c
 * killed, or another program -- is refused by every plain open. Clears the mark as h5clear -s
 * would, and makes the file's real end the recorded end of allocation as h5clear --increment
 * would (a killed SWMR writer can leave objects past the recorded end, which HDF5 refuses to
 * read outside SWMR mode). 0, or -1 when the file cannot be written (HDF5's stack says why). */
static int clear_mark(const char *path)
{
    hid_t fapl = run_make_fapl(FAPL_WRITER | FAPL_CLEAR_MARK);
    hid_t f = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDWR, fapl) : H5I_INVALID_HID;
    int ok = f >= 0 && H5Fincrement_filesize(f, 0) >= 0;
    if (f >= 0 && H5Fclose(f) < 0) ok = 0;
    h5_close(&fapl);
    return ok ? 0 : -1;
}

/* Opens an existing run file, saying clearly what is wrong when it cannot be opened:
 * missing, not HDF5 / corrupt, or left "open for writing" by a killed writer (recovered). */
int run_open_file(ip_run *r, const char *path, int mode)
{
    int rc = IP_OK, writing = mode != OPEN_READ;
    hid_t fapl = H5I_INVALID_HID, live_fapl = H5I_INVALID_HID;
    char detail[256] = "";
    if (!ip_path_exists(path)) return ip_fail(IP_ERR_IO, "%s: no such file", path);
    if (access(path, R_OK) != 0) return ip_fail(IP_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        if (is < 0) h5_detail(detail, sizeof detail);
        return ip_fail(IP_ERR_FORMAT, "%s: not an HDF5 file or corrupt (%s)", path,
                       is < 0 ? detail : "no HDF5 signature found");
    }
    if ((fapl = run_make_fapl(writing ? FAPL_WRITER : 0)) < 0) return h5_fail(IP_ERR, "%s: file access list", path);
    /* A resuming writer opens straight into SWMR mode, so that even the trimming it does first
     * is written in SWMR's safe order, and a kill at any time leaves a file SWMR readers open. */
    unsigned flags = mode == OPEN_READ ? H5F_ACC_RDONLY
                     : mode == OPEN_SWMR_WRITE ? H5F_ACC_RDWR | H5F_ACC_SWMR_WRITE
                                                : H5F_ACC_RDWR;
    int live_writer = r->lock_fd < 0 && is_locked_by_other(path); /* (our own lock would show) */
    /* While an infoplane writes the run (train, resume, analyze), read it in SWMR mode: that
     * re-reads a metadata block caught in the middle of a rewrite instead of failing on it. */
    if (!writing && live_writer && (live_fapl = run_make_fapl(FAPL_LIVE_READ)) >= 0)
        r->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, live_fapl);
    if (r->file < 0) {
        r->file = H5Fopen(path, flags, fapl);
        if (r->file < 0) h5_detail(detail, sizeof detail);
    }
    if (r->file < 0 && strstr(detail, "already open") && !live_writer) {
        /* Repaired first, so that afterwards every tool opens it as it is. */
        if (clear_mark(path) == 0) r->file = H5Fopen(path, flags, fapl);
        else if (!writing) /* not ours to write (a read-only copy): SWMR read mode opens it all the same */
            r->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    }
    /* The file's real end becomes the recorded end of allocation before anything is written (as
     * h5clear --increment would), or HDF5 would refuse objects a killed writer left past it and,
     * on close, truncate the file to the old end. */
    if (r->file >= 0 && writing && H5Fincrement_filesize(r->file, 0) < 0) {
        rc = h5_fail(IP_ERR_IO, "%s: cannot repair the end-of-file mark", path);
        h5_close(&r->file);
        goto out;
    }
    if (r->file < 0 && live_writer && writing)
        rc = ip_fail(IP_ERR_IO, "%s: another process is writing this run right now", path);
    else if (r->file < 0 && strstr(detail, "already open"))
        rc = ip_fail(IP_ERR_IO, "%s: left open for writing by a process that stopped; cannot clear that mark (%s); "
                                "try h5clear -s %s", path, detail, path);
    else if (r->file < 0)
        rc = ip_fail(IP_ERR_FORMAT, "%s: not an HDF5 file or corrupt (%s)", path, detail);
out:
    h5_close(&fapl);
    h5_close(&live_fapl);
    return rc;
}

int run_alloc_layers(ip_run *r, int n)
{
    r->names = ip_calloc((size_t)n, sizeof *r->names);
    r->units = ip_calloc((size_t)n, sizeof *r->units);
    r->layer_ds = ip_malloc(sizeof(hid_t) * (size_t)n);
    if (!r->names || !r->units || !r->layer_ds) return IP_ERR_NOMEM;
    for (int l = 0; l < n; l++) r->layer_ds[l] = H5I_INVALID_HID;
    return IP_OK;
}

int run_open_ds(ip_run *r, const char *name, hid_t *ds)
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

static int run_open_read_locked(ip_run **run, const char *path, int writable)
{
    int rc;
    *run = NULL;
    h5_quiet();
    ip_run *r = run_alloc(path);
    if (!r) return IP_ERR_NOMEM;
    r->writable = writable != 0;
    /* A writable open excludes a live trainer; a read-only one coexists with it (SWMR read). */
    if (writable && (rc = run_take_lock(r, path)) != IP_OK) goto out;
    if ((rc = run_open_file(r, path, writable ? OPEN_WRITE : OPEN_READ)) != IP_OK) goto out;
    rc = run_load(r);
out:
    if (rc != IP_OK) {
        run_free(r);
        return rc;
    }
    *run = r;
    return IP_OK;
}

/* ---------------------------------------------------------------- closing */

static int run_close_locked(ip_run *r)
{
    int rc = IP_OK;
    if (!r) return IP_OK;
    int drop = r->writer && !r->published; /* epoch 0 never completed: nothing worth keeping */
    if (r->tables >= 0 && !r->tables_failed) rc = run_commit_tables_locked(r);
    close_objects(r); /* (uncommitted tables go with their unlinked group) */
    if (r->file >= 0 && H5Fclose(r->file) < 0 && rc == IP_OK)
        rc = h5_fail(IP_ERR_IO, "%s: closing", drop ? r->tmp_path : r->path);
    r->file = H5I_INVALID_HID;
    if (drop && r->tmp_path[0]) unlink(r->tmp_path);
    run_free(r);
    return rc;
}

/* ---------------------------------------------------------------- the public functions */

int ip_run_open_read(ip_run **run, const char *path, int writable)
{
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_open_read_locked(run, path, writable);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_run_close(ip_run *r)
{
    if (!r) return IP_OK;
    char wmsg[RUN_WRITER_MSG_LEN];
    int wrc = run_writer_close(r, wmsg, sizeof wmsg);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_close_locked(r);
    pthread_mutex_unlock(&run_h5_mutex);
    return wrc != IP_OK ? ip_fail(wrc, "%s", wmsg) : rc;
}
