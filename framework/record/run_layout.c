/* The run file's layout (docs/hdf5-layout.md): creating a new run with every attribute and
 * dataset under PATH.partial, publishing it under PATH once epoch 0 is committed, and checking an
 * existing file's datasets against each other when it is opened. */
#include "run_internal.h"

#include "../core/blas.h"
#include "../core/fsutil.h"
#include "../core/mem.h"
#include "../core/status.h"
#include "../core/version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- datasets */

hid_t run_checkpoint_type(void)
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
hid_t run_create_fixed(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims)
{
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = H5I_INVALID_HID;
    if (sp >= 0 && dcpl >= 0 && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0)
        ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return ds;
}

/* ---------------------------------------------------------------- create */

static int validate_create(const char *path, int n_layers, const char (*names)[IP_LAYER_NAME_LEN],
                           const int *units, int n_samples, int d_x, const float *x, const int *y)
{
    if (!path || !*path) return ip_fail(IP_ERR, "ip_run_create: empty path");
    if (strlen(path) >= IP_PATH_LEN) return ip_fail(IP_ERR, "%s: path too long", path);
    if (n_layers < 1 || n_layers > IP_RUN_MAX_LAYERS)
        return ip_fail(IP_ERR, "%s: %d recorded layers (expected 1..%d)", path, n_layers, IP_RUN_MAX_LAYERS);
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

static int run_create_locked(ip_run **run, const char *path, const ip_run_provenance *prov, int n_layers,
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
    if (ip_path_exists(path))
        return ip_fail(IP_ERR_IO, "%s already exists: it holds another run (resume it, or remove it first)", path);
    if (!(r = run_alloc(path))) return IP_ERR_NOMEM;
    snprintf(r->tmp_path, sizeof r->tmp_path, "%s%s", path, PARTIAL_SUFFIX);
    r->writer = r->writable = 1;
    r->n_layers = n_layers;
    r->n_samples = n_samples;
    r->d_x = d_x;
    r->n_classes = n_classes;
    r->compression = prov ? prov->compression : 0;
    r->store_none = prov ? prov->store_none != 0 : 0;
    snprintf(r->store, sizeof r->store, "%s",
             prov && prov->store && *prov->store ? prov->store : r->store_none ? "none" : "activations");
    if (r->compression < 0 || r->compression > 9) {
        rc = ip_fail(IP_ERR, "%s: record.compression %d (expected 0..9)", path, r->compression);
        goto out;
    }
    if (r->compression > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
        rc = ip_fail(IP_ERR, "%s: this HDF5 has no gzip filter; set record.compression: 0", path);
        goto out;
    }
    if ((rc = run_alloc_layers(r, n_layers)) != IP_OK) goto out;
    if (!(order = ip_calloc((size_t)n_layers, sizeof *order))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int l = 0; l < n_layers; l++) {
        memcpy(r->names[l], layer_names[l], IP_LAYER_NAME_LEN);
        r->units[l] = layer_units[l];
        order[l] = r->names[l];
    }

    /* Built under PATH.partial and renamed when epoch 0 is complete: a crash before then
     * leaves nothing under the run's name. */
    if ((fapl = run_make_fapl(FAPL_WRITER)) < 0) {
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
    CHECK(h5_attr_i64(r->file, "infoplane_format", FORMAT_VERSION), "%s: writing attributes", r->tmp_path);
    CHECK(h5_attr_str(r->file, "infoplane_version", IP_VERSION), "%s: writing attributes", r->tmp_path);
    snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
    CHECK(h5_attr_str(r->file, "hdf5_version", buf), "%s: writing attributes", r->tmp_path);
    CHECK(h5_attr_str(r->file, "openblas_config", ip_blas_config()), "%s: writing attributes", r->tmp_path);
    CHECK(h5_attr_i64(r->file, "threads", threads), "%s: writing attributes", r->tmp_path);
    CHECK(h5_attr_str(r->file, "created", created), "%s: writing attributes", r->tmp_path);
    CHECK(h5_attr_str(r->file, "data_description", data_description ? data_description : ""), "%s: writing attributes",
          r->tmp_path);
    CHECK(h5_attr_str(r->file, "config_yaml", prov && prov->config_text ? prov->config_text : ""),
          "%s: writing attributes", r->tmp_path);
    CHECK(h5_attr_str(r->file, "overrides", prov && prov->overrides ? prov->overrides : ""), "%s: writing attributes",
          r->tmp_path);
    CHECK(h5_attr_str(r->file, "config_source", prov && prov->source ? prov->source : ""), "%s: writing attributes",
          r->tmp_path);
    CHECK(h5_attr_u64(r->file, "seed", prov ? prov->seed : 0), "%s: writing attributes", r->tmp_path);
    /* Through buf, so a longer summary is cut where it always was (the description's size). */
    snprintf(buf, sizeof buf, "%s", prov && prov->summary ? prov->summary : "(no config)");
    CHECK(h5_attr_str(r->file, "config_summary", buf), "%s: writing attributes", r->tmp_path);
    CHECK(h5_attr_i64(r->file, "n_classes", n_classes), "%s: writing attributes", r->tmp_path);

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
        int test_rows = prov && prov->test_samples > 0 ? prov->test_samples : 0;
        if (prov && prov->train_samples > 0 && prov->train_samples < n_samples) test_rows = n_samples - prov->train_samples;
        if (test_rows > n_samples) test_rows = n_samples;
        CHECK(h5_attr_i64(r->inputs_ds, "train_rows", n_samples - test_rows), "%s: /inputs", r->tmp_path);
        CHECK(h5_attr_i64(r->inputs_ds, "test_rows", test_rows), "%s: /inputs", r->tmp_path);
        h5_close(&sp);
        h5_close(&dcpl);
        hsize_t n = (hsize_t)n_samples;
        CHECK(sp = H5Screate_simple(1, &n, NULL), "%s: /labels", r->tmp_path);
        CHECK(r->labels_ds = H5Dcreate2(r->file, "labels", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              "%s: creating /labels", r->tmp_path);
        CHECK(H5Dwrite(r->labels_ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, y), "%s: writing /labels",
              r->tmp_path);
        h5_close(&sp);
    }

    /* One extendable dataset per recorded layer, one chunk per recorded epoch. */
    CHECK(g = H5Gcreate2(r->file, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "%s: creating /layers",
          r->tmp_path);
    CHECK(h5_attr_strs(g, "order", n_layers, order), "%s: /layers", r->tmp_path);
    CHECK(h5_attr_i64(g, "compression", r->compression), "%s: /layers", r->tmp_path);
    CHECK(h5_attr_str(g, "store", r->store), "%s: /layers", r->tmp_path);
    for (int l = 0; l < n_layers; l++) {
        hsize_t chunk[3] = {1, (hsize_t)n_samples, (hsize_t)layer_units[l]};
        CHECK(r->layer_ds[l] = create_extendable(g, r->names[l], H5T_IEEE_F32LE, 3, chunk, r->compression, 1),
              "%s: creating /layers/%s", r->tmp_path, r->names[l]);
        CHECK(h5_attr_i64(r->layer_ds[l], "index", l), "%s: /layers/%s", r->tmp_path, r->names[l]);
    }
    h5_close(&g);
    {
        hsize_t chunk[3] = {1024, 0, 0};
        CHECK(r->epochs_ds = create_extendable(r->file, "epochs", H5T_STD_I32LE, 1, chunk, 0, 0), "%s: creating /epochs",
              r->tmp_path);
        hsize_t mchunk[3] = {256, N_METRIC_COLS, 0};
        CHECK(r->metrics_ds = create_extendable(r->file, "metrics", H5T_IEEE_F64LE, 2, mchunk, 0, 0),
              "%s: creating /metrics", r->tmp_path);
        const char *cols[N_METRIC_COLS] = {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"};
        CHECK(h5_attr_strs(r->metrics_ds, "columns", N_METRIC_COLS, cols), "%s: /metrics", r->tmp_path);
    }
    CHECK(ct = run_checkpoint_type(), "%s: /checkpoint", r->tmp_path);
    CHECK(r->ckpt_ds = run_create_fixed(r->file, "checkpoint", ct, 0, NULL), "%s: creating /checkpoint", r->tmp_path);
    CHECK(H5Dwrite(r->ckpt_ds, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, &r->ck), "%s: writing /checkpoint", r->tmp_path);
    CHECK(g = H5Gcreate2(r->file, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "%s: creating /state",
          r->tmp_path);
    h5_close(&g);
    /* Empty until `analyze`, which replaces it whole (run_tables.c): made now, so that replacing
     * it rewrites a link the root group already has instead of adding one. */
    CHECK(g = H5Gcreate2(r->file, "analysis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "%s: creating /analysis",
          r->tmp_path);
    h5_close(&g);
    run_rows_decide(r); /* the settings above fix how layer rows can be written */
out:
    h5_close(&ct);
    h5_close(&g);
    h5_close(&sp);
    h5_close(&dcpl);
    h5_close(&fapl);
    h5_close(&fcpl);
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
    CHECK(h5_attr_i64(r->inputs_ds, "train_rows", train_rows), "%s: /inputs", r->tmp_path);
    CHECK(h5_attr_i64(r->inputs_ds, "test_rows", test_rows), "%s: /inputs", r->tmp_path);
out:
    return rc;
}

/* ---------------------------------------------------------------- publishing */

/* Makes a new run visible under its name once epoch 0 is complete: SWMR mode from here on,
 * then a hard link (which, unlike rename, refuses to replace a run that appeared meanwhile). */
int run_publish(ip_run *r)
{
    int rc = IP_OK;
    CHECK(H5Fstart_swmr_write(r->file), "%s: starting SWMR write mode", r->tmp_path);
    r->swmr = 1;
    if ((rc = run_take_lock(r, r->tmp_path)) != IP_OK) return rc;
    if (link(r->tmp_path, r->path) != 0) {
        int e = errno;
        if (e == EEXIST)
            return ip_fail(IP_ERR_IO, "%s already exists: another run appeared there; this one is in %s", r->path,
                           r->tmp_path);
        if (e != EPERM && e != ENOTSUP && e != ENOSYS)
            return ip_fail(IP_ERR_IO, "%s: cannot create: %s", r->path, strerror(e));
        /* A file system without hard links: check, then rename (a small race we accept there). */
        if (ip_path_exists(r->path)) return ip_fail(IP_ERR_IO, "%s already exists", r->path);
        if (rename(r->tmp_path, r->path) != 0)
            return ip_fail(IP_ERR_IO, "%s: cannot rename %s: %s", r->path, r->tmp_path, strerror(errno));
    } else {
        unlink(r->tmp_path);
    }
    r->published = 1;
    rc = run_writer_enable(r);
out:
    return rc;
}

/* ---------------------------------------------------------------- opening */

/* A layer dataset must hold float32 (of either byte order): everything downstream reads rows as
 * float32 activations, and HDF5 would convert an int8 or float64 dataset without a word. */
static int check_float32(ip_run *r, hid_t ds, const char *name)
{
    hid_t t = H5Dget_type(ds);
    if (t < 0) return h5_fail(IP_ERR_FORMAT, "%s: %s: cannot read its type", r->path, name);
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    H5T_sign_t sign = cls == H5T_INTEGER ? H5Tget_sign(t) : H5T_SGN_ERROR;
    H5Tclose(t);
    if (cls == H5T_FLOAT && size == 4) return IP_OK;
    char what[64];
    if (cls == H5T_INTEGER) snprintf(what, sizeof what, "%sint%zu", sign == H5T_SGN_NONE ? "u" : "", 8 * size);
    else if (cls == H5T_FLOAT) snprintf(what, sizeof what, "float%zu", 8 * size);
    else snprintf(what, sizeof what, "a non-numeric type");
    return ip_fail(IP_ERR_FORMAT, "%s: %s is stored as %s; a layer must be float32", r->path, name, what);
}

/* The recorded epochs of the committed rows must be strictly ascending: a row is found by its
 * epoch (searchsorted, the figures' time axis), and a file edited out of order would silently
 * pair rows with the wrong epochs. */
static int check_epochs(ip_run *r)
{
    int rc = IP_OK, n = r->ck.n_recorded;
    if (n < 2) return IP_OK;
    int *e = ip_malloc(sizeof *e * (size_t)n);
    if (!e) return IP_ERR_NOMEM;
    hsize_t dims[3] = {(hsize_t)n, 0, 0};
    CHECK(h5_read_rows(r->epochs_ds, H5T_NATIVE_INT, 1, dims, 0, (hsize_t)n, e), "%s: reading /epochs", r->path);
    for (int k = 1; k < n; k++)
        if (e[k] <= e[k - 1]) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: /epochs is not strictly ascending (row %d holds epoch %d after epoch %d)",
                         r->path, k, e[k], e[k - 1]);
            break;
        }
out:
    free(e);
    return rc;
}

/* Opens every dataset a run has and checks that they fit together. */
int run_load(ip_run *r)
{
    int rc = IP_OK;
    hid_t g = H5I_INVALID_HID, ct = H5I_INVALID_HID;
    char **order = NULL;
    int n_order = 0;
    hsize_t dims[3];
    int64_t v;
    if (H5Aexists(r->file, "infoplane_format") <= 0) return run_load_imported(r);
    if (h5_attr_read_i64(r->file, "infoplane_format", &v) < 0)
        return ip_fail(IP_ERR_FORMAT, "%s: infoplane_format is not an integer", r->path);
    if (v > FORMAT_VERSION)
        return ip_fail(IP_ERR_FORMAT, "%s: run format %lld is newer than this infoplane (%d)", r->path, (long long)v,
                       FORMAT_VERSION);
    /* /checkpoint first, the datasets it counts after: a trainer rewrites it only once the rest of
     * the epoch is in the file, so datasets opened after reading it hold at least the rows it
     * counts. (In the other order a reader could pair a newer /checkpoint with an older /epochs
     * and call a run that is being trained corrupt.) */
    if ((rc = run_open_ds(r, "/checkpoint", &r->ckpt_ds)) != IP_OK) goto out;
    CHECK(ct = run_checkpoint_type(), "%s: /checkpoint", r->path);
    CHECK(H5Dread(r->ckpt_ds, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, &r->ck), "%s: reading /checkpoint", r->path);
    r->n_rows = r->ck.n_recorded;
    if ((rc = run_open_ds(r, "/inputs", &r->inputs_ds)) != IP_OK) goto out;
    if ((rc = run_open_ds(r, "/labels", &r->labels_ds)) != IP_OK) goto out;
    if ((rc = run_open_ds(r, "/epochs", &r->epochs_ds)) != IP_OK) goto out;
    if ((rc = run_open_ds(r, "/metrics", &r->metrics_ds)) != IP_OK) goto out;
    if (h5_ds_dims(r->inputs_ds, dims) != 2) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /inputs is not 2-D", r->path);
        goto out;
    }
    r->n_samples = (int)dims[0];
    r->d_x = (int)dims[1];
    r->n_classes = h5_attr_read_i64(r->file, "n_classes", &v) == 0 ? (int)v : 0;

    if (H5Lexists(r->file, "/layers", H5P_DEFAULT) <= 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: group /layers missing", r->path);
        goto out;
    }
    CHECK(g = H5Gopen2(r->file, "/layers", H5P_DEFAULT), "%s: opening /layers", r->path);
    order = h5_attr_read_strs(g, "order", &n_order);
    if (!order || n_order < 1 || n_order > IP_RUN_MAX_LAYERS) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /layers has no valid 'order' attribute", r->path);
        goto out;
    }
    r->n_layers = n_order;
    r->compression = h5_attr_read_i64(g, "compression", &v) == 0 ? (int)v : 0;
    if (H5Aexists(g, "store") > 0) { /* runs made before record.store have activations */
        char *store = h5_attr_read_str(g, "store");
        r->store_none = store && !strcmp(store, "none");
        snprintf(r->store, sizeof r->store, "%s", store && *store ? store : "activations");
        free(store);
    }
    if ((rc = run_alloc_layers(r, n_order)) != IP_OK) goto out;
    for (int l = 0; l < n_order; l++) {
        char name[IP_LAYER_NAME_LEN + 16];
        snprintf(r->names[l], IP_LAYER_NAME_LEN, "%s", order[l]);
        snprintf(name, sizeof name, "/layers/%s", r->names[l]);
        if ((rc = run_open_ds(r, name, &r->layer_ds[l])) != IP_OK) goto out;
        if (h5_ds_dims(r->layer_ds[l], dims) != 3 || dims[1] != (hsize_t)r->n_samples) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: %s is not [epochs x %d samples x units]", r->path, name, r->n_samples);
            goto out;
        }
        r->units[l] = (int)dims[2];
        if ((rc = check_float32(r, r->layer_ds[l], name)) != IP_OK) goto out;
        if (dims[0] < (hsize_t)r->ck.n_recorded) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: corrupt: /checkpoint counts %d recorded epochs but %s holds %llu", r->path,
                         r->ck.n_recorded, name, (unsigned long long)dims[0]);
            goto out;
        }
    }
    if (h5_ds_dims(r->epochs_ds, dims) != 1 || dims[0] < (hsize_t)r->ck.n_recorded ||
        h5_ds_dims(r->metrics_ds, dims) != 2 || dims[0] < (hsize_t)r->ck.n_metrics || dims[1] != N_METRIC_COLS ||
        r->ck.n_recorded < 0 || r->ck.n_metrics < 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: corrupt: /epochs or /metrics disagree with /checkpoint", r->path);
        goto out;
    }
    rc = check_epochs(r);
out:
    ip_run_strings_free(order, n_order);
    h5_close(&g);
    h5_close(&ct);
    return rc;
}

/* ---------------------------------------------------------------- the public functions */

int ip_run_create(ip_run **run, const char *path, const ip_run_provenance *prov, int n_layers,
                  const char (*layer_names)[IP_LAYER_NAME_LEN], const int *layer_units, int n_samples, int d_x,
                  const float *x, const int *y, int n_classes, const char *data_description, int threads)
{
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_create_locked(run, path, prov, n_layers, layer_names, layer_units, n_samples, d_x, x, y, n_classes,
                               data_description, threads);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_run_set_analysis_rows(ip_run *r, int train_rows, int test_rows)
{
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_set_analysis_rows_locked(r, train_rows, test_rows);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}
