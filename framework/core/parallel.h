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

/* The number of workers ip_parallel_for would use for a large n. */
int ip_parallel_threads(void);

#endif
