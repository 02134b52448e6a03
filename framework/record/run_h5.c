/* Small HDF5 helpers the record/ files share: quiet HDF5, errors that carry HDF5's reason (the OS
 * error when there is one), closing any handle, string and integer attributes, and reading or
 * writing whole rows of a dataset. Nothing here knows the run file's layout. */
#include "run_internal.h"

#include "../core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- errors and handles */

void h5_quiet(void)
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
void h5_detail(char *buf, size_t n)
{
    err_walk w;
    memset(&w, 0, sizeof w);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, err_walk_cb, &w);
    snprintf(buf, n, "%s", w.os[0] ? w.os : w.inner[0] ? w.inner : "HDF5 error");
}

/* ip_fail with the HDF5 reason appended: "PATH: writing /layers/x: No space left on device". */
int h5_fail(int code, const char *fmt, ...)
{
    char msg[1024], detail[256];
    h5_detail(detail, sizeof detail);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ip_fail(code, "%s: %s", msg, detail);
}

void h5_close(hid_t *id)
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

int h5_attr_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = vlen_str_type(), s = H5Screate(H5S_SCALAR);
    int r = (t < 0 || s < 0) ? -1 : attr_write(loc, name, t, s, &value);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    return r;
}

int h5_attr_strs(hid_t loc, const char *name, int n, const char *const *values)
{
    hsize_t dim = (hsize_t)n;
    hid_t t = vlen_str_type(), s = H5Screate_simple(1, &dim, NULL);
    int r = (t < 0 || s < 0) ? -1 : attr_write(loc, name, t, s, values);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    return r;
}

int h5_attr_i64(hid_t loc, const char *name, int64_t v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int r = s < 0 ? -1 : attr_write(loc, name, H5T_NATIVE_INT64, s, &v);
    if (s >= 0) H5Sclose(s);
    return r;
}

int h5_attr_u64(hid_t loc, const char *name, uint64_t v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    int r = s < 0 ? -1 : attr_write(loc, name, H5T_NATIVE_UINT64, s, &v);
    if (s >= 0) H5Sclose(s);
    return r;
}

/* Reads string attribute element(s) of any string flavour (variable or fixed length). Returns
 * n malloc'd strings in a malloc'd array, or NULL (attribute missing or not text). */
char **h5_attr_read_strs(hid_t loc, const char *name, int *n_out)
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
    h5_close(&mt);
    h5_close(&sp);
    h5_close(&ft);
    h5_close(&a);
    return out;
}

char *h5_attr_read_str(hid_t loc, const char *name)
{
    int n;
    char **v = h5_attr_read_strs(loc, name, &n);
    if (!v) return NULL;
    char *s = n > 0 ? v[0] : NULL;
    for (int i = 1; i < n; i++) free(v[i]);
    free(v);
    return s;
}

void h5_attr_copy_str(hid_t loc, const char *name, char *dst, size_t n)
{
    char *s = h5_attr_read_str(loc, name);
    snprintf(dst, n, "%s", s ? s : "");
    free(s);
}

int h5_attr_read_i64(hid_t loc, const char *name, int64_t *v)
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

/* ---------------------------------------------------------------- rows */

/* Dimensions of a dataset (up to 3); returns the rank or -1. */
int h5_ds_dims(hid_t ds, hsize_t dims[3])
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

int h5_write_rows(hid_t ds, hid_t memtype, int rank, const hsize_t dims[3], hsize_t at, hsize_t count,
                  const void *buf)
{
    return rows_io(ds, memtype, rank, dims, at, count, (void *)buf, 1);
}

int h5_read_rows(hid_t ds, hid_t memtype, int rank, const hsize_t dims[3], hsize_t at, hsize_t count, void *buf)
{
    return rows_io(ds, memtype, rank, dims, at, count, buf, 0);
}

/* Grow (or shrink) the first dimension to n rows. */
int h5_set_rows(hid_t ds, hsize_t n)
{
    hsize_t dims[3];
    int rank = h5_ds_dims(ds, dims);
    if (rank < 1) return -1;
    dims[0] = n;
    return H5Dset_extent(ds, dims) < 0 ? -1 : 0;
}

