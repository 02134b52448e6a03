/* Tests of config/config_compare: configs that differ only in comments, key order, formatting and
 * the seed are one experiment; a different activation, an override or a list entry makes another;
 * bytes that carry no setting (after a string's NUL, past an array's count, padding) are ignored;
 * the differences are named as "key: value". */
#include "testutil.h"

#include "config/config_compare.h"
#include "core/status.h"

static const char *const base_yaml = "# experiment A\n"
                                     "seed: 1\n"
                                     "model:\n"
                                     "  arch: tishby\n"
                                     "  activation: tanh\n"
                                     "data:\n"
                                     "  dataset: tishby\n"
                                     "train:\n"
                                     "  epochs: 300\n"
                                     "  lr: 0.0001\n"
                                     "  optimizer: adam\n"
                                     "record:\n"
                                     "  epochs: log\n"
                                     "analysis:\n"
                                     "  estimators: [logdet]\n"
                                     "  beta: auto\n";

/* The same experiment written another way: other comments, sections and keys in another order,
 * flow style, 1.0e-4 for 0.0001, defaults spelled out, and another seed. */
static const char *const reordered_yaml = "analysis: {beta: auto, estimators: [ logdet ]}   # flow style\n"
                                          "record:\n"
                                          "  epochs: log\n"
                                          "train: {optimizer: adam, lr: 1.0e-4, epochs: 300}\n"
                                          "data: {dataset: tishby}\n"
                                          "model:\n"
                                          "  # the network of the paper\n"
                                          "  activation: tanh\n"
                                          "  arch: tishby\n"
                                          "  init: pytorch   # the default\n"
                                          "\n"
                                          "seed: 7\n";

static void load(ip_config *c, const char *yaml, const char *name, int n_sets, char **sets)
{
    if (ip_config_load_text(c, yaml, name, n_sets, sets) != IP_OK) fail_msg("%s: %s", name, ip_error_message());
}

static void test_same_apart_from_seed(void **state)
{
    (void)state;
    ip_config a, b, relu, relu_set;
    load(&a, base_yaml, "a.yaml", 0, NULL);
    load(&b, reordered_yaml, "b.yaml", 0, NULL);
    assert_true(a.seed != b.seed);
    assert_true(ip_config_same_but_seed(&a, &b));
    assert_true(ip_config_same_but_seed(&b, &a));

    char *set[] = {"model.activation=relu"};
    load(&relu, reordered_yaml, "relu.yaml", 1, set); /* an override counts as much as the file */
    load(&relu_set, base_yaml, "relu_set.yaml", 1, set);
    assert_false(ip_config_same_but_seed(&a, &relu));
    assert_true(ip_config_same_but_seed(&relu, &relu_set));

    /* groups in order of first appearance; a config that could not be loaded stands alone */
    const ip_config *cfgs[] = {&a, &relu, &b, NULL, &relu_set, NULL};
    int group[6];
    assert_int_equal(ip_config_group(6, cfgs, group), 4);
    const int want[] = {0, 1, 0, 2, 1, 3};
    assert_memory_equal(group, want, sizeof want);

    /* what sets a group apart, named as in the YAML file */
    char label[256];
    const ip_config *tanh_runs[] = {&a, &b}, *relu_runs[] = {&relu, &relu_set};
    assert_int_equal(ip_config_distinct(&relu, 2, tanh_runs, 3, label, sizeof label), 1);
    assert_string_equal(label, "activation: relu");
    assert_int_equal(ip_config_distinct(&a, 2, relu_runs, 3, label, sizeof label), 1);
    assert_string_equal(label, "activation: tanh");
    assert_int_equal(ip_config_distinct(&a, 1, tanh_runs + 1, 3, label, sizeof label), 0); /* the seed is not one */
    assert_string_equal(label, "");
    const ip_config *none[] = {NULL};
    assert_int_equal(ip_config_distinct(&a, 1, none, 2, label, sizeof label), 2); /* NULL shares nothing */
    assert_string_equal(label, "arch: tishby, activation: tanh");
    ip_config_free(&a);
    ip_config_free(&b);
    ip_config_free(&relu);
    ip_config_free(&relu_set);
}

/* Bytes that hold no setting do not count: the rest of a char buffer after its NUL, array entries
 * past their count, padding, and the YAML text, overrides and source file of the struct. */
static void test_ignores_what_holds_no_setting(void **state)
{
    (void)state;
    ip_config a, b;
    char *hidden[] = {"model.hidden=[10, 5]"};
    load(&a, base_yaml, "a.yaml", 1, hidden);
    assert_int_equal(a.model.n_hidden, 2);
    memcpy(&b, &a, sizeof b);
    b.text = NULL, b.overrides = NULL;
    memset(b.model.arch + strlen(b.model.arch) + 1, 'x', sizeof b.model.arch - strlen(b.model.arch) - 1);
    memset(b.data.path + 1, '?', 100); /* path is "": everything after its NUL is noise */
    b.model.hidden[b.model.n_hidden] = 12345;
    b.model.layers[b.model.n_layers].units = 99;
    snprintf(b.analysis.estimators[1], sizeof b.analysis.estimators[1], "kde");
    b.record.epochs.list[0] = 42;  /* the schedule is log: the list means nothing */
    b.record.epochs.every = 3;
    snprintf(b.source, sizeof b.source, "elsewhere.yaml");
    assert_true(ip_config_same_but_seed(&a, &b));
    /* ... while every real setting does */
    b.analysis.n_estimators = 2;
    assert_false(ip_config_same_but_seed(&a, &b));
    b.analysis.n_estimators = 1;
    b.model.hidden[0]++;
    assert_false(ip_config_same_but_seed(&a, &b));
    b.model.hidden[0]--;
    b.data.path[0] = 'd';
    assert_false(ip_config_same_but_seed(&a, &b));
    b.data.path[0] = '\0';
    b.train.optim.lr *= 1 + 1e-15;
    assert_false(ip_config_same_but_seed(&a, &b));
    ip_config_free(&a);
}

static void test_describes_differences(void **state)
{
    (void)state;
    ip_config a, x;
    load(&a, base_yaml, "a.yaml", 0, NULL);
    char *sets[] = {"model.hidden=[10, 5]", "record.epochs={every: 5}", "analysis.beta=500", "analysis.units=nats"};
    load(&x, base_yaml, "x.yaml", 4, sets);
    const ip_config *others[] = {&a};
    char label[256];
    assert_int_equal(ip_config_distinct(&x, 1, others, 10, label, sizeof label), 4);
    assert_string_equal(label, "hidden: [10, 5], epochs: {every: 5}, beta: 500, units: nats");
    assert_int_equal(ip_config_distinct(&x, 1, others, 2, label, sizeof label), 2);
    assert_string_equal(label, "hidden: [10, 5], epochs: {every: 5}");
    assert_int_equal(ip_config_distinct(&x, 1, others, 10, label, 30), 2); /* what does not fit is left out */
    assert_string_equal(label, "hidden: [10, 5], beta: 500");
    ip_config_free(&a);
    ip_config_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_apart_from_seed),
        cmocka_unit_test(test_ignores_what_holds_no_setting),
        cmocka_unit_test(test_describes_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
