/* data.label_noise (training labels replaced by another class, seeded; test labels and the true
 * training labels kept) and data.generate (the Tishby generator even where the files are found),
 * through the loader and through the config. */
#include "testutil.h"

#include "config/config.h"
#include "core/status.h"
#include "data/dataset.h"

static void tishby_config(ip_data_config *c, double noise, int generate)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dataset, sizeof c->dataset, "tishby");
    c->train_fraction = 0.85;
    c->label_noise = noise;
    c->generate = generate;
}

static void load_ok(ip_data *d, const ip_data_config *c, uint64_t seed)
{
    if (ip_data_load(d, c, seed) < 0) fail_msg("%s", ip_error_message());
}

/* With p = 0.2: about a fifth of the training labels change (binomial: 3482 draws, sd ~24), every
 * changed label is another class, y_true holds the labels of the noiseless load in the same order,
 * the test split is untouched, the description counts exactly the changed ones, and the same seed
 * gives the same labels. */
static void test_noise_replaces_a_share_of_training_labels(void **state)
{
    (void)state;
    ip_data_config c;
    ip_data clean, noisy, again;
    tishby_config(&c, 0, 1);
    load_ok(&clean, &c, 7);
    assert_null(clean.train.y_true);
    tishby_config(&c, 0.2, 1);
    load_ok(&noisy, &c, 7);
    load_ok(&again, &c, 7);

    assert_int_equal(noisy.train.n, clean.train.n);
    assert_non_null(noisy.train.y_true);
    int changed = 0;
    for (int i = 0; i < noisy.train.n; i++) {
        assert_int_equal(noisy.train.y_true[i], clean.train.y[i]);
        assert_true(noisy.train.y[i] >= 0 && noisy.train.y[i] < 2);
        changed += noisy.train.y[i] != clean.train.y[i];
        assert_int_equal(again.train.y[i], noisy.train.y[i]);
    }
    double share = (double)changed / noisy.train.n;
    if (share < 0.17 || share > 0.23) fail_msg("%d of %d labels changed (%.3f), expected about 0.2", changed, noisy.train.n, share);
    assert_memory_equal(noisy.test.y, clean.test.y, (size_t)clean.test.n * sizeof *clean.test.y);
    assert_memory_equal(noisy.train.x, clean.train.x, (size_t)clean.train.n * 12 * sizeof *clean.train.x);
    char expect[128];
    snprintf(expect, sizeof expect, "label noise: %d of the %d training labels", changed, noisy.train.n);
    if (!strstr(noisy.description, expect)) fail_msg("description lacks \"%s\": %s", expect, noisy.description);
    ip_data_free(&clean);
    ip_data_free(&noisy);
    ip_data_free(&again);
}

/* With ten classes a replaced label is any of the nine others, about equally often. */
static void test_noise_spreads_over_the_other_classes(void **state)
{
    (void)state;
    ip_data_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.dataset, sizeof c.dataset, "gaussian");
    c.gaussian_samples = 20000;
    c.gaussian_dim = 2;
    c.gaussian_classes = 10;
    c.train_fraction = 1;
    ip_data clean, noisy;
    load_ok(&clean, &c, 3);
    c.label_noise = 0.5;
    load_ok(&noisy, &c, 3);
    int shift_count[10] = {0}, changed = 0;
    for (int i = 0; i < noisy.train.n; i++) {
        int shift = (noisy.train.y[i] - clean.train.y[i] + 10) % 10;
        shift_count[shift]++;
        changed += shift != 0;
    }
    assert_true(changed > 9600 && changed < 10400); /* 20000 draws at 0.5: sd ~71 */
    for (int s = 1; s < 10; s++) /* each of the 9 other classes: ~1111, sd ~31 */
        if (shift_count[s] < 1000 || shift_count[s] > 1230) fail_msg("label + %d: %d times of %d", s, shift_count[s], changed);
    ip_data_free(&clean);
    ip_data_free(&noisy);
}

/* data.generate: the generated task even where the original files are found (a run gives the same
 * numbers from any directory); without it the files are read where they are. */
static void test_generate_ignores_the_files(void **state)
{
    (void)state;
    ip_data_config c;
    ip_data d;
    tishby_config(&c, 0, 1);
    load_ok(&d, &c, 1);
    assert_int_equal(d.generated, 1);
    assert_non_null(strstr(d.description, "asked for by data.generate"));
    ip_data_free(&d);
    if (!ip_test_is_dir("../shared/data/tishby") && !ip_test_is_dir("data/tishby")) {
        fprintf(stderr, "test_generate_ignores_the_files: no Tishby files here to ignore: SKIPPED\n");
        skip();
    }
    tishby_config(&c, 0, 0);
    load_ok(&d, &c, 1);
    assert_int_equal(d.generated, 0);
    ip_data_free(&d);
}

static void expect_config_error(const char *yaml, const char *fragment)
{
    ip_config cfg;
    if (ip_config_load_text(&cfg, yaml, "t.yaml", 0, NULL) >= 0) {
        ip_config_free(&cfg);
        fail_msg("loading succeeded, expected an error with \"%s\":\n%s", fragment, yaml);
    }
    if (!strstr(ip_error_message(), fragment)) fail_msg("message \"%s\" lacks \"%s\"", ip_error_message(), fragment);
}

static void test_config_keys(void **state)
{
    (void)state;
    ip_config cfg;
    const char *ok = "data: {dataset: tishby, label_noise: 0.25, generate: true}\n";
    if (ip_config_load_text(&cfg, ok, "t.yaml", 0, NULL) < 0) fail_msg("%s", ip_error_message());
    assert_true(cfg.data.label_noise == 0.25);
    assert_int_equal(cfg.data.generate, 1);
    ip_config_free(&cfg);
    expect_config_error("data: {dataset: tishby, label_noise: 1}\n", "label_noise");
    expect_config_error("data: {dataset: tishby, label_noise: -0.1}\n", "label_noise");
    expect_config_error("data: {dataset: tishby, label_noise: lots}\n", "label_noise");
    expect_config_error("data: {dataset: mnist, generate: true}\n", "only the tishby task has a generator");
    expect_config_error("data: {dataset: tishby, generate: true, path: data/tishby}\n", "contradict");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_replaces_a_share_of_training_labels),
        cmocka_unit_test(test_noise_spreads_over_the_other_classes),
        cmocka_unit_test(test_generate_ignores_the_files),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
