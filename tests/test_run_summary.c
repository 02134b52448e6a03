/* Tests for the plain-language run summary (estimate/run_summary.h) on small tables worked out by
 * hand: each warning fires on the case made for it and stays silent just inside its tolerance;
 * the bounds apply to binning and kde only; the compression sentence names the compressed layers
 * and the largest drop; the fit sentence tells overfitting from generalising. */
#include "testutil.h"

#include "estimate/compression.h"
#include "estimate/run_summary.h"

/* The summary functions write to a FILE: an in-memory one, its text returned by close_out (caller frees). */
static char *buf;
static size_t buf_len;
static FILE *open_out(void)
{
    FILE *f = open_memstream(&buf, &buf_len);
    assert_non_null(f);
    return f;
}
static char *close_out(FILE *f)
{
    fclose(f);
    return buf;
}

/* A layers table: 2 epochs x 3 layers, columns epoch, layer, i_xt, i_ty; log m = 6 bits, H(Y) = 1. */
static void test_clean(void **state)
{
    (void)state;
    const double t[] = {0, 1, 5, 0.5, 0, 2, 4, 0.6, 0, 3, 3, 0.7, 10, 1, 5, 0.9, 10, 2, 4, 0.9, 10, 3, 2, 0.9};
    FILE *f = open_out();
    assert_int_equal(ip_summary_warnings(f, "binning_layer_bins30", t, 6, 4, 6, 1), 0);
    char *s = close_out(f);
    assert_string_equal(s, "");
    free(s);
}

static void test_bounds_and_saturation(void **state)
{
    (void)state;
    /* layer 1 at 6.5 > log m (+1% tol = 6.06), I(T;Y) 1.2 > 1; layer 1 and 2 at the last epoch at log m. */
    const double t[] = {0, 1, 6.5, 1.2, 0, 2, 5, 0.5, 10, 1, 6, 0.9, 10, 2, 5.99, 0.9};
    FILE *f = open_out();
    assert_int_equal(ip_summary_warnings(f, "kde_upper_noise0.1", t, 4, 4, 6, 1), 3);
    char *s = close_out(f);
    assert_non_null(strstr(s, "I(X;T) above its possible maximum log m = 6 in 1 of 4"));
    assert_non_null(strstr(s, "I(T;Y) above H(Y) = 1 in 1 of 4"));
    assert_non_null(strstr(s, "saturated: 2 of 2 layers"));
    assert_null(strstr(s, "data-processing"));
    free(s);
    /* The same values under LogDet: no bound applies (its I(X;T) is not capped at log m). */
    f = open_out();
    assert_int_equal(ip_summary_warnings(f, "logdet_cov_beta1200", t, 4, 4, 6, 1), 0);
    free(close_out(f));
}

static void test_dpi(void **state)
{
    (void)state;
    /* epoch 0: layer 2 above layer 1 by 0.5 (> 1% of 4); epoch 10: by 0.03 (< 1% of 4 = 0.04): not counted. */
    const double t[] = {0, 1, 4, 0.5, 0, 2, 4.5, 0.5, 10, 1, 4, 0.5, 10, 2, 4.03, 0.5};
    FILE *f = open_out();
    assert_int_equal(ip_summary_warnings(f, "logdet_cov_beta1200", t, 4, 4, 6, 1), 1);
    char *s = close_out(f);
    assert_non_null(strstr(s, "1 estimates break the data-processing inequality"));
    assert_non_null(strstr(s, "at epoch 0, layer 1 to 2"));
    free(s);
    /* Rows of different epochs are never compared. */
    const double u[] = {0, 2, 1, 0.5, 10, 1, 9, 0.5};
    f = open_out();
    assert_int_equal(ip_summary_warnings(f, "logdet", u, 2, 4, 6, 1), 0);
    free(close_out(f));
}

static void test_compression_sentence(void **state)
{
    (void)state;
    const char names[3][8] = {"d1", "d2", "d3"};
    /* layer, ixt peak epoch, peak, final, drop, ity peak epoch, peak, final, drop */
    const double c[] = {1, 5, 10, 9.8, 0.02, 0, 0, 0, 0, 2, 20, 8, 4, 0.5, 0, 0, 0, 0, 3, 30, 6, 5, 1.0 / 6, 0, 0, 0, 0};
    FILE *f = open_out();
    ip_summary_compression(f, "logdet_cov_beta1200", "bits", c, 3, names[0], sizeof names[0], 3);
    char *s = close_out(f);
    assert_non_null(strstr(s, "2 of 3 layers compressed: d2 d3."));
    assert_non_null(strstr(s, "Most: d2, whose I(X;T) peaked at epoch 20 (8 bits) and fell by 50% to 4 bits"));
    free(s);
    const double none[] = {1, 5, 10, 9.8, 0.02, 0, 0, 0, 0};
    f = open_out();
    ip_summary_compression(f, "g", "nats", none, 1, NULL, 0, 0);
    s = close_out(f);
    assert_non_null(strstr(s, "g: no layer compressed"));
    free(s);
}

static void test_fit(void **state)
{
    (void)state;
    FILE *f = open_out();
    ip_summary_fit(f, 1.0, 0.80, 0.001, 0.9);
    char *s = close_out(f);
    assert_non_null(strstr(s, "(almost) perfectly"));
    assert_non_null(strstr(s, "20.0 points lower: it overfits"));
    free(s);
    f = open_out();
    ip_summary_fit(f, 0.5, 0.49, 0.7, 0.7);
    s = close_out(f);
    assert_non_null(strstr(s, "does not fit"));
    assert_non_null(strstr(s, "it generalises"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean), cmocka_unit_test(test_bounds_and_saturation), cmocka_unit_test(test_dpi),
        cmocka_unit_test(test_compression_sentence), cmocka_unit_test(test_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
