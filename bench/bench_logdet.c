/* LogDet speed benchmark (make bench; scripts/bench_logdet.py drives it and times PyTorch on the
 * very same matrices). The workload is one recorded epoch of the paper's MNIST MLP: m = 3000 real
 * MNIST digits (X, 784 pixels), layers 1024-20-20-20-10 of a tanh network at initialisation,
 * I(X;T) and I(T;Y) for each layer, cov mode, beta = 100 * 784.
 *
 *   bench_logdet [--threads T] [--reps R] [--data DIR] [--out DIR]
 *
 * --out DIR writes x.f64, t1.f64 .. t5.f64 (row-major float64) and y.i32 plus c_results.txt (the
 * values) for the Python side. Lines are "key value ..."; "result NAME SECONDS" are the timings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#include "benchutil.h"
#include "core/blas.h"
#include "core/rng.h"
#include "core/status.h"
#include "data/dataset.h"
#include "estimate/logdet.h"
#include "estimate/logdet_run.h"
#include "estimate/logdet_sparse.h"

#include "bench_mnist.h"

enum { M = BENCH_M, DX = BENCH_DX, L = BENCH_L, K = BENCH_K };
static const int *const units = bench_units;

int main(int argc, char **argv)
{
    int threads = 0, reps = 5;
    const char *data_dir = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--reps")) reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--data")) data_dir = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--out")) out = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--threads T] [--reps R] [--data DIR] [--out DIR]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    ip_blas_set_threads(threads);
    printf("openblas_core %s\nthreads %d\n", ip_blas_core(), ip_blas_threads());

    double *x = malloc(sizeof(double) * M * DX), *t[L];
    int *y = malloc(sizeof(int) * M);
    ip_rng r;
    bench_mnist_mlp(data_dir, x, y, t, &r, "bench_logdet");
    if (out && bench_write_workload(out, x, y, t, "bench_logdet")) return 1;

    /* OpenBLAS's DGEMM on this machine, at the shape of the per-epoch cross product. */
    double *ga = malloc(sizeof(double) * DX * 1104), *gt = malloc(sizeof(double) * reps), *times = gt;
    double *zz = malloc(sizeof(double) * M * 1104);
    for (size_t i = 0; i < (size_t)M * 1104; i++) zz[i] = ip_rng_uniform(&r);
    for (int k = 0; k <= reps; k++) {
        double t0 = bench_now();
        ip_dgemm(1, 0, DX, 1104, M, 1.0, x, DX, zz, 1104, 0.0, ga, 1104); /* (784 x 1104) <- X^T Z */
        if (k) times[k - 1] = bench_now() - t0; /* the first call is a warm-up */
    }
    double dgemm_gflops = 2.0 * M * DX * 1104 / bench_median(times, reps) / 1e9;
    printf("dgemm_gflops %.1f (m=%d, %d x 1104 output)\n", dgemm_gflops, M, DX);

    /* The cross product alone, both ways, on X's non-constant pixels and the epoch's 1094 columns:
     * DGEMM over every entry (the dense route's F^T Z) against the sparse product over X's nonzeros. */
    int kept[DX], nk = 0;
    for (int j = 0; j < DX; j++)
        for (int i = 1; i < M; i++)
            if (x[(size_t)i * DX + j] != x[j]) {
                kept[nk++] = j;
                break;
            }
    ip_ld_csc csc;
    if (ip_ld_csc_build(&csc, x, M, DX, kept, nk) != IP_OK) return 1;
    double *tg = malloc(sizeof(double) * reps), *ts = malloc(sizeof(double) * reps);
    for (int k = 0; k <= reps; k++) { /* interleaved, so that both see the same machine */
        double t1 = bench_now();
        ip_dgemm(1, 0, nk, 1094, M, 1.0, x, DX, zz, 1104, 0.0, ga, 1104);
        double t2 = bench_now();
        ip_ld_csc_tmul(&csc, zz, 1094, 1104, ga, 1104);
        double t3 = bench_now();
        if (k) tg[k - 1] = t2 - t1, ts[k - 1] = t3 - t2;
    }
    printf("x_density %.4f (nonzeros of the %d non-constant pixels)\n", (double)csc.nnz / ((double)M * nk), nk);
    printf("result cross_dgemm %.4f\nresult cross_sparse %.4f\n", bench_median(tg, reps), bench_median(ts, reps));
    ip_ld_csc_free(&csc);
    free(ga);
    free(zz);

    ip_logdet_run *run = NULL;
    ip_logdet_run_settings s = {IP_MODE_COV, 0, 0, IP_LOGDET_X_AUTO};
    double t0 = bench_now();
    if (ip_logdet_run_create(&run, x, M, DX, y, K, L, units, &s) != IP_OK) {
        fprintf(stderr, "bench_logdet: %s\n", ip_error_message());
        return 1;
    }
    double t_create = bench_now() - t0;
    printf("result run_setup %.4f\n", t_create);

    double ixt[L], ity[L], itt[L], ht[L];
    const double *const *layers = (const double *const *)t;
    for (int k = 0; k <= reps; k++) {
        t0 = bench_now();
        ip_logdet_run_epoch(run, layers, ixt, ity, NULL, ht);
        if (k) times[k - 1] = bench_now() - t0;
    }
    double t_epoch = bench_median(times, reps);
    for (int k = 0; k <= reps; k++) {
        t0 = bench_now();
        ip_logdet_run_epoch(run, layers, ixt, ity, itt, ht);
        if (k) times[k - 1] = bench_now() - t0;
    }
    double t_epoch_tt = bench_median(times, reps);
    /* Stand-alone I(X;T_1): no cached anything, the library's general route. */
    double i1 = 0;
    for (int k = 0; k <= reps; k++) {
        t0 = bench_now();
        if (ip_logdet_mi(x, M, DX, DX, t[0], units[0], units[0], IP_MODE_COV, 100.0 * DX, &i1, NULL) != IP_OK) {
            fprintf(stderr, "bench_logdet: %s\n", ip_error_message());
            return 1;
        }
        if (k) times[k - 1] = bench_now() - t0;
    }
    double t_single = bench_median(times, reps);

    /* Both routes of the epoch, forced, interleaved (the auto route above is one of them). */
    ip_logdet_run *rd = NULL, *rs = NULL;
    ip_logdet_run_settings sd = {IP_MODE_COV, 0, 0, IP_LOGDET_X_DENSE}, ss = {IP_MODE_COV, 0, 0, IP_LOGDET_X_SPARSE};
    if (ip_logdet_run_create(&rd, x, M, DX, y, K, L, units, &sd) != IP_OK ||
        ip_logdet_run_create(&rs, x, M, DX, y, K, L, units, &ss) != IP_OK) {
        fprintf(stderr, "bench_logdet: %s\n", ip_error_message());
        return 1;
    }
    double vd[2 * L], vs[2 * L], worst = 0;
    for (int k = 0; k <= reps; k++) {
        double t1 = bench_now();
        ip_logdet_run_epoch(rd, layers, vd, vd + L, NULL, NULL);
        double t2 = bench_now();
        ip_logdet_run_epoch(rs, layers, vs, vs + L, NULL, NULL);
        double t3 = bench_now();
        if (k) tg[k - 1] = t2 - t1, ts[k - 1] = t3 - t2;
    }
    for (int i = 0; i < 2 * L; i++) worst = fmax(worst, fabs(vs[i] - vd[i]) / fabs(vd[i]));
    printf("route %s (auto)\n", ip_logdet_run_sparse(run) ? "sparse" : "dense");
    printf("result epoch_dense %.4f\nresult epoch_sparse %.4f\n", bench_median(tg, reps), bench_median(ts, reps));
    printf("sparse_vs_dense_rel %.2e\n", worst);
    ip_logdet_run_free(rd);
    ip_logdet_run_free(rs);
    free(tg);
    free(ts);

    /* The FLOPs an epoch needs (with kx non-constant pixels): P = F^T Z (GEMM), R = Z^T Z (SYRK),
     * then per layer the Schur SYRK, two Cholesky factorisations and the small label terms. */
    int kx = 0;
    for (int j = 0; j < DX; j++)
        for (int i = 1; i < M; i++)
            if (x[(size_t)i * DX + j] != x[j]) {
                kx++;
                break;
            }
    double dt = 0, flops;
    for (int l = 0; l < L; l++) dt += units[l];
    flops = 2.0 * M * kx * dt + (double)M * (dt + K) * (dt + K + 1);
    for (int l = 0; l < L; l++) {
        double d = units[l];
        flops += kx * d * (d + 1) + 2 * d * d * d / 3 + d * d * K + K * K * d;
    }
    printf("epoch_gflop %.2f (non-constant pixels %d of %d)\n", flops / 1e9, kx, DX);
    printf("result epoch %.4f\n", t_epoch);
    printf("result epoch_with_layer_pairs %.4f\n", t_epoch_tt);
    printf("result single_ixt %.4f\n", t_single);
    printf("epoch_gflops %.1f (%.0f%% of DGEMM's %.1f)\n", flops / t_epoch / 1e9, 100 * flops / t_epoch / 1e9 / dgemm_gflops,
           dgemm_gflops);
    printf("values H(X) %.10g H(Y) %.10g\n", ip_logdet_run_hx(run), ip_logdet_run_hy(run));
    for (int l = 0; l < L; l++) printf("layer %d d=%d I(X;T) %.10g I(T;Y) %.10g nats\n", l + 1, units[l], ixt[l], ity[l]);
    if (out) {
        char path[1024];
        snprintf(path, sizeof path, "%s/c_results.txt", out);
        FILE *f = fopen(path, "w");
        if (!f) return 1;
        for (int l = 0; l < L; l++) fprintf(f, "%.17g %.17g\n", ixt[l], ity[l]);
        fprintf(f, "%.17g\n", i1);
        fclose(f);
    }
    ip_logdet_run_free(run);
    for (int l = 0; l < L; l++) free(t[l]);
    free(x);
    free(y);
    free(gt);
    return 0;
}
