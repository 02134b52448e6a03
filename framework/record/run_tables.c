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

/* ---------------------------------------------------------------- replacing /analysis whole */

/* A kill during `analyze` must leave the previous tables or the new ones -- never a mixture,
 * never a file HDF5 refuses -- while a non-SWMR writer's flush writes its dirty metadata in no
 * particular order. So tables never change /analysis in place. The first table of a session
 * starts an unlinked group (H5Gcreate_anon) holding copies of the tables /analysis has; every
 * table of the session goes there. Committing flushes that: only new blocks, which nothing in
 * the file points to yet. Then the root group's link "analysis" is replaced by one to the new
 * group and the file is flushed again, which rewrites a single block, the root group's object
 * header: one chunk of a few hundred bytes with room to spare (runs are created with their
 * /analysis link, so replacing it never grows the header), inside one file page (paged
 * aggregation), written whole or not at all. The old tables' space is freed in memory only, and
 * nothing is allocated after that in the session. */

/* Copies the tables of /analysis into the new group by hand: each dataset's doubles and every
 * attribute, groups made on the way. (H5Ocopy would do it in one call, but HDF5 1.10.8 crashes
 * copying, within one file, a dataset whose attributes are stored densely -- more than 8 of
 * them, as `analyze` writes.) */
static herr_t copy_attr_cb(hid_t src, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    hid_t dst = *(hid_t *)data, a = H5Aopen(src, name, H5P_DEFAULT), ft = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    hid_t sp = H5I_INVALID_HID, b = H5I_INVALID_HID;
    void *buf = NULL;
    herr_t ret = -1;
    hssize_t n;
    if (a < 0 || (ft = H5Aget_type(a)) < 0 || (mt = H5Tget_native_type(ft, H5T_DIR_DEFAULT)) < 0 ||
        (sp = H5Aget_space(a)) < 0 || (n = H5Sget_simple_extent_npoints(sp)) < 0)
        goto out;
    if (!(buf = calloc((size_t)(n ? n : 1), H5Tget_size(mt))) || H5Aread(a, mt, buf) < 0) goto out;
    if ((b = H5Acreate2(dst, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0 && H5Awrite(b, mt, buf) >= 0) ret = 0;
    if (H5Tdetect_class(mt, H5T_VLEN) > 0 || H5Tis_variable_str(mt) > 0) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
out:
    free(buf);
    hid_t ids[] = {b, sp, mt, ft, a};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) h5_close(&ids[i]);
    return ret;
}

static herr_t copy_table_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    hid_t dst = *(hid_t *)data, src = H5I_INVALID_HID, ds = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    hid_t lcpl = H5I_INVALID_HID;
    H5O_info_t oi;
    hsize_t dims[3];
    double *rows = NULL;
    herr_t ret = -1;
    if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    if (oi.type != H5O_TYPE_DATASET) return 0; /* groups: made with the tables under them */
    if ((src = H5Dopen2(g, name, H5P_DEFAULT)) < 0 || h5_ds_dims(src, dims) != 2 ||
        !(rows = malloc(sizeof *rows * (dims[0] * dims[1] + 1))) ||
        (dims[0] && H5Dread(src, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0) ||
        (lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0 ||
        (sp = H5Screate_simple(2, dims, NULL)) < 0 ||
        (ds = H5Dcreate2(dst, name, H5T_IEEE_F64LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        (dims[0] && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0) ||
        H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_attr_cb, &ds) < 0)
        goto out;
    ret = 0;
out:
    free(rows);
    hid_t ids[] = {ds, sp, lcpl, src};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) h5_close(&ids[i]);
    return ret;
}

/* Starts the session's new /analysis (r->tables) as a copy of the present one. */
static int start_tables(ip_run *r)
{
    int rc = IP_OK;
    hid_t g = H5I_INVALID_HID;
    if (r->tables >= 0) return IP_OK;
    CHECK(r->tables = H5Gcreate_anon(r->file, H5P_DEFAULT, H5P_DEFAULT), "%s: a new /analysis", r->path);
    if (H5Lexists(r->file, "/analysis", H5P_DEFAULT) > 0) {
        CHECK(g = H5Gopen2(r->file, "/analysis", H5P_DEFAULT), "%s: opening /analysis", r->path);
        CHECK(H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, copy_table_cb, &r->tables), "%s: copying the tables of /analysis",
              r->path);
    }
out:
    h5_close(&g);
    if (rc != IP_OK) h5_close(&r->tables);
    return rc;
}

int run_commit_tables_locked(ip_run *r)
{
    int rc = IP_OK;
    if (r->tables < 0) return IP_OK;
    if (r->tables_failed) return ip_fail(IP_ERR, "%s: a table could not be written; /analysis is as it was", r->path);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: writing the new /analysis", r->path);
    if (H5Lexists(r->file, "analysis", H5P_DEFAULT) > 0)
        CHECK(H5Ldelete(r->file, "analysis", H5P_DEFAULT), "%s: replacing /analysis", r->path);
    CHECK(H5Olink(r->tables, r->file, "analysis", H5P_DEFAULT, H5P_DEFAULT), "%s: replacing /analysis", r->path);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: replacing /analysis", r->path);
    h5_close(&r->tables);
out:
    if (rc != IP_OK) r->tables_failed = 1;
    return rc;
}

void run_tables_base(ip_run *r, const char *name, hid_t *base, char *buf, size_t n)
{
    *base = r->tables >= 0 ? r->tables : r->file;
    if (r->tables >= 0) snprintf(buf, n, "%s", *name ? name : ".");
    else snprintf(buf, n, "/analysis%s%s", *name ? "/" : "", name);
}

/* ---------------------------------------------------------------- writing and reading tables */

/* Whether every level of `rel` exists under base (H5Lexists fails when a level is missing);
 * when one does not, its full name ("/analysis/...") goes to missing. */
static int table_levels_exist(hid_t base, const char *rel, int staged, char *missing, size_t n)
{
    char partial[IP_TABLE_NAME_LEN + 16];
    for (const char *s = strchr(rel + 1, '/');; s = strchr(s + 1, '/')) {
        snprintf(partial, sizeof partial, "%.*s", s ? (int)(s - rel) : (int)strlen(rel), rel);
        if (H5Lexists(base, partial, H5P_DEFAULT) <= 0) {
            snprintf(missing, n, "%s%s", staged ? "/analysis/" : "", partial);
            return 0;
        }
        if (!s) return 1;
    }
}

static int run_write_table_locked(ip_run *r, const char *name, int n_rows, int n_cols, const char *const *columns,
                                  const double *data, int n_attrs, const char *const *keys,
                                  const char *const *values)
{
    int rc = IP_OK;
    char full[IP_TABLE_NAME_LEN + 16], rel[IP_TABLE_NAME_LEN + 16], missing[IP_TABLE_NAME_LEN + 48];
    hid_t lcpl = H5I_INVALID_HID, sp = H5I_INVALID_HID, ds = H5I_INVALID_HID, base;
    if (!r) return ip_fail(IP_ERR, "ip_run_write_table: no run");
    if ((rc = table_path(r, name, full, sizeof full)) != IP_OK) return rc;
    if (!r->writable) return ip_fail(IP_ERR, "%s: opened read-only; cannot write %s", r->path, full);
    if (r->swmr)
        return ip_fail(IP_ERR, "%s: cannot add %s while the run is being trained (close it and reopen writable)",
                       r->path, full);
    if (n_rows < 0 || n_cols < 1 || (n_rows && !data))
        return ip_fail(IP_ERR, "%s: %s: bad table shape %d x %d", r->path, full, n_rows, n_cols);
    if ((rc = start_tables(r)) != IP_OK) goto out;
    run_tables_base(r, name, &base, rel, sizeof rel);
    /* Replacing: unlink the copy of the old one in the new group. */
    if (table_levels_exist(base, rel, 1, missing, sizeof missing))
        CHECK(H5Ldelete(base, rel, H5P_DEFAULT), "%s: replacing %s", r->path, full);
    CHECK(lcpl = H5Pcreate(H5P_LINK_CREATE), "%s: %s", r->path, full);
    CHECK(H5Pset_create_intermediate_group(lcpl, 1), "%s: %s", r->path, full);
    hsize_t dims[2] = {(hsize_t)n_rows, (hsize_t)n_cols};
    CHECK(sp = H5Screate_simple(2, dims, NULL), "%s: %s", r->path, full);
    CHECK(ds = H5Dcreate2(base, rel, H5T_IEEE_F64LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT), "%s: creating %s", r->path,
          full);
    if (n_rows) CHECK(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "%s: writing %s", r->path, full);
    if (columns) CHECK(h5_attr_strs(ds, "columns", n_cols, columns), "%s: %s: columns", r->path, full);
    for (int i = 0; i < n_attrs; i++)
        CHECK(h5_attr_str(ds, keys[i], values[i] ? values[i] : ""), "%s: %s: attribute %s", r->path, full, keys[i]);
out:
    h5_close(&ds);
    h5_close(&sp);
    h5_close(&lcpl);
    if (rc != IP_OK) r->tables_failed = 1; /* all of the session's tables, or none */
    return rc;
}

static int open_table(ip_run *r, const char *name, hid_t *ds)
{
    char full[IP_TABLE_NAME_LEN + 16], rel[IP_TABLE_NAME_LEN + 16], missing[IP_TABLE_NAME_LEN + 48];
    hid_t base;
    int rc = table_path(r, name, full, sizeof full);
    if (rc != IP_OK) return rc;
    run_tables_base(r, name, &base, rel, sizeof rel);
    /* Walk the path so a missing group reads as "missing", not as an HDF5 failure. */
    if (!table_levels_exist(base, rel, r->tables >= 0, missing, sizeof missing)) {
        if (strcmp(missing, full) == 0)
            return ip_fail(IP_ERR_FORMAT, "%s: dataset %s missing (not an infoplane run?)", r->path, full);
        return ip_fail(IP_ERR_FORMAT, "%s: %s missing (run the analysis first)", r->path, missing);
    }
    *ds = H5Dopen2(base, rel, H5P_DEFAULT);
    if (*ds < 0) return h5_fail(IP_ERR_FORMAT, "%s: cannot open dataset %s", r->path, full);
    return IP_OK;
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

int ip_run_commit_tables(ip_run *r)
{
    if (!r) return ip_fail(IP_ERR, "ip_run_commit_tables: no run");
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_commit_tables_locked(r);
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
