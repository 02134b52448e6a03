/* Layer rows: appending a recorded epoch's activations (one chunk per layer and row), the
 * direct-I/O chunk write and the one place that decides when it is safe, and reading rows and the
 * analysis set back. */
#include "run_internal.h"

#include "../core/status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- how rows are written */

#define STR_(x) #x
#define STR(x) STR_(x)

/* A layer row can reach the file three ways, fastest first:
 * - direct: the writer thread writes the chunk's whole pages itself with O_DIRECT at the address
 *   HDF5 gave the chunk, and the tail with a plain pwrite. Copying 13 MB an epoch into the page
 *   cache, and dropping it again, cost the writer ~5 ms of CPU per recorded MNIST-MLP epoch on
 *   these VMs, taken from training.
 * - raw: H5Dwrite_chunk stores the buffer as the chunk, skipping HDF5's selection and conversion.
 * - H5Dwrite: everything else (compressed runs).
 * Direct writes are only right while several settings hold at once; they are all checked here,
 * once per opened run, and the first one that does not hold is kept in direct_why. What only a
 * single write can tell (the buffer's alignment, the chunk's address) write_layer_row checks. */
static const char *raw_precondition(ip_run *r, int l, hid_t dcpl, hid_t type)
{
    hsize_t chunk[3];
    /* The row's bytes are the chunk's bytes only when the file stores floats as this machine does. */
    if (H5Tequal(H5T_NATIVE_FLOAT, H5T_IEEE_F32LE) <= 0) return "this machine's float is not IEEE little-endian";
    if (H5Tequal(type, H5T_IEEE_F32LE) <= 0) return "a layer dataset is not float32 little-endian";
    /* One chunk is exactly one row: a chunk write replaces the whole row and nothing else. */
    if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, 3, chunk) != 3 || chunk[0] != 1 ||
        chunk[1] != (hsize_t)r->n_samples || chunk[2] != (hsize_t)r->units[l])
        return "a layer dataset's chunk is not one whole row";
    /* A filter's output (gzip) is not the row's bytes, and its size is known only once written. */
    if (H5Pget_nfilters(dcpl) != 0) return "the layer datasets are compressed";
    return NULL;
}

/* The file-wide settings the direct way needs (the per-dataset ones are in run_rows_decide). */
static const char *direct_precondition(ip_run *r)
{
    H5F_fspace_strategy_t strategy;
    hbool_t persist;
    hsize_t threshold, page = 0;
    size_t buffer = 1;
    unsigned min_meta, min_raw;
    const char *env = getenv("IP_RECORD_DIRECT");
    const char *why = NULL;
    hid_t fcpl = H5I_INVALID_HID, fapl = H5I_INVALID_HID;
    if (env && !strcmp(env, "0")) return "IP_RECORD_DIRECT=0";
    /* Paged aggregation with FILE_PAGE pages puts a chunk of a page or more on a page boundary,
     * which O_DIRECT needs, and keeps HDF5's metadata out of the chunk's pages. */
    if ((fcpl = H5Fget_create_plist(r->file)) < 0 ||
        H5Pget_file_space_strategy(fcpl, &strategy, &persist, &threshold) < 0 || strategy != H5F_FSPACE_STRATEGY_PAGE ||
        H5Pget_file_space_page_size(fcpl, &page) < 0 || page != FILE_PAGE)
        why = "the file is not laid out in " STR(FILE_PAGE) "-byte pages (paged aggregation)";
    /* The descriptor HDF5 hands out is the file's own (infoplane's driver, sec2's I/O), and HDF5
     * keeps no copy of raw pages that it could later write back over ours (no page buffer). */
    else if ((fapl = H5Fget_access_plist(r->file)) < 0 || H5Pget_driver(fapl) != run_vfd_id())
        why = "the file is not opened with infoplane's POSIX driver (run_vfd.c)";
    else if (H5Pget_page_buffer_size(fapl, &buffer, &min_meta, &min_raw) < 0 || buffer != 0)
        why = "HDF5's page buffer is on";
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    return why;
}

void run_rows_decide(ip_run *r)
{
    const char *raw_why = NULL, *direct_why = NULL;
    uint64_t layers = 0;
    for (int l = 0; l < r->n_layers && !raw_why; l++) {
        hid_t dcpl = H5Dget_create_plist(r->layer_ds[l]), type = H5Dget_type(r->layer_ds[l]);
        H5D_alloc_time_t when;
        raw_why = dcpl < 0 || type < 0 ? "cannot query a layer dataset" : raw_precondition(r, l, dcpl, type);
        /* The chunk's space is allocated as the dataset grows (H5D_ALLOC_TIME_EARLY), so its
         * address is known before its first write; runs made before that setting allocate on write. */
        if (!raw_why && !direct_why && (H5Pget_alloc_time(dcpl, &when) < 0 || when != H5D_ALLOC_TIME_EARLY))
            direct_why = "the layer datasets allocate a chunk only when it is written";
        /* O_DIRECT writes whole pages: a row under a page goes the raw way. */
        if (!raw_why && (size_t)r->n_samples * (size_t)r->units[l] * sizeof(float) >= FILE_PAGE)
            layers |= (uint64_t)1 << l;
        if (dcpl >= 0) H5Pclose(dcpl);
        if (type >= 0) H5Tclose(type);
    }
    if (!raw_why && !direct_why) direct_why = direct_precondition(r);
    if (!raw_why && !direct_why && !layers) direct_why = "no layer's row fills a " STR(FILE_PAGE) "-byte page";
    H5Eclear2(H5E_DEFAULT); /* a failed query is no write's error */
    r->raw_rows = raw_why == NULL;
    r->direct_layers = raw_why || direct_why ? 0 : layers;
    snprintf(r->direct_why, sizeof r->direct_why, "%s", raw_why ? raw_why : direct_why ? direct_why : "");
}

int run_rows_open_direct(ip_run *r, int fd)
{
    char proc[64];
    if (!r->direct_layers || fd < 0) return -1;
    /* A second descriptor of the same file: O_DIRECT is a property of the open file description,
     * and HDF5's own descriptor must keep going through the page cache for its metadata. */
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int direct = open(proc, O_WRONLY | O_DIRECT | O_CLOEXEC);
    if (direct < 0) /* tmpfs, say: then every write goes through the page cache */
        snprintf(r->direct_why, sizeof r->direct_why, "the file system refuses O_DIRECT (%s)", strerror(errno));
    return direct;
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
 * caller has extended the dataset to hold it), the way run_rows_decide allowed (see above): on
 * the writer thread (which opened direct_fd) for a layer whose rows may go direct, when the
 * buffer is page-aligned (the writer's own buffers are) and HDF5 placed the chunk, of the row's
 * size, at a page boundary, its whole pages go to the disk with O_DIRECT and the tail with a
 * plain write; otherwise H5Dwrite_chunk (raw rows) or H5Dwrite. The bytes in the file are the
 * same every way (test_record compares them).
 * Returns 0; -1 when an HDF5 call failed (the caller's CHECK reports HDF5's reason); -2 when a
 * pwrite failed, with errno set (the caller reports strerror). */
static int write_layer_row(ip_run *r, int l, const hsize_t dims[3], hsize_t at, const float *buf)
{
    hid_t ds = r->layer_ds[l];
    size_t bytes = (size_t)(dims[1] * dims[2]) * sizeof *buf;
    if (!r->raw_rows) return h5_write_rows(ds, H5T_NATIVE_FLOAT, 3, dims, at, 1, buf);
    hsize_t offset[3] = {at, 0, 0};
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    if (r->direct_fd >= 0 && r->raw_fd >= 0 && ((r->direct_layers >> l) & 1) && (uintptr_t)buf % FILE_PAGE == 0 &&
        H5Dget_chunk_info_by_coord(ds, offset, &mask, &addr, &size) >= 0 && addr != HADDR_UNDEF &&
        addr % FILE_PAGE == 0 && size == bytes) {
        size_t whole = bytes / FILE_PAGE * FILE_PAGE;
        if (pwrite_all(r->direct_fd, (const char *)buf, whole, (off_t)addr) != 0 ||
            (whole < bytes && pwrite_all(r->raw_fd, (const char *)buf + whole, bytes - whole, (off_t)(addr + whole)) != 0))
            return -2;
        r->direct_rows++;
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
    if (r->store_none)
        return ip_fail(IP_ERR, "%s: the run keeps no activations (record.store: none); epoch %d's are not written", p,
                       epoch);
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
    if (r && r->store_none)
        return ip_fail(IP_ERR, "%s: the run keeps no activations (record.store: none); epoch %d's are not written",
                       r->path, epoch);
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

long ip_run_direct_rows(ip_run *r, const char **why_not)
{
    if (!r) return 0;
    run_writer_sync(r); /* direct_rows and direct_why are the writer thread's until then */
    pthread_mutex_lock(&run_h5_mutex);
    long n = r->direct_rows;
    if (why_not) *why_not = r->direct_why;
    pthread_mutex_unlock(&run_h5_mutex);
    return n;
}
