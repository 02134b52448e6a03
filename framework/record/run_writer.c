/* The writer thread: appends to a published run are copied into a job and written by a thread
 * of the run while training goes on; it also drops written chunks from the page cache. The
 * HDF5 calls are the synchronous path's own (run_rows.c, run_state.c), in the same order. */
#include "run_internal.h"

#include "../core/mem.h"
#include "../core/status.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Appends to a published writer are written by a thread of the run, so that training goes on
 * while HDF5 writes. The caller's side checks the order, copies the activations and the state
 * into a job and returns; the thread makes exactly the HDF5 calls the synchronous path makes
 * (run_append_activations_locked, then run_append_epoch_locked), job after job, in order.
 * Two jobs at most: one being written, one being filled or waiting; the caller blocks only
 * when it wants to fill a job whose previous contents are still being written. An epoch still
 * counts only once its /checkpoint is written, so a kill loses at most the epochs in flight.
 * Epoch 0 of a new run (creation, publication) stays synchronous: the run appears under its
 * name before ip_run_append_epoch(0) returns, and errors of that phase come at once.
 * IP_RECORD_SYNC=1 in the environment writes every append on the calling thread (debugging,
 * measuring the write time). An ip_run is used by one thread at a time. */

enum { JOB_FREE, JOB_FILLING, JOB_QUEUED, JOB_WRITING };

typedef struct {
    int state;              /* JOB_*; under mu */
    unsigned long seq;      /* order of submission */
    int has_acts, acts_epoch, has_epoch;
    float *acts;            /* every recorded layer's n_samples x units, layer after layer */
    ip_epoch_metrics m;
    float *params, *opt_m, *opt_v; /* n_params, n_opt, n_opt */
    int64_t opt_step;
    uint64_t rng[4];
} run_job;

struct run_writer {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a job changed state, or stop */
    pthread_t thread;
    int started, stop;      /* stop: under mu */
    run_job job[2];
    int fill;               /* the job the caller fills next (caller only) */
    unsigned long seq;
    int err_rc, err_reported; /* the first failed job's status and message; under mu */
    char err_msg[RUN_WRITER_MSG_LEN];
    /* The caller's view of the order (what it has handed over, written or not). */
    int epoch_in, acts_in;  /* last epoch handed over; epoch of activations without metrics (-1) */
    int refused;            /* the caller side refused an append the way a failed write does */
    int fd;                 /* the file's descriptor (sec2 driver), for drop_written_pages; or -1 */
};

int run_writer_enable(ip_run *r)
{
    const char *sync = getenv("IP_RECORD_SYNC");
    if (r->w) return IP_OK;
    if (sync && *sync && strcmp(sync, "0")) {
        /* Only the writer thread opens the O_DIRECT descriptor. */
        if (r->direct_layers) snprintf(r->direct_why, sizeof r->direct_why, "IP_RECORD_SYNC: no writer thread");
        return IP_OK;
    }
    struct run_writer *w = ip_calloc(1, sizeof *w);
    if (!w) return IP_ERR_NOMEM;
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        free(w);
        return ip_fail(IP_ERR, "%s: cannot create the writer's mutex", r->path);
    }
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        free(w);
        return ip_fail(IP_ERR, "%s: cannot create the writer's condition variable", r->path);
    }
    w->epoch_in = r->ck.epoch;
    w->acts_in = r->pending_epoch;
    w->fd = -1;
    r->w = w;
    return IP_OK;
}

/* Frees the writer's memory; its thread must have been stopped (writer_stop). */
void run_writer_free(struct run_writer *w)
{
    if (!w) return;
    for (int i = 0; i < 2; i++) {
        free(w->job[i].acts);
        free(w->job[i].params);
        free(w->job[i].opt_m);
        free(w->job[i].opt_v);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* Once a recorded epoch's chunks are on disk, drops their pages from the page cache. A run grows
 * by a recorded epoch per epoch (13 MB for the MNIST MLP), and fresh page-cache pages are slow
 * to come by on a VM whose memory the host backs on first touch: writing 13 MB into new pages
 * took ~20 ms of system time here, into pages the kernel had just taken back ~3 ms. It also
 * keeps a long run from filling the page cache with data nobody reads before the analysis.
 * Only whole pages inside the chunks are dropped, never pages holding HDF5 metadata, which is
 * rewritten in place (a metadata write into a dropped page would first read it from disk).
 * The wait for the disk is the writer thread's, not the training's. */
typedef struct {
    int n;
    haddr_t addr[IP_RUN_MAX_LAYERS];
    hsize_t size[IP_RUN_MAX_LAYERS];
} written_chunks;

static void drop_written_pages(int fd, const written_chunks *c)
{
    if (fd < 0) return;
    for (int i = 0; i < c->n; i++) {
        off_t from = (off_t)c->addr[i], to = from + (off_t)c->size[i];
        sync_file_range(fd, from, to - from,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        off_t first = (from + FILE_PAGE - 1) / FILE_PAGE * FILE_PAGE, last = to / FILE_PAGE * FILE_PAGE;
        if (last > first) posix_fadvise(fd, first, last - first, POSIX_FADV_DONTNEED);
    }
}

/* Where the chunks of recorded row `row` of every layer are in the file (none on failure:
 * nothing is dropped then). */
static void find_chunks(const ip_run *r, int row, written_chunks *c)
{
    c->n = 0;
    for (int l = 0; l < r->n_layers; l++) {
        hsize_t at[3] = {(hsize_t)row, 0, 0};
        unsigned mask = 0;
        if (H5Dget_chunk_info_by_coord(r->layer_ds[l], at, &mask, &c->addr[c->n], &c->size[c->n]) < 0 ||
            c->addr[c->n] == HADDR_UNDEF)
            return;
        c->n++;
    }
}

/* One job's HDF5 calls, the same as the synchronous path's. Runs on the writer thread; says
 * where the activations it wrote went (c->n = 0: none). */
static int job_write(ip_run *r, const run_job *j, written_chunks *c)
{
    int rc = IP_OK;
    c->n = 0;
    pthread_mutex_lock(&run_h5_mutex);
    if (j->has_acts) {
        const float *acts[IP_RUN_MAX_LAYERS];
        size_t off = 0;
        for (int l = 0; l < r->n_layers; l++) {
            acts[l] = j->acts + off;
            off += (size_t)r->n_samples * (size_t)r->units[l];
        }
        rc = run_append_activations_locked(r, j->acts_epoch, acts);
        if (rc == IP_OK) find_chunks(r, r->n_rows - 1, c);
    }
    if (rc == IP_OK && j->has_epoch)
        rc = run_append_epoch_locked(r, &j->m, j->params, r->n_params, j->opt_m, j->opt_v, r->n_opt, j->opt_step,
                                     j->rng);
    /* The message is made; a per-thread error stack left behind would be lost with the thread. */
    if (rc != IP_OK) H5Eclear2(H5E_DEFAULT);
    pthread_mutex_unlock(&run_h5_mutex);
    return rc;
}

static run_job *next_queued(struct run_writer *w)
{
    run_job *next = NULL;
    for (int i = 0; i < 2; i++)
        if (w->job[i].state == JOB_QUEUED && (!next || w->job[i].seq < next->seq)) next = &w->job[i];
    return next;
}

/* Records a job's failure (the message is thread-local: copied here, on the thread that failed). */
static void writer_record_error(struct run_writer *w, int rc)
{
    if (rc == IP_OK || w->err_rc != IP_OK) return;
    w->err_rc = rc;
    snprintf(w->err_msg, sizeof w->err_msg, "%s", ip_error_message());
}

static void *writer_main(void *arg)
{
    ip_run *r = arg;
    struct run_writer *w = r->w;
    /* A thread-safe HDF5 build keeps an error stack per thread: silence this one's too. */
    pthread_mutex_lock(&run_h5_mutex);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int *fdp = NULL;
    w->fd = H5Fget_vfd_handle(r->file, H5P_DEFAULT, (void **)&fdp) >= 0 && fdp ? *fdp : -1;
    r->raw_fd = w->fd;
    r->direct_fd = run_rows_open_direct(r, w->fd);
    pthread_mutex_unlock(&run_h5_mutex);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        run_job *j = next_queued(w);
        if (!j) {
            if (w->stop) break;
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        j->state = JOB_WRITING;
        int skip = w->err_rc != IP_OK; /* after a failure the run takes no more (as synchronously) */
        pthread_mutex_unlock(&w->mu);
        written_chunks chunks = {0};
        int rc = skip ? IP_OK : job_write(r, j, &chunks);
        if (rc == IP_OK) drop_written_pages(w->fd, &chunks);
        pthread_mutex_lock(&w->mu);
        writer_record_error(w, rc);
        j->has_acts = j->has_epoch = 0;
        j->state = JOB_FREE;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_lock(&run_h5_mutex);
    if (r->direct_fd >= 0) close(r->direct_fd);
    r->direct_fd = r->raw_fd = -1;
    pthread_mutex_unlock(&run_h5_mutex);
    return NULL;
}

/* Waits until every job handed over is written (or skipped after a failure). */
static void writer_wait(struct run_writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->job[0].state >= JOB_QUEUED || w->job[1].state >= JOB_QUEUED) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static void writer_stop(struct run_writer *w)
{
    if (!w || !w->started) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL); /* it writes what is queued first */
    w->started = 0;
}

/* A failed write, once reported with its own message; afterwards, as the synchronous path
 * says after a failure, that the run takes no more. */
static int writer_check(ip_run *r)
{
    struct run_writer *w = r->w;
    char msg[sizeof w->err_msg];
    pthread_mutex_lock(&w->mu);
    int rc = w->err_rc, first = rc != IP_OK && !w->err_reported;
    if (first) {
        w->err_reported = 1;
        memcpy(msg, w->err_msg, sizeof msg);
    }
    pthread_mutex_unlock(&w->mu);
    if (first) return ip_fail(rc, "%s", msg);
    if (rc != IP_OK || w->refused) {
        writer_wait(w); /* r->ck is the writer's until then */
        return ip_fail(IP_ERR_IO, "%s: an earlier write failed; the file holds epochs up to %d (resume from there)",
                       r->path, r->ck.epoch);
    }
    return IP_OK;
}

/* The job to fill, once its previous contents are written. */
static run_job *writer_job(struct run_writer *w)
{
    run_job *j = &w->job[w->fill];
    pthread_mutex_lock(&w->mu);
    while (j->state >= JOB_QUEUED) pthread_cond_wait(&w->cv, &w->mu);
    j->state = JOB_FILLING;
    pthread_mutex_unlock(&w->mu);
    return j;
}

/* Hands the filled job to the thread (started at the first job). Without a thread (it could
 * not be started) the job is written here. */
static int writer_submit(ip_run *r)
{
    struct run_writer *w = r->w;
    run_job *j = &w->job[w->fill];
    w->fill ^= 1;
    if (!w->started && pthread_create(&w->thread, NULL, writer_main, r) == 0) w->started = 1;
    if (!w->started) {
        written_chunks unused;
        int rc = job_write(r, j, &unused);
        pthread_mutex_lock(&w->mu);
        writer_record_error(w, rc);
        if (rc != IP_OK) w->err_reported = 1;
        j->has_acts = j->has_epoch = 0;
        j->state = JOB_FREE;
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    j->seq = ++w->seq;
    j->state = JOB_QUEUED;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return IP_OK;
}

/* Floats of one recorded epoch: every layer's n_samples x units. */
static size_t activation_floats(const ip_run *r)
{
    size_t total = 0;
    for (int l = 0; l < r->n_layers; l++) total += (size_t)r->n_samples * (size_t)r->units[l];
    return total;
}

/* A job's activation buffer: page-aligned, so its pages can be written with O_DIRECT. */
static float *alloc_pages(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, FILE_PAGE, bytes ? bytes : 1) != 0) {
        ip_fail(IP_ERR_NOMEM, "out of memory (%zu bytes for a recorded epoch)", bytes);
        return NULL;
    }
    return p;
}

int run_writer_activations(ip_run *r, int epoch, const float *const *acts)
{
    struct run_writer *w = r->w;
    int rc = writer_check(r);
    if (rc != IP_OK) return rc;
    if (epoch <= w->epoch_in || w->acts_in >= 0)
        return ip_fail(IP_ERR, "%s: activations of epoch %d out of order (last complete epoch %d%s)", r->path, epoch,
                       w->epoch_in, w->acts_in >= 0 ? ", activations already appended for the next" : "");
    for (int l = 0; l < r->n_layers; l++)
        if (!acts || !acts[l]) {
            w->refused = 1;
            return ip_fail(IP_ERR, "%s: no activations for layer %s", r->path, r->names[l]);
        }
    run_job *j = writer_job(w);
    if ((rc = writer_check(r)) != IP_OK) return rc; /* the wait may have ended in a failure */
    if (!j->acts && !(j->acts = alloc_pages(sizeof(float) * activation_floats(r)))) return IP_ERR_NOMEM;
    size_t off = 0;
    for (int l = 0; l < r->n_layers; l++) {
        size_t n = (size_t)r->n_samples * (size_t)r->units[l];
        if (acts[l] != j->acts + off) memcpy(j->acts + off, acts[l], sizeof(float) * n); /* not filled in place */
        off += n;
    }
    j->has_acts = 1;
    j->acts_epoch = epoch;
    w->acts_in = epoch;
    return IP_OK;
}

float *ip_run_activation_room(ip_run *r)
{
    if (!r || !r->w || !r->writer || r->store_none) return NULL;
    struct run_writer *w = r->w;
    pthread_mutex_lock(&w->mu);
    int failed = w->err_rc != IP_OK || w->refused;
    pthread_mutex_unlock(&w->mu);
    if (failed) return NULL;
    run_job *j = writer_job(w);
    if (!j->acts) j->acts = alloc_pages(sizeof(float) * activation_floats(r));
    return j->acts;
}

int run_writer_epoch(ip_run *r, const ip_epoch_metrics *m, const float *params, size_t n_params, const float *opt_m,
                     const float *opt_v, size_t n_opt, int64_t opt_step, const uint64_t rng_state[4])
{
    struct run_writer *w = r->w;
    int rc = writer_check(r);
    if (rc != IP_OK) return rc;
    if (!m || m->epoch <= w->epoch_in)
        return ip_fail(IP_ERR, "%s: epoch %d appended after epoch %d", r->path, m ? m->epoch : -1, w->epoch_in);
    if (w->acts_in >= 0 && w->acts_in != m->epoch)
        return ip_fail(IP_ERR, "%s: activations of epoch %d but metrics of epoch %d", r->path, w->acts_in, m->epoch);
    if ((n_params && !params) || (n_opt && (!opt_m || !opt_v)) || !rng_state)
        return ip_fail(IP_ERR, "%s: ip_run_append_epoch: missing state buffers", r->path);
    if (r->st_params < 0) return ip_fail(IP_ERR, "%s: run has no /state", r->path);
    if (n_params != r->n_params || n_opt != r->n_opt) {
        w->refused = 1;
        return ip_fail(IP_ERR, "%s: state of %zu parameters and %zu optimizer values, but the run holds %zu and %zu",
                       r->path, n_params, n_opt, r->n_params, r->n_opt);
    }
    run_job *j = writer_job(w);
    if ((rc = writer_check(r)) != IP_OK) return rc;
    if ((n_params && !j->params && !(j->params = ip_malloc(sizeof(float) * n_params))) ||
        (n_opt && !j->opt_m && !(j->opt_m = ip_malloc(sizeof(float) * n_opt))) ||
        (n_opt && !j->opt_v && !(j->opt_v = ip_malloc(sizeof(float) * n_opt))))
        return IP_ERR_NOMEM;
    j->m = *m;
    if (n_params) memcpy(j->params, params, sizeof(float) * n_params);
    if (n_opt) {
        memcpy(j->opt_m, opt_m, sizeof(float) * n_opt);
        memcpy(j->opt_v, opt_v, sizeof(float) * n_opt);
    }
    j->opt_step = opt_step;
    memcpy(j->rng, rng_state, sizeof j->rng);
    j->has_epoch = 1;
    w->epoch_in = m->epoch;
    w->acts_in = -1;
    return writer_submit(r);
}

/* ---------------------------------------------------------------- the run's side */

void run_writer_sync(ip_run *r)
{
    if (r && r->w) writer_wait(r->w);
}

int run_writer_close(ip_run *r, char *msg, size_t n)
{
    struct run_writer *w = r->w;
    if (!w) return IP_OK;
    /* Activations handed over without their epoch are written too (as the synchronous path
     * would have), uncommitted: readers ignore them and a resume drops them. */
    if (w->job[w->fill].state == JOB_FILLING && w->job[w->fill].has_acts) writer_submit(r);
    writer_wait(w);
    writer_stop(w);
    if (w->err_rc == IP_OK || w->err_reported) return IP_OK;
    snprintf(msg, n, "%s", w->err_msg);
    return w->err_rc;
}

int ip_run_sync(ip_run *r)
{
    if (!r || !r->w) return IP_OK;
    writer_wait(r->w);
    return writer_check(r);
}
