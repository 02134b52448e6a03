/* Tests for the compression summary of one trajectory (estimate/compression.h) against series
 * worked out by hand: the peak at the start, in the middle and at the end, a flat series, a single
 * epoch, ties, NaN (in the middle, at the end, everywhere), negative and zero peaks, infinities,
 * epochs out of order, and the threshold. The files it feeds (compression.csv, the run-file
 * tables, info) are tested in test_analyze.c. */
#include "testutil.h"

#include "estimate/compression.h"

static const int ep5[] = {0, 10, 20, 30, 40};

static ip_compression_series of(const int *epochs, const double *v, int n)
{
    ip_compression_series s;
    memset(&s, 0x5a, sizeof s); /* every field must be written */
    ip_compression_of(epochs, v, n, &s);
    return s;
}

static void expect(ip_compression_series s, int peak_epoch, double peak, double final, double drop)
{
    assert_int_equal(s.peak_epoch, peak_epoch);
    if (isnan(peak)) assert_true(isnan(s.peak));
    else assert_true(s.peak == peak);
    if (isnan(final)) assert_true(isnan(s.final));
    else assert_true(s.final == final);
    if (isnan(drop)) {
        if (!isnan(s.drop)) fail_msg("drop %.17g, expected NaN", s.drop);
    } else {
        assert_close(s.drop, drop, 1e-15, 0);
    }
}

static void test_peak_position(void **state)
{
    (void)state;
    const double start[] = {4, 3, 2, 2, 1}, middle[] = {1, 2, 8, 6, 2}, end[] = {1, 2, 3, 4, 5};
    expect(of(ep5, start, 5), 0, 4, 1, 0.75);   /* (4 - 1) / 4 */
    expect(of(ep5, middle, 5), 20, 8, 2, 0.75); /* (8 - 2) / 8 */
    expect(of(ep5, end, 5), 40, 5, 5, 0);       /* still rising: no drop */
    const double back_up[] = {1, 5, 2, 3, 4};   /* down after the peak, then part of the way back */
    expect(of(ep5, back_up, 5), 10, 5, 4, 0.2);
}

static void test_flat_single_empty(void **state)
{
    (void)state;
    const double flat[] = {2.5, 2.5, 2.5, 2.5, 2.5}, one[] = {7};
    const int e_one[] = {123};
    expect(of(ep5, flat, 5), 0, 2.5, 2.5, 0); /* a tie everywhere: the first epoch */
    expect(of(e_one, one, 1), 123, 7, 7, 0);
    expect(of(ep5, flat, 0), -1, NAN, NAN, NAN); /* nothing to summarize */
}

static void test_ties(void **state)
{
    (void)state;
    const double twice[] = {1, 6, 3, 6, 3};
    expect(of(ep5, twice, 5), 10, 6, 3, 0.5); /* the first epoch reaching the maximum */
    /* The same when the rows come in another order: the smallest epoch of the tie. */
    const int shuffled[] = {30, 0, 40, 10, 20};
    const double v[] = {6, 1, 3, 6, 3};
    expect(of(shuffled, v, 5), 10, 6, 3, 0.5); /* final: the value at epoch 40, wherever it stands */
}

static void test_nan(void **state)
{
    (void)state;
    const double mid[] = {1, NAN, 4, 2, 3}, last[] = {1, 5, 4, 2, NAN}, first[] = {NAN, 2, 1, 1, 1};
    const double all[] = {NAN, NAN, NAN, NAN, NAN};
    expect(of(ep5, mid, 5), 20, 4, 3, 0.25);     /* a NaN never peaks */
    expect(of(ep5, last, 5), 10, 5, NAN, NAN);   /* the final estimate is missing: no drop claimed */
    expect(of(ep5, first, 5), 10, 2, 1, 0.5);
    expect(of(ep5, all, 5), -1, NAN, NAN, NAN);
}

static void test_signs_zero_infinity(void **state)
{
    (void)state;
    const double neg[] = {-4, -2, -3, -5, -3}; /* KSG and KDE differences can be negative */
    expect(of(ep5, neg, 5), 10, -2, -3, 0.5);  /* (-2 - -3) / |-2| */
    const double zero[] = {-1, 0, -2, -1, -3};
    expect(of(ep5, zero, 5), 10, 0, -3, 0); /* a zero peak: 0 by definition */
    const double rise[] = {-1, -2, 0.5, 1, 2};
    expect(of(ep5, rise, 5), 40, 2, 2, 0);
    const double inf[] = {1, INFINITY, 2, 2, 1}, to_inf[] = {1, 2, 3, 4, -INFINITY};
    expect(of(ep5, inf, 5), 10, INFINITY, 1, NAN); /* no finite drop from an infinite peak */
    expect(of(ep5, to_inf, 5), 30, 4, -INFINITY, NAN);
}

static void test_threshold(void **state)
{
    (void)state;
    assert_true(IP_COMPRESSION_THRESHOLD == 0.05);
    assert_true(ip_compressed(0.0501, IP_COMPRESSION_THRESHOLD));
    assert_false(ip_compressed(0.05, IP_COMPRESSION_THRESHOLD)); /* more than the threshold */
    assert_false(ip_compressed(0, IP_COMPRESSION_THRESHOLD));
    assert_false(ip_compressed(NAN, IP_COMPRESSION_THRESHOLD));
    assert_true(ip_compressed(0.3, 0.2));
    assert_false(ip_compressed(0.1, 0.2));
    assert_string_equal(ip_compression_columns[0], "layer");
    assert_string_equal(ip_compression_columns[IP_COMPRESSION_COLS - 1], "ity_drop");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peak_position), cmocka_unit_test(test_flat_single_empty),
        cmocka_unit_test(test_ties),          cmocka_unit_test(test_nan),
        cmocka_unit_test(test_signs_zero_infinity), cmocka_unit_test(test_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
