/* Datasets in memory: float32 inputs, one sample per row (C,H,W order), integer labels. */
#ifndef IP_DATASET_H
#define IP_DATASET_H

#include <stdint.h>
#include "../config/config.h"

typedef struct {
    int n;             /* samples */
    int c, h, w;       /* sample shape; a flat vector is c = features, h = w = 1 */
    int n_classes;
    float *x;          /* n x (c*h*w), owned */
    int *y;            /* n labels in [0, n_classes), owned */
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

#endif
