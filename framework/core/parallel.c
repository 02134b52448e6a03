/* The thread pool behind ip_parallel_for: workers are started on first use and live until the
 * process exits (they hold no resources a leak checker would call lost). A job is published by
 * bumping a generation counter; workers spin briefly on it (jobs come back to back within a
 * training step), then sleep on a condition variable. The range is cut into a few chunks per
 * worker, which the caller and the workers take in turn from a shared counter. */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "blas.h"

#define SPIN_ROUNDS 20000
#define CHUNKS_PER_WORKER 4

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake, done_cv;
    int started;            /* workers running (not counting the caller) */
    atomic_uint generation; /* bumped per job */
    atomic_int pending;     /* workers still busy with the current job */
    int n_workers;          /* workers of the current job, caller included; workers beyond have none */
    int n_chunks;           /* the job's index range in this many chunks, taken in turn */
    atomic_int next_chunk;  /* the next chunk to take */
    int n;
    ip_par_fn fn;
    void *ctx;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static _Thread_local int in_body;
static int threads_override; /* ip_parallel_set_threads; 0: follow BLAS */

/* Takes chunks of the current job until none is left: chunk i is [n i / c, n (i+1) / c). */
static void run_block(int worker)
{
    int n = pool.n, t = pool.n_workers, c = pool.n_chunks;
    if (worker >= t) return; /* every started worker acknowledges every job, most with no work */
    in_body = 1;
    for (;;) {
        int i = atomic_fetch_add_explicit(&pool.next_chunk, 1, memory_order_relaxed);
        if (i >= c) break;
        int begin = (int)((long long)n * i / c), end = (int)((long long)n * (i + 1) / c);
        if (begin < end) pool.fn(pool.ctx, begin, end, worker);
    }
    in_body = 0;
}

static void *worker_main(void *arg)
{
    int id = (int)(long)arg;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen && spins < SPIN_ROUNDS) {
            spins++;
            if ((spins & 63) == 0) sched_yield();
        }
        if (g == seen) {
            pthread_mutex_lock(&pool.mu);
            while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&pool.wake, &pool.mu);
            pthread_mutex_unlock(&pool.mu);
        }
        seen = g;
        run_block(id);
        if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool.mu);
            pthread_cond_signal(&pool.done_cv);
            pthread_mutex_unlock(&pool.mu);
        }
    }
    return NULL;
}

void ip_parallel_set_threads(int n) { threads_override = n > 0 ? n : 0; }

void ip_parallel_serial_thread(void) { in_body = 1; }

int ip_parallel_threads(void)
{
    int t = threads_override > 0 ? threads_override : ip_blas_threads();
    if (t < 1) t = 1;
    return t > IP_PAR_MAX_THREADS ? IP_PAR_MAX_THREADS : t;
}

/* Starts workers 1..want-1 that are not running yet; returns how many workers (caller
 * included) are available. A failed pthread_create just means fewer workers. */
static int ensure_workers(int want)
{
    while (pool.started + 1 < want) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &attr, worker_main, (void *)(long)(pool.started + 1));
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pool.started++;
    }
    return pool.started + 1;
}

/* ip_parallel_for with at most t workers. */
static void run(int t, int n, int min_per_worker, ip_par_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (min_per_worker < 1) min_per_worker = 1;
    if (in_body) t = 1;
    if (t > n / min_per_worker) t = n / min_per_worker;
    if (t > 1) t = ensure_workers(t) < t ? pool.started + 1 : t;
    if (t <= 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    pool.n = n;
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n_workers = t;
    /* a few chunks per worker, so that a worker the OS delays (another job on the cores) holds
     * up at most one chunk while the others take the rest */
    int chunks = n / min_per_worker;
    pool.n_chunks = chunks < t * CHUNKS_PER_WORKER ? chunks : t * CHUNKS_PER_WORKER;
    atomic_store_explicit(&pool.next_chunk, 0, memory_order_relaxed);
    /* all started workers take part, so none can miss a generation while another job runs */
    atomic_store_explicit(&pool.pending, pool.started, memory_order_relaxed);
    pthread_mutex_lock(&pool.mu);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);
    run_block(0);
    int spins = 0;
    while (atomic_load_explicit(&pool.pending, memory_order_acquire) != 0 && spins < SPIN_ROUNDS) {
        spins++;
        if ((spins & 63) == 0) sched_yield();
    }
    if (atomic_load_explicit(&pool.pending, memory_order_acquire) != 0) {
        pthread_mutex_lock(&pool.mu);
        while (atomic_load_explicit(&pool.pending, memory_order_acquire) != 0)
            pthread_cond_wait(&pool.done_cv, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
}

void ip_parallel_for(int n, int min_per_worker, ip_par_fn fn, void *ctx)
{
    run(ip_parallel_threads(), n, min_per_worker, fn, ctx);
}

void ip_parallel_for_blas(int n, int min_per_worker, ip_par_fn fn, void *ctx)
{
    int blas = ip_blas_threads(), t = ip_parallel_threads();
    if (in_body || blas <= 1 || n < 2 * (min_per_worker < 1 ? 1 : min_per_worker)) {
        run(t, n, min_per_worker, fn, ctx); /* BLAS stays as it is: the caller's thread only */
        return;
    }
    ip_blas_set_threads(1);
    run(t, n, min_per_worker, fn, ctx);
    ip_blas_set_threads(blas);
}
