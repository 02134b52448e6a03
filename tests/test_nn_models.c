/* Model tests: the named architectures expand to the documented layer lists and shapes, record
 * the documented layers, honour model.hidden / model.channels overrides, and report misfits. */
#include "testutil.h"

#include "core/status.h"
#include "nn/model.h"
#include "nn/network.h"

static ip_model_config model(const char *arch, ip_activation a)
{
    ip_model_config m;
    memset(&m, 0, sizeof m);
    snprintf(m.arch, sizeof m.arch, "%s", arch);
    m.activation = a;
    return m;
}

/* Builds the network and returns the recorded layers' output shapes in rec (count in *n_rec). */
static ip_network *build(const ip_model_config *m, ip_shape in, int K, ip_shape *rec, int *n_rec)
{
    ip_layer_spec specs[IP_MAX_LAYERS];
    int n;
    int rc = ip_model_build(m, in, K, specs, &n);
    if (rc != IP_OK) fail_msg("%s: %s", m->arch, ip_error_message());
    ip_network *net;
    rc = ip_network_create(&net, specs, n, in, 2);
    if (rc != IP_OK) fail_msg("%s: %s", m->arch, ip_error_message());
    *n_rec = 0;
    for (int i = 0; i < n; i++)
        if (net->layers[i].spec.record) rec[(*n_rec)++] = net->layers[i].out;
    assert_true(net->layers[n - 1].spec.record);
    assert_int_equal(net->layers[n - 1].spec.kind, IP_LAYER_DENSE);
    assert_int_equal(net->n_classes, K);
    return net;
}

static void expect_widths(const ip_shape *rec, int n_rec, const int *w, int n)
{
    assert_int_equal(n_rec, n);
    for (int i = 0; i < n; i++) assert_int_equal(ip_shape_size(rec[i]), w[i]);
}

static void test_tishby(void **state)
{
    ip_model_config m = model("tishby", IP_ACT_TANH);
    ip_shape rec[IP_MAX_LAYERS];
    int n;
    ip_network *net = build(&m, (ip_shape){12, 1, 1}, 2, rec, &n);
    static const int w[] = {10, 7, 5, 4, 3, 2};
    expect_widths(rec, n, w, 6);
    assert_int_equal(net->n_layers, 11);
    assert_int_equal(net->layers[1].spec.kind, IP_LAYER_ACTIVATION);
    assert_int_equal(net->layers[1].spec.activation, IP_ACT_TANH);
    assert_int_equal(net->n_params, 12 * 10 + 10 + 10 * 7 + 7 + 7 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2);
    ip_network_free(net);
}

static void test_mnist_fnn(void **state)
{
    ip_model_config m = model("mnist_fnn", IP_ACT_RELU);
    ip_shape rec[IP_MAX_LAYERS];
    int n;
    ip_network *net = build(&m, (ip_shape){1, 28, 28}, 10, rec, &n);
    static const int w[] = {1024, 20, 20, 20, 10};
    expect_widths(rec, n, w, 5);
    assert_int_equal(net->n_params, 784 * 1024 + 1024 + 1024 * 20 + 20 + 2 * (20 * 20 + 20) + 20 * 10 + 10);
    ip_network_free(net);
}

/* docs/models.md: 8x14x14, 16x7x7, 32x4x4 block outputs, then avgpool 2x2, 128 features, logits. */
static void test_mnist_cnn(void **state)
{
    ip_model_config m = model("mnist_cnn", IP_ACT_RELU);
    ip_shape rec[IP_MAX_LAYERS];
    int n;
    ip_network *net = build(&m, (ip_shape){1, 28, 28}, 10, rec, &n);
    assert_int_equal(n, 4);
    assert_true(rec[0].c == 8 && rec[0].h == 14 && rec[0].w == 14);
    assert_true(rec[1].c == 16 && rec[1].h == 7 && rec[1].w == 7);
    assert_true(rec[2].c == 32 && rec[2].h == 4 && rec[2].w == 4);
    assert_int_equal(ip_shape_size(rec[3]), 10);
    static const ip_layer_kind kinds[] = {IP_LAYER_CONV2D, IP_LAYER_LAYERNORM, IP_LAYER_ACTIVATION, IP_LAYER_MAXPOOL};
    for (int i = 0; i < 12; i++) assert_int_equal(net->layers[i].spec.kind, kinds[i % 4]);
    assert_int_equal(net->n_layers, 15);
    assert_int_equal(net->layers[12].spec.kind, IP_LAYER_AVGPOOL);
    assert_true(net->layers[12].out.h == 2 && net->layers[12].out.w == 2);
    assert_int_equal(ip_shape_size(net->layers[13].out), 128);
    assert_int_equal(net->n_params, (8 * 9 + 8) + (16 * 8 * 9 + 16) + (32 * 16 * 9 + 32) + (128 * 10 + 10));
    ip_network_free(net);
    /* CIFAR-sized input: 32 -> 16 -> 8 -> 4 */
    net = build(&m, (ip_shape){3, 32, 32}, 10, rec, &n);
    assert_true(rec[0].h == 16 && rec[1].h == 8 && rec[2].h == 4);
    ip_network_free(net);
}

static void test_overrides_and_generic(void **state)
{
    ip_shape rec[IP_MAX_LAYERS];
    int n;
    ip_model_config m = model("tishby", IP_ACT_RELU);
    m.n_hidden = 2;
    m.hidden[0] = 6;
    m.hidden[1] = 4;
    ip_network *net = build(&m, (ip_shape){12, 1, 1}, 2, rec, &n);
    static const int w1[] = {6, 4, 2};
    expect_widths(rec, n, w1, 3);
    ip_network_free(net);

    m = model("mlp", IP_ACT_SIGMOID);
    m.n_hidden = 3;
    m.hidden[0] = 5;
    m.hidden[1] = 5;
    m.hidden[2] = 3;
    net = build(&m, (ip_shape){7, 1, 1}, 4, rec, &n);
    static const int w2[] = {5, 5, 3, 4};
    expect_widths(rec, n, w2, 4);
    ip_network_free(net);

    m = model("mnist_cnn", IP_ACT_TANH);
    m.n_channels = 2;
    m.channels[0] = 4;
    m.channels[1] = 6;
    net = build(&m, (ip_shape){1, 28, 28}, 10, rec, &n);
    assert_int_equal(n, 3);
    assert_true(rec[0].c == 4 && rec[0].h == 14 && rec[1].c == 6 && rec[1].h == 7);
    ip_network_free(net);

    m = model("cnn", IP_ACT_RELU);
    m.n_channels = 1;
    m.channels[0] = 3;
    net = build(&m, (ip_shape){2, 10, 10}, 3, rec, &n);
    assert_true(n == 2 && rec[0].c == 3 && rec[0].h == 5);
    ip_network_free(net);
}

static void test_custom(void **state)
{
    ip_model_config m = model("custom", IP_ACT_TANH);
    m.n_layers = 3;
    m.layers[0] = (ip_layer_spec){.kind = IP_LAYER_DENSE, .units = 8};
    m.layers[1] = (ip_layer_spec){.kind = IP_LAYER_ACTIVATION, .activation = IP_ACT_LEAKY_RELU, .slope = 0.2f, .record = 1};
    m.layers[2] = (ip_layer_spec){.kind = IP_LAYER_DENSE, .units = 3}; /* recorded even if not asked */
    ip_shape rec[IP_MAX_LAYERS];
    int n;
    ip_network *net = build(&m, (ip_shape){5, 1, 1}, 3, rec, &n);
    assert_int_equal(n, 2);
    assert_true(net->layers[1].spec.slope == 0.2f);
    ip_network_free(net);
}

static void test_errors(void **state)
{
    ip_layer_spec specs[IP_MAX_LAYERS];
    int n;
    ip_model_config m = model("resnet", IP_ACT_TANH);
    assert_true(ip_model_build(&m, (ip_shape){12, 1, 1}, 2, specs, &n) < 0);
    assert_non_null(strstr(ip_error_message(), "resnet"));
    m = model("custom", IP_ACT_TANH); /* output size must match the classes */
    m.n_layers = 1;
    m.layers[0] = (ip_layer_spec){.kind = IP_LAYER_DENSE, .units = 4};
    assert_true(ip_model_build(&m, (ip_shape){5, 1, 1}, 3, specs, &n) < 0);
    assert_non_null(strstr(ip_error_message(), "3 classes"));
    m.layers[0] = (ip_layer_spec){.kind = IP_LAYER_CONV2D, .channels = 3, .kernel = 7, .stride = 1};
    assert_true(ip_model_build(&m, (ip_shape){1, 5, 5}, 3, specs, &n) < 0); /* does not fit */
    assert_non_null(strstr(ip_error_message(), "custom"));
    m = model("mlp", IP_ACT_TANH);
    m.n_hidden = 1;
    m.hidden[0] = 0;
    assert_true(ip_model_build(&m, (ip_shape){5, 1, 1}, 3, specs, &n) < 0);
    m = model("cnn", IP_ACT_TANH); /* no channels */
    assert_true(ip_model_build(&m, (ip_shape){1, 8, 8}, 3, specs, &n) < 0);
    m = model("mlp", IP_ACT_TANH); /* too many layers */
    m.n_hidden = 40;
    for (int i = 0; i < 40; i++) m.hidden[i] = 2;
    assert_true(ip_model_build(&m, (ip_shape){5, 1, 1}, 3, specs, &n) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tishby),         cmocka_unit_test(test_mnist_fnn),
        cmocka_unit_test(test_mnist_cnn),      cmocka_unit_test(test_overrides_and_generic),
        cmocka_unit_test(test_custom),         cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
