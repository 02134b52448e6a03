/* Internal to framework/train: what a training run will be, worked out from the config and the
 * loaded data before anything large is allocated. The sizes the config leaves open (the batch
 * beyond the training set, the analysis set) are settled here, and a run that cannot be trained
 * meaningfully (no training sample, an analysis set too small to estimate from) or that cannot
 * fit in this machine's memory is refused with a message naming the config key. */
#ifndef IP_TRAIN_PLAN_H
#define IP_TRAIN_PLAN_H

#include "../config/config.h"
#include "../data/dataset.h"
#include "../nn/layer_spec.h"

typedef struct {
    int batch;            /* train.batch_size, or the training set's size when that is smaller */
    int max_batch;        /* the network's batch capacity: train.batch_size cut to the largest set
                           * it is used on (training, test, analysis), and at least 256 */
    int n_analysis_train; /* the analysis set: the first n_analysis_train training samples, */
    int n_analysis_test;  /* then the first n_analysis_test test samples */
} ip_train_plan;


/* Settle *p for cfg on `data` and the network `specs` (n of them, for inputs of shape c x h x w)
 * and check that the run fits: at least one training sample, an analysis set of at least
 * IP_LOGDET_MIN_SAMPLES (estimate/logdet.h), and the memory of every large buffer of the run (network state with
 * the optimizer's moments and the run writer's copies, a batch's activations, the analysis set's
 * recorded activations, the per-epoch history) within the machine's physical memory. Notes on
 * stderr what it changed (a batch larger than the training set, once). Returns IP_OK, or an error
 * naming the key, what it needs and what there is. Allocates nothing larger than a layer list. */
int ip_train_plan_make(ip_train_plan *p, const ip_config *cfg, const ip_data *data, const ip_layer_spec *specs,
                       int n_specs);

#endif
