/* What a run holds, for readers (`info`, analyze, plot): ip_run_describe gathers the layers,
 * recorded epochs, metrics, provenance attributes and the names of the result tables into one
 * ip_run_description. */
#include "run_internal.h"

#include "../core/mem.h"
#include "../core/status.h"

#include <stdio.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    d->store_none = r->store_none;
    snprintf(d->store, sizeof d->store, "%s", r->store[0] ? r->store : "activations");
    d->imported = r->imported;
    d->writable_file = r->imported && r->writable;
    if (r->imported) {
        h5_attr_copy_str(r->file, "description", d->provenance, sizeof d->provenance);
        if (!d->provenance[0]) h5_attr_copy_str(r->file, "source", d->provenance, sizeof d->provenance);
    }
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
        CHECK(h5_read_rows(r->epochs_ds, H5T_NATIVE_INT, 1, dims, 0, (hsize_t)d->n_recorded, d->recorded_epochs),
              "%s: reading /epochs", r->path);
    }
    if (d->n_metrics) {
        dims[1] = N_METRIC_COLS;
        CHECK(h5_read_rows(r->metrics_ds, H5T_NATIVE_DOUBLE, 2, dims, 0, (hsize_t)d->n_metrics, rows),
              "%s: reading /metrics", r->path);
        for (int i = 0; i < d->n_metrics; i++) {
            const double *row = rows + (size_t)i * N_METRIC_COLS;
            /* An epoch number from the file becomes an int only when it is one (found by fuzzing:
             * a damaged /metrics row held -3e231, and the conversion was undefined). */
            if (!(row[0] >= 0 && row[0] <= INT_MAX && row[0] == floor(row[0]))) {
                rc = ip_fail(IP_ERR_FORMAT, "%s: /metrics row %d: epoch %g is not an epoch number (a damaged file?)",
                             r->path, i, row[0]);
                goto out;
            }
            d->metrics[i] = (ip_epoch_metrics){(int)row[0], row[1], row[2], row[3], row[4], row[5]};
        }
    }
    d->config_text = h5_attr_read_str(r->file, "config_yaml");
    d->overrides = h5_attr_read_str(r->file, "overrides");
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
    d->threads = h5_attr_read_i64(r->file, "threads", &v) == 0 ? (int)v : 0;
    {
        char iv[64], hv[64], ob[256];
        h5_attr_copy_str(r->file, "infoplane_version", iv, sizeof iv);
        h5_attr_copy_str(r->file, "hdf5_version", hv, sizeof hv);
        h5_attr_copy_str(r->file, "openblas_config", ob, sizeof ob);
        snprintf(d->versions, sizeof d->versions, "infoplane %s, HDF5 %s, %s%s", iv, hv,
                 strncmp(ob, "OpenBLAS", 8) ? "OpenBLAS " : "", ob);
    }
    h5_attr_copy_str(r->file, "data_description", d->data_description, sizeof d->data_description);
    h5_attr_copy_str(r->file, "created", d->created, sizeof d->created);
    h5_attr_copy_str(r->file, "config_source", d->config_source, sizeof d->config_source);
    h5_attr_copy_str(r->file, "config_summary", d->config_summary, sizeof d->config_summary);
    d->train_rows = h5_attr_read_i64(r->inputs_ds, "train_rows", &v) == 0 ? (int)v : r->n_samples;
    d->test_rows = h5_attr_read_i64(r->inputs_ds, "test_rows", &v) == 0 ? (int)v : 0;
    /* The tables as this session sees them: its own new ones, when it wrote any. */
    hid_t base;
    char where[32];
    run_tables_base(r, "", &base, where, sizeof where);
    if ((base != r->file || H5Lexists(r->file, where, H5P_DEFAULT) > 0) && (g = H5Gopen2(base, where, H5P_DEFAULT)) >= 0)
        table_names_walk(r, g, "", d);
out:
    h5_close(&g);
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

int ip_run_describe(ip_run *r, ip_run_description *d)
{
    run_writer_sync(r);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_describe_locked(r, d);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}
