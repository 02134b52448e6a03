/* The epoch commit and the resume state: every epoch's metrics row and state (parameters,
 * optimizer moments, step, RNG) go into the /state slot /checkpoint does not name, then
 * /checkpoint says the epoch is complete; resuming reads the named slot back and drops whatever a
 * crash left after it. */
#include "run_internal.h"

#include "../core/status.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- the state slots */

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
    CHECK(r->st_params = run_create_fixed(g, "params", H5T_IEEE_F32LE, 2, dp), "%s: creating /state/params", p);
    CHECK(r->st_m = run_create_fixed(g, "opt_m", H5T_IEEE_F32LE, 2, dopt), "%s: creating /state/opt_m", p);
    CHECK(r->st_v = run_create_fixed(g, "opt_v", H5T_IEEE_F32LE, 2, dopt), "%s: creating /state/opt_v", p);
    CHECK(r->st_step = run_create_fixed(g, "opt_step", H5T_STD_I64LE, 1, d1), "%s: creating /state/opt_step", p);
    CHECK(r->st_rng = run_create_fixed(g, "rng", H5T_STD_U64LE, 2, drng), "%s: creating /state/rng", p);
    CHECK(r->st_epoch = run_create_fixed(g, "epoch", H5T_STD_I32LE, 1, d1), "%s: creating /state/epoch", p);
    r->n_params = n_params;
    r->n_opt = n_opt;
out:
    h5_close(&g);
    return rc;
}

static int write_slot(ip_run *r, int slot, int epoch, const float *params, const float *opt_m, const float *opt_v,
                      int64_t opt_step, const uint64_t rng[4])
{
    int rc = IP_OK;
    const char *p = r->published ? r->path : r->tmp_path;
    hsize_t dp[3] = {2, r->n_params, 0}, dopt[3] = {2, r->n_opt, 0}, d1[3] = {2, 0, 0}, drng[3] = {2, 4, 0};
    int32_t e = epoch;
    if (r->n_params) CHECK(h5_write_rows(r->st_params, H5T_NATIVE_FLOAT, 2, dp, slot, 1, params), "%s: writing /state/params", p);
    if (r->n_opt) {
        CHECK(h5_write_rows(r->st_m, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_m), "%s: writing /state/opt_m", p);
        CHECK(h5_write_rows(r->st_v, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_v), "%s: writing /state/opt_v", p);
    }
    CHECK(h5_write_rows(r->st_step, H5T_NATIVE_INT64, 1, d1, slot, 1, &opt_step), "%s: writing /state/opt_step", p);
    CHECK(h5_write_rows(r->st_rng, H5T_NATIVE_UINT64, 2, drng, slot, 1, rng), "%s: writing /state/rng", p);
    CHECK(h5_write_rows(r->st_epoch, H5T_NATIVE_INT32, 1, d1, slot, 1, &e), "%s: writing /state/epoch", p);
out:
    return rc;
}

/* ---------------------------------------------------------------- committing an epoch */

/* Appends the metrics row, writes the state slot and then /checkpoint; publishes a new run
 * after its epoch 0. Runs on the caller's thread or the writer thread. */
int run_append_epoch_locked(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params,
                            const float *opt_m, const float *opt_v, size_t n_opt, int64_t opt_step,
                            const uint64_t rng_state[4])
{
    int rc = run_check_appendable(r, "ip_run_append_epoch");
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
        CHECK(h5_set_rows(r->metrics_ds, n + 1), "%s: extending /metrics", p);
        CHECK(h5_write_rows(r->metrics_ds, H5T_NATIVE_DOUBLE, 2, dims, n, 1, row), "%s: writing /metrics", p);
    }
    /* Everything of this epoch reaches the file before the record that says it is complete. */
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", p);
    checkpoint_rec nk = {m->epoch, r->n_rows, r->ck.n_metrics + 1, slot};
    CHECK(ct = run_checkpoint_type(), "%s: /checkpoint", p);
    CHECK(H5Dwrite(r->ckpt_ds, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, &nk), "%s: writing /checkpoint", p);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", p);
    r->ck = nk;
    r->pending_epoch = -1;
    if (!r->published) rc = run_publish(r);
out:
    h5_close(&ct);
    if (rc != IP_OK) r->failed = 1;
    return rc;
}

/* ---------------------------------------------------------------- resuming */

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
    if ((rc = run_take_lock(r, path)) != IP_OK) goto out;
    if ((rc = run_open_file(r, path, OPEN_SWMR_WRITE)) != IP_OK) goto out;
    if ((rc = run_load(r)) != IP_OK) goto out;
    if (r->ck.epoch < 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: holds no completed epoch; nothing to resume", path);
        goto out;
    }
    if ((rc = run_open_ds(r, "/state/params", &r->st_params)) != IP_OK || (rc = run_open_ds(r, "/state/opt_m", &r->st_m)) != IP_OK ||
        (rc = run_open_ds(r, "/state/opt_v", &r->st_v)) != IP_OK || (rc = run_open_ds(r, "/state/opt_step", &r->st_step)) != IP_OK ||
        (rc = run_open_ds(r, "/state/rng", &r->st_rng)) != IP_OK || (rc = run_open_ds(r, "/state/epoch", &r->st_epoch)) != IP_OK)
        goto out;
    if (h5_ds_dims(r->st_params, dims) != 2) goto bad_state;
    r->n_params = (size_t)dims[1];
    if (h5_ds_dims(r->st_m, dims) != 2) goto bad_state;
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
        if (n_params) CHECK(h5_read_rows(r->st_params, H5T_NATIVE_FLOAT, 2, dp, slot, 1, params), "%s: reading /state/params", path);
        if (n_opt) {
            CHECK(h5_read_rows(r->st_m, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_m), "%s: reading /state/opt_m", path);
            CHECK(h5_read_rows(r->st_v, H5T_NATIVE_FLOAT, 2, dopt, slot, 1, opt_v), "%s: reading /state/opt_v", path);
        }
        CHECK(h5_read_rows(r->st_step, H5T_NATIVE_INT64, 1, d1, slot, 1, opt_step), "%s: reading /state/opt_step", path);
        CHECK(h5_read_rows(r->st_rng, H5T_NATIVE_UINT64, 2, drng, slot, 1, rng_state), "%s: reading /state/rng", path);
        CHECK(h5_read_rows(r->st_epoch, H5T_NATIVE_INT32, 1, d1, slot, 1, &e), "%s: reading /state/epoch", path);
        if (e != r->ck.epoch) goto bad_state;
    }
    /* Drop whatever a crash left after the last complete epoch, then continue in SWMR mode. */
    for (int l = 0; l < r->n_layers; l++)
        CHECK(h5_set_rows(r->layer_ds[l], (hsize_t)r->ck.n_recorded), "%s: trimming /layers/%s", path, r->names[l]);
    CHECK(h5_set_rows(r->epochs_ds, (hsize_t)r->ck.n_recorded), "%s: trimming /epochs", path);
    CHECK(h5_set_rows(r->metrics_ds, (hsize_t)r->ck.n_metrics), "%s: trimming /metrics", path);
    CHECK(H5Fflush(r->file, H5F_SCOPE_LOCAL), "%s: flushing", path);
    r->swmr = 1;
    run_rows_decide(r); /* a resumed run writes rows as its settings allow, like a new one */
    if ((rc = run_writer_enable(r)) != IP_OK) goto out;
    *last_epoch = r->ck.epoch;
    *run = r;
    return IP_OK;
bad_state:
    rc = ip_fail(IP_ERR_FORMAT, "%s: corrupt: /state does not match /checkpoint", path);
out:
    run_free(r);
    return rc;
}

/* ---------------------------------------------------------------- the public functions */

int ip_run_append_epoch(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params,
                        const float *opt_m, const float *opt_v, size_t n_opt, int64_t opt_step,
                        const uint64_t rng_state[4])
{
    if (r && r->w) return run_writer_epoch(r, m, params, n_params, opt_m, opt_v, n_opt, opt_step, rng_state);
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_append_epoch_locked(r, m, params, n_params, opt_m, opt_v, n_opt, opt_step, rng_state);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

int ip_run_open_resume(ip_run **run, const char *path, float *params, size_t n_params, float *opt_m, float *opt_v,
                       size_t n_opt, int64_t *opt_step, uint64_t rng_state[4], int *last_epoch)
{
    pthread_mutex_lock(&run_h5_mutex);
    int rc = run_open_resume_locked(run, path, params, n_params, opt_m, opt_v, n_opt, opt_step, rng_state, last_epoch);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}
