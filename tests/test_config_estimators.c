/* The analysis section's estimator parameters (analysis.binning, .kde, .renyi, .ksg): defaults,
 * lists (a sweep), the expansion into settings, and every kind of bad value, with its place. */
#include "testutil.h"

#include "config/config.h"
#include "core/status.h"

static int load(ip_config *c, const char *yaml, int n, const char **set)
{
    return ip_config_load_text(c, yaml, "t.yaml", n, (char **)set);
}

static void must_fail(const char *yaml, const char *set, const char *fragment)
{
    ip_config c;
    const char *s[] = {set};
    int rc = load(&c, yaml, set ? 1 : 0, s);
    if (rc >= 0) {
        ip_config_free(&c);
        fail_msg("loaded, expected a failure with \"%s\":\n%s", fragment, yaml);
    }
    if (!strstr(ip_error_message(), fragment)) fail_msg("message \"%s\" lacks \"%s\"", ip_error_message(), fragment);
}

static int expand(const ip_config *c, ip_estimator *out)
{
    int n = -1;
    assert_int_equal(ip_estimator_choice_expand(&c->analysis.params, out, &n), IP_OK);
    return n;
}

static void test_defaults(void **state)
{
    (void)state;
    ip_config c;
    ip_estimator s[IP_EST_MAX_SETTINGS];
    assert_int_equal(load(&c, "analysis:\n  estimators: [logdet, binning, kde, renyi, ksg]\n", 0, NULL), IP_OK);
    assert_int_equal(expand(&c, s), 5);
    assert_int_equal(s[0].kind, IP_EST_LOGDET);
    assert_int_equal(s[1].kind, IP_EST_BINNING);
    assert_int_equal(s[1].binning.bins, 30);
    assert_int_equal(s[1].binning.range, IP_BIN_LAYER);
    assert_int_equal(s[2].kind, IP_EST_KDE);
    assert_true(s[2].kde.noise == 0.1);
    assert_int_equal(s[3].kind, IP_EST_RENYI);
    assert_true(s[3].renyi.alpha == 1.01 && s[3].renyi.sigma == 0);
    assert_int_equal(s[4].kind, IP_EST_KSG);
    assert_int_equal(s[4].ksg.k, 3);
    ip_config_free(&c);
    /* no analysis section: LogDet alone, the paper's beta */
    assert_int_equal(load(&c, "seed: 1\n", 0, NULL), IP_OK);
    assert_int_equal(expand(&c, s), 1);
    assert_int_equal(s[0].kind, IP_EST_LOGDET);
    assert_true(s[0].logdet.beta == 0);
    ip_config_free(&c);
}

static void test_sweeps(void **state)
{
    (void)state;
    ip_config c;
    ip_estimator s[IP_EST_MAX_SETTINGS];
    const char *yaml = "analysis:\n"
                       "  estimators: [binning, kde, renyi, ksg, logdet]\n"
                       "  mode: pearson\n"
                       "  beta: 50\n"
                       "  binning: {bins: [10, 30, 100], range: fixed, lo: -2, hi: 2}\n"
                       "  kde: {noise: [0.01, 0.1, 1]}\n"
                       "  renyi: {alpha: [1.01, 2], sigma: [auto, 0.5]}\n"
                       "  ksg: {k: [3, 10]}\n";
    assert_int_equal(load(&c, yaml, 0, NULL), IP_OK);
    assert_int_equal(expand(&c, s), 3 + 3 + 4 + 2 + 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s[i].kind, IP_EST_BINNING);
        assert_int_equal(s[i].binning.range, IP_BIN_FIXED);
        assert_true(s[i].binning.lo == -2 && s[i].binning.hi == 2);
    }
    assert_int_equal(s[0].binning.bins, 10);
    assert_int_equal(s[2].binning.bins, 100);
    assert_true(s[3].kde.noise == 0.01 && s[5].kde.noise == 1);
    assert_true(s[6].renyi.alpha == 1.01 && s[6].renyi.sigma == 0 && s[7].renyi.sigma == 0.5);
    assert_true(s[8].renyi.alpha == 2);
    assert_int_equal(s[11].ksg.k, 10);
    assert_int_equal(s[12].kind, IP_EST_LOGDET);
    assert_int_equal(s[12].logdet.mode, IP_MODE_PEARSON);
    assert_true(s[12].logdet.beta == 50);
    ip_config_free(&c);

    /* width mode sweeps widths; --set replaces a whole parameter map */
    const char *set[] = {"analysis.binning={range: width, width: [0.05, 0.5]}"};
    assert_int_equal(load(&c, "analysis:\n  estimators: binning\n  binning: {bins: 7}\n", 1, set), IP_OK);
    assert_int_equal(expand(&c, s), 2);
    assert_int_equal(s[0].binning.range, IP_BIN_WIDTH);
    assert_true(s[0].binning.width == 0.05 && s[1].binning.width == 0.5);
    ip_config_free(&c);
}

static void test_bad_values(void **state)
{
    (void)state;
    must_fail("analysis:\n  estimators: binning\n  binning: {bins: 0}\n", NULL, "t.yaml:3:19: analysis.binning.bins");
    must_fail("analysis:\n  estimators: binning\n  binning: {bins: ten}\n", NULL, "analysis.binning.bins");
    must_fail("analysis:\n  estimators: binning\n  binning: {range: log}\n", NULL,
              "analysis.binning.range: expected layer, unit, fixed or width, got 'log'");
    must_fail("analysis:\n  estimators: binning\n  binning: {range: fixed, lo: 1, hi: -1}\n", NULL,
              "analysis.binning: lo (1) must be below hi (-1)");
    must_fail("analysis:\n  estimators: binning\n  binning: {bin: 3}\n", NULL,
              "t.yaml:3:13: analysis.binning: unknown key 'bin' (allowed: bins, range, lo, hi, width)");
    must_fail("analysis:\n  estimators: binning\n  binning: 30\n", NULL, "analysis.binning: expected a map of parameters");
    must_fail("analysis:\n  estimators: binning\n  binning: {range: width, bins: 10}\n", NULL,
              "analysis.binning.bins: not used with range width");
    must_fail("analysis:\n  estimators: binning\n  binning: {width: 0.1}\n", NULL,
              "analysis.binning.width: not used with range layer");
    must_fail("analysis:\n  estimators: binning\n  binning: {range: unit, lo: -2}\n", NULL,
              "analysis.binning: lo and hi are the range of range: fixed, not used with range unit");
    must_fail("analysis:\n  estimators: kde\n  kde: {noise: 0}\n", NULL, "analysis.kde.noise: expected a number > 0");
    must_fail("analysis:\n  estimators: kde\n  kde: {noise: [0.1, -1]}\n", NULL, "analysis.kde.noise[1]");
    must_fail("analysis:\n  estimators: kde\n  kde: {noise: .nan}\n", NULL, "analysis.kde.noise");
    must_fail("analysis:\n  estimators: renyi\n  renyi: {alpha: 1}\n", NULL, "alpha = 1 is Shannon's limit");
    must_fail("analysis:\n  estimators: renyi\n  renyi: {sigma: -1}\n", NULL, "analysis.renyi.sigma");
    must_fail("analysis:\n  estimators: ksg\n  ksg: {k: 0}\n", NULL, "analysis.ksg.k");
    must_fail("analysis:\n  estimators: ksg\n  ksg: {k: 2.5}\n", NULL, "analysis.ksg.k");
    /* parameters of an estimator that does not run would do nothing */
    must_fail("analysis:\n  estimators: logdet\n  kde: {noise: 0.1}\n", NULL,
              "t.yaml:3:3: analysis.kde: parameters of kde, which is not in analysis.estimators");
    must_fail("analysis:\n  estimators: [binning, kde]\n  kde: {noise: 0.1}\n", "analysis.estimators=binning",
              "analysis.kde: parameters of kde, which is not in analysis.estimators");
    /* too many settings */
    must_fail("analysis:\n  estimators: [renyi]\n  renyi: {alpha: [1.1, 1.2, 1.3, 1.4, 1.5, 1.6], "
              "sigma: [1, 2, 3, 4, 5, 6]}\n",
              NULL, "more than 32 estimator settings");
    /* a list longer than 16 */
    must_fail("analysis:\n  estimators: kde\n  kde: {noise: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}\n", NULL,
              "analysis.kde.noise: at most 16 values, got 17");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_sweeps),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
