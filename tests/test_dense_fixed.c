/* The dense layer's route for a fixed set of rows (nn/dense_fixed.c): the same bits as the
 * ordinary sparse route (nn/dense_sparse.c) on shapes that exercise its edges (a last batch
 * shorter than the others and not a multiple of four rows, a partial output block, a partial
 * input band, rows with no nonzeros), on 1 and 2 threads; the weights re-read at each pass;
 * declined for dense inputs and for batches it was not prepared for; NaN inputs; and the
 * network's forward and evaluation through prepared rows against the ordinary ones. */
#include "testutil.h"

#include "core/blas.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "nn/dense_fixed.h"
#include "nn/dense_sparse.h"
#include "nn/network.h"

/* x (n x I) with about zero_fraction exact zeros and row 1 all zeros; W, b normal. */
static void make_inputs(float *x, float *W, float *b, int n, int I, int O, double zero_fraction, uint64_t seed)
{
    ip_rng rng;
    ip_rng_seed(&rng, seed);
    for (size_t i = 0; i < (size_t)n * I; i++)
        x[i] = ip_rng_uniform(&rng) < zero_fraction ? 0.0f : (float)ip_rng_normal(&rng);
    for (int j = 0; j < I && n > 1; j++) x[(size_t)I + j] = 0.0f;
    for (size_t i = 0; i < (size_t)O * I; i++) W[i] = (float)(0.1 * ip_rng_normal(&rng));
    for (int o = 0; o < O; o++) b[o] = (float)ip_rng_normal(&rng);
}

/* Every batch of the prepared rows against ip_dense_sparse_forward, bit for bit. */
static void check_same_bits(int n, int I, int O, int batch, int threads)
{
    int old = ip_blas_threads();
    ip_blas_set_threads(threads);
    float *x = ip_aligned_alloc((size_t)n * I * sizeof(float)), *W = ip_aligned_alloc((size_t)O * I * sizeof(float));
    float *b = ip_aligned_alloc((size_t)O * sizeof(float)), *want = ip_aligned_alloc((size_t)batch * O * sizeof(float));
    float *got = ip_aligned_alloc((size_t)batch * O * sizeof(float));
    float *scratch = ip_aligned_alloc(ip_dense_sparse_scratch_floats(batch, I, O) * sizeof(float));
    assert_true(x && W && b && want && got && scratch);
    make_inputs(x, W, b, n, I, O, 0.8, (uint64_t)n * 31 + I);
    ip_fixed_rows *f = ip_fixed_rows_build(x, n, I, batch);
    assert_non_null(f);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) /* new weights: the pass's first batch must read them again */
            for (size_t i = 0; i < (size_t)O * I; i++) W[i] *= -0.5f;
        for (int r0 = 0; r0 < n; r0 += batch) {
            int rows = n - r0 < batch ? n - r0 : batch;
            assert_int_equal(ip_dense_sparse_forward(want, x + (size_t)r0 * I, W, b, rows, I, O, scratch), 1);
            memset(got, 0xff, (size_t)batch * O * sizeof(float));
            assert_int_equal(ip_dense_fixed_forward(got, f, r0, rows, W, b, I, O), 1);
            if (memcmp(want, got, (size_t)rows * O * sizeof(float)) != 0)
                fail_msg("n %d I %d O %d batch %d threads %d pass %d: rows from %d differ from the sparse route", n,
                         I, O, batch, threads, pass, r0);
        }
    }
    ip_fixed_rows_free(f);
    free(x), free(W), free(b), free(want), free(got), free(scratch);
    ip_blas_set_threads(old);
}

static void test_same_bits_as_sparse_route(void **state)
{
    (void)state;
    check_same_bits(300, 784, 1024, 128, 1);  /* full batches, MNIST's shape */
    check_same_bits(301, 300, 70, 64, 1);     /* last batch of 45 rows; partial band and block */
    check_same_bits(301, 300, 70, 64, 2);
    check_same_bits(7, 260, 130, 512, 2);     /* one short batch, 7 rows: an empty slot */
    check_same_bits(1, 257, 1, 16, 1);        /* one row, one output */
}

static void test_declined(void **state)
{
    (void)state;
    int n = 40, I = 300, O = 10;
    float *x = ip_aligned_alloc((size_t)n * I * sizeof(float)), *W = ip_aligned_alloc((size_t)O * I * sizeof(float));
    float *b = ip_aligned_alloc((size_t)O * sizeof(float)), *out = ip_aligned_alloc((size_t)n * O * sizeof(float));
    assert_true(x && W && b && out);
    make_inputs(x, W, b, n, I, O, 0.2, 5); /* 80% nonzeros: the sparse route declines, so does this */
    assert_null(ip_fixed_rows_build(x, n, I, 16));
    make_inputs(x, W, b, n, I, O, 0.9, 5);
    ip_fixed_rows *f = ip_fixed_rows_build(x, n, I, 16);
    assert_non_null(f);
    assert_int_equal(ip_dense_fixed_forward(out, f, 8, 16, W, b, I, O), 0);  /* not a batch start */
    assert_int_equal(ip_dense_fixed_forward(out, f, 16, 15, W, b, I, O), 0); /* wrong size */
    assert_int_equal(ip_dense_fixed_forward(out, f, 32, 8, W, b, I, O), 1);  /* the last, 8 rows */
    assert_int_equal(ip_dense_fixed_forward(out, f, 48, 8, W, b, I, O), 0);  /* past the end */
    assert_int_equal(ip_dense_fixed_forward(out, f, 0, 16, W, b, I - 1, O), 0); /* other width */
    ip_fixed_rows_free(f);
    free(x), free(W), free(b), free(out);
}

static void test_nan_reaches_output(void **state)
{
    (void)state;
    int n = 9, I = 256, O = 3;
    float *x = ip_aligned_alloc((size_t)n * I * sizeof(float)), *W = ip_aligned_alloc((size_t)O * I * sizeof(float));
    float *b = ip_aligned_alloc((size_t)O * sizeof(float)), *out = ip_aligned_alloc((size_t)n * O * sizeof(float));
    assert_true(x && W && b && out);
    make_inputs(x, W, b, n, I, O, 0.9, 9);
    x[(size_t)5 * I + 17] = NAN;
    ip_fixed_rows *f = ip_fixed_rows_build(x, n, I, n);
    assert_non_null(f);
    assert_int_equal(ip_dense_fixed_forward(out, f, 0, n, W, b, I, O), 1);
    for (int r = 0; r < n; r++)
        for (int o = 0; o < O; o++) assert_true(r == 5 ? isnan(out[r * O + o]) : isfinite(out[r * O + o]));
    ip_fixed_rows_free(f);
    free(x), free(W), free(b), free(out);
}

/* A 300-40-10 network: forward (with a layer's output sent elsewhere) and evaluation over
 * prepared rows give the ordinary bits; a
 * network whose first layer is not dense gets no prepared rows. */
static void test_network_rows(void **state)
{
    (void)state;
    int n = 130, I = 300, batch = 32;
    ip_layer_spec specs[3] = {{.kind = IP_LAYER_DENSE, .units = 40},
                              {.kind = IP_LAYER_ACTIVATION, .activation = IP_ACT_TANH},
                              {.kind = IP_LAYER_DENSE, .units = 10}};
    ip_network *net = NULL;
    assert_int_equal(ip_network_create(&net, specs, 3, (ip_shape){I, 1, 1}, batch), IP_OK);
    ip_rng rng;
    ip_rng_seed(&rng, 3);
    ip_network_init(net, IP_INIT_PYTORCH, &rng);
    float *x = ip_aligned_alloc((size_t)n * I * sizeof(float)), *W = ip_aligned_alloc((size_t)I * sizeof(float));
    float *b = ip_aligned_alloc(sizeof(float)), *want = ip_aligned_alloc((size_t)batch * 10 * sizeof(float));
    float *want0 = ip_malloc((size_t)batch * 40 * sizeof(float)), *got0 = ip_malloc((size_t)batch * 40 * sizeof(float));
    int *y = ip_malloc((size_t)n * sizeof(int));
    assert_true(x && W && b && want && want0 && got0 && y);
    make_inputs(x, W, b, n, I, 1, 0.8, 11);
    for (int i = 0; i < n; i++) y[i] = i % 10;
    ip_fixed_rows *rows = ip_network_prepare_rows(net, x, n);
    assert_non_null(rows);
    for (int r0 = 0; r0 < n; r0 += batch) {
        int m = n - r0 < batch ? n - r0 : batch, hits_want = 0, hits_got = 0;
        /* the first layer's output sent to got0 (outs), the batch from the prepared set */
        float *outs[3] = {got0, NULL, NULL};
        ip_forward_opts opts = {.outs = outs, .rows = rows, .row0 = r0};
        memcpy(want, ip_network_forward(net, x + (size_t)r0 * I, m, NULL), (size_t)m * 10 * sizeof(float));
        memcpy(want0, ip_network_act(net, 0), (size_t)m * 40 * sizeof(float));
        const float *got = ip_network_forward(net, x + (size_t)r0 * I, m, &opts);
        assert_non_null(got);
        assert_memory_equal(want, got, (size_t)m * 10 * sizeof(float));
        assert_memory_equal(want0, got0, (size_t)m * 40 * sizeof(float));
        float l_want = ip_network_eval(net, x + (size_t)r0 * I, y + r0, m, &hits_want, NULL);
        float l_got = ip_network_eval(net, x + (size_t)r0 * I, y + r0, m, &hits_got, &opts);
        assert_memory_equal(&l_want, &l_got, sizeof l_want);
        assert_int_equal(hits_want, hits_got);
    }
    ip_network_rows_free(rows);
    ip_network_free(net);
    ip_layer_spec act_first[2] = {{.kind = IP_LAYER_ACTIVATION, .activation = IP_ACT_RELU},
                                  {.kind = IP_LAYER_DENSE, .units = 10}};
    assert_int_equal(ip_network_create(&net, act_first, 2, (ip_shape){I, 1, 1}, batch), IP_OK);
    assert_null(ip_network_prepare_rows(net, x, n));
    ip_network_free(net);
    free(x), free(W), free(b), free(want), free(want0), free(got0), free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bits_as_sparse_route),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_nan_reaches_output),
        cmocka_unit_test(test_network_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
