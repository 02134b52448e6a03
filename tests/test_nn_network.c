/* Network tests: softmax cross-entropy and whole-network gradients against finite differences
 * of an independent double-precision loss, gradient overwrite semantics, initialisations
 * (bounds, statistics, draw order, reproducibility), bit-identical training from one seed,
 * and the error paths (batch too large, bad labels). */
#include "testutil.h"

#include "core/blas.h"
#include "core/rng.h"
#include "core/status.h"
#include "nn/network.h"
#include "nn/optim.h"

#define GC_TOL 1e-3

/* Whole-network derivatives are the hard case for float32: a step large enough to lift the
 * difference out of the forward pass's rounding noise is, through several nonlinear layers,
 * large enough for truncation error. So, as numdifftools does, each derivative is the O(h^4)
 * stencil (see test_nn_layers.c; steps exactly representable) at h = 2^-3 ... 2^-9, keeping
 * the estimate that agrees best with the next smaller step: the choice uses only the numeric
 * estimates, never the analytic gradient under test. */
#define GC_NH 7
static const double gc_h[GC_NH] = {1.0 / 8, 1.0 / 16, 1.0 / 32, 1.0 / 64, 1.0 / 128, 1.0 / 256, 1.0 / 512};

static ip_layer_spec dense(int units) { return (ip_layer_spec){.kind = IP_LAYER_DENSE, .units = units}; }
static ip_layer_spec act(ip_activation a) { return (ip_layer_spec){.kind = IP_LAYER_ACTIVATION, .activation = a, .slope = 0.01f}; }

static void quantize(float *a, size_t n, double q)
{
    for (size_t i = 0; i < n; i++) a[i] = (float)(nearbyint(a[i] / q) * q);
}

/* Mean softmax cross-entropy of the network's logits, computed here in double from scratch. */
static double ref_loss(ip_network *net, const float *x, const int *y, int batch)
{
    const float *z = ip_network_forward(net, x, batch, NULL);
    assert_non_null(z);
    int K = net->n_classes;
    double total = 0;
    for (int b = 0; b < batch; b++) {
        double mx = -INFINITY, s = 0;
        for (int k = 0; k < K; k++) mx = fmax(mx, z[b * K + k]);
        for (int k = 0; k < K; k++) s += exp(z[b * K + k] - mx);
        total += mx + log(s) - z[b * K + y[b]];
    }
    return total / batch;
}

static double stencil_h(ip_network *net, const float *x, const int *y, int batch, float *p, const float *dir,
                        size_t n, const float *save, double h)
{
    static const double ts[4] = {2, 1, -1, -2}, ws[4] = {-1, 8, -8, 1};
    double acc = 0;
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < n; i++) p[i] = save[i] + (float)(ts[k] * h) * dir[i];
        acc += ws[k] * ref_loss(net, x, y, batch);
    }
    return acc / (12 * h);
}

/* d/dt loss(p + t dir) at t = 0; p (n) is restored bit for bit. */
static double stencil(ip_network *net, const float *x, const int *y, int batch, float *p, const float *dir, size_t n)
{
    float *save = malloc(n * sizeof *save);
    assert_non_null(save);
    memcpy(save, p, n * sizeof *save);
    double d[GC_NH];
    for (int k = 0; k < GC_NH; k++) d[k] = stencil_h(net, x, y, batch, p, dir, n, save, gc_h[k]);
    memcpy(p, save, n * sizeof *save);
    free(save);
    int best = 0;
    for (int k = 1; k < GC_NH - 1; k++)
        if (fabs(d[k] - d[k + 1]) < fabs(d[best] - d[best + 1])) best = k;
    return d[best];
}

/* Draws a direction over n entries biased towards the signs of g (see test_nn_layers.c: each
 * entry agrees in sign with probability 3/4, so the directional derivative does not cancel down
 * to float noise), on a 2^-8 grid so every step is exact. */
static void biased_direction(float *dir, const float *g, size_t n, ip_rng *rng)
{
    for (size_t i = 0; i < n; i++) {
        float u = (float)ip_rng_uniform(rng), sg = g[i] < 0 ? -1.0f : 1.0f;
        dir[i] = ip_rng_uniform(rng) < 0.75 ? sg * u : -sg * u;
    }
    quantize(dir, n, 1.0 / 256);
}

/* Checks the gradient of the mean loss with respect to all parameters of the network: along
 * three directions over all parameters and two over each layer's own parameters (so an error
 * in one layer cannot hide in the sum), and, when per_element, entry by entry with a floor of
 * 1e-3 times the largest gradient. Per element is only asked for shallow nets: through several
 * float32 layers the forward pass's rounding (~1e-7 of the loss) divided by any step that keeps
 * the truncation error small exceeds 1e-3 of the smallest entries; every layer's entries are
 * checked one by one in test_nn_layers.c instead. */
static void check_network(ip_network *net, const float *x, const int *y, int batch, const char *name, int per_element,
                          ip_rng *rng)
{
    size_t n = net->n_params;
    quantize(net->params, n, 1.0 / 4096);
    float loss = ip_network_train_step_grads(net, x, y, batch, NULL);
    double ref = ref_loss(net, x, y, batch);
    assert_close(loss, ref, 1e-6, 0);
    float *g = malloc(n * sizeof *g), *dir = calloc(n, sizeof *dir);
    assert_true(g && dir);
    memcpy(g, net->grads, n * sizeof *g);
    double gmax = 0, worst_elem = 0, worst_dir = 0;
    for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; per_element && i < n; i++) {
        dir[i] = 1.0f;
        double num = stencil(net, x, y, batch, net->params + i, dir + i, 1);
        dir[i] = 0.0f;
        double e = fabs(num - g[i]) / fmax(1e-3 * gmax, fmax(fabs(num), fabs(g[i])));
        if (!(e <= worst_elem)) worst_elem = e;
    }
    /* part -1: all parameters; part i: layer i's parameters */
    for (int part = -1; part < net->n_layers; part++) {
        size_t off = 0, len = n;
        if (part >= 0) {
            if (net->layers[part].n_params == 0) continue;
            off = (size_t)(net->layers[part].params - net->params);
            len = net->layers[part].n_params;
        }
        for (int rep = 0; rep < (part < 0 ? 3 : 2); rep++) {
            biased_direction(dir, g + off, len, rng);
            double ana = 0;
            for (size_t i = 0; i < len; i++) ana += (double)g[off + i] * dir[i];
            double num = stencil(net, x, y, batch, net->params + off, dir, len);
            double e = fabs(num - ana) / fmax(fabs(num), fabs(ana));
            if (!(e <= worst_dir)) worst_dir = e;
        }
    }
    if (per_element)
        printf("  %-40s %5zu params: worst rel err per element %.2e, directional %.2e\n", name, n, worst_elem,
               worst_dir);
    else
        printf("  %-40s %5zu params: worst rel err directional %.2e\n", name, n, worst_dir);
    free(g);
    free(dir);
    if (!(worst_elem < GC_TOL) || !(worst_dir < GC_TOL))
        fail_msg("%s: gradient check failed (per element %.3e, directional %.3e)", name, worst_elem, worst_dir);
}

static void make_batch(float *x, int *y, size_t n_x, int batch, int K, ip_rng *rng)
{
    for (size_t i = 0; i < n_x; i++) x[i] = (float)ip_rng_normal(rng);
    quantize(x, n_x, 1.0 / 4096);
    for (int b = 0; b < batch; b++) y[b] = (int)ip_rng_below(rng, (uint64_t)K);
}

/* The loss alone: a single dense layer, so the parameter gradient is dlogits^T x. Large logits
 * too, where a naive softmax would overflow. */
static void test_loss_gradient(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 1);
    ip_layer_spec specs[] = {dense(4)};
    ip_network *net;
    assert_int_equal(ip_network_create(&net, specs, 1, (ip_shape){3, 1, 1}, 5), IP_OK);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    float x[15];
    int y[5];
    make_batch(x, y, 15, 5, 4, &rng);
    check_network(net, x, y, 5, "softmax cross-entropy", 1, &rng);
    /* logits near 1000: finite loss equal to the double reference */
    for (size_t i = 0; i < net->n_params; i++) net->params[i] *= 2000.0f;
    float big = ip_network_train_step_grads(net, x, y, 5, NULL);
    assert_true(isfinite(big));
    assert_close(big, ref_loss(net, x, y, 5), 1e-6, 0);
    for (size_t i = 0; i < net->n_params; i++) assert_true(isfinite(net->grads[i]));
    ip_network_free(net);
}

static void test_mlp_gradient(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 2);
    ip_layer_spec specs[] = {dense(6), act(IP_ACT_TANH), dense(5), act(IP_ACT_SIGMOID), dense(4), act(IP_ACT_GELU), dense(3)};
    ip_network *net;
    assert_int_equal(ip_network_create(&net, specs, 7, (ip_shape){5, 1, 1}, 32), IP_OK);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    float x[5 * 32];
    int y[32], batch = ip_test_slow_env() ? 8 : 32;
    make_batch(x, y, 5 * (size_t)batch, batch, 3, &rng);
    check_network(net, x, y, batch, "mlp tanh/sigmoid/gelu", 0, &rng);
    ip_network_free(net);
}

/* The conv path end to end; maxpool is left to the layer tests (its kinks move with every
 * parameter here). */
static void test_cnn_gradient(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 3);
    ip_layer_spec specs[] = {
        {.kind = IP_LAYER_CONV2D, .channels = 3, .kernel = 3, .stride = 1, .padding = 1},
        {.kind = IP_LAYER_LAYERNORM},
        act(IP_ACT_TANH),
        {.kind = IP_LAYER_CONV2D, .channels = 2, .kernel = 2, .stride = 2, .padding = 0},
        {.kind = IP_LAYER_AVGPOOL, .out_h = 2, .out_w = 2},
        {.kind = IP_LAYER_FLATTEN},
        dense(3),
    };
    ip_network *net;
    assert_int_equal(ip_network_create(&net, specs, 7, (ip_shape){2, 6, 6}, 32), IP_OK);
    assert_int_equal(net->n_classes, 3);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    float x[32 * 72];
    int y[32], batch = ip_test_slow_env() ? 8 : 32;
    make_batch(x, y, 72 * (size_t)batch, batch, 3, &rng);
    check_network(net, x, y, batch, "conv-layernorm-tanh-conv-avgpool-dense", 0, &rng);
    ip_network_free(net);
}

/* Gradients are overwritten, not accumulated; eval agrees with the training step's loss. */
static void test_grads_overwritten(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 4);
    ip_layer_spec specs[] = {dense(8), act(IP_ACT_RELU), dense(3)};
    ip_network *net;
    assert_int_equal(ip_network_create(&net, specs, 3, (ip_shape){4, 1, 1}, 6), IP_OK);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    float x[24];
    int y[6], c1, c2;
    make_batch(x, y, 24, 6, 3, &rng);
    float l1 = ip_network_train_step_grads(net, x, y, 6, &c1);
    float *g1 = malloc(net->n_params * sizeof *g1);
    assert_non_null(g1);
    memcpy(g1, net->grads, net->n_params * sizeof *g1);
    float l2 = ip_network_train_step_grads(net, x, y, 6, &c2);
    assert_memory_equal(g1, net->grads, net->n_params * sizeof *g1);
    assert_true(l1 == l2 && c1 == c2);
    int c3;
    assert_true(ip_network_eval(net, x, y, 6, &c3, NULL) == l1);
    assert_int_equal(c3, c1);
    /* the hit count is the argmax of the logits */
    const float *z = ip_network_forward(net, x, 6, NULL);
    int hits = 0;
    for (int b = 0; b < 6; b++) {
        int a = 0;
        for (int k = 1; k < 3; k++)
            if (z[b * 3 + k] > z[b * 3 + a]) a = k;
        hits += a == y[b];
    }
    assert_int_equal(hits, c1);
    free(g1);
    ip_network_free(net);
}

/* Bounds and moments of each initialisation on a 400 -> 300 dense layer and a conv layer, and
 * the documented draw order: weights in storage order, then biases. */
static void test_init(void **state)
{
    ip_layer_spec specs[] = {dense(300), {.kind = IP_LAYER_CONV2D, .channels = 4, .kernel = 3, .stride = 1, .padding = 0}};
    ip_network *net;
    assert_int_equal(ip_network_create(&net, specs, 1, (ip_shape){400, 1, 1}, 1), IP_OK);
    ip_layer *l = &net->layers[0];
    for (int kind = IP_INIT_PYTORCH; kind <= IP_INIT_XAVIER; kind++) {
        ip_rng rng;
        ip_rng_seed(&rng, 5);
        ip_network_init(net, (ip_init_kind)kind, &rng);
        double bound = kind == IP_INIT_PYTORCH ? 1 / sqrt(400.0) : kind == IP_INIT_XAVIER ? sqrt(6.0 / 700) : 2 / sqrt(400.0);
        /* variance: uniform b^2/3; normal truncated at 2 std: std^2 * 0.7737 */
        double var = kind == IP_INIT_TRUNCNORM ? 0.773741 / 400 : bound * bound / 3;
        double s = 0, s2 = 0, mx = 0;
        for (size_t i = 0; i < l->n_weights; i++) {
            s += l->params[i];
            s2 += (double)l->params[i] * l->params[i];
            mx = fmax(mx, fabs(l->params[i]));
        }
        double mean = s / l->n_weights, v = s2 / l->n_weights - mean * mean;
        printf("  init %d: max |w| %.5f (bound %.5f), var %.4e (expected %.4e), mean %.1e\n", kind, mx, bound, v, var,
               mean);
        assert_true(mx <= bound * (1 + 1e-6));
        assert_true(mx > 0.99 * bound); /* 120,000 draws reach the edge */
        assert_close(v, var, 0.02, 0);
        assert_true(fabs(mean) < 5 * sqrt(var / l->n_weights));
        const float *b = l->params + l->n_weights;
        if (kind == IP_INIT_PYTORCH) {
            double bmx = 0;
            for (int i = 0; i < 300; i++) bmx = fmax(bmx, fabs(b[i]));
            assert_true(bmx <= bound && bmx > 0.9 * bound);
            /* draw order: weight 0 is the stream's first uniform, bias 0 the (n_weights+1)-th */
            ip_rng ref;
            ip_rng_seed(&ref, 5);
            assert_true(l->params[0] == (float)((2 * ip_rng_uniform(&ref) - 1) * bound));
            for (size_t i = 1; i < l->n_weights; i++) ip_rng_uniform(&ref);
            assert_true(b[0] == (float)((2 * ip_rng_uniform(&ref) - 1) * bound));
        } else {
            for (int i = 0; i < 300; i++) assert_true(b[i] == 0.0f);
        }
    }
    ip_network_free(net);
    /* conv fans: PyTorch bound 1/sqrt(in_c k k); Xavier uses out_c k k as fan_out */
    assert_int_equal(ip_network_create(&net, specs + 1, 1, (ip_shape){2, 5, 5}, 1), IP_OK);
    assert_int_equal(net->layers[0].fan_in, 18);
    assert_int_equal(net->layers[0].fan_out, 36);
    ip_rng rng;
    ip_rng_seed(&rng, 6);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    for (size_t i = 0; i < net->n_params; i++) assert_true(fabs(net->params[i]) <= 1 / sqrt(18.0));
    ip_network_free(net);
}

/* Same seed: bit-identical initial weights and bit-identical weights after training steps
 * (SGD with momentum and Adam); another seed differs. */
static void train_some(float *out, size_t *n_out, uint64_t seed, ip_optimizer_kind kind)
{
    ip_rng rng;
    ip_rng_seed(&rng, seed);
    ip_layer_spec specs[] = {
        {.kind = IP_LAYER_CONV2D, .channels = 4, .kernel = 3, .stride = 1, .padding = 1},
        {.kind = IP_LAYER_LAYERNORM},
        act(IP_ACT_RELU),
        {.kind = IP_LAYER_MAXPOOL, .kernel = 3, .stride = 2, .padding = 1},
        {.kind = IP_LAYER_AVGPOOL, .out_h = 2, .out_w = 2},
        {.kind = IP_LAYER_FLATTEN},
        dense(10), act(IP_ACT_TANH), dense(3),
    };
    ip_network *net;
    int batch = 16;
    assert_int_equal(ip_network_create(&net, specs, 9, (ip_shape){1, 8, 8}, batch), IP_OK);
    ip_network_init(net, IP_INIT_TRUNCNORM, &rng);
    ip_optimizer_settings tc = {.optimizer = kind, .lr = 0.01, .momentum = 0.9, .weight_decay = 1e-4,
                          .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    ip_optimizer opt;
    assert_int_equal(ip_optimizer_create(&opt, &tc, net->n_params), IP_OK);
    float *x = malloc((size_t)batch * 64 * sizeof *x);
    int y[16];
    assert_non_null(x);
    for (int step = 0; step < 5; step++) {
        make_batch(x, y, (size_t)batch * 64, batch, 3, &rng);
        float loss = ip_network_train_step_grads(net, x, y, batch, NULL);
        assert_true(isfinite(loss));
        ip_optimizer_step(&opt, net->params, net->grads);
    }
    memcpy(out, net->params, net->n_params * sizeof *out);
    *n_out = net->n_params;
    free(x);
    ip_optimizer_free(&opt);
    ip_network_free(net);
}

static void test_determinism(void **state)
{
    float a[2000], b[2000];
    size_t na, nb;
    for (int kind = IP_OPT_SGD; kind <= IP_OPT_ADAM; kind++) {
        train_some(a, &na, 42, (ip_optimizer_kind)kind);
        train_some(b, &nb, 42, (ip_optimizer_kind)kind);
        assert_true(na == nb && na < 2000);
        assert_memory_equal(a, b, na * sizeof *a);
        train_some(b, &nb, 43, (ip_optimizer_kind)kind);
        assert_memory_not_equal(a, b, na * sizeof *a);
    }
}

/* The trained weights do not depend on the thread count: an MLP whose dense layers are large
 * enough for the pooled sgemm blocks (batch 256 x 300 -> 200 -> 64 -> 10: over 2^22 multiply-adds)
 * trains three SGD steps on 1 and on 2 threads to the same bits. */
static void train_threads(float *out, size_t *n_out, int threads)
{
    ip_blas_set_threads(threads);
    ip_rng rng;
    ip_rng_seed(&rng, 7);
    ip_layer_spec specs[] = {dense(200), act(IP_ACT_TANH), dense(64), act(IP_ACT_RELU), dense(10)};
    ip_network *net;
    int batch = 256, d = 300;
    assert_int_equal(ip_network_create(&net, specs, 5, (ip_shape){d, 1, 1}, batch), IP_OK);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    ip_optimizer_settings tc = {.optimizer = IP_OPT_SGD, .lr = 0.05, .momentum = 0.9};
    ip_optimizer opt;
    assert_int_equal(ip_optimizer_create(&opt, &tc, net->n_params), IP_OK);
    float *x = malloc((size_t)batch * d * sizeof *x);
    int *y = malloc((size_t)batch * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int step = 0; step < 3; step++) {
        make_batch(x, y, (size_t)batch * d, batch, 10, &rng);
        assert_true(isfinite(ip_network_train_step_grads(net, x, y, batch, NULL)));
        ip_optimizer_step(&opt, net->params, net->grads);
    }
    memcpy(out, net->params, net->n_params * sizeof *out);
    *n_out = net->n_params;
    free(x);
    free(y);
    ip_optimizer_free(&opt);
    ip_network_free(net);
}

static void test_thread_count_independent(void **state)
{
    (void)state;
    size_t cap = 300 * 200 + 200 + 200 * 64 + 64 + 64 * 10 + 10, na = 0, nb = 0;
    float *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    int before = ip_blas_threads();
    train_threads(a, &na, 1);
    train_threads(b, &nb, 2);
    ip_blas_set_threads(before);
    assert_true(na == cap && nb == cap);
    assert_memory_equal(a, b, cap * sizeof *a);
    free(a);
    free(b);
}

/* A linearly separable toy problem: a few hundred SGD steps bring the loss down and the
 * accuracy up. */
static void test_learns(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 7);
    ip_layer_spec specs[] = {dense(16), act(IP_ACT_TANH), dense(2)};
    ip_network *net;
    enum { B = 64 };
    assert_int_equal(ip_network_create(&net, specs, 3, (ip_shape){2, 1, 1}, B), IP_OK);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    ip_optimizer_settings tc = {.optimizer = IP_OPT_SGD, .lr = 0.5, .momentum = 0.9};
    ip_optimizer opt;
    assert_int_equal(ip_optimizer_create(&opt, &tc, net->n_params), IP_OK);
    float x[2 * B];
    int y[B], correct = 0;
    float first = 0, last = 0;
    for (int step = 0; step < 200; step++) {
        for (int b = 0; b < B; b++) {
            x[2 * b] = (float)ip_rng_normal(&rng);
            x[2 * b + 1] = (float)ip_rng_normal(&rng);
            y[b] = x[2 * b] + 0.5f * x[2 * b + 1] > 0;
        }
        last = ip_network_train_step_grads(net, x, y, B, &correct);
        if (step == 0) first = last;
        ip_optimizer_step(&opt, net->params, net->grads);
    }
    printf("  toy problem: loss %.4f -> %.4f, last batch %d/%d\n", first, last, correct, B);
    assert_true(last < 0.25f * first);
    assert_true(correct >= 0.9 * B);
    ip_optimizer_free(&opt);
    ip_network_free(net);
}

static void test_errors(void **state)
{
    ip_network *net = (ip_network *)1;
    ip_layer_spec bad[] = {{.kind = IP_LAYER_CONV2D, .channels = 2, .kernel = 5, .stride = 1}};
    assert_true(ip_network_create(&net, bad, 1, (ip_shape){1, 3, 3}, 4) < 0);
    assert_null(net);
    assert_non_null(strstr(ip_error_message(), "conv2d"));
    ip_layer_spec specs[] = {dense(3)};
    assert_int_equal(ip_network_create(&net, specs, 1, (ip_shape){2, 1, 1}, 4), IP_OK);
    float x[10] = {0};
    int y[5] = {0, 1, 2, 0, 1};
    assert_null(ip_network_forward(net, x, 5, NULL)); /* more than max_batch */
    assert_true(isnan(ip_network_train_step_grads(net, x, y, 5, NULL)));
    y[1] = 3; /* label outside 0..2 */
    assert_true(isnan(ip_network_eval(net, x, y, 4, NULL, NULL)));
    assert_non_null(strstr(ip_error_message(), "label 3"));
    ip_network_free(net);
    ip_network_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_gradient), cmocka_unit_test(test_mlp_gradient),
        cmocka_unit_test(test_cnn_gradient),  cmocka_unit_test(test_grads_overwritten),
        cmocka_unit_test(test_init),          cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_learns),        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_thread_count_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
