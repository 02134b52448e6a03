/* The network: a chain of layers over one allocation each for parameters, gradients,
 * activations and scratch, a forward pass, and softmax cross-entropy with its backward pass.
 * Everything a training step touches is allocated here once, at create time. */
#include "network.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/parallel.h"
#include "../core/sysmem.h"
#include "../core/status.h"
#include "dense_fixed.h"
#include "layer_kinds.h"

void ip_network_free(ip_network *net)
{
    if (!net) return;
    free(net->layers);
    free(net->params);
    free(net->grads);
    free(net->acts);
    free(net->act_offset);
    free(net->dbuf[0]); /* dbuf[1] lives in the same block */
    free(net->scratch);
    free(net->probs);
    free(net);
}

/* Sets up layers[0..n) from the specs and sums, saturating (core/sysmem.h), the floats each
 * buffer of the network needs for batches of max_batch. */
static int plan_layers(ip_network_sizes *s, ip_layer *layers, const ip_layer_spec *specs, int n, ip_shape input,
                       int max_batch)
{
    memset(s, 0, sizeof *s);
    if (n <= 0) return ip_fail(IP_ERR_FORMAT, "network: no layers");
    if (n > IP_MAX_LAYERS) return ip_fail(IP_ERR_FORMAT, "network: %d layers, at most %d", n, IP_MAX_LAYERS);
    if (max_batch <= 0) return ip_fail(IP_ERR_FORMAT, "network: max_batch must be positive, not %d", max_batch);
    size_t widest = (size_t)ip_shape_size(input);
    ip_shape shape = input;
    for (int i = 0; i < n; i++) {
        ip_layer *l = &layers[i];
        int rc = ip_layer_setup(l, &specs[i], shape, max_batch, i);
        if (rc != IP_OK) return rc;
        shape = l->out;
        size_t sz = (size_t)ip_shape_size(shape);
        s->out_size[i] = (int)sz;
        s->act_floats = ip_size_add(s->act_floats, ip_size_mul(sz, (size_t)max_batch));
        s->n_params = ip_size_add(s->n_params, l->n_params);
        /* 16-float steps keep every layer's scratch 64-byte aligned for BLAS */
        s->scratch_floats = ip_size_add(s->scratch_floats, ip_size_mul(ip_size_add(l->scratch_floats, 15) / 16, 16));
        if (sz > widest) widest = sz;
    }
    s->dbuf_floats = ip_size_mul(ip_size_add(ip_size_mul(widest, (size_t)max_batch), 15) / 16, 32);
    s->probs_floats = ip_size_mul((size_t)ip_shape_size(shape), (size_t)max_batch);
    return IP_OK;
}

int ip_network_plan(ip_network_sizes *s, const ip_layer_spec *specs, int n, ip_shape input, int max_batch)
{
    if (n <= 0 || n > IP_MAX_LAYERS) return plan_layers(s, NULL, specs, n, input, max_batch); /* the message */
    ip_layer *layers = ip_calloc((size_t)n, sizeof *layers);
    if (!layers) return IP_ERR_NOMEM;
    int rc = plan_layers(s, layers, specs, n, input, max_batch);
    free(layers);
    return rc;
}

double ip_network_sizes_bytes(const ip_network_sizes *s)
{
    return 4.0 * (2.0 * (double)s->n_params + (double)s->act_floats + (double)s->dbuf_floats +
                  (double)s->scratch_floats + (double)s->probs_floats);
}

/* Builds the layers, then carves every buffer out of one allocation per kind. On failure
 * everything allocated so far is released and *out is left NULL. */
int ip_network_create(ip_network **out, const ip_layer_spec *specs, int n, ip_shape input, int max_batch)
{
    *out = NULL;
    ip_network_sizes s;
    if (n <= 0 || n > IP_MAX_LAYERS || max_batch <= 0) return plan_layers(&s, NULL, specs, n, input, max_batch);
    ip_network *net = ip_calloc(1, sizeof *net);
    if (!net) return IP_ERR_NOMEM;
    int rc = IP_OK;
    net->n_layers = n;
    net->input = input;
    net->max_batch = max_batch;
    net->layers = ip_calloc((size_t)n, sizeof *net->layers);
    net->act_offset = ip_calloc((size_t)n, sizeof *net->act_offset);
    if (!net->layers || !net->act_offset) {
        rc = IP_ERR_NOMEM;
        goto fail;
    }
    if ((rc = plan_layers(&s, net->layers, specs, n, input, max_batch)) != IP_OK) goto fail;
    /* A sum that saturated (or any buffer past SIZE_MAX / 4 floats) cannot be allocated. */
    const size_t too_big = SIZE_MAX / (2 * sizeof(float));
    if (s.n_params >= too_big || s.act_floats >= too_big || s.dbuf_floats >= too_big || s.scratch_floats >= too_big ||
        s.probs_floats >= too_big) {
        rc = ip_fail(IP_ERR_NOMEM, "network: buffers of more than %zu floats cannot be allocated", too_big);
        goto fail;
    }
    size_t n_acts = 0;
    for (int i = 0; i < n; i++) {
        net->act_offset[i] = n_acts;
        n_acts += (size_t)s.out_size[i] * max_batch;
    }
    ip_shape last = net->layers[n - 1].out;
    net->n_classes = ip_shape_size(last);
    net->n_params = s.n_params;
    net->params = ip_aligned_alloc(s.n_params * sizeof(float));
    net->grads = ip_aligned_alloc(s.n_params * sizeof(float));
    net->acts = ip_aligned_alloc(s.act_floats * sizeof(float));
    size_t dsize = s.dbuf_floats / 2;
    net->dbuf[0] = ip_aligned_alloc(s.dbuf_floats * sizeof(float));
    net->scratch = ip_aligned_alloc(s.scratch_floats * sizeof(float));
    net->probs = ip_aligned_alloc(s.probs_floats * sizeof(float));
    if (!net->params || !net->grads || !net->acts || !net->dbuf[0] || !net->scratch || !net->probs) {
        rc = IP_ERR_NOMEM;
        goto fail;
    }
    net->dbuf[1] = net->dbuf[0] + dsize;
    size_t po = 0, so = 0;
    for (int i = 0; i < n; i++) {
        ip_layer *l = &net->layers[i];
        l->params = net->params + po;
        l->grads = net->grads + po;
        l->scratch = net->scratch + so;
        po += l->n_params;
        so += (l->scratch_floats + 15) / 16 * 16;
    }
    *out = net;
    return IP_OK;
fail:
    ip_network_free(net);
    return rc;
}

ip_fixed_rows *ip_network_prepare_rows(const ip_network *net, const float *x, int n)
{
    return ip_dense_prepare_rows(&net->layers[0], x, n, net->max_batch);
}

void ip_network_rows_free(ip_fixed_rows *rows) { ip_fixed_rows_free(rows); }

/* The first layer takes the prepared rows' route when it can (opts->rows given, the batch one of
 * the set's), else the ordinary one. */
const float *ip_network_forward(ip_network *net, const float *x, int batch, const ip_forward_opts *opts)
{
    if (batch <= 0 || batch > net->max_batch) {
        ip_fail(IP_ERR, "network: batch of %d samples outside 1..%d", batch, net->max_batch);
        return NULL;
    }
    float *const *outs = opts ? opts->outs : NULL;
    ip_fixed_rows *rows = opts ? opts->rows : NULL;
    const float *in = x;
    for (int i = 0; i < net->n_layers; i++) {
        ip_layer *l = &net->layers[i];
        float *o = outs && outs[i] ? outs[i] : ip_network_act(net, i);
        if (!(i == 0 && rows && ip_dense_forward_fixed(l, o, rows, opts->row0, batch)))
            l->ops->forward(l, o, in, batch);
        in = o;
    }
    return in;
}

/* probs (B, K) <- softmax(logits (B, K)); returns the mean cross-entropy against y (B) and counts
 * argmax hits into *correct. With dlogits (B, K) non-NULL also writes dLoss/dlogits =
 * (probs - onehot(y)) / B. Per row the max is subtracted before exp, and sums run in double. */
static float softmax_xent(float *probs, float *dlogits, int *correct, const float *logits, const int *y,
                          int batch, int K)
{
    double total = 0;
    int hits = 0;
    for (int b = 0; b < batch; b++) {
        const float *z = logits + (size_t)b * K;
        float *p = probs + (size_t)b * K;
        int arg = 0;
        for (int k = 1; k < K; k++)
            if (z[k] > z[arg]) arg = k;
        double mx = z[arg], s = 0;
        for (int k = 0; k < K; k++) s += exp((double)z[k] - mx);
        for (int k = 0; k < K; k++) p[k] = (float)(exp((double)z[k] - mx) / s);
        total += log(s) + mx - (double)z[y[b]];
        hits += arg == y[b];
        if (dlogits) {
            float *d = dlogits + (size_t)b * K;
            for (int k = 0; k < K; k++) d[k] = (p[k] - (k == y[b] ? 1.0f : 0.0f)) / (float)batch;
        }
    }
    if (correct) *correct = hits;
    return (float)(total / batch);
}

/* grads <- 0 on the thread pool, in 64 KB pieces (the MNIST MLP has 3.3 MB of them). */
#define ZERO_PIECE 16384

static void zero_pieces(void *ctx, int begin, int end, int worker)
{
    const ip_network *net = ctx;
    size_t from = (size_t)begin * ZERO_PIECE, to = (size_t)end * ZERO_PIECE;
    if (to > net->n_params) to = net->n_params;
    memset(net->grads + from, 0, (to - from) * sizeof *net->grads);
}

static void zero_grads(ip_network *net)
{
    ip_parallel_for((int)((net->n_params + ZERO_PIECE - 1) / ZERO_PIECE), 4, zero_pieces, net);
}

/* IP_OK when every label is in [0, K), else a message naming the first bad one. */
static int check_labels(const int *y, int batch, int K)
{
    for (int b = 0; b < batch; b++)
        if (y[b] < 0 || y[b] >= K)
            return ip_fail(IP_ERR_FORMAT, "network: label %d of sample %d is outside 0..%d", y[b], b, K - 1);
    return IP_OK;
}

/* Returns NaN (with a message) on a bad batch size or label. */
float ip_network_train_step_grads(ip_network *net, const float *x, const int *y, int batch, int *correct)
{
    const float *logits = ip_network_forward(net, x, batch, NULL);
    if (!logits || check_labels(y, batch, net->n_classes) != IP_OK) return NAN;
    int cur = 0;
    float loss = softmax_xent(net->probs, net->dbuf[cur], correct, logits, y, batch, net->n_classes);
    zero_grads(net);
    for (int i = net->n_layers - 1; i >= 0; i--) {
        ip_layer *l = &net->layers[i];
        const float *in = i > 0 ? ip_network_act(net, i - 1) : x;
        /* the first layer's input gradient is never used: skip computing it */
        float *din = i > 0 ? net->dbuf[1 - cur] : NULL;
        l->ops->backward(l, din, net->dbuf[cur], in, ip_network_act(net, i), batch);
        cur = 1 - cur;
    }
    return loss;
}

float ip_network_eval(ip_network *net, const float *x, const int *y, int batch, int *correct,
                      const ip_forward_opts *opts)
{
    const float *logits = ip_network_forward(net, x, batch, opts);
    if (!logits || check_labels(y, batch, net->n_classes) != IP_OK) return NAN;
    return softmax_xent(net->probs, NULL, correct, logits, y, batch, net->n_classes);
}
