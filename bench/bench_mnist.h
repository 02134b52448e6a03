/* The workload of the estimator benchmarks (bench_logdet, bench_estimators): one recorded epoch of
 * the paper's MNIST MLP. m = 3000 real MNIST digits (X, 784 pixels scaled to [0, 1]), labels y,
 * and the activations of the layers 1024-20-20-20-10 of a tanh network at PyTorch's default
 * initialisation (uniform +-1/sqrt(fan_in), no bias; the last layer linear), drawn from
 * ip_rng seed 1. Shared so both programs see exactly the same matrices. */
#ifndef IP_BENCH_MNIST_H
#define IP_BENCH_MNIST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/blas.h"
#include "core/rng.h"
#include "core/status.h"
#include "data/dataset.h"

enum { BENCH_M = 3000, BENCH_DX = 784, BENCH_L = 5, BENCH_K = 10 };
static const int bench_units[BENCH_L] = {1024, 20, 20, 20, 10};

/* The first BENCH_M MNIST training digits scaled to [0, 1]; 0 on success. */
static inline int bench_load_mnist(const char *dir, double *x, int *y, const char *prog)
{
    char pi[1024], pl[1024];
    snprintf(pi, sizeof pi, "%s/mnist10k-train-images-idx3-ubyte.gz", dir);
    snprintf(pl, sizeof pl, "%s/mnist10k-train-labels-idx1-ubyte.gz", dir);
    ip_idx im = {0}, lb = {0};
    if (ip_idx_read(&im, pi, 3, "image data") != IP_OK || ip_idx_read(&lb, pl, 1, "label data") != IP_OK ||
        im.dims[0] < BENCH_M || lb.dims[0] < BENCH_M || im.item_size != BENCH_DX) {
        fprintf(stderr, "%s: no MNIST in %s (%s)\n", prog, dir, ip_error_message());
        ip_idx_free(&im);
        ip_idx_free(&lb);
        return -1;
    }
    for (size_t i = 0; i < (size_t)BENCH_M * BENCH_DX; i++) x[i] = im.data[i] / 255.0;
    for (int i = 0; i < BENCH_M; i++) y[i] = lb.data[i];
    ip_idx_free(&im);
    ip_idx_free(&lb);
    return 0;
}

/* x (BENCH_M x BENCH_DX), y (BENCH_M), t[l] (allocated here, BENCH_M x bench_units[l]): MNIST from
 * data_dir, ../shared/data/mnist or data/mnist (the first found; synthetic 19%-dense pixels and
 * uniform labels when none is), then the network's activations. Prints the "data ..." line.
 * r is seeded here (1) and left after the network's draws. */
static inline void bench_mnist_mlp(const char *data_dir, double *x, int *y, double **t, ip_rng *r, const char *prog)
{
    const char *dirs[] = {data_dir, "../shared/data/mnist", "data/mnist"};
    int have = 0;
    for (int i = 0; i < 3 && !have; i++)
        if (dirs[i] && bench_load_mnist(dirs[i], x, y, prog) == 0) {
            printf("data MNIST %s (first %d training digits)\n", dirs[i], BENCH_M);
            have = 1;
        }
    ip_rng_seed(r, 1);
    if (!have) { /* same shape, 19%-dense pixels, so the benchmark still runs */
        printf("data synthetic (MNIST not found)\n");
        for (size_t i = 0; i < (size_t)BENCH_M * BENCH_DX; i++) x[i] = ip_rng_uniform(r) < 0.19 ? ip_rng_uniform(r) : 0;
        for (int i = 0; i < BENCH_M; i++) y[i] = (int)ip_rng_below(r, BENCH_K);
    }
    /* Activations of a tanh MLP at PyTorch's default initialisation (uniform +-1/sqrt(fan_in)). */
    const double *prev = x;
    int dp = BENCH_DX;
    for (int l = 0; l < BENCH_L; l++) {
        int d = bench_units[l];
        double *w = malloc(sizeof(double) * dp * d), bound = 1 / sqrt(dp);
        t[l] = malloc(sizeof(double) * BENCH_M * d);
        for (int i = 0; i < dp * d; i++) w[i] = bound * (2 * ip_rng_uniform(r) - 1);
        ip_dgemm(0, 0, BENCH_M, d, dp, 1.0, prev, dp, w, d, 0.0, t[l], d); /* T_l = T_{l-1} W_l */
        if (l < BENCH_L - 1)
            for (size_t i = 0; i < (size_t)BENCH_M * d; i++) t[l][i] = tanh(t[l][i]);
        free(w);
        prev = t[l];
        dp = d;
    }
}

/* Writes p (bytes) to DIR/NAME; 0 on success. */
static inline int bench_write_raw(const char *dir, const char *name, const void *p, size_t bytes, const char *prog)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s\n", prog, path);
        return -1;
    }
    return 0;
}

/* x.f64, y.i32, t1.f64 .. t5.f64 (row-major float64; labels int32) into dir; 0 on success. */
static inline int bench_write_workload(const char *dir, const double *x, const int *y, double *const *t,
                                       const char *prog)
{
    char name[32];
    if (bench_write_raw(dir, "x.f64", x, sizeof(double) * BENCH_M * BENCH_DX, prog) ||
        bench_write_raw(dir, "y.i32", y, sizeof(int) * BENCH_M, prog))
        return -1;
    for (int l = 0; l < BENCH_L; l++) {
        snprintf(name, sizeof name, "t%d.f64", l + 1);
        if (bench_write_raw(dir, name, t[l], sizeof(double) * BENCH_M * bench_units[l], prog)) return -1;
    }
    return 0;
}

#endif
