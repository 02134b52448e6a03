/* The dense layer's sparse-input route (nn/dense_sparse.c): its products against sums in double,
 * on shapes that exercise every edge of its blocking (a partial block of outputs, a partial band
 * of inputs, an odd batch, rows and columns with no nonzeros), the dense fallback, NaN inputs,
 * the weight gradient called without a forward pass before it, and independence from the
 * thread count; and the dense layer on MNIST-like input. */
#include "testutil.h"

#include "core/blas.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "nn/dense_sparse.h"
#include "nn/layer.h"

typedef struct {
    int batch, I, O;
    float *in, *W, *b, *out, *dout, *dW, *scratch;
} problem;

/* in (batch x I) with about zero_fraction exact zeros, row 1 all zeros, column 2 all zeros;
 * weights, bias and dout normal. */
static void problem_make(problem *p, int batch, int I, int O, double zero_fraction, uint64_t seed)
{
    ip_rng rng;
    ip_rng_seed(&rng, seed);
    p->batch = batch, p->I = I, p->O = O;
    p->in = ip_aligned_alloc((size_t)batch * I * sizeof(float));
    p->W = ip_aligned_alloc((size_t)O * I * sizeof(float));
    p->b = ip_aligned_alloc((size_t)O * sizeof(float));
    p->out = ip_aligned_alloc((size_t)batch * O * sizeof(float));
    p->dout = ip_aligned_alloc((size_t)batch * O * sizeof(float));
    p->dW = ip_aligned_alloc((size_t)O * I * sizeof(float));
    p->scratch = ip_aligned_alloc(ip_dense_sparse_scratch_floats(batch, I, O) * sizeof(float));
    assert_true(p->in && p->W && p->b && p->out && p->dout && p->dW && p->scratch);
    for (size_t i = 0; i < (size_t)batch * I; i++)
        p->in[i] = ip_rng_uniform(&rng) < zero_fraction ? 0.0f : (float)ip_rng_normal(&rng);
    for (int j = 0; j < I && batch > 1; j++) p->in[(size_t)1 * I + j] = 0.0f;
    for (int r = 0; r < batch; r++) p->in[(size_t)r * I + 2] = 0.0f;
    for (size_t i = 0; i < (size_t)O * I; i++) p->W[i] = (float)(0.1 * ip_rng_normal(&rng));
    for (int o = 0; o < O; o++) p->b[o] = (float)ip_rng_normal(&rng);
    for (size_t i = 0; i < (size_t)batch * O; i++) p->dout[i] = (float)ip_rng_normal(&rng);
}

static void problem_free(problem *p)
{
    free(p->in), free(p->W), free(p->b), free(p->out), free(p->dout), free(p->dW), free(p->scratch);
}

/* Worst relative error (floor 1) of out against in W^T + b and of dW (started at 1) against
 * 1 + dout^T in, both summed in double. */
static void check_against_double(const problem *p, const char *what)
{
    double worst_out = 0, worst_dw = 0;
    for (int r = 0; r < p->batch; r++)
        for (int o = 0; o < p->O; o++) {
            double s = p->b[o];
            for (int j = 0; j < p->I; j++) s += (double)p->in[(size_t)r * p->I + j] * p->W[(size_t)o * p->I + j];
            worst_out = fmax(worst_out, fabs(s - p->out[(size_t)r * p->O + o]) / fmax(1, fabs(s)));
        }
    for (int o = 0; o < p->O; o++)
        for (int j = 0; j < p->I; j++) {
            double s = 1;
            for (int r = 0; r < p->batch; r++) s += (double)p->dout[(size_t)r * p->O + o] * p->in[(size_t)r * p->I + j];
            worst_dw = fmax(worst_dw, fabs(s - p->dW[(size_t)o * p->I + j]) / fmax(1, fabs(s)));
        }
    print_message("  %s: worst relative error out %.2e, dW %.2e\n", what, worst_out, worst_dw);
    assert_true(worst_out < 1e-5);
    assert_true(worst_dw < 1e-5);
}

static void fill(float *a, size_t n, float v)
{
    for (size_t i = 0; i < n; i++) a[i] = v;
}

static void test_products_match_double(void **state)
{
    /* (batch, I, O): odd batch, partial band (300 = 2 x 128 + 44), partial block (70 = 64 + 6);
     * MNIST's first layer; a single row; fewer outputs than one block */
    int shapes[][3] = {{7, 300, 70}, {64, 784, 130}, {1, 256, 64}, {33, 257, 5}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        problem p;
        problem_make(&p, shapes[k][0], shapes[k][1], shapes[k][2], 0.8, 100 + k);
        fill(p.out, (size_t)p.batch * p.O, NAN); /* every output must be written */
        fill(p.dW, (size_t)p.O * p.I, 1.0f);     /* and the gradient added to, not overwritten */
        assert_int_equal(ip_dense_sparse_forward(p.out, p.in, p.W, p.b, p.batch, p.I, p.O, p.scratch), 1);
        assert_int_equal(ip_dense_sparse_weight_grad(p.dW, p.dout, p.in, p.batch, p.I, p.O, p.scratch), 1);
        char what[64];
        snprintf(what, sizeof what, "batch %d, %d -> %d", p.batch, p.I, p.O);
        check_against_double(&p, what);
        problem_free(&p);
    }
}

/* The weight gradient on its own (no forward pass of that batch before it, or one of another
 * input) gathers the input itself and gives the same bytes. */
static void test_weight_grad_alone(void **state)
{
    problem p, q;
    problem_make(&p, 9, 300, 70, 0.8, 7);
    problem_make(&q, 9, 300, 70, 0.8, 8);
    fill(p.dW, (size_t)p.O * p.I, 0.0f);
    assert_int_equal(ip_dense_sparse_forward(p.out, p.in, p.W, p.b, p.batch, p.I, p.O, p.scratch), 1);
    assert_int_equal(ip_dense_sparse_weight_grad(p.dW, p.dout, p.in, p.batch, p.I, p.O, p.scratch), 1);
    /* q's scratch last saw q's input; p's input through q's scratch must not use q's rows */
    assert_int_equal(ip_dense_sparse_forward(q.out, q.in, q.W, q.b, q.batch, q.I, q.O, q.scratch), 1);
    fill(q.dW, (size_t)q.O * q.I, 0.0f);
    assert_int_equal(ip_dense_sparse_weight_grad(q.dW, p.dout, p.in, p.batch, p.I, p.O, q.scratch), 1);
    assert_memory_equal(p.dW, q.dW, (size_t)p.O * p.I * sizeof(float));
    problem_free(&p);
    problem_free(&q);
}

/* More than half nonzeros: both decline and leave their outputs alone. */
static void test_dense_input_declined(void **state)
{
    problem p;
    problem_make(&p, 8, 300, 70, 0.3, 9);
    fill(p.out, (size_t)p.batch * p.O, 5.0f);
    fill(p.dW, (size_t)p.O * p.I, 5.0f);
    assert_int_equal(ip_dense_sparse_forward(p.out, p.in, p.W, p.b, p.batch, p.I, p.O, p.scratch), 0);
    assert_int_equal(ip_dense_sparse_weight_grad(p.dW, p.dout, p.in, p.batch, p.I, p.O, p.scratch), 0);
    for (size_t i = 0; i < (size_t)p.batch * p.O; i++) assert_true(p.out[i] == 5.0f);
    for (size_t i = 0; i < (size_t)p.O * p.I; i++) assert_true(p.dW[i] == 5.0f);
    problem_free(&p);
    /* Rows are gathered in 8 fixed groups, each allowed half nonzeros (so that the route never
     * depends on the thread count): one dense group declines the batch, however sparse the rest. */
    problem_make(&p, 16, 300, 70, 1.0, 9);
    for (int j = 0; j < p.I; j++) p.in[j] = p.in[(size_t)p.I + j] = 1.0f; /* rows 0, 1: group 0 */
    assert_int_equal(ip_dense_sparse_forward(p.out, p.in, p.W, p.b, p.batch, p.I, p.O, p.scratch), 0);
    for (int j = 0; j < p.I; j++) p.in[(size_t)p.I + j] = 0.0f; /* 300 of group 0's 600: half, taken */
    assert_int_equal(ip_dense_sparse_forward(p.out, p.in, p.W, p.b, p.batch, p.I, p.O, p.scratch), 1);
    problem_free(&p);
}

/* A NaN input is a nonzero: it reaches its row's outputs and its column's gradient. */
static void test_nan_propagates(void **state)
{
    problem p;
    problem_make(&p, 5, 300, 70, 0.8, 10);
    p.in[(size_t)3 * p.I + 17] = NAN;
    fill(p.dW, (size_t)p.O * p.I, 0.0f);
    assert_int_equal(ip_dense_sparse_forward(p.out, p.in, p.W, p.b, p.batch, p.I, p.O, p.scratch), 1);
    assert_int_equal(ip_dense_sparse_weight_grad(p.dW, p.dout, p.in, p.batch, p.I, p.O, p.scratch), 1);
    for (int o = 0; o < p.O; o++) {
        assert_true(isnan(p.out[(size_t)3 * p.O + o]));
        assert_false(isnan(p.out[(size_t)2 * p.O + o]));
        assert_true(isnan(p.dW[(size_t)o * p.I + 17]));
        assert_false(isnan(p.dW[(size_t)o * p.I + 18]));
    }
    problem_free(&p);
}

/* The same bytes with one thread and with two: each output's sum runs on one thread in a fixed
 * order, whichever worker owns its block. */
static void test_thread_count_independent(void **state)
{
    int saved = ip_blas_threads();
    problem p;
    problem_make(&p, 40, 784, 200, 0.8, 11);
    size_t n_out = (size_t)p.batch * p.O, n_w = (size_t)p.O * p.I;
    float *out1 = malloc(n_out * sizeof *out1), *dw1 = malloc(n_w * sizeof *dw1);
    assert_true(out1 && dw1);
    for (int threads = 1; threads <= 2; threads++) {
        ip_blas_set_threads(threads);
        fill(p.dW, n_w, 0.0f);
        assert_int_equal(ip_dense_sparse_forward(p.out, p.in, p.W, p.b, p.batch, p.I, p.O, p.scratch), 1);
        assert_int_equal(ip_dense_sparse_weight_grad(p.dW, p.dout, p.in, p.batch, p.I, p.O, p.scratch), 1);
        if (threads == 1) {
            memcpy(out1, p.out, n_out * sizeof *out1);
            memcpy(dw1, p.dW, n_w * sizeof *dw1);
        }
    }
    assert_memory_equal(out1, p.out, n_out * sizeof *out1);
    assert_memory_equal(dw1, p.dW, n_w * sizeof *dw1);
    ip_blas_set_threads(saved);
    free(out1), free(dw1);
    problem_free(&p);
}

/* Through the layer: a 784 -> 100 dense layer on 80%-zero input (which it sends down the sparse
 * route) gives out, dW and the input gradient dout W as the double sums do. */
static void test_layer_on_sparse_input(void **state)
{
    ip_rng rng;
    ip_rng_seed(&rng, 12);
    int batch = 16, I = 784, O = 100;
    ip_layer l;
    ip_layer_spec spec = {.kind = IP_LAYER_DENSE, .units = O};
    assert_int_equal(ip_layer_setup(&l, &spec, (ip_shape){1, 28, 28}, batch, 0), IP_OK);
    assert_true(l.scratch_floats >= ip_dense_sparse_scratch_floats(batch, I, O));
    problem p;
    problem_make(&p, batch, I, O, 0.8, 13);
    float *params = ip_aligned_alloc(l.n_params * sizeof(float)), *grads = ip_aligned_alloc(l.n_params * sizeof(float));
    float *din = ip_aligned_alloc((size_t)batch * I * sizeof(float));
    assert_true(params && grads && din);
    memcpy(params, p.W, (size_t)O * I * sizeof(float));
    memcpy(params + (size_t)O * I, p.b, (size_t)O * sizeof(float));
    fill(grads, l.n_params, 0.0f);
    l.params = params, l.grads = grads, l.scratch = p.scratch;
    l.ops->forward(&l, p.out, p.in, batch);
    l.ops->backward(&l, din, p.dout, p.in, p.out, batch);
    memcpy(p.dW, grads, (size_t)O * I * sizeof(float));
    for (size_t i = 0; i < (size_t)O * I; i++) p.dW[i] += 1.0f; /* check_against_double adds 1 */
    check_against_double(&p, "dense layer 784 -> 100 (sparse route)");
    /* din = dout W, in double */
    double worst = 0;
    for (int r = 0; r < batch; r++)
        for (int j = 0; j < I; j++) {
            double s = 0;
            for (int o = 0; o < O; o++) s += (double)p.dout[(size_t)r * O + o] * p.W[(size_t)o * I + j];
            worst = fmax(worst, fabs(s - din[(size_t)r * I + j]) / fmax(1, fabs(s)));
        }
    assert_true(worst < 1e-5);
    free(params), free(grads), free(din);
    problem_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products_match_double), cmocka_unit_test(test_weight_grad_alone),
        cmocka_unit_test(test_dense_input_declined),  cmocka_unit_test(test_nan_propagates),
        cmocka_unit_test(test_thread_count_independent), cmocka_unit_test(test_layer_on_sparse_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
