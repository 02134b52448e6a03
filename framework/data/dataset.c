/* ip_data_load: picks the loader for cfg->dataset, and the parts every loader shares: finding
 * MNIST-style files in the default places, turning file contents into train/test splits
 * (limits, seeded shuffles), and the description recorded with each run. */
#include "dataset.h"

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/names.h"
#include "core/status.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The data's own random stream, apart from the training's, which is seeded from the same seed. */
#define DATA_RNG_TAG 0x64617461ULL        /* "data" */
#define LABEL_NOISE_RNG_TAG 0x6e6f697365ULL /* "noise" */

void ip_dataset_free(ip_dataset *s)
{
    free(s->x);
    free(s->y);
    free(s->y_true);
    memset(s, 0, sizeof *s);
}

typedef struct {
    const ip_dataset *s;
    const int *index;
    const int *shift; /* NULL, or (dx, dy) per row */
    float *x;
    int *y;
} gather_job;

/* dst <- src (c planes of h x w) translated by (dx, dy), zero fill. */
static void shift_copy(float *dst, const float *src, int c, int h, int w, int dx, int dy)
{
    if (dx >= w || -dx >= w || dy >= h || -dy >= h) { /* moved out entirely */
        memset(dst, 0, sizeof *dst * (size_t)c * h * w);
        return;
    }
    /* Output columns [c0, c1) read inside the image (column - dx in [0, w)); the rest are 0. */
    int c0 = dx > 0 ? dx : 0, c1 = dx < 0 ? w + dx : w;
    for (int ch = 0; ch < c; ch++) {
        const float *in = src + (size_t)ch * h * w;
        float *out = dst + (size_t)ch * h * w;
        for (int r = 0; r < h; r++) {
            float *orow = out + (size_t)r * w;
            int rs = r - dy;
            if (rs < 0 || rs >= h) {
                memset(orow, 0, sizeof *orow * (size_t)w);
                continue;
            }
            memset(orow, 0, sizeof *orow * (size_t)c0);
            memcpy(orow + c0, in + (size_t)rs * w + (c0 - dx), sizeof *orow * (size_t)(c1 - c0));
            memset(orow + c1, 0, sizeof *orow * (size_t)(w - c1));
        }
    }
}

static void gather_rows(void *ctx, int begin, int end, int worker)
{
    const gather_job *g = ctx;
    const ip_dataset *s = g->s;
    size_t feat = (size_t)ip_dataset_features(s);
    for (int i = begin; i < end; i++) {
        const float *src = s->x + (size_t)g->index[i] * feat;
        float *dst = g->x + (size_t)i * feat;
        int dx = g->shift ? g->shift[2 * i] : 0, dy = g->shift ? g->shift[2 * i + 1] : 0;
        if (dx == 0 && dy == 0)
            memcpy(dst, src, feat * sizeof *dst);
        else
            shift_copy(dst, src, s->c, s->h, s->w, dx, dy);
        g->y[i] = s->y[g->index[i]];
    }
}

void ip_dataset_gather_shifted(const ip_dataset *s, const int *index, int n, const int *shift, float *x, int *y)
{
    gather_job g = {s, index, shift, x, y};
    /* rows of at least 1 KB per worker block of 64: small sets (Tishby's 12 features) stay serial */
    int min_rows = ip_dataset_features(s) >= 256 ? 64 : n;
    ip_parallel_for(n, min_rows > 0 ? min_rows : 1, gather_rows, &g);
}

void ip_dataset_gather(const ip_dataset *s, const int *index, int n, float *x, int *y)
{
    ip_dataset_gather_shifted(s, index, n, NULL, x, y);
}

void ip_dataset_draw_shifts(ip_rng *rng, int max_shift, int n, int *shift)
{
    uint64_t k = 2 * (uint64_t)(max_shift > 0 ? max_shift : 0) + 1;
    for (int i = 0; i < 2 * n; i++) shift[i] = (int)ip_rng_below(rng, k) - max_shift;
}

int ip_data_scale_std(ip_data *d, double *std_out)
{
    ip_dataset *tr = &d->train, *te = &d->test;
    size_t n = (size_t)tr->n * (size_t)ip_dataset_features(tr);
    if (n == 0) return ip_fail(IP_ERR, "data.scale: std needs training samples, and the training set is empty");
    /* Two passes in double (mean, then squared deviations): exact enough for any data set here. */
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n; i++) sum += tr->x[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) {
        double e = tr->x[i] - mean;
        ss += e * e;
    }
    double sd = sqrt(ss / (double)n);
    if (!(sd > 0) || !isfinite(sd))
        return ip_fail(IP_ERR, "data.scale: std: the training inputs have standard deviation %g; cannot divide by it",
                       sd);
    /* One float divisor, a division as torchvision's Normalize (mean 0): x / std. */
    float div = (float)sd;
    for (size_t i = 0; i < n; i++) tr->x[i] = tr->x[i] / div;
    size_t m = (size_t)te->n * (size_t)ip_dataset_features(te);
    for (size_t i = 0; i < m; i++) te->x[i] = te->x[i] / div;
    ip_data_describe(d, "; inputs divided by the training inputs' standard deviation %.9g (data.scale std)", sd);
    if (std_out) *std_out = sd;
    return IP_OK;
}

void ip_data_free(ip_data *d)
{
    ip_dataset_free(&d->train);
    ip_dataset_free(&d->test);
    d->description[0] = '\0';
    d->generated = 0;
}

void ip_data_describe(ip_data *d, const char *fmt, ...)
{
    size_t used = strlen(d->description);
    if (used + 1 >= sizeof d->description) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->description + used, sizeof d->description - used, fmt, ap);
    va_end(ap);
}

double ip_data_train_fraction(const ip_data_config *cfg)
{
    return cfg->train_fraction == 0 ? 0.8 : cfg->train_fraction;
}

int ip_data_find_file(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
    if (ip_is_file(out)) return 1;
    snprintf(out, len, "%s/%s.gz", dir, name);
    return ip_is_file(out);
}

/* ---- turning sources into splits ---- */

static int source_label(const ip_data_source *s, int i)
{
    return s->yb ? s->yb[(size_t)i * s->y_stride] : s->yi[(size_t)i * s->y_stride];
}

static int labels_sorted(const ip_data_source *s)
{
    for (int i = 1; i < s->n; i++)
        if (source_label(s, i) < source_label(s, i - 1)) return 0;
    return s->n > 1 && source_label(s, 0) != source_label(s, s->n - 1);
}

/* Copies rows order[0..n) of src into a new split *out (floats, scaled). */
static int take_rows(ip_dataset *out, const ip_data_source *src, const int *order, int n)
{
    size_t f = (size_t)src->c * src->h * src->w;
    memset(out, 0, sizeof *out);
    out->x = ip_malloc((size_t)n * f * sizeof *out->x);
    out->y = ip_malloc((size_t)n * sizeof *out->y);
    if (!out->x || !out->y) {
        ip_dataset_free(out);
        return IP_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        size_t r = (size_t)order[i];
        float *dst = out->x + (size_t)i * f;
        if (src->xb) {
            const uint8_t *row = src->xb + r * src->x_stride;
            /* a division (not a multiplication by 1/255), as PyTorch's ToTensor: identical inputs */
            for (size_t j = 0; j < f; j++) dst[j] = (float)row[j] / src->scale;
        } else {
            memcpy(dst, src->xf + r * src->x_stride, f * sizeof *dst);
        }
        out->y[i] = source_label(src, (int)r);
    }
    out->n = n;
    out->c = src->c;
    out->h = src->h;
    out->w = src->w;
    return IP_OK;
}

/* The first `limit` of `avail` rows (limit 0 = all); a limit beyond what there is is an error,
 * since silently training on fewer samples than asked would mislabel a run. */
static int apply_limit(int avail, int limit, const char *key, const char *name, int *n)
{
    if (limit > avail)
        return ip_fail(IP_ERR, "data.%s = %d, but %s has only %d samples", key, limit, name, avail);
    *n = limit > 0 ? limit : avail;
    return IP_OK;
}

static int *identity_order(int n)
{
    int *o = ip_malloc((size_t)(n > 0 ? n : 1) * sizeof *o);
    if (o)
        for (int i = 0; i < n; i++) o[i] = i;
    return o;
}

int ip_data_assemble(ip_data *d, const ip_data_source *train, const ip_data_source *test,
                     const ip_data_config *cfg, uint64_t seed, int fixed_classes)
{
    int rc = IP_OK, n_train = 0, n_test = 0;
    int *order = NULL, *order_test = NULL;
    ip_rng rng;
    ip_rng_seed(&rng, seed ^ DATA_RNG_TAG);

    if (test && (test->c != train->c || test->h != train->h || test->w != train->w)) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: samples are %dx%dx%d, but those of %s are %dx%dx%d", test->name, test->c,
                     test->h, test->w, train->name, train->c, train->h, train->w);
        goto out;
    }
    if (!(order = identity_order(train->n))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }

    if (!test) {
        /* One source: a seeded shuffle, then the first train_fraction for training. */
        double frac = ip_data_train_fraction(cfg);
        int n_split = (int)floor(frac * train->n + 0.5);
        if (n_split < 1) {
            rc = ip_fail(IP_ERR, "data.train_fraction = %g leaves no training sample: %g of the %d samples of %s "
                                 "rounds to 0 (expected at least 1; a fraction of %g or more gives one)",
                         frac, frac, train->n, train->name, 1.0 / train->n);
            goto out;
        }
        ip_rng_shuffle_int(&rng, order, train->n);
        if ((rc = apply_limit(n_split, cfg->train_size, "train_size", "the training split", &n_train)) < 0) goto out;
        if ((rc = apply_limit(train->n - n_split, cfg->test_size, "test_size", "the test split", &n_test)) < 0)
            goto out;
        ip_data_describe(d, " [%d samples shuffled with the seed and split %d/%d (train_fraction %g); using %d train, %d test]",
                         train->n, n_split, train->n - n_split, frac, n_train, n_test);
        if ((rc = take_rows(&d->train, train, order, n_train)) < 0) goto out;
        if ((rc = take_rows(&d->test, train, order + n_split, n_test)) < 0) goto out;
    } else {
        /* Two sources: file order, except that a file grouped by class is shuffled first, or
         * "the first N" would be N samples of one class. */
        if (!(order_test = identity_order(test->n))) {
            rc = IP_ERR_NOMEM;
            goto out;
        }
        int sorted_train = labels_sorted(train), sorted_test = labels_sorted(test);
        if (sorted_train) ip_rng_shuffle_int(&rng, order, train->n);
        if (sorted_test) ip_rng_shuffle_int(&rng, order_test, test->n);
        if ((rc = apply_limit(train->n, cfg->train_size, "train_size", train->name, &n_train)) < 0) goto out;
        if ((rc = apply_limit(test->n, cfg->test_size, "test_size", test->name, &n_test)) < 0) goto out;
        ip_data_describe(d, " [train: %s%d of %d; test: %s%d of %d]",
                         sorted_train ? "grouped by class, shuffled with the seed, " : "first ", n_train, train->n,
                         sorted_test ? "grouped by class, shuffled with the seed, " : "first ", n_test, test->n);
        if ((rc = take_rows(&d->train, train, order, n_train)) < 0) goto out;
        if ((rc = take_rows(&d->test, test, order_test, n_test)) < 0) goto out;
    }

    /* Classes from everything read, not only the rows kept, so that train and test agree even
     * when a small limit misses a class. */
    int max_label = 0;
    for (int i = 0; i < train->n; i++)
        if (source_label(train, i) > max_label) max_label = source_label(train, i);
    for (int i = 0; test && i < test->n; i++)
        if (source_label(test, i) > max_label) max_label = source_label(test, i);
    d->train.n_classes = d->test.n_classes = fixed_classes > 0 ? fixed_classes : max_label + 1;

out:
    free(order);
    free(order_test);
    return rc;
}

/* ---- IDX image/label pairs (mnist, fashion_mnist, idx) ---- */

/* An image file and its label file, read and checked against each other. max_label < 0: any. */
typedef struct {
    ip_idx img, lbl;
    ip_data_source src;
} idx_pair;

static void idx_pair_free(idx_pair *p)
{
    ip_idx_free(&p->img);
    ip_idx_free(&p->lbl);
}

static int idx_pair_read(idx_pair *p, const char *img_path, const char *lbl_path, int max_label)
{
    int rc;
    memset(p, 0, sizeof *p);
    if ((rc = ip_idx_read(&p->img, img_path, 0, "image data")) < 0) goto out;
    if (p->img.ndim < 2) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: expected images (2 to 4 IDX dimensions: count x features, count x rows x "
                     "columns or count x channels x rows x columns), got 1 dimension", img_path);
        goto out;
    }
    if ((rc = ip_idx_read(&p->lbl, lbl_path, 1, "label data")) < 0) goto out;
    if (p->lbl.dims[0] != p->img.dims[0]) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: %d labels, but %s has %d images", lbl_path, p->lbl.dims[0], img_path,
                     p->img.dims[0]);
        goto out;
    }
    if (max_label >= 0) {
        for (int i = 0; i < p->lbl.dims[0]; i++)
            if (p->lbl.data[i] > max_label) {
                rc = ip_fail(IP_ERR_FORMAT, "%s: label %d of sample %d is out of range (expected 0..%d)", lbl_path,
                             p->lbl.data[i], i, max_label);
                goto out;
            }
    }
    ip_data_source *s = &p->src;
    s->n = p->img.dims[0];
    /* count x features is a flat vector; count x H x W one channel; count x C x H x W as is. */
    s->c = p->img.ndim == 2 ? p->img.dims[1] : p->img.ndim == 3 ? 1 : p->img.dims[1];
    s->h = p->img.ndim == 2 ? 1 : p->img.dims[p->img.ndim - 2];
    s->w = p->img.ndim == 2 ? 1 : p->img.dims[p->img.ndim - 1];
    s->xb = p->img.data;
    s->x_stride = p->img.item_size;
    s->yb = p->lbl.data;
    s->y_stride = 1;
    s->scale = 255.0f;
    s->name = img_path;
out:
    if (rc < 0) idx_pair_free(p);
    return rc;
}

/* Reads train (and test, when test_img is non-NULL) pairs and assembles the splits. */
static int load_idx_files(ip_data *d, const ip_data_config *cfg, uint64_t seed, const char *train_img,
                          const char *train_lbl, const char *test_img, const char *test_lbl, int max_label)
{
    int rc;
    idx_pair tr, te;
    memset(&te, 0, sizeof te);
    if ((rc = idx_pair_read(&tr, train_img, train_lbl, max_label)) < 0) return rc;
    ip_data_describe(d, "train %s + %s", train_img, train_lbl);
    if (test_img) {
        if ((rc = idx_pair_read(&te, test_img, test_lbl, max_label)) < 0) goto out;
        ip_data_describe(d, "; test %s + %s", test_img, test_lbl);
    } else {
        ip_data_describe(d, "; no test files: test split held out from the training files");
    }
    rc = ip_data_assemble(d, &tr.src, test_img ? &te.src : NULL, cfg, seed, 0);
out:
    idx_pair_free(&tr);
    idx_pair_free(&te);
    return rc;
}

/* File names looked for in an MNIST-style directory, best first: the full training set
 * (original or Debian naming), then the 10,000-digit set that scripts/get-data.sh builds. */
static const char *const train_stems[][2] = {
    {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
    {"train-images.idx3-ubyte", "train-labels.idx1-ubyte"},
    {"mnist10k-train-images-idx3-ubyte", "mnist10k-train-labels-idx1-ubyte"},
};
static const char *const test_stems[][2] = {
    {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
    {"t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"},
};

/* Finds the first stem pair present in dir (plain or .gz, each file on its own). */
static int find_pair(const char *dir, const char *const stems[][2], int n_stems, char *img, char *lbl, size_t len)
{
    static const char *const ext[] = {"", ".gz"};
    for (int s = 0; s < n_stems; s++) {
        int found_img = 0, found_lbl = 0;
        for (int e = 0; e < 2 && !found_img; e++) {
            snprintf(img, len, "%s/%s%s", dir, stems[s][0], ext[e]);
            found_img = ip_is_file(img);
        }
        for (int e = 0; e < 2 && !found_lbl; e++) {
            snprintf(lbl, len, "%s/%s%s", dir, stems[s][1], ext[e]);
            found_lbl = ip_is_file(lbl);
        }
        if (found_img && found_lbl) return 1;
    }
    return 0;
}

typedef struct {
    const char *name;            /* as in messages */
    const char *get;             /* the get-data.sh argument */
    const char *const *defaults; /* directories searched when data.path is empty, NULL-terminated */
} mnist_kind;

static const char *const mnist_dirs[] = {"../shared/data/mnist", "data/mnist", NULL};
static const char *const fashion_dirs[] = {"/usr/share/datasets/fashion-mnist", "data/fashion-mnist", NULL};
static const mnist_kind MNIST = {"mnist", "mnist", mnist_dirs};
static const mnist_kind FASHION = {"fashion_mnist", "fashion-mnist", fashion_dirs};

static int load_mnist_dir(ip_data *d, const ip_data_config *cfg, uint64_t seed, const mnist_kind *k)
{
    char img[IP_PATH_LEN + 64], lbl[IP_PATH_LEN + 64], timg[IP_PATH_LEN + 64], tlbl[IP_PATH_LEN + 64];
    const char *dir = NULL;
    const char *given[] = {cfg->path, NULL};
    const char *const *dirs = cfg->path[0] ? given : k->defaults;

    for (int i = 0; dirs[i]; i++)
        if (find_pair(dirs[i], train_stems, 3, img, lbl, sizeof img)) {
            dir = dirs[i];
            break;
        }
    if (!dir) {
        if (cfg->path[0])
            return ip_fail(IP_ERR_IO,
                           "%s: no %s training files (train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz], "
                           "or mnist10k-train-*) %s; get them with scripts/get-data.sh %s",
                           cfg->path, k->name, ip_is_dir(cfg->path) ? "in this directory" : "(no such directory)",
                           k->get);
        return ip_fail(IP_ERR_IO,
                       "%s: no training files (train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz], or "
                       "mnist10k-train-*) in %s or %s; get them with scripts/get-data.sh %s, or set data.path",
                       k->name, k->defaults[0], k->defaults[1], k->get);
    }
    int have_test = find_pair(dir, test_stems, 2, timg, tlbl, sizeof timg);
    ip_data_describe(d, "%s from %s: ", k->name, dir);
    return load_idx_files(d, cfg, seed, img, lbl, have_test ? timg : NULL, have_test ? tlbl : NULL, 9);
}

static int load_idx(ip_data *d, const ip_data_config *cfg, uint64_t seed)
{
    if (!cfg->train_images[0] || !cfg->train_labels[0])
        return ip_fail(IP_ERR, "data: dataset idx needs data.train_images and data.train_labels");
    if (!cfg->test_images[0] != !cfg->test_labels[0])
        return ip_fail(IP_ERR, "data: dataset idx needs both data.test_images and data.test_labels, or neither");
    ip_data_describe(d, "idx: ");
    return load_idx_files(d, cfg, seed, cfg->train_images, cfg->train_labels,
                          cfg->test_images[0] ? cfg->test_images : NULL, cfg->test_labels, -1);
}

/* data.label_noise: each training label, with probability p, is replaced by one of the other
 * classes, uniformly (so a replaced label is always wrong). Draws come from their own stream
 * (seed ^ "noise"), two per sample whether replaced or not, so a sample's fate does not depend on
 * the ones before it; the test split keeps its true labels, so test accuracy measures what the
 * noise costs, and the true training labels stay in train.y_true (the analysis set's labels). The
 * count replaced goes into the description. */
static int apply_label_noise(ip_data *d, double p, uint64_t seed)
{
    ip_dataset *t = &d->train;
    if (t->n_classes < 2)
        return ip_fail(IP_ERR, "data.label_noise = %g: the training set has %d class; replacing a label needs at least 2",
                       p, t->n_classes);
    if (!(t->y_true = ip_malloc((size_t)(t->n > 0 ? t->n : 1) * sizeof *t->y_true))) return IP_ERR_NOMEM;
    memcpy(t->y_true, t->y, (size_t)t->n * sizeof *t->y);
    ip_rng rng;
    ip_rng_seed(&rng, seed ^ LABEL_NOISE_RNG_TAG);
    int replaced = 0;
    for (int i = 0; i < t->n; i++) {
        double u = ip_rng_uniform(&rng);
        int other = (int)ip_rng_below(&rng, (uint64_t)(t->n_classes - 1));
        if (u < p) {
            t->y[i] = (t->y[i] + 1 + other) % t->n_classes;
            replaced++;
        }
    }
    ip_data_describe(d, "; label noise: %d of the %d training labels (%.1f%%) replaced by another class drawn with "
                     "the seed (data.label_noise %g; test labels untouched)",
                     replaced, t->n, t->n ? 100.0 * replaced / t->n : 0.0, p);
    return IP_OK;
}

const char *const ip_data_scale_names[] = {"none", "std", NULL};
const char *const ip_dataset_names[] = {"mnist", "fashion_mnist", "idx", "cifar10", "tishby", "gaussian", NULL};

int ip_data_load(ip_data *d, const ip_data_config *cfg, uint64_t seed)
{
    int rc;
    memset(d, 0, sizeof *d);
    if (cfg->train_size < 0 || cfg->test_size < 0)
        return ip_fail(IP_ERR, "data: train_size and test_size must be >= 0 (0 = all), got %d and %d",
                       cfg->train_size, cfg->test_size);
    if (!(cfg->label_noise >= 0 && cfg->label_noise < 1))
        return ip_fail(IP_ERR, "data: label_noise must be in [0, 1), got %g", cfg->label_noise);
    if (cfg->generate && strcmp(cfg->dataset, "tishby") != 0)
        return ip_fail(IP_ERR, "data: generate applies to the tishby task only, not to %s", cfg->dataset);
    if (!(cfg->train_fraction >= 0 && cfg->train_fraction <= 1))
        return ip_fail(IP_ERR, "data: train_fraction must be in (0, 1] (0 = the default 0.8), got %g",
                       cfg->train_fraction);

    const char *ds = cfg->dataset;
    /* A given data.path is a directory for every loader that reads one (idx takes files by name,
     * gaussian generates): a file there is named as such (a missing one is each loader's to
     * explain, with where to get the data). */
    if (cfg->path[0] && strcmp(ds, "idx") && strcmp(ds, "gaussian")) {
        char what[128];
        snprintf(what, sizeof what, "the directory holding the %s files", ds);
        if ((rc = ip_expect_not_file(cfg->path, "data.path", what)) != IP_OK) return rc;
    }
    if (!strcmp(ds, "mnist"))
        rc = load_mnist_dir(d, cfg, seed, &MNIST);
    else if (!strcmp(ds, "fashion_mnist") || !strcmp(ds, "fashion-mnist"))
        rc = load_mnist_dir(d, cfg, seed, &FASHION);
    else if (!strcmp(ds, "idx"))
        rc = load_idx(d, cfg, seed);
    else if (!strcmp(ds, "cifar10"))
        rc = ip_data_load_cifar10(d, cfg, seed);
    else if (!strcmp(ds, "tishby"))
        rc = ip_data_load_tishby(d, cfg, seed);
    else if (!strcmp(ds, "gaussian"))
        rc = ip_data_load_gaussian(d, cfg, seed);
    else {
        char names[256];
        rc = ip_fail(IP_ERR, "data: unknown dataset '%s' (expected one of %s)", ds,
                     ip_names_join(names, sizeof names, ip_dataset_names));
    }
    if (rc >= 0 && cfg->label_noise > 0) rc = apply_label_noise(d, cfg->label_noise, seed);
    if (rc >= 0 && cfg->scale == IP_SCALE_STD) rc = ip_data_scale_std(d, NULL);
    if (rc < 0) ip_data_free(d);
    return rc;
}
