/* Result tables under /analysis (written by `analyze`, read by plot and report): 2-D float64
 * datasets with column names and string attributes. Also ip_h5_read_matrix, which reads a
 * matrix from any HDF5 file (`entropy FILE.h5:/dataset`). */
#include "run_internal.h"

#include "../core/mem.h"
#include "../core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (columns) CHECK(h5_attr_strs(ds, "columns", n_cols, columns), "%s: %s: columns", r->path, full);
    for (int i = 0; i < n_attrs; i++)
        CHECK(h5_attr_str(ds, keys[i], values[i] ? values[i] : ""), "%s: %s: attribute %s", r->path, full, keys[i]);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", r->path);
out:
    h5_close(&ds);
    h5_close(&sp);
    h5_close(&lcpl);
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
    return run_open_ds(r, full, ds);
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
    if (h5_ds_dims(ds, dims) != 2) {
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
        *columns = h5_attr_read_strs(ds, "columns", &n_names);
        if (*columns && n_names != *cols) {
            ip_run_strings_free(*columns, n_names);
            *columns = NULL;
        }
        if (!*columns) rc = ip_fail(IP_ERR_FORMAT, "%s: /analysis/%s has no column names", r->path, name);
    }
out:
    h5_close(&ds);
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
    *value = h5_attr_read_str(ds, key);
    if (!*value) rc = ip_fail(IP_ERR_FORMAT, "%s: /analysis/%s has no attribute %s", r->path, name, key);
    h5_close(&ds);
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
    if ((rc = run_open_file(r, file, OPEN_READ)) != IP_OK) goto out;
    char name[1100];
    snprintf(name, sizeof name, "%s%s", dataset[0] == '/' ? "" : "/", dataset);
    if ((rc = run_open_ds(r, name, &ds)) != IP_OK) goto out;
    CHECK(t = H5Dget_type(ds), "%s: %s", file, name);
    H5T_class_t cls = H5Tget_class(t);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: %s is not numeric", file, name);
        goto out;
    }
    int rank = h5_ds_dims(ds, dims);
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
    h5_close(&t);
    h5_close(&ds);
    run_free(r);
    if (rc != IP_OK) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------- the public functions */

int ip_run_write_table(ip_run *r, const char *name, int n_rows, int n_cols, const char *const *columns,
                       const double *data, int n_attrs, const char *const *keys, const char *const *values)
{
    run_writer_sync(r);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_write_table_locked(r, name, n_rows, n_cols, columns, data, n_attrs, keys, values);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_run_read_table(ip_run *r, const char *name, int *rows, int *cols, double **data, char ***columns)
{
    run_writer_sync(r);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_read_table_locked(r, name, rows, cols, data, columns);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_run_read_table_attr(ip_run *r, const char *name, const char *key, char **value)
{
    run_writer_sync(r);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_read_table_attr_locked(r, name, key, value);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_h5_read_matrix(const char *file, const char *dataset, double **data, int *rows, int *cols)
{
    pthread_mutex_lock(&run_h5_mutex);
    int rc = h5_read_matrix_locked(file, dataset, data, rows, cols);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}
