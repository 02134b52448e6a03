/* Files another program wrote (h5py, a PyTorch script, python/infoplane's Recorder): the import
 * contract of docs/hdf5-layout.md ("Importing a file infoplane did not write"). A file without the
 * infoplane_format attribute is read by it: the datasets are checked against each other here, with
 * an error naming the missing or wrong path, and the ip_run is then read exactly like a run of
 * our own (run_rows.c reads every row as double, whatever its stored float type). */
#include "run_internal.h"

#include "../core/mem.h"
#include "../core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The class of a dataset's type, its size in bytes, and its rank/dims; -1 when unreadable. */
static int ds_kind(hid_t ds, H5T_class_t *cls, size_t *size, hsize_t dims[3])
{
    hid_t t = H5Dget_type(ds);
    if (t < 0) return -1;
    *cls = H5Tget_class(t);
    *size = H5Tget_size(t);
    H5Tclose(t);
    return h5_ds_dims(ds, dims);
}

static const char *type_word(H5T_class_t cls, size_t size, char *buf, size_t n)
{
    if (cls == H5T_INTEGER) snprintf(buf, n, "int%zu", 8 * size);
    else if (cls == H5T_FLOAT) snprintf(buf, n, "float%zu", 8 * size);
    else if (cls == H5T_STRING) snprintf(buf, n, "string");
    else snprintf(buf, n, "a non-numeric type");
    return buf;
}

/* Opens `name`, requiring it to exist with the given rank and class (float: 4 or 8 bytes). */
static int open_checked(ip_run *r, const char *name, int rank, H5T_class_t want, const char *shape, hid_t *ds,
                        hsize_t dims[3])
{
    int rc;
    H5T_class_t cls;
    size_t size;
    char tw[32];
    htri_t e = H5Lexists(r->file, name, H5P_DEFAULT);
    if (e <= 0)
        return ip_fail(IP_ERR_FORMAT, "%s: %s missing: an imported file needs %s %s (docs/hdf5-layout.md, Importing)",
                       r->path, name, name, shape);
    if ((rc = run_open_ds(r, name, ds)) != IP_OK) return rc;
    int got = ds_kind(*ds, &cls, &size, dims);
    if (got != rank)
        return ip_fail(IP_ERR_FORMAT, "%s: %s has %d dimensions; it must be %s", r->path, name, got, shape);
    for (int i = 0; i < rank; i++) /* sizes become ints below (a damaged header can claim anything) */
        if (dims[i] > (hsize_t)1 << 30)
            return ip_fail(IP_ERR_FORMAT, "%s: %s claims %llu rows or columns; at most %d", r->path, name,
                           (unsigned long long)dims[i], 1 << 30);
    if (cls != want || (want == H5T_FLOAT && size != 4 && size != 8))
        return ip_fail(IP_ERR_FORMAT, "%s: %s is stored as %s; it must be %s", r->path, name,
                       type_word(cls, size, tw, sizeof tw), shape);
    return IP_OK;
}

static herr_t name_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    (void)info;
    void **ctx = data;
    char ***names = ctx[0];
    int *n = ctx[1];
    char **grown = realloc(*names, sizeof **names * (size_t)(*n + 1));
    if (!grown) return -1;
    *names = grown;
    if (!(grown[*n] = strdup(name))) return -1;
    (*n)++;
    return 0;
}

int run_load_imported(ip_run *r)
{
    int rc = IP_OK;
    hid_t g = H5I_INVALID_HID;
    char **order = NULL;
    int n_order = 0, *labels = NULL, *epochs = NULL;
    hsize_t dims[3];
    r->imported = 1;
    if ((rc = open_checked(r, "/inputs", 2, H5T_FLOAT, "[samples x features] float32 or float64", &r->inputs_ds,
                           dims)) != IP_OK)
        goto out;
    r->n_samples = (int)dims[0];
    r->d_x = (int)dims[1];
    if (r->n_samples < 1 || r->d_x < 1) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /inputs is empty (%d x %d)", r->path, r->n_samples, r->d_x);
        goto out;
    }
    if ((rc = open_checked(r, "/labels", 1, H5T_INTEGER, "[samples] integer", &r->labels_ds, dims)) != IP_OK) goto out;
    if (dims[0] != (hsize_t)r->n_samples) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /labels holds %llu labels; /inputs has %d rows", r->path,
                     (unsigned long long)dims[0], r->n_samples);
        goto out;
    }
    if (!(labels = ip_malloc(sizeof *labels * (size_t)r->n_samples))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    CHECK(H5Dread(r->labels_ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels), "%s: reading /labels", r->path);
    r->n_classes = 0;
    for (int i = 0; i < r->n_samples; i++) {
        if (labels[i] < 0 || labels[i] >= 1 << 20) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: /labels[%d] is %d; labels must be class indices 0, 1, ...", r->path, i,
                         labels[i]);
            goto out;
        }
        if (labels[i] + 1 > r->n_classes) r->n_classes = labels[i] + 1;
    }
    int64_t v;
    if (h5_attr_read_i64(r->file, "n_classes", &v) == 0 && v >= r->n_classes && v < 1 << 20) r->n_classes = (int)v;

    if ((rc = open_checked(r, "/epochs", 1, H5T_INTEGER, "[epochs] integer, ascending", &r->epochs_ds, dims)) != IP_OK)
        goto out;
    /* The number of complete epochs is len(/epochs): a writer appends a row to every layer first
     * and the epoch number last, so layers may hold one row more (a writer killed in between). */
    r->ck.n_recorded = (int)dims[0];
    if (!(epochs = ip_malloc(sizeof *epochs * ((size_t)r->ck.n_recorded + 1)))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    if (r->ck.n_recorded)
        CHECK(H5Dread(r->epochs_ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, epochs), "%s: reading /epochs",
              r->path);
    for (int k = 0; k < r->ck.n_recorded; k++)
        if (epochs[k] < 0 || (k && epochs[k] <= epochs[k - 1])) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: /epochs must be strictly ascending epoch numbers >= 0 (row %d holds %d%s)",
                         r->path, k, epochs[k], k && epochs[k] <= epochs[k - 1] ? " after a larger or equal one" : "");
            goto out;
        }
    r->ck.epoch = r->ck.n_recorded ? epochs[r->ck.n_recorded - 1] : -1;

    if (H5Lexists(r->file, "/metrics", H5P_DEFAULT) > 0) {
        if ((rc = open_checked(r, "/metrics", 2, H5T_FLOAT, "[rows x 6] float (epoch, train_loss, train_acc, "
                                                            "test_loss, test_acc, seconds)", &r->metrics_ds, dims)) != IP_OK)
            goto out;
        if (dims[1] != N_METRIC_COLS) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: /metrics has %llu columns; it must have %d (epoch, train_loss, train_acc, "
                                        "test_loss, test_acc, seconds; NaN where unknown)", r->path,
                         (unsigned long long)dims[1], N_METRIC_COLS);
            goto out;
        }
        r->ck.n_metrics = (int)dims[0];
    }

    if (H5Lexists(r->file, "/layers", H5P_DEFAULT) <= 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /layers missing: an imported file needs a group /layers with one dataset "
                                    "/layers/NAME [epochs x samples x units] per layer", r->path);
        goto out;
    }
    CHECK(g = H5Gopen2(r->file, "/layers", H5P_DEFAULT), "%s: /layers is not a group", r->path);
    /* Layer order: the group's `order` attribute (names, input to output) when present, else the
     * names sorted byte by byte. */
    order = h5_attr_read_strs(g, "order", &n_order);
    if (!order) {
        void *ctx[2] = {&order, &n_order};
        CHECK(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, name_cb, ctx), "%s: listing /layers", r->path);
    }
    if (n_order < 1 || n_order > IP_RUN_MAX_LAYERS) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: /layers holds %d layers; between 1 and %d needed", r->path, n_order,
                     IP_RUN_MAX_LAYERS);
        goto out;
    }
    r->n_layers = n_order;
    if ((rc = run_alloc_layers(r, n_order)) != IP_OK) goto out;
    for (int l = 0; l < n_order; l++) {
        char name[IP_LAYER_NAME_LEN + 16], shape[96];
        if (strlen(order[l]) >= IP_LAYER_NAME_LEN || !order[l][0] || strchr(order[l], '/') || strchr(order[l], ',')) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: layer name '%s': 1 to %d characters, no '/' or ','", r->path, order[l],
                         IP_LAYER_NAME_LEN - 1);
            goto out;
        }
        snprintf(r->names[l], IP_LAYER_NAME_LEN, "%s", order[l]);
        snprintf(name, sizeof name, "/layers/%s", r->names[l]);
        snprintf(shape, sizeof shape, "[epochs x %d samples x units] float32 or float64", r->n_samples);
        if ((rc = open_checked(r, name, 3, H5T_FLOAT, shape, &r->layer_ds[l], dims)) != IP_OK) goto out;
        if (dims[1] != (hsize_t)r->n_samples || dims[2] < 1) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: %s is %llu x %llu x %llu; it must be %s", r->path, name,
                         (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)dims[2], shape);
            goto out;
        }
        if (dims[0] < (hsize_t)r->ck.n_recorded) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: %s holds %llu epochs; /epochs lists %d", r->path, name,
                         (unsigned long long)dims[0], r->ck.n_recorded);
            goto out;
        }
        r->units[l] = (int)dims[2];
    }
    r->n_rows = r->ck.n_recorded;
out:
    ip_run_strings_free(order, n_order);
    h5_close(&g);
    free(labels);
    free(epochs);
    return rc;
}

int ip_run_is_imported(const char *path)
{
    pthread_mutex_lock(&run_h5_mutex);
    h5_quiet();
    int res = -1;
    hid_t fapl = run_make_fapl(0), f = H5I_INVALID_HID;
    if (fapl >= 0 && H5Fis_hdf5(path) > 0) f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f < 0 && fapl >= 0) f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    if (f >= 0) res = H5Aexists(f, "infoplane_format") > 0 ? 0 : 1;
    h5_close(&f);
    h5_close(&fapl);
    pthread_mutex_unlock(&run_h5_mutex);
    return res;
}
