/* A tiny persistent thread pool for the non-BLAS work of training (element-wise layers,
 * pooling, layer norm, im2col/col2im): ip_parallel_for splits an index range into one
 * contiguous block per thread. The thread count follows the BLAS setting (ip_blas_threads),
 * so `train.threads` and OPENBLAS_NUM_THREADS govern both; with one thread everything runs
 * on the caller and no thread is ever started. BLAS itself is only ever called from the
 * caller's thread, except inside ip_parallel_for_blas bodies, with BLAS single-threaded. */
#ifndef IP_PARALLEL_H
#define IP_PARALLEL_H

/* The most workers a parallel_for uses; per-worker scratch can be sized with it. */
#define IP_PAR_MAX_THREADS 8

/* Body of a parallel loop: handle indices [begin, end) as worker `worker` (0 = the caller,
 * < IP_PAR_MAX_THREADS). Bodies run concurrently and must write disjoint memory. */
typedef void (*ip_par_fn)(void *ctx, int begin, int end, int worker);

/* Runs fn over [0, n) on min(threads, n / min_per_worker) workers (at least one) and returns
 * when all is done. The range is cut into contiguous blocks of at least min_per_worker indices
 * (a few per worker), which the workers take in turn: a worker may run several blocks, one at a
 * time, and which blocks it gets varies from run to run. That never changes the result of a body
 * that treats each index independently (per-worker scratch indexed by `worker` is fine), so
 * callers that keep reductions across indices out of the body get results independent of the
 * thread count. Not reentrant: call it from one thread at a time and not from inside a body (a
 * nested call runs serially). */
void ip_parallel_for(int n, int min_per_worker, ip_par_fn fn, void *ctx);

/* As ip_parallel_for, but BLAS is switched to one thread while the bodies run, and bodies may
 * call BLAS: each call then runs on its worker's thread. For many small products, where
 * splitting the work between them beats splitting each product. */
void ip_parallel_for_blas(int n, int min_per_worker, ip_par_fn fn, void *ctx);

/* Sets the pool's thread count apart from BLAS's (0: follow ip_blas_threads again). For training
 * beside an analysis thread: BLAS on one thread for both, the pool with the training's share. */
void ip_parallel_set_threads(int n);

/* Marks the calling thread as one that never uses the pool: every ip_parallel_for it calls runs
 * on it alone, with BLAS as it is (as inside a body). For a thread that works beside the one
 * that uses the pool (the analysis while training), since the pool takes one job at a time.
 * Results are the same: bodies do not depend on how the range is cut. */
void ip_parallel_serial_thread(void);

/* The number of workers ip_parallel_for would use for a large n. */
int ip_parallel_threads(void);

#endif
