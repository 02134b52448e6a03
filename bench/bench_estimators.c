/* Estimator speed benchmark (make bench; scripts/bench_estimators.py drives it and times an
 * independent NumPy/SciPy float64 implementation of the same formulas on the very same matrices).
 * The workload is bench_logdet's (bench/bench_mnist.h): one recorded epoch of the paper's MNIST
 * MLP, m = 3000 real MNIST digits (X, 784 pixels), layers 1024-20-20-20-10 of a tanh network at
 * initialisation, labels y; for each estimator the information plane of all five layers, I(X;T_l)
 * and I(T_l;Y), default parameters, through the run-level interface (ip_plane_create once per run,
 * ip_plane_epoch per recorded epoch).
 *
 *   bench_estimators [--threads T] [--reps R] [--setup-reps S] [--data DIR] [--out DIR]
 *                    [--estimator binning|kde|renyi|ksg|all] [--no-floor]
 *
 * Per estimator: "result NAME_setup S" (median of S creations), "result NAME_epoch S" (median of
 * R epochs after one warm-up), "maxrss_mb NAME X" (getrusage peak of the process so far: run one
 * estimator per process for a per-estimator figure), then its floor ("floor NAME S" with the
 * parts it is made of), measured in the same process after maxrss is read. --out DIR writes the
 * workload (x.f64, y.i32, t1..t5.f64 as bench_logdet) and c_NAME.txt: one line per setting
 * ("ixt_1 .. ixt_5 ity_1 .. ity_5", KDE: upper then lower bound).
 *
 * Floors (each the least work the estimator's formula needs, at this machine's measured speed,
 * at the same thread count):
 *   binning  one read of the layers' values (8 m sum d bytes) at the measured memcpy bandwidth
 *            (bytes copied per second, 64 MB buffers) + hashing one byte of code per value at the
 *            measured rate of a 4-lane multiply-rotate hash over an L1-resident buffer;
 *   kde      per layer one DSYRK m x m x d (timed on those shapes) + m^2 exp evaluations (timed:
 *            libm exp over an L1-resident array); also printed with m(m-1)/2 exps (symmetry);
 *   renyi    per layer one DSYRK m x m x d + m(m-1)/2 exps (the Gram, symmetric) + 2 m x m
 *            eigenvalue solves (T and X o T; timed with ip_dsyev_values, the driver the estimator
 *            picks, on the normalised Gram of T_1) + the per-class blocks of T o Y (timed);
 *   ksg      per layer m(m-1)/2 d max-norm pair-coordinates at the rate of the library's own
 *            vector kernel loop on L1-resident data (no BLAS routine computes max-norm distances,
 *            so there is no BLAS floor) + one read of the cached m x m input distances at the
 *            memcpy bandwidth. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_mnist.h"
#include "benchutil.h"
#include "core/blas.h"
#include "core/cpu.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "core/status.h"
#include "estimate/estimator.h"
#include "estimate/estimators.h"
#include "estimate/renyi.h"

#if IP_CPU_X86_KERNELS
#include <immintrin.h>
#endif

enum { M = BENCH_M, DX = BENCH_DX, L = BENCH_L, K = BENCH_K };
static const int *const units = bench_units;
static int reps = 5, setup_reps = 3;

static void print_load(const char *what)
{
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) strcpy(buf, "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    printf("load %s: %s\n", what, buf);
    fflush(stdout);
}

static double maxrss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* ---- floors: pieces measured on this machine -------------------------------------------------- */

/* Median seconds of one DSYRK C <- Z Z^T (upper), Z m x d. */
static double time_syrk(int d, double *g)
{
    double *z = malloc(sizeof(double) * M * d), *tm = malloc(sizeof(double) * reps);
    ip_rng r;
    ip_rng_seed(&r, 7);
    for (size_t i = 0; i < (size_t)M * d; i++) z[i] = ip_rng_uniform(&r) - 0.5;
    for (int k = 0; k <= reps; k++) {
        double t0 = bench_now();
        ip_dsyrk(0, M, d, 1.0, z, d, 0.0, g, M);
        if (k) tm[k - 1] = bench_now() - t0;
    }
    double s = bench_median(tm, reps);
    free(z);
    free(tm);
    return s;
}

enum { EXP_N = 4096, EXP_PASSES = 2000 };
typedef struct {
    const double *x;
    double sum[IP_PAR_MAX_THREADS * 8];
} exp_job;

static void exp_body(void *ctx, int b0, int b1, int worker)
{
    exp_job *J = ctx;
    double s = 0;
    for (int b = b0; b < b1; b++)
        for (int i = 0; i < EXP_N; i++) s += exp(-J->x[i]);
    J->sum[worker * 8] += s;
}

/* Seconds per exp at the pool's thread count: libm exp(-x), x in [0, 700), L1-resident. */
static double time_exp(void)
{
    double *x = malloc(sizeof(double) * EXP_N), *tm = malloc(sizeof(double) * reps);
    ip_rng r;
    ip_rng_seed(&r, 8);
    for (int i = 0; i < EXP_N; i++) x[i] = 700 * ip_rng_uniform(&r);
    exp_job J = {x, {0}};
    for (int k = 0; k <= reps; k++) {
        double t0 = bench_now();
        ip_parallel_for(EXP_PASSES, 1, exp_body, &J);
        if (k) tm[k - 1] = bench_now() - t0;
    }
    double s = bench_median(tm, reps) / ((double)EXP_N * EXP_PASSES);
    if (J.sum[0] == 12345) printf("(never)\n");
    free(x);
    free(tm);
    return s;
}

/* memcpy bandwidth (bytes copied per second) at the pool's thread count, 64 MB buffers. */
typedef struct {
    char *dst;
    const char *src;
    size_t chunk;
} copy_job;

static void copy_body(void *ctx, int b0, int b1, int worker)
{
    const copy_job *J = ctx;
    for (int b = b0; b < b1; b++) memcpy(J->dst + (size_t)b * J->chunk, J->src + (size_t)b * J->chunk, J->chunk);
}

static double memcpy_bandwidth(void)
{
    size_t n = 64u << 20, chunk = 1u << 20;
    char *a = malloc(n), *b = malloc(n);
    double *tm = malloc(sizeof(double) * reps);
    memset(a, 1, n);
    memset(b, 2, n);
    copy_job J = {b, a, chunk};
    for (int k = 0; k <= reps; k++) {
        double t0 = bench_now();
        ip_parallel_for((int)(n / chunk), 1, copy_body, &J);
        if (k) tm[k - 1] = bench_now() - t0;
    }
    double bw = n / bench_median(tm, reps);
    free(a);
    free(b);
    free(tm);
    return bw;
}

/* Hash throughput (bytes per second, pool threads): binning.c's hash loop (4 multiply-rotate
 * lanes, 32 bytes a step) over an L1-resident 16 KB buffer. */
enum { HASH_N = 16384, HASH_PASSES = 4000 };
typedef struct {
    const unsigned char *s;
    uint64_t h[IP_PAR_MAX_THREADS * 8];
} hash_job;

static void hash_body(void *ctx, int b0, int b1, int worker)
{
    hash_job *J = ctx;
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h[4] = {1, 2, 3, 4}, w[4];
    for (int b = b0; b < b1; b++)
        for (size_t i = 0; i + 32 <= HASH_N; i += 32) {
            memcpy(w, J->s + i, 32);
            for (int l = 0; l < 4; l++) {
                h[l] = (h[l] ^ w[l]) * k;
                h[l] = (h[l] << 31) | (h[l] >> 33);
            }
        }
    J->h[worker * 8] ^= h[0] ^ h[1] ^ h[2] ^ h[3];
}

static double hash_rate(void)
{
    unsigned char *s = malloc(HASH_N);
    double *tm = malloc(sizeof(double) * reps);
    for (int i = 0; i < HASH_N; i++) s[i] = (unsigned char)(i * 7);
    hash_job J = {s, {0}};
    for (int k = 0; k <= reps; k++) {
        double t0 = bench_now();
        ip_parallel_for(HASH_PASSES, 1, hash_body, &J);
        if (k) tm[k - 1] = bench_now() - t0;
    }
    double rate = (double)HASH_N * HASH_PASSES / bench_median(tm, reps);
    if (J.h[0] == 12345) printf("(never)\n");
    free(s);
    free(tm);
    return rate;
}

/* The max-norm kernel's inner loop (ksg_dist.c's: 4 rows x 32 columns of a packed panel, sub, abs,
 * max) on L1-resident data: pair-coordinates per second at the pool's thread count, at the kernel
 * level the library runs (IP_KERNELS / the CPU's best). */
enum { KD = 64, KPASSES = 40000 };
typedef struct {
    const double *rows, *pk; /* 4 x KD, KD x 32 */
    int level;
    double out[IP_PAR_MAX_THREADS * 8];
} kern_job;

#if IP_CPU_X86_KERNELS
__attribute__((target("avx512f"))) static double kern512(const double *rows, const double *pk, int passes)
{
    __m512d tot = _mm512_setzero_pd();
    for (int p = 0; p < passes; p++) {
        __m512d acc[4][4];
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 4; q++) acc[r][q] = _mm512_setzero_pd();
        for (int k = 0; k < KD; k++) {
            const double *b = pk + (size_t)k * 32;
            __m512d b0 = _mm512_loadu_pd(b), b1 = _mm512_loadu_pd(b + 8), b2 = _mm512_loadu_pd(b + 16),
                    b3 = _mm512_loadu_pd(b + 24);
            for (int r = 0; r < 4; r++) {
                __m512d x = _mm512_set1_pd(rows[r * KD + k]);
                acc[r][0] = _mm512_max_pd(acc[r][0], _mm512_abs_pd(_mm512_sub_pd(x, b0)));
                acc[r][1] = _mm512_max_pd(acc[r][1], _mm512_abs_pd(_mm512_sub_pd(x, b1)));
                acc[r][2] = _mm512_max_pd(acc[r][2], _mm512_abs_pd(_mm512_sub_pd(x, b2)));
                acc[r][3] = _mm512_max_pd(acc[r][3], _mm512_abs_pd(_mm512_sub_pd(x, b3)));
            }
        }
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 4; q++) tot = _mm512_add_pd(tot, acc[r][q]);
    }
    return _mm512_reduce_add_pd(tot);
}

__attribute__((target("avx2"))) static double kern256(const double *rows, const double *pk, int passes)
{
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d tot = _mm256_setzero_pd();
    for (int p = 0; p < passes; p++)
        for (int h = 0; h < 32; h += 16) {
            __m256d acc[4][4];
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 4; q++) acc[r][q] = _mm256_setzero_pd();
            for (int k = 0; k < KD; k++) {
                const double *b = pk + (size_t)k * 32 + h;
                __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4), b2 = _mm256_loadu_pd(b + 8),
                        b3 = _mm256_loadu_pd(b + 12);
                for (int r = 0; r < 4; r++) {
                    __m256d x = _mm256_broadcast_sd(rows + r * KD + k);
                    acc[r][0] = _mm256_max_pd(acc[r][0], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b0)));
                    acc[r][1] = _mm256_max_pd(acc[r][1], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b1)));
                    acc[r][2] = _mm256_max_pd(acc[r][2], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b2)));
                    acc[r][3] = _mm256_max_pd(acc[r][3], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b3)));
                }
            }
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 4; q++) tot = _mm256_add_pd(tot, acc[r][q]);
        }
    double t[4];
    _mm256_storeu_pd(t, tot);
    return t[0] + t[1] + t[2] + t[3];
}
#endif

static double kernplain(const double *rows, const double *pk, int passes)
{
    double tot = 0;
    for (int p = 0; p < passes; p++)
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 32; c++) {
                double v = 0;
                for (int k = 0; k < KD; k++) {
                    double t = fabs(rows[r * KD + k] - pk[k * 32 + c]);
                    v = t > v ? t : v;
                }
                tot += v;
            }
    return tot;
}

static void kern_body(void *ctx, int b0, int b1, int worker)
{
    kern_job *J = ctx;
    int passes = (b1 - b0) * 100;
#if IP_CPU_X86_KERNELS
    if (J->level == IP_KERNELS_AVX512) {
        J->out[worker * 8] += kern512(J->rows, J->pk, passes);
        return;
    }
    if (J->level == IP_KERNELS_AVX2) {
        J->out[worker * 8] += kern256(J->rows, J->pk, passes);
        return;
    }
#endif
    J->out[worker * 8] += kernplain(J->rows, J->pk, passes);
}

static double maxnorm_rate(void)
{
    double *rows = ip_aligned_alloc(sizeof(double) * 4 * KD), *pk = ip_aligned_alloc(sizeof(double) * KD * 32);
    double *tm = malloc(sizeof(double) * reps);
    ip_rng r;
    ip_rng_seed(&r, 9);
    for (int i = 0; i < 4 * KD; i++) rows[i] = ip_rng_uniform(&r);
    for (int i = 0; i < KD * 32; i++) pk[i] = ip_rng_uniform(&r);
    kern_job J = {rows, pk, (int)ip_cpu_level(), {0}};
    int blocks = KPASSES / 100;
    for (int k = 0; k <= reps; k++) {
        double t0 = bench_now();
        ip_parallel_for(blocks, 1, kern_body, &J);
        if (k) tm[k - 1] = bench_now() - t0;
    }
    double rate = (double)KPASSES * 4 * 32 * KD / bench_median(tm, reps);
    if (J.out[0] == 12345) printf("(never)\n");
    free(rows);
    free(pk);
    free(tm);
    return rate;
}

/* Median seconds of ip_dsyev_values on a copy of the upper triangle of g (n x n, ld), with the
 * driver the Renyi estimator picks (two-stage when BLAS runs on one thread, else dsyevd). */
static double time_eig(const double *g, int n, int ld, double *work, double *w, int r)
{
    double *tm = malloc(sizeof(double) * r);
    int two = ip_blas_threads() == 1;
    for (int k = 0; k < r; k++) {
        for (int i = 0; i < n; i++) memcpy(work + (size_t)i * n, g + (size_t)i * ld, sizeof(double) * n);
        double t0 = bench_now();
        if (ip_dsyev_values(n, work, n, w, two, "floor") != IP_OK) fprintf(stderr, "eig: %s\n", ip_error_message());
        tm[k] = bench_now() - t0;
    }
    double s = bench_median(tm, r);
    free(tm);
    return s;
}

static double floor_of(const char *name, double *const *t, const int *y)
{
    size_t mm = (size_t)M * M;
    double sum_d = 0;
    for (int l = 0; l < L; l++) sum_d += units[l];
    print_load("before floor");
    if (!strcmp(name, "binning")) {
        double bw = memcpy_bandwidth(), hr = hash_rate();
        double read = 8.0 * M * sum_d / bw, hash = (double)M * sum_d / hr;
        printf("floor_part binning read %.5f s (%.0f MB at memcpy %.2f GB/s) hash %.5f s (%.0f MB of 1-byte codes at "
               "%.2f GB/s)\n", read, 8.0 * M * sum_d / 1e6, bw / 1e9, hash, M * sum_d / 1e6, hr / 1e9);
        return read + hash;
    }
    if (!strcmp(name, "kde") || !strcmp(name, "renyi")) {
        double *g = ip_aligned_alloc(mm * sizeof *g), syrk = 0, e = time_exp();
        for (int l = 0; l < L; l++) {
            double s = time_syrk(units[l], g);
            printf("floor_part %s dsyrk m=%d d=%d %.5f s (%.1f GFLOP/s)\n", name, M, units[l], s,
                   (double)M * M * units[l] / s / 1e9);
            syrk += s;
        }
        printf("floor_part %s exp %.2f ns per exp (%d threads)\n", name, e * 1e9, ip_parallel_threads());
        if (!strcmp(name, "kde")) {
            double full = syrk + L * (double)mm * e, half = syrk + L * 0.5 * M * (M - 1.0) * e;
            /* The exps the formula really needs: pairs i < j whose term exp(-D_ij / (8 s^2)) does not
             * underflow (kde.c skips the others), counted on the layers' own distances. */
            double needed = 0, s2 = 0.1;
            for (int l = 0; l < L; l++) {
                int d = units[l];
                double *z = malloc(sizeof(double) * M * d), *mean = calloc((size_t)d, sizeof(double));
                for (int i = 0; i < M; i++)
                    for (int c = 0; c < d; c++) mean[c] += t[l][(size_t)i * d + c] / M;
                for (int i = 0; i < M; i++)
                    for (int c = 0; c < d; c++) z[(size_t)i * d + c] = t[l][(size_t)i * d + c] - mean[c];
                ip_dsyrk(0, M, d, 1.0, z, d, 0.0, g, M);
                long cnt = 0;
                for (int i = 0; i < M; i++)
                    for (int j = i + 1; j < M; j++)
                        cnt += (g[(size_t)i * M + i] + g[(size_t)j * M + j] - 2 * g[(size_t)i * M + j]) / (8 * s2) < 746.0;
                printf("floor_part kde layer %d: %ld of %ld pairs i<j have a term that does not underflow\n", l + 1, cnt,
                       (long)M * (M - 1) / 2);
                needed += cnt;
                free(z);
                free(mean);
            }
            printf("floor_part kde syrk %.5f s, m^2 exps per layer %.5f s; with m(m-1)/2 exps: floor %.5f s; with only "
                   "the non-underflowing pairs i<j: floor %.5f s\n", syrk, L * (double)mm * e, half, syrk + needed * e);
            printf("floor_alt kde %.5f\n", syrk + needed * e);
            free(g);
            return full;
        }
        /* Renyi: eigensolves on the normalised Gram of T_1 and on its per-class blocks. */
        double *work = ip_aligned_alloc(mm * sizeof *work), *w = malloc(sizeof(double) * M);
        ip_renyi_gram(t[0], M, units[0], units[0], ip_renyi_rule_sigma(M, units[0]), g);
        int r = reps < 3 ? reps : 3;
        double eig = time_eig(g, M, M, work, w, r);
        /* the per-class blocks: classes' rows gathered, as the estimator does */
        int cnt[K] = {0}, *idx = malloc(sizeof(int) * M), start[K + 1] = {0};
        for (int i = 0; i < M; i++) cnt[y[i]]++;
        for (int c = 0; c < K; c++) start[c + 1] = start[c] + cnt[c];
        int pos[K];
        memcpy(pos, start, sizeof pos);
        for (int i = 0; i < M; i++) idx[pos[y[i]]++] = i;
        double blocks = 0;
        for (int c = 0; c < K; c++) {
            int n = cnt[c];
            double *blk = ip_aligned_alloc(sizeof(double) * (size_t)n * n);
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++) blk[(size_t)a * n + b] = g[(size_t)idx[start[c] + a] * M + idx[start[c] + b]];
            blocks += time_eig(blk, n, n, work, w, r);
            free(blk);
        }
        double gram = syrk + L * 0.5 * M * (M - 1.0) * e;
        printf("floor_part renyi eig m=%d %.4f s (%s, %d threads) x %d; class blocks %.4f s per layer x %d; Grams "
               "(syrk + m(m-1)/2 exps) %.4f s\n", M, eig, ip_blas_threads() == 1 ? "dsyevd_2stage" : "dsyevd",
               ip_blas_threads(), 2 * L, blocks, L, gram);
        free(idx);
        free(g);
        free(work);
        free(w);
        return 2 * L * eig + L * blocks + gram;
    }
    if (!strcmp(name, "ksg")) {
        double rate = maxnorm_rate(), bw = memcpy_bandwidth();
        double pairs = 0.5 * M * (M - 1.0) * sum_d, dist = pairs / rate, read = L * 8.0 * mm / bw;
        printf("floor_part ksg maxnorm %.2f G pair-coords/s (%s kernel loop, L1-resident, %d threads): %.4f s for "
               "%.2f G; read of the cached input distances %.4f s (%d x %.0f MB at memcpy %.2f GB/s)\n",
               rate / 1e9, ip_cpu_level_name(ip_cpu_level()), ip_parallel_threads(), dist, pairs / 1e9, read, L,
               8.0 * mm / 1e6, bw / 1e9);
        return dist + read;
    }
    return 0;
}

/* ---- the estimators through the plane --------------------------------------------------------- */

static int run_one(const char *name, const double *x, const int *y, double *const *t, const char *out, int floors)
{
    ip_estimator e;
    int kind = ip_estimator_kind_of(name);
    if (kind < 0 || kind == IP_EST_LOGDET) {
        fprintf(stderr, "bench_estimators: unknown estimator %s\n", name);
        return 1;
    }
    ip_estimator_default(&e, (ip_estimator_kind)kind);
    print_load(name);
    double *tm = malloc(sizeof(double) * (reps > setup_reps ? reps : setup_reps));
    ip_plane *p = NULL;
    for (int k = 0; k < setup_reps; k++) {
        ip_plane_free(p);
        p = NULL;
        double t0 = bench_now();
        if (ip_plane_create(&p, &e, x, M, DX, y, K, L, units) != IP_OK) {
            fprintf(stderr, "bench_estimators: %s: %s\n", name, ip_error_message());
            return 1;
        }
        tm[k] = bench_now() - t0;
    }
    double setup = bench_median(tm, setup_reps);
    double ixt[2 * L], ity[2 * L], extra[2 * L];
    const double *const *layers = (const double *const *)t;
    for (int k = 0; k <= reps; k++) {
        double t0 = bench_now();
        if (ip_plane_epoch(p, layers, ixt, ity, extra) != IP_OK) {
            fprintf(stderr, "bench_estimators: %s: %s\n", name, ip_error_message());
            return 1;
        }
        if (k) tm[k - 1] = bench_now() - t0; /* the first epoch is a warm-up */
    }
    double epoch = bench_median(tm, reps);
    printf("result %s_setup %.5f\n", name, setup);
    printf("result %s_epoch %.5f\n", name, epoch);
    printf("maxrss_mb %s %.1f\n", name, maxrss_mb());
    int ns = ip_plane_n_settings(p);
    for (int s = 0; s < ns; s++)
        for (int l = 0; l < L; l++)
            printf("value %s %s layer %d I(X;T) %.10g I(T;Y) %.10g\n", name, ip_plane_setting_mode(p, s), l + 1,
                   ixt[s * L + l], ity[s * L + l]);
    if (out) {
        char path[1024];
        snprintf(path, sizeof path, "%s/c_%s.txt", out, name);
        FILE *f = fopen(path, "w");
        if (!f) return 1;
        for (int s = 0; s < ns; s++) {
            for (int l = 0; l < L; l++) fprintf(f, "%.17g ", ixt[s * L + l]);
            for (int l = 0; l < L; l++) fprintf(f, "%.17g%c", ity[s * L + l], l + 1 < L ? ' ' : '\n');
        }
        fclose(f);
    }
    ip_plane_free(p);
    free(tm);
    if (floors) {
        double fl = floor_of(name, t, y);
        printf("floor %s %.5f\n", name, fl);
        printf("ratio_to_floor %s %.2f\n", name, epoch / fl);
    }
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 0, floors = 1;
    const char *data_dir = NULL, *out = NULL, *which = "all";
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--reps")) reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--setup-reps")) setup_reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--data")) data_dir = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--out")) out = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--estimator")) which = argv[++i];
        else if (!strcmp(argv[i], "--no-floor")) floors = 0;
        else {
            fprintf(stderr,
                    "usage: %s [--threads T] [--reps R] [--setup-reps S] [--data DIR] [--out DIR] "
                    "[--estimator binning|kde|renyi|ksg|all] [--no-floor]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (setup_reps < 1) setup_reps = 1;
    ip_blas_set_threads(threads);
    printf("openblas_core %s\nthreads %d (pool %d)\nkernels %s\nreps %d setup_reps %d\n", ip_blas_core(),
           ip_blas_threads(), ip_parallel_threads(), ip_cpu_level_name(ip_cpu_level()), reps, setup_reps);

    double *x = malloc(sizeof(double) * M * DX), *t[L];
    int *y = malloc(sizeof(int) * M);
    ip_rng r;
    bench_mnist_mlp(data_dir, x, y, t, &r, "bench_estimators");
    if (out && bench_write_workload(out, x, y, t, "bench_estimators")) return 1;
    printf("maxrss_mb workload %.1f\n", maxrss_mb());

    static const char *const all[] = {"binning", "kde", "renyi", "ksg"};
    int rc = 0;
    for (int i = 0; i < 4 && !rc; i++)
        if (!strcmp(which, "all") || !strcmp(which, all[i])) rc = run_one(all[i], x, y, t, out, floors);
    for (int l = 0; l < L; l++) free(t[l]);
    free(x);
    free(y);
    return rc;
}
