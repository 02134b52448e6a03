/* Layer rows: appending a recorded epoch's activations (one chunk per layer and row, written
 * directly to the disk where it can be: write_layer_row), and reading rows and the analysis set
 * back. */
#include "run_internal.h"

#include "../core/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        return h5_write_rows(ds, H5T_NATIVE_FLOAT, 3, dims, at, 1, buf);
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

/* ---------------------------------------------------------------- appending */

/* Writes a recorded epoch's rows and its /epochs entry; committed only by the epoch's
 * run_append_epoch_locked (run_state.c). Runs on the caller's thread or the writer thread. */
int run_append_activations_locked(ip_run *r, int epoch, const float *const *acts)
{
    int rc = run_check_appendable(r, "ip_run_append_activations");
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
        CHECK(h5_set_rows(r->layer_ds[l], row + 1), "%s: extending /layers/%s", p, r->names[l]);
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
        CHECK(h5_set_rows(r->epochs_ds, row + 1), "%s: extending /epochs", p);
        CHECK(h5_write_rows(r->epochs_ds, H5T_NATIVE_INT32, 1, dims, row, 1, &e), "%s: writing /epochs", p);
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

/* ---------------------------------------------------------------- reading */

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
    CHECK(h5_read_rows(r->layer_ds[layer], H5T_NATIVE_DOUBLE, 3, dims, (hsize_t)k, 1, out), "%s: reading /layers/%s[%d]",
          r->path, r->names[layer], k);
out:
    return rc;
}

/* ---------------------------------------------------------------- the public functions */

int ip_run_append_activations(ip_run *r, int epoch, const float *const *acts)
{
    if (r && r->w) return run_writer_activations(r, epoch, acts);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_append_activations_locked(r, epoch, acts);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_run_read_inputs(ip_run *r, double *x, int *y)
{
    run_writer_sync(r);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_read_inputs_locked(r, x, y);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_run_read_layer(ip_run *r, int layer, int k, double *out)
{
    run_writer_sync(r);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_read_layer_locked(r, layer, k, out);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}
