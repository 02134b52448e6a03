/* A network: a sequence of layers with one allocation each for parameters, gradients,
 * activations (every layer's output for a batch) and scratch. Softmax cross-entropy
 * on the last layer's output (the logits). */
#ifndef IP_NETWORK_H
#define IP_NETWORK_H

#include "../core/rng.h"
#include "layer.h"

typedef struct {
    int n_layers;
    ip_layer *layers;
    ip_shape input;
    int n_classes;        /* size of the last layer's output */
    int max_batch;
    size_t n_params;
    float *params, *grads; /* one allocation each */
    float *acts;          /* layer i's output for the current batch is ip_network_act(net, i) */
    size_t *act_offset;
    float *dbuf[2];       /* ping-pong gradient buffers, max layer size x max_batch */
    float *scratch;
    float *probs;         /* softmax of the logits, (max_batch, n_classes) */
} ip_network;

/* What ip_network_create allocates for n layer specs, inputs of shape `input` and batches up to
 * max_batch, in floats; sums that overflow are SIZE_MAX (core/sysmem.h). */
typedef struct {
    size_t n_params;       /* parameters, and as many gradients */
    size_t act_floats;     /* every layer's output for max_batch samples */
    size_t dbuf_floats;    /* the backward pass's two gradient buffers together */
    size_t scratch_floats; /* the layers' workspaces */
    size_t probs_floats;   /* the softmax of a batch */
    int out_size[IP_MAX_LAYERS]; /* values per sample of layer i's output */
} ip_network_sizes;

/* Fill *s without allocating the network (only a small array of n layers): the layers are set
 * up exactly as ip_network_create sets them up, and fail in the same way (a spec that does not
 * fit its input, a size past what a layer can index). For checking a network against the
 * machine's memory before building it. */
int ip_network_plan(ip_network_sizes *s, const ip_layer_spec *specs, int n, ip_shape input, int max_batch);
/* The bytes of the network's own buffers (parameters, gradients, activations, gradient buffers,
 * workspaces, softmax), as a double so that no sum wraps. */
double ip_network_sizes_bytes(const ip_network_sizes *s);

/* Build a network from n layer specs for inputs of shape `input`, batches up to max_batch.
 * On success *out owns everything; release with ip_network_free. Parameters are zero
 * until ip_network_init. */
int ip_network_create(ip_network **out, const ip_layer_spec *specs, int n, ip_shape input, int max_batch);
void ip_network_free(ip_network *net);

/* Initialise all parameters with `kind` (PyTorch defaults, truncated normal 1/sqrt(fan_in), Xavier). */
void ip_network_init(ip_network *net, ip_init_kind kind, ip_rng *rng);

/* A fixed set of input rows (an analysis or test set, forwarded again every epoch) prepared for
 * forward passes in batches of max_batch rows (ip_forward_opts.rows): the first layer, when dense
 * with a sparse-input route, then multiplies four rows at a time (nn/dense_fixed.h), with the same
 * results as the ordinary route. NULL when it does not apply (other first layer, dense inputs, no
 * memory): passes given NULL take the ordinary route. x (n x input size) may be freed after;
 * the caller owns the result and frees it with ip_network_rows_free. */
typedef struct ip_fixed_rows ip_fixed_rows;
ip_fixed_rows *ip_network_prepare_rows(const ip_network *net, const float *x, int n);
void ip_network_rows_free(ip_fixed_rows *rows);

/* What a forward pass may do besides the plain one; a NULL pointer, or zeroed fields, for none. */
typedef struct {
    /* Layer i's output is written to outs[i] (batch x its size) where outs[i] is not NULL, else to
     * ip_network_act(net, i): recording gathers the analysis set's activations straight into the
     * run's buffer. Such a pass is not followed by a backward pass. */
    float *const *outs;
    /* The batch is rows [row0, row0 + batch) of this prepared set (row0 a multiple of max_batch,
     * x pointing at row row0 of the set's rows): the prepared route where it applies, the same
     * results. NULL: none. */
    ip_fixed_rows *rows;
    int row0;
} ip_forward_opts;

/* The one forward entry point. Forwards a batch x (batch, input size); returns the logits
 * (batch, n_classes), valid until the next call, or NULL (with a message) when batch is outside
 * 1..max_batch. Every layer's output stays readable through ip_network_act (unless opts->outs
 * sends it elsewhere). */
const float *ip_network_forward(ip_network *net, const float *x, int batch, const ip_forward_opts *opts);

/* Forward, mean softmax cross-entropy over the batch, backward: grads are overwritten
 * (not accumulated) with dLoss/dparams. Returns the mean loss; *correct (may be NULL)
 * gets the number of argmax hits. */
float ip_network_train_step_grads(ip_network *net, const float *x, const int *y, int batch, int *correct);

/* The one evaluation entry point: mean loss and hit count (*correct, may be NULL) of a batch,
 * forward only (opts as for ip_network_forward). NaN (with a message) on a bad batch size or
 * label. */
float ip_network_eval(ip_network *net, const float *x, const int *y, int batch, int *correct,
                      const ip_forward_opts *opts);

static inline float *ip_network_act(const ip_network *net, int i) { return net->acts + net->act_offset[i]; }

#endif
