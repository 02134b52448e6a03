/* The analysis while training (see online.h). */
#include "live.h"
#include "online.h"
#include "steps.h"

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"
#include "estimate/analyze.h"
#include "estimate/estimators.h"
#include "estimate/results.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/blas.h"
#include "core/parallel.h"

struct cli_online {
    ip_estimator settings[IP_EST_MAX_SETTINGS];
    int n, bits;
    ip_results res[IP_EST_MAX_SETTINGS];
    int started;                       /* the planes exist */
    int m, L;
    int units[IP_RUN_MAX_LAYERS];
    double *t[IP_RUN_MAX_LAYERS];      /* one epoch's layers in double */
    char run_path[IP_PATH_LEN + 16], dir[IP_PATH_LEN + 16], state[IP_PATH_LEN + 32];
    char layers[2048];                 /* the layer names, comma-separated (a table attribute) */

    /* Beside training (beside): one analysis thread and a one-epoch slot. The trainer's epoch call
     * waits for the slot, copies the layers in and goes on training; before_commit waits for every
     * earlier epoch, so a kill leaves at most the committed epoch in the slot unanalysed. */
    int beside, thread_started, quit;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy, slot_epoch;              /* an epoch is in the slot (being analysed) */
    float *slot;                       /* its layers, one after another */
    int error;                         /* the thread's first failure (IP_OK: none) */
    long test_delay_ms;                /* IP_ONLINE_TEST_DELAY_MS: a slow analysis, for tests */
    double csv_written;                /* when the CSV files were last written (monotonic s) */
    double thread_cpu;                 /* CPU seconds the analysis thread used (when it ended) */
    cli_live *live;                    /* the live view and report (cli_online_live; NULL: none) */
    char message[2048];
};

static int start_thread(cli_online *o);

static void release(cli_online *o)
{
    for (int i = 0; i < o->n; i++) ip_results_free(&o->res[i]);
    for (int l = 0; l < o->L; l++) {
        free(o->t[l]);
        o->t[l] = NULL;
    }
    o->started = 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The rows so far into online.state (every epoch: a resume starts from it), then the CSV files,
 * which are rewritten whole: at most once a second during the run (a 1000-epoch run's files
 * are rewritten ~300 times instead of 1000) and always when `all`. */
#define CSV_INTERVAL_SECONDS 1.0

static int write_files(cli_online *o, int all)
{
    int rc = ip_results_save(o->state, o->res, o->n);
    double now = now_seconds();
    if (rc == IP_OK && (all || now - o->csv_written >= CSV_INTERVAL_SECONDS)) {
        rc = ip_results_write_csv(o->dir, o->res, o->n);
        o->csv_written = now;
    }
    return rc;
}

static int on_start(void *ctx, const ip_train_record_info *in)
{
    cli_online *o = ctx;
    int rc = IP_OK;
    snprintf(o->run_path, sizeof o->run_path, "%s", in->run_path);
    ip_analyze_dir(in->run_path, o->dir, sizeof o->dir);
    snprintf(o->state, sizeof o->state, "%s/online.state", o->dir);
    if ((rc = ip_mkdir_p(o->dir)) != IP_OK) return rc;
    o->m = in->m;
    o->L = in->n_layers;
    o->layers[0] = '\0';
    for (int l = 0; l < o->L; l++) {
        size_t len = strlen(o->layers);
        snprintf(o->layers + len, sizeof o->layers - len, "%s%s", l ? "," : "", in->names[l]);
        o->units[l] = in->units[l];
        if (!(o->t[l] = ip_aligned_alloc((size_t)in->m * in->units[l] * sizeof(double)))) return IP_ERR_NOMEM;
    }
    double *x = ip_aligned_alloc((size_t)in->m * in->d_x * sizeof(double));
    if (!x) return IP_ERR_NOMEM;
    for (size_t i = 0; i < (size_t)in->m * in->d_x; i++) x[i] = in->x[i];
    o->started = 1;
    for (int i = 0; i < o->n && rc == IP_OK; i++)
        rc = ip_results_create(&o->res[i], &o->settings[i], o->bits, x, in->m, in->d_x, in->y, in->n_classes, o->L,
                               o->units, 16, in->run_path);
    free(x); /* the planes keep what they need */
    if (rc == IP_OK && o->live) cli_live_start(o->live, in->out_dir, o->res, o->n);
    if (rc == IP_OK && o->beside) rc = start_thread(o);
    if (rc != IP_OK || !in->resumed) return rc;

    /* Resumed: the rows of the epochs analysed before the stop, exactly as they were. */
    if ((rc = ip_results_load(o->state, o->res, o->n, in->last_epoch)) != IP_OK) {
        ip_error_prefix("%s: cannot continue the analysis while training: the results of the epochs up to %d are "
                        "not there",
                        in->run_path, in->last_epoch);
        return rc;
    }
    for (int i = 0; i < o->n; i++) {
        const ip_results *r = &o->res[i];
        /* every recorded epoch, or all but the last committed one (in the slot at the stop) */
        int last_missing = in->n_recorded > 0 && in->recorded[in->n_recorded - 1] == in->last_epoch &&
                           r->n_epochs == in->n_recorded - 1;
        int same = r->n_epochs == in->n_recorded || last_missing;
        for (int k = 0; same && k < r->n_epochs; k++) same = ip_results_epoch_at(r, k) == in->recorded[k];
        if (!same)
            return ip_fail(IP_ERR, "%s: cannot continue the analysis while training: %s holds %d analysed epochs of "
                                   "%s, but the run recorded %d up to epoch %d",
                           in->run_path, o->state, r->n_epochs, r->groups[0], in->n_recorded, in->last_epoch);
    }
    return IP_OK;
}

/* Every setting's rows of one epoch, then the files. */
static int analyse(cli_online *o, int epoch, const float *const *layers)
{
    int rc = IP_OK;
    for (int l = 0; l < o->L; l++) {
        size_t n = (size_t)o->m * o->units[l];
        for (size_t i = 0; i < n; i++) o->t[l][i] = layers[l][i];
    }
    for (int i = 0; i < o->n && rc == IP_OK; i++)
        rc = ip_results_epoch(&o->res[i], epoch, (const double *const *)o->t, o->run_path);
    double csv_before = o->csv_written;
    if (rc == IP_OK) rc = write_files(o, 0);
    if (rc == IP_OK && o->live) cli_live_epoch(o->live, o->res, o->n, o->csv_written != csv_before);
    return rc;
}

/* The slot's layers as analyse takes them. */
static void slot_layers(const cli_online *o, const float **layers)
{
    size_t off = 0;
    for (int l = 0; l < o->L; l++) {
        layers[l] = o->slot + off;
        off += (size_t)o->m * o->units[l];
    }
}

/* The analysis thread: takes the slot's epoch, analyses it, frees the slot; after a failure it
 * only frees the slot (the trainer stops at its next call). Never uses the thread pool, which
 * belongs to training (ip_parallel_serial_thread). */
static void *analysis_main(void *arg)
{
    cli_online *o = arg;
    const float *layers[IP_RUN_MAX_LAYERS];
    ip_parallel_serial_thread();
    slot_layers(o, layers);
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->busy && !o->quit) pthread_cond_wait(&o->cv, &o->mu);
        if (!o->busy) break;
        int epoch = o->slot_epoch, failed = o->error != IP_OK;
        pthread_mutex_unlock(&o->mu);
        if (o->test_delay_ms > 0) nanosleep(&(struct timespec){o->test_delay_ms / 1000, o->test_delay_ms % 1000 * 1000000L}, NULL);
        int rc = failed ? IP_OK : analyse(o, epoch, layers);
        pthread_mutex_lock(&o->mu);
        if (rc != IP_OK) {
            o->error = rc;
            snprintf(o->message, sizeof o->message, "%s", ip_error_message());
        }
        o->busy = 0;
        pthread_cond_broadcast(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0) o->thread_cpu = cpu.tv_sec + cpu.tv_nsec * 1e-9;
    return NULL;
}

/* Waits until the slot is free (when `before` >= 0: only for an epoch before it); then the
 * thread's failure, if any, with its message. */
static int wait_slot(cli_online *o, int before)
{
    if (!o->thread_started) return IP_OK;
    pthread_mutex_lock(&o->mu);
    while (o->busy && (before < 0 || o->slot_epoch < before)) pthread_cond_wait(&o->cv, &o->mu);
    int rc = o->error;
    pthread_mutex_unlock(&o->mu);
    return rc == IP_OK ? IP_OK : ip_fail(rc, "%s", o->message);
}

static void stop_thread(cli_online *o)
{
    if (!o->thread_started) return;
    pthread_mutex_lock(&o->mu);
    o->quit = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->thread, NULL);
    o->thread_started = 0;
}

static int start_thread(cli_online *o)
{
    size_t floats = 0;
    for (int l = 0; l < o->L; l++) floats += (size_t)o->m * o->units[l];
    if (!(o->slot = ip_malloc(floats * sizeof *o->slot))) return IP_ERR_NOMEM;
    if (pthread_create(&o->thread, NULL, analysis_main, o) != 0)
        return ip_fail(IP_ERR, "the analysis while training: cannot start its thread");
    o->thread_started = 1;
    return IP_OK;
}

static int on_epoch(void *ctx, int epoch, const float *const *layers)
{
    cli_online *o = ctx;
    if (!o->thread_started) return analyse(o, epoch, layers);
    int rc = wait_slot(o, -1);
    if (rc != IP_OK) return rc;
    size_t off = 0;
    for (int l = 0; l < o->L; l++) {
        size_t n = (size_t)o->m * o->units[l];
        memcpy(o->slot + off, layers[l], n * sizeof *o->slot);
        off += n;
    }
    pthread_mutex_lock(&o->mu);
    o->slot_epoch = epoch;
    o->busy = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return IP_OK;
}

static int before_commit(void *ctx, int epoch) { return wait_slot(ctx, epoch); }

/* Resumed: whether the rows of `epoch` are not there (it was in the slot when the run stopped). */
static int missing(void *ctx, int epoch)
{
    const ip_results *r = &((cli_online *)ctx)->res[0];
    return r->n_epochs == 0 || ip_results_epoch_at(r, r->n_epochs - 1) < epoch;
}

/* The run file is closed: its tables from every row of the epochs it holds (a failed or stopped
 * session too), then the files again without rows of epochs it does not hold. */
static int on_finish(void *ctx, int status, int last_epoch)
{
    cli_online *o = ctx;
    ip_run *r = NULL;
    ip_run_description d;
    memset(&d, 0, sizeof d);
    if (!o->started) return IP_OK;
    int failed = wait_slot(o, -1); /* the last epoch's analysis, or the thread's failure */
    stop_thread(o);
    if (failed != IP_OK) {
        release(o);
        return failed;
    }
    if (!ip_path_exists(o->run_path)) { /* killed before epoch 0 was complete: no run */
        release(o);
        return IP_OK;
    }
    int rc = ip_run_open_read(&r, o->run_path, 1);
    if (rc == IP_OK) rc = ip_run_describe(r, &d);
    if (rc == IP_OK) {
        for (int i = 0; i < o->n; i++) ip_results_truncate(&o->res[i], d.last_epoch);
        for (int i = 0; i < o->n && rc == IP_OK; i++) rc = ip_results_write_tables(r, &o->res[i], o->layers);
        if (rc == IP_OK) rc = ip_run_commit_tables(r);
    }
    if (rc == IP_OK) rc = write_files(o, 1);
    ip_run_describe_free(&d);
    int closed = ip_run_close(r);
    if (rc == IP_OK) rc = closed;
    if (rc != IP_OK) ip_error_prefix("%s: the analysis while training", o->run_path);
    (void)status;
    (void)last_epoch;
    /* The planes are released now; the report keeps the names and seconds. */
    for (int i = 0; i < o->n; i++) {
        ip_plane_free(o->res[i].plane);
        o->res[i].plane = NULL;
    }
    return rc;
}

int cli_online_create(cli_online **out, const ip_config *cfg, ip_train_hook *hook)
{
    cli_online *o = ip_calloc(1, sizeof *o);
    *out = NULL;
    if (!o) return IP_ERR_NOMEM;
    int rc = ip_estimator_choice_expand(&cfg->analysis.params, o->settings, &o->n);
    if (rc != IP_OK) {
        free(o);
        return rc;
    }
    o->bits = cfg->analysis.bits;
    /* Beside training on a thread of its own when there are two threads or more to share. */
    int threads = cfg->train.threads > 0 ? cfg->train.threads : ip_blas_threads();
    o->beside = threads >= 2;
    /* Except with Renyi: LAPACK's eigensolvers give other last bits on one BLAS thread than on
     * two, so its values would differ from `analyze`'s; it analyses on the training thread. */
    for (int i = 0; i < o->n; i++)
        if (o->settings[i].kind == IP_EST_RENYI) o->beside = 0;
    /* Tests make the analysis slower than training with it, so that a kill finds an epoch
     * committed but not analysed (the case `missing` repairs). */
    const char *delay = getenv("IP_ONLINE_TEST_DELAY_MS");
    o->test_delay_ms = delay ? atol(delay) : 0;
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    *hook = (ip_train_hook){.ctx = o,
                            .beside = o->beside,
                            .start = on_start,
                            .epoch = on_epoch,
                            .before_commit = before_commit,
                            .missing = missing,
                            .finish = on_finish};
    *out = o;
    return IP_OK;
}

void cli_online_report(const cli_online *o)
{
    for (int i = 0; i < o->n; i++) {
        const ip_results *s = &o->res[i];
        cli_print_setting(o->run_path, o->dir, ip_estimator_names[o->settings[i].kind],
                          (const char(*)[IP_TABLE_NAME_LEN])s->groups, s->n_sub, s->seconds, ", while training");
    }
    /* The split of the process's CPU time so far between the analysis thread and the rest
     * (training, recording, startup). */
    struct rusage ru;
    if (o->beside && o->thread_cpu > 0 && getrusage(RUSAGE_SELF, &ru) == 0) {
        double all = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
        printf("analysis beside training: %.1f s of CPU on its own thread, the rest of the run %.1f s (%.0f%% / %.0f%%)\n",
               o->thread_cpu, all - o->thread_cpu, 100 * o->thread_cpu / all, 100 * (all - o->thread_cpu) / all);
    }
}

static int view(void *ctx, char *buf, size_t cap) { return cli_live_view(((cli_online *)ctx)->live, buf, cap); }

int cli_online_live(cli_online *o, ip_train_hook *hook, int show_view, int report, const ip_plot_options *popt)
{
    if (!show_view && !report) return IP_OK;
    int rc = cli_live_create(&o->live, show_view, report, popt);
    if (rc == IP_OK && show_view) hook->view = view;
    return rc;
}

void cli_online_free(cli_online *o)
{
    if (!o) return;
    stop_thread(o);
    cli_live_free(o->live); /* after the thread: the report's last figure is reaped here */
    release(o);
    free(o->slot);
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o);
}
