/* Training speed benchmark (make bench, through scripts/bench.sh): trains the paper's MNIST MLP
 * (models "mnist_fnn": 784-1024-20-20-20-10, tanh) and conv net (models "mnist_cnn") on the
 * 10,000 real MNIST training digits for a few epochs and prints seconds per epoch. It also
 * writes each architecture as a layer manifest (tests/torch/ipnet.py) so that
 * scripts/bench_train.py times exactly the same network in PyTorch.
 *
 *   bench_train [--model mlp|cnn|both] [--epochs N] [--threads T] [--data DIR] [--arch-dir DIR]
 *
 * Settings of the paper's MLP run: SGD, momentum 0.9, lr 1e-4, batch 512 (the conv net uses the
 * same optimizer; its cost is negligible next to the layers). Every epoch visits the training
 * set in a fresh random order, the last batch being partial, like PyTorch's DataLoader without
 * drop_last. The first epoch is a warm-up; the figure is the median of the others.
 * Output lines are "key value ..." for the script; "result MODEL SECONDS_PER_EPOCH" is the one
 * that matters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "ipnet_manifest.h"
#include "config/config.h"
#include "core/blas.h"
#include "core/rng.h"
#include "core/status.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "nn/network.h"
#include "nn/optim.h"

#define BENCH_BATCH 512
#define BENCH_SEED 1

/* The architecture and training settings in tests/torch/ipnet.py's manifest format. */
static int write_manifest(const char *path, const char *model, const ip_layer_spec *specs, int n, ip_shape in,
                          int classes, int batch, const ip_optimizer_settings *t)
{
    FILE *f = fopen(path, "w");
    if (!f) return ip_fail(IP_ERR_IO, "%s: cannot create", path);
    fprintf(f, "# %s, written by bench_train\ninput %d %d %d\nclasses %d\n", model, in.c, in.h, in.w, classes);
    fprintf(f, "batch %d\nsgd %.17g %.17g %.17g\n", batch, t->lr, t->momentum, t->weight_decay);
    ip_write_ipnet_layers(f, specs, n);
    if (fclose(f) != 0) return ip_fail(IP_ERR_IO, "%s: write failed", path);
    return IP_OK;
}

/* Trains `arch` for `epochs` epochs on d; prints per-epoch lines and the result line. */
static int bench_model(const char *label, const char *arch, const ip_dataset *d, int epochs, const char *arch_dir)
{
    ip_config cfg;
    ip_config_defaults(&cfg);
    snprintf(cfg.model.arch, sizeof cfg.model.arch, "%s", arch);
    cfg.model.activation = IP_ACT_TANH;
    cfg.model.init = IP_INIT_PYTORCH;
    ip_optimizer_settings t = cfg.train.optim;
    t.optimizer = IP_OPT_SGD;
    t.lr = 1e-4;
    t.momentum = 0.9;
    t.weight_decay = 0;

    ip_shape in = {d->c, d->h, d->w};
    ip_layer_spec specs[IP_MAX_LAYERS];
    int n = 0, rc;
    ip_network *net = NULL;
    ip_optimizer opt;
    int opt_live = 0;
    float *xb = NULL;
    int *yb = NULL, *order = NULL;
    double *secs = NULL;
    if ((rc = ip_model_build(&cfg.model, in, d->n_classes, specs, &n)) != IP_OK) goto out;
    if (arch_dir) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s.txt", arch_dir, label);
        if ((rc = write_manifest(path, label, specs, n, in, d->n_classes, BENCH_BATCH, &t)) != IP_OK) goto out;
    }
    if ((rc = ip_network_create(&net, specs, n, in, BENCH_BATCH)) != IP_OK) goto out;
    ip_rng rng;
    ip_rng_seed(&rng, BENCH_SEED);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    if ((rc = ip_optimizer_create(&opt, &t, net->n_params)) != IP_OK) goto out;
    opt_live = 1;

    const size_t nin = (size_t)ip_dataset_features(d);
    xb = malloc((size_t)BENCH_BATCH * nin * sizeof *xb);
    yb = malloc(BENCH_BATCH * sizeof *yb);
    order = malloc((size_t)d->n * sizeof *order);
    secs = malloc((size_t)epochs * sizeof *secs);
    if (!xb || !yb || !order || !secs) {
        rc = ip_fail(IP_ERR_NOMEM, "bench_train: out of memory");
        goto out;
    }
    for (int i = 0; i < d->n; i++) order[i] = i;
    printf("model %s %s layers %d params %zu\n", label, arch, n, net->n_params);

    for (int e = 0; e < epochs; e++) {
        double t0 = bench_now(), loss_sum = 0;
        int correct_sum = 0;
        ip_rng_shuffle_int(&rng, order, d->n);
        for (int s = 0; s < d->n; s += BENCH_BATCH) {
            int b = d->n - s < BENCH_BATCH ? d->n - s : BENCH_BATCH, correct = 0;
            ip_dataset_gather(d, order + s, b, xb, yb);
            loss_sum += (double)ip_network_train_step_grads(net, xb, yb, b, &correct) * b;
            correct_sum += correct;
            ip_optimizer_step(&opt, net->params, net->grads);
        }
        secs[e] = bench_now() - t0;
        printf("epoch %s %d %.4f s loss %.5f acc %.4f\n", label, e + 1, secs[e], loss_sum / d->n,
               (double)correct_sum / d->n);
        fflush(stdout);
    }
    /* Median of the epochs after the warm-up (the only epoch when there is just one). */
    int first = epochs > 1 ? 1 : 0, m = epochs - first;
    double med = bench_median(secs + first, m);
    printf("result %s %.4f\n", label, med);
    rc = IP_OK;
out:
    if (opt_live) ip_optimizer_free(&opt);
    ip_network_free(net);
    free(xb); free(yb); free(order); free(secs);
    ip_config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    const char *which = "both", *data_dir = "../shared/data/mnist", *arch_dir = NULL;
    int epochs = 4, threads = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--model") == 0) which = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--epochs") == 0) epochs = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0) threads = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--data") == 0) data_dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--arch-dir") == 0) arch_dir = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--model mlp|cnn|both] [--epochs N] [--threads T] [--data DIR] "
                            "[--arch-dir DIR]\n", argv[0]);
            return 2;
        }
    }
    if (epochs < 1 || (strcmp(which, "mlp") && strcmp(which, "cnn") && strcmp(which, "both"))) {
        fprintf(stderr, "%s: --epochs must be >= 1 and --model mlp, cnn or both\n", argv[0]);
        return 2;
    }
    ip_blas_set_threads(threads);
    printf("openblas_core %s\nopenblas_config %s\nthreads %d\n", ip_blas_core(), ip_blas_config(),
           ip_blas_threads());

    ip_config cfg;
    ip_config_defaults(&cfg);
    snprintf(cfg.data.dataset, sizeof cfg.data.dataset, "mnist");
    snprintf(cfg.data.path, sizeof cfg.data.path, "%s", data_dir);
    cfg.data.train_size = 0;
    cfg.data.test_size = 0;
    ip_data data;
    int rc = ip_data_load(&data, &cfg.data, BENCH_SEED);
    ip_config_free(&cfg);
    if (rc != IP_OK) {
        fprintf(stderr, "bench_train: %s\n", ip_error_message());
        return 1;
    }
    printf("data %d samples %dx%dx%d, %d classes (%s)\n", data.train.n, data.train.c, data.train.h, data.train.w,
           data.train.n_classes, data.description);
    if (strcmp(which, "cnn") != 0) rc = bench_model("mlp", "mnist_fnn", &data.train, epochs, arch_dir);
    if (rc == IP_OK && strcmp(which, "mlp") != 0) rc = bench_model("cnn", "mnist_cnn", &data.train, epochs, arch_dir);
    ip_data_free(&data);
    if (rc != IP_OK) {
        fprintf(stderr, "bench_train: %s\n", ip_error_message());
        return 1;
    }
    return 0;
}
