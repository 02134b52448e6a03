/* Datasets in memory: float32 inputs, one sample per row (C,H,W order), integer labels. */
#ifndef IP_DATASET_H
#define IP_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "../core/limits.h"
#include "../core/rng.h"

typedef enum { IP_SCALE_NONE = 0, IP_SCALE_STD } ip_data_scale; /* data.scale */
extern const char *const ip_data_scale_names[];                  /* "none", "std" */
extern const char *const ip_dataset_names[];                     /* the loaders ip_data_load knows */

/* Which data to load and how (the config's data section fills it). */
typedef struct {
    char dataset[IP_NAME_LEN];       /* mnist | fashion_mnist | idx | cifar10 | tishby | gaussian */
    char path[IP_PATH_LEN];          /* directory (mnist, fashion_mnist, cifar10) or tishby IDX dir; "" = default search */
    char train_images[IP_PATH_LEN], train_labels[IP_PATH_LEN]; /* idx: explicit files */
    char test_images[IP_PATH_LEN], test_labels[IP_PATH_LEN];
    int train_size, test_size;       /* 0 = all available */
    double train_fraction;           /* tishby/gaussian: fraction used for training (rest test) */
    int gaussian_samples, gaussian_dim, gaussian_classes; /* synthetic Gaussians */
    double gaussian_separation;
    ip_data_scale scale;             /* std: every input divided by the training inputs' std */
    double label_noise;              /* share of training labels replaced by another class (0 = none) */
    int generate;                    /* tishby: our generator even where the files are found */
} ip_data_config;
#include "../core/rng.h"

typedef struct {
    int n;             /* samples */
    int c, h, w;       /* sample shape; a flat vector is c = features, h = w = 1 */
    int n_classes;
    float *x;          /* n x (c*h*w), owned */
    int *y;            /* n labels in [0, n_classes), owned: the labels trained on */
    int *y_true;       /* NULL, or (data.label_noise) the labels before noise replaced some of y, owned */
} ip_dataset;

typedef struct {
    ip_dataset train, test;
    char description[2048]; /* where the data came from: files, or "generated: ..." */
    int generated;          /* 1 when made by a generator of ours instead of read from files */
} ip_data;

/* Load the data the config names. Images are scaled to [0, 1]. Missing or truncated files
 * give an error naming the file. seed drives splits and generators. Release with ip_data_free. */
int ip_data_load(ip_data *d, const ip_data_config *cfg, uint64_t seed);
void ip_data_free(ip_data *d);

static inline int ip_dataset_features(const ip_dataset *s) { return s->c * s->h * s->w; }

/* Release one split's arrays and zero it (safe on a zeroed or already freed split). */
void ip_dataset_free(ip_dataset *s);

/* x (n x features) and y (n) <- the samples of s at index[0..n), in that order (a training
 * batch). Rows are copied on the thread pool. */
void ip_dataset_gather(const ip_dataset *s, const int *index, int n, float *x, int *y);

/* As ip_dataset_gather, with sample i translated by (shift[2i], shift[2i+1]) = (dx, dy) pixels
 * on the way (train.augment_shift): out[ch][r][c] = in[ch][r - dy][c - dx], zero where that falls
 * outside the image, so dx > 0 moves the content right and dy > 0 down; the channels of a sample
 * move together. shift == NULL is ip_dataset_gather. The shifts are the caller's (drawn serially
 * from the training RNG), so the batch does not depend on the thread count. */
void ip_dataset_gather_shifted(const ip_dataset *s, const int *index, int n, const int *shift, float *x, int *y);

/* Draws n shifts for ip_dataset_gather_shifted: per sample dx then dy, each uniform in
 * {-max_shift..max_shift} (ip_rng_below(2 max_shift + 1) - max_shift), into shift[0..2n). */
void ip_dataset_draw_shifts(ip_rng *rng, int max_shift, int n, int *shift);

/* data.scale: std. Divides every input of d->train and d->test by the population standard
 * deviation (denominator N) of all training input values, summed in double and applied as one float
 * divisor, so zeros stay zero. Stores the value in *std_out (may be NULL) and appends it to
 * d->description. An empty training set, or one whose inputs are all equal (std 0), is an error. */
int ip_data_scale_std(ip_data *d, double *std_out);

/* ---- Building blocks of ip_data_load, also used by the tests (docs/data.md) ---- */

/* An IDX file of unsigned bytes (data type 0x08), the layout of MNIST: a big-endian header
 * (magic 0x0000080N, N = ndim; then N uint32 sizes) and the bytes in row-major order. */
typedef struct {
    int ndim;          /* 1..4 */
    int dims[4];       /* dims[0] = items */
    size_t item_size;  /* bytes per item: product of dims[1..ndim-1] (1 for ndim 1) */
    uint8_t *data;     /* dims[0] * item_size bytes, owned; release with ip_idx_free */
} ip_idx;

/* Read the whole IDX file `path`, gzip-compressed or plain (zlib reads both). expect_ndim > 0
 * requires that many dimensions; `what` ("image data", "label data") names the payload in
 * messages such as "PATH: truncated: expected N bytes of image data, got M". Checks the magic,
 * the sizes, that the file holds exactly the bytes its header announces and, for gzip, the
 * stream's integrity. On failure *idx is left empty and the message names the file. */
int ip_idx_read(ip_idx *idx, const char *path, int expect_ndim, const char *what);
void ip_idx_free(ip_idx *idx);

/* Read all of `path` (gzip or plain) into a new buffer the caller frees. */
int ip_read_all_gz(const char *path, uint8_t **data, size_t *len);

/* Where each loader gets its samples: n rows of c*h*w values, either bytes (xb, divided by
 * `scale` when copied out: 255 for pixels, 1 for bits) or floats (xf, copied as they are), rows
 * `x_stride` elements apart; labels are bytes (yb)
 * or ints (yi), `y_stride` apart. `name` names the origin (a file) in messages and descriptions. */
typedef struct {
    int n, c, h, w;
    const uint8_t *xb;
    const float *xf;
    size_t x_stride;
    const uint8_t *yb;
    const int *yi;
    size_t y_stride;
    float scale;       /* bytes are divided by this */
    const char *name;
} ip_data_source;

/* Turn one or two sources into d->train and d->test, following cfg (train_size, test_size,
 * train_fraction) and the seed: with test == NULL the training source is shuffled and split by
 * train_fraction; a source whose labels are sorted (a file grouped by class) is shuffled before its
 * first N are taken; otherwise the first N rows in file order. n_classes = fixed when > 0, else the
 * largest label + 1. Appends what it did to d->description. */
int ip_data_assemble(ip_data *d, const ip_data_source *train, const ip_data_source *test,
                     const ip_data_config *cfg, uint64_t seed, int fixed_classes);

/* Append printf-style text to d->description (truncating at its size). */
void ip_data_describe(ip_data *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The loaders behind ip_data_load, one per dataset kind; each fills a zeroed *d. */
/* Writes DIR/NAME, or DIR/NAME.gz when only that exists, into out; 1 if one is a regular file. */
int ip_data_find_file(char *out, size_t len, const char *dir, const char *name);

int ip_data_load_cifar10(ip_data *d, const ip_data_config *cfg, uint64_t seed);
int ip_data_load_tishby(ip_data *d, const ip_data_config *cfg, uint64_t seed);
int ip_data_load_gaussian(ip_data *d, const ip_data_config *cfg, uint64_t seed);

/* The Tishby 12-bit task from our generator (used when the var_u files are missing): all 4096
 * patterns in the file's row order (row i = binary i, most significant bit first), x in {0,1}
 * (4096 x 12 bytes) and y in {0,1} (4096 bytes), caller-provided. Returns the threshold used and the
 * number of ones; see docs/data.md for the rule. Deterministic: no seed. */
void ip_tishby_generate(uint8_t *x, uint8_t *y, double *threshold, int *n_ones);

/* The training fraction in force: cfg->train_fraction, or 0.8 when it is 0 (unset). */
double ip_data_train_fraction(const ip_data_config *cfg);

#endif
