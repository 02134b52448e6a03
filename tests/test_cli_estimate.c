/* Tests for `infoplane entropy` and `infoplane mi` on CSV files, run as a user would: the value
 * is the last number on stdout at full precision and equals the library's; every bad input
 * (non-numeric, ragged, empty, missing file, bad beta or mode, mismatched rows) exits non-zero
 * with a message naming the file or the option. */
#include "testutil.h"

#include <unistd.h>

#include "core/rng.h"
#include "core/status.h"
#include "core/csv.h"
#include "estimate/estimator.h"
#include "estimate/estimators.h"

static char bin[1024];
static char dir[] = "/tmp/ip_test_cli_estimate_XXXXXX";
static char out_text[1 << 16], err_text[1 << 16];

/* Run `infoplane ARGS` (a shell fragment) in dir; stdout/stderr into out_text/err_text; the exit status. */
static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s", bin, args);
    return ip_test_sh(dir, cmd, out_text, err_text, sizeof out_text);
}

/* The last number printed on stdout. */
static double last_number(void)
{
    double v = NAN;
    const char *p = out_text;
    while (*p) {
        char *end;
        double x = strtod(p, &end);
        if (end != p) {
            v = x;
            p = end;
        } else {
            p++;
        }
    }
    if (isnan(v)) fail_msg("no number on stdout: \"%s\" (stderr \"%s\")", out_text, err_text);
    return v;
}

static double *data_a, *data_b;
enum { M = 80, DA = 5, DB = 3 };

static int setup(void **state)
{
    (void)state;
    snprintf(bin, sizeof bin, "%s", ip_test_cli());
    if (!mkdtemp(dir)) return -1;
    ip_rng r;
    ip_rng_seed(&r, 31);
    data_a = malloc(sizeof(double) * M * DA);
    data_b = malloc(sizeof(double) * M * DB);
    for (int i = 0; i < M * DA; i++) data_a[i] = ip_rng_normal(&r);
    for (int i = 0; i < M * DB; i++) data_b[i] = data_a[(i / DB) * DA + i % DB] + 0.5 * ip_rng_normal(&r);
    char p[1200];
    snprintf(p, sizeof p, "%s/a.csv", dir);
    if (ip_csv_write_matrix(p, data_a, M, DA, DA) != IP_OK) return -1;
    snprintf(p, sizeof p, "%s/b.csv", dir);
    if (ip_csv_write_matrix(p, data_b, M, DB, DB) != IP_OK) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    free(data_a);
    free(data_b);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_entropy_prints_library_value(void **state)
{
    (void)state;
    double h;
    assert_int_equal(run("entropy a.csv --beta 30"), 0);
    assert_int_equal(ip_logdet_entropy(data_a, M, DA, DA, IP_MODE_COV, 30, &h), IP_OK);
    assert_close(last_number(), h, 1e-15, 0);
    assert_int_equal(run("entropy a.csv --mode pearson"), 0); /* default beta 100 * d */
    assert_int_equal(ip_logdet_entropy(data_a, M, DA, DA, IP_MODE_PEARSON, 100.0 * DA, &h), IP_OK);
    assert_close(last_number(), h, 1e-15, 0);
    assert_non_null(strstr(out_text, "beta = 500"));
}

static void test_mi_prints_library_value(void **state)
{
    (void)state;
    double v;
    assert_int_equal(run("mi a.csv b.csv --beta 12.5 --mode pearson"), 0);
    assert_int_equal(ip_logdet_mi(data_a, M, DA, DA, data_b, DB, DB, IP_MODE_PEARSON, 12.5, &v, NULL), IP_OK);
    assert_close(last_number(), v, 1e-15, 0);
    assert_int_equal(run("mi a.csv b.csv"), 0); /* default beta 100 * (d_A + d_B) */
    assert_int_equal(ip_logdet_mi(data_a, M, DA, DA, data_b, DB, DB, IP_MODE_COV, 800, &v, NULL), IP_OK);
    assert_close(last_number(), v, 1e-15, 0);
    /* --labels: B is one column of class labels. */
    char lab[M * 4 + 1] = "";
    int y[M];
    for (int i = 0; i < M; i++) {
        y[i] = data_a[i * DA] > 0 ? 2 : (i % 2);
        snprintf(lab + strlen(lab), sizeof lab - strlen(lab), "%d\n", y[i]);
    }
    ip_test_write_text(dir, "y.csv", lab);
    assert_int_equal(run("mi a.csv y.csv --labels --beta 40"), 0);
    assert_int_equal(ip_logdet_mi_labels(data_a, M, DA, DA, y, 3, IP_MODE_COV, 40, &v, NULL), IP_OK);
    assert_close(last_number(), v, 1e-15, 0);
}

/* A CRLF file with spaces and blank lines reads the same as the plain one. */
static void test_csv_lenient_whitespace(void **state)
{
    (void)state;
    ip_test_write_text(dir, "crlf.csv", "1, 2 ,3\r\n\r\n4,5.5,-6e-1\r\n7 ,8,9\r\n");
    ip_test_write_text(dir, "plain.csv", "1,2,3\n4,5.5,-0.6\n7,8,9\n");
    assert_int_equal(run("entropy crlf.csv --beta 2"), 0);
    double a = last_number();
    assert_int_equal(run("entropy plain.csv --beta 2"), 0);
    assert_close(last_number(), a, 0, 0);
}

static void expect_failure(const char *args, const char *fragment)
{
    int st = run(args);
    if (st == 0) fail_msg("`infoplane %s` succeeded; expected a failure mentioning '%s'", args, fragment);
    if (!strstr(err_text, fragment))
        fail_msg("`infoplane %s`: stderr \"%s\" lacks \"%s\"", args, err_text, fragment);
    if (out_text[0]) fail_msg("`infoplane %s` failed but printed \"%s\" on stdout", args, out_text);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    ip_test_write_text(dir, "text.csv", "1,2\n3,abc\n");
    ip_test_write_text(dir, "header.csv", "x,y\n1,2\n");
    ip_test_write_text(dir, "ragged.csv", "1,2,3\n4,5\n");
    ip_test_write_text(dir, "empty.csv", "");
    ip_test_write_text(dir, "blank.csv", "\n  \n");
    ip_test_write_text(dir, "nan.csv", "1,2\nnan,3\n");
    ip_test_write_text(dir, "trailing.csv", "1,2,\n3,4,\n");
    ip_test_write_text(dir, "short.csv", "1,2\n3,4\n");
    expect_failure("entropy text.csv", "text.csv: line 2, field 2: 'abc' is not a number");
    expect_failure("entropy header.csv", "header.csv: line 1, field 1");
    expect_failure("entropy ragged.csv", "ragged.csv: line 2 has 2 fields");
    expect_failure("entropy empty.csv", "empty.csv: no data");
    expect_failure("entropy blank.csv", "blank.csv: no data");
    expect_failure("entropy nan.csv", "nan.csv: line 2, field 1: not a finite number");
    expect_failure("entropy trailing.csv", "trailing.csv: line 1, field 3");
    expect_failure("entropy missing.csv", "missing.csv: cannot open");
    expect_failure("entropy a.csv --beta 0", "--beta must be a positive number, got '0'");
    expect_failure("entropy a.csv --beta -3", "--beta must be a positive number");
    expect_failure("entropy a.csv --beta abc", "--beta must be a positive number");
    expect_failure("entropy a.csv --beta", "incomplete option '--beta'");
    expect_failure("entropy a.csv --mode corr", "cov or pearson");
    expect_failure("entropy", "missing DATA");
    expect_failure("mi a.csv short.csv", "a.csv has 80 samples (rows) but short.csv has 2");
    expect_failure("mi a.csv", "need DATA_A and DATA_B");
    expect_failure("mi a.csv ragged.csv", "ragged.csv: line 2");
    expect_failure("mi a.csv b.csv --labels", "b.csv: --labels needs one column");
    expect_failure("mi a.csv b.csv --beta 0", "--beta must be a positive number");
    expect_failure("entropy nofile.h5", "nofile.h5: an HDF5 file needs a dataset");
}

/* Inputs whose old messages named a symptom instead of the problem: one sample (printed 0), values
 * near 1e300 ("logdet is not finite"), a byte-order mark ("'0.125' is not a number"), a directory
 * ("read error"). */
static void test_messages_name_the_problem(void **state)
{
    (void)state;
    ip_test_write_text(dir, "one.csv", "1,2,3\n");
    expect_failure("entropy one.csv", "one.csv: H(A): 1 sample, but the LogDet estimator needs at least 2");
    expect_failure("mi one.csv one.csv", "needs at least 2");
    ip_test_write_text(dir, "one_label.csv", "1\n");
    expect_failure("mi one.csv one_label.csv --labels", "needs at least 2");
    ip_test_write_text(dir, "big.csv", "1e300,2e300\n-1e300,3e300\n2e300,1e300\n");
    expect_failure("entropy big.csv", "big.csv: H(A): the data's scale overflows double precision");
    expect_failure("entropy big.csv --mode pearson", "divide the data by a constant");
    expect_failure("mi big.csv big.csv", "scale overflows");
    /* The same data scaled down is fine. */
    ip_test_write_text(dir, "small.csv", "1,2\n-1,3\n2,1\n");
    assert_int_equal(run("entropy small.csv"), 0);
    double plain = last_number();
    ip_test_write_text(dir, "bom.csv", "\xEF\xBB\xBF" "1,2\n-1,3\n2,1\n");
    if (run("entropy bom.csv") != 0) fail_msg("a UTF-8 byte-order mark is refused: %s", err_text);
    assert_close(last_number(), plain, 0, 0);
    ip_test_write_text(dir, "utf16.csv", "\xFF\xFE" "1\n"); /* its byte-order mark is enough to tell */
    expect_failure("entropy utf16.csv", "utf16.csv: UTF-16 text");
    char sub[1200];
    snprintf(sub, sizeof sub, "%s/adir.csv", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    expect_failure("entropy adir.csv", "adir.csv: is a directory, expected a file");
    expect_failure("mi a.csv adir.csv", "adir.csv: is a directory");
}

/* Every estimator through `entropy` and `mi` prints the library's value; the bmi benchmark's form
 * `mi SAMPLES.csv DIM_X DIM_Y` (a header line, X and Y side by side) gives the same number. */
static void test_every_estimator(void **state)
{
    (void)state;
    static const char *const args[IP_EST_COUNT] = {"--estimator logdet --beta 40", "--estimator binning --bins 7",
                                                   "--estimator kde --noise 0.3", "--estimator renyi --sigma 1.5",
                                                   "--estimator ksg --k 4"};
    /* X and Y side by side, with a header as bmi writes it */
    char text[1 << 16] = "x1,x2,x3,x4,x5,y1,y2,y3\n";
    for (int i = 0; i < M; i++) {
        size_t n = strlen(text);
        for (int j = 0; j < DA + DB; j++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%.17g%s", j < DA ? data_a[i * DA + j] : data_b[i * DB + j - DA],
                                  j + 1 < DA + DB ? "," : "\n");
    }
    ip_test_write_text(dir, "samples.csv", text);
    for (int k = 0; k < IP_EST_COUNT; k++) {
        ip_estimator e;
        ip_estimator_default(&e, (ip_estimator_kind)k);
        e.logdet.beta = 40, e.binning.bins = 7, e.kde.noise = 0.3, e.renyi.sigma = 1.5, e.ksg.k = 4;
        double h, mi, mi_bmi;
        char cmd[256];
        snprintf(cmd, sizeof cmd, "entropy a.csv %s", args[k]);
        if (run(cmd) != 0) fail_msg("%s: %s", cmd, err_text);
        assert_int_equal(ip_estimator_entropy(&e, data_a, M, DA, DA, &h), IP_OK);
        /* 1e-13: under valgrind this process's libm (exp) and the command's may differ in the last bits */
        assert_close(last_number(), h, 1e-13, 0);
        snprintf(cmd, sizeof cmd, "mi a.csv b.csv %s", args[k]);
        if (run(cmd) != 0) fail_msg("%s: %s", cmd, err_text);
        assert_int_equal(ip_estimator_mi(&e, data_a, M, DA, DA, data_b, DB, DB, &mi, NULL), IP_OK);
        assert_close(last_number(), mi, 1e-13, 0);
        snprintf(cmd, sizeof cmd, "mi samples.csv %d %d %s", DA, DB, args[k]);
        if (run(cmd) != 0) fail_msg("%s: %s", cmd, err_text);
        mi_bmi = last_number();
        assert_close(mi_bmi, mi, 1e-13, 0);
        printf("  %-8s H(A) = %.6f, I(A;B) = %.6f nats\n", ip_estimator_names[k], h, mi);
    }
    /* KDE's lower bound on request */
    ip_estimator e;
    ip_estimator_default(&e, IP_EST_KDE);
    e.kde.bound = IP_KDE_LOWER;
    double h;
    assert_int_equal(run("entropy a.csv --estimator kde --bound lower"), 0);
    assert_int_equal(ip_estimator_entropy(&e, data_a, M, DA, DA, &h), IP_OK);
    assert_close(last_number(), h, 1e-15, 0);
    /* wrong uses: each refused with the reason */
    expect_failure("mi a.csv b.csv --estimator ksg --k 3,5", "one estimator with one value per parameter");
    expect_failure("mi a.csv b.csv --noise 0.1", "--noise are parameters of kde, which is not among");
    expect_failure("mi a.csv b.csv --estimator logdet,ksg", "one estimator with one value per parameter");
    expect_failure("mi samples.csv 5 2", "8 columns, but DIM_X + DIM_Y = 5 + 2 = 7");
    expect_failure("mi samples.csv 0 8", "the dimensions must be positive integers");
    expect_failure("mi a.csv b.csv --estimator ksg --k 80", "k");
    expect_failure("entropy a.csv --estimator renyi --alpha 1", "alpha");
    expect_failure("entropy a.csv --estimator nope", "unknown estimator 'nope'");
    expect_failure("entropy a.csv --bound middle", "--bound: expected upper or lower");
}

/* Degenerate data through every estimator: a defined value where the mathematics gives one, else a
 * message naming the problem; never a crash. */
static void test_degenerate_inputs(void **state)
{
    (void)state;
    ip_test_write_text(dir, "const.csv", "1,2\n1,3\n1,5\n1,4\n1,7\n1,6\n");
    ip_test_write_text(dir, "allsame.csv", "2,2\n2,2\n2,2\n2,2\n2,2\n2,2\n");
    ip_test_write_text(dir, "one.csv", "1,2,3\n");
    ip_test_write_text(dir, "nan.csv", "1,2\nnan,3\n");
    static const char *const names[] = {"logdet", "binning", "kde", "renyi", "ksg"};
    for (int k = 0; k < 5; k++) {
        char cmd[256];
        /* a constant column: every estimator gives a number (KSG's entropy of 6 distinct points too) */
        snprintf(cmd, sizeof cmd, "entropy const.csv --estimator %s%s", names[k], k == 4 ? " --k 2" : "");
        if (run(cmd) != 0) fail_msg("%s: %s", cmd, err_text);
        assert_true(isfinite(last_number()));
        /* all samples equal: zero where the estimator defines it; KSG's entropy is -inf: refused */
        snprintf(cmd, sizeof cmd, "entropy allsame.csv --estimator %s%s", names[k], k == 4 ? " --k 2" : "");
        int st = run(cmd);
        if (k == 4) {
            assert_int_equal(st, 1);
            assert_non_null(strstr(err_text, "allsame.csv"));
        } else {
            if (st != 0) fail_msg("%s: %s", cmd, err_text);
            if (k == 0 || k == 1 || k == 3) assert_close(last_number(), 0, 0, 1e-12);
        }
        /* NaN: the file and place */
        snprintf(cmd, sizeof cmd, "entropy nan.csv --estimator %s", names[k]);
        expect_failure(cmd, "nan.csv: line 2, field 1: not a finite number");
        /* one sample: a number where defined (binning 0), else a message; exit 0 or 1, never a crash */
        snprintf(cmd, sizeof cmd, "entropy one.csv --estimator %s", names[k]);
        st = run(cmd);
        if (st != 0 && st != 1) fail_msg("%s: exit %d: %s", cmd, st, err_text);
        if (st == 1 && !strstr(err_text, "one.csv")) fail_msg("%s: the message does not name the file: %s", cmd, err_text);
        if (st == 0) assert_true(isfinite(last_number()));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_estimator),
        cmocka_unit_test(test_degenerate_inputs),
        cmocka_unit_test(test_entropy_prints_library_value),
        cmocka_unit_test(test_mi_prints_library_value),
        cmocka_unit_test(test_csv_lenient_whitespace),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_messages_name_the_problem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
