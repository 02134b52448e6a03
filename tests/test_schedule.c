/* The record schedule: epoch 0 always, and each of all / every k / list / log (Saxe et al.)
 * records exactly the epochs its definition names. */
#include "testutil.h"

#include "record/schedule.h"

static ip_record_config sched(ip_schedule_kind k, int every)
{
    ip_record_config c;
    memset(&c, 0, sizeof c);
    c.epochs = k;
    c.every = every;
    return c;
}

static void test_all(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_ALL, 0);
    for (int e = 0; e <= 50; e++) assert_int_equal(ip_schedule_records(&c, e), 1);
    assert_int_equal(ip_schedule_records(&c, -1), 0);
    assert_int_equal(ip_schedule_count(&c, 10), 11);
    assert_int_equal(ip_schedule_count(&c, 0), 1);
}

static void test_every(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_EVERY, 10);
    assert_int_equal(ip_schedule_records(&c, 0), 1);
    assert_int_equal(ip_schedule_records(&c, 5), 0);
    assert_int_equal(ip_schedule_records(&c, 10), 1);
    assert_int_equal(ip_schedule_records(&c, 11), 0);
    assert_int_equal(ip_schedule_count(&c, 100), 11); /* 0, 10, ..., 100 */
    assert_int_equal(ip_schedule_count(&c, 9), 1);
    c.every = 1;
    assert_int_equal(ip_schedule_count(&c, 7), 8);
}

static void test_list(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_LIST, 0);
    int list[] = {5, 7, 50, 200};
    c.n_list = 4;
    memcpy(c.list, list, sizeof list);
    assert_int_equal(ip_schedule_records(&c, 0), 1); /* not in the list, but always there */
    assert_int_equal(ip_schedule_records(&c, 5), 1);
    assert_int_equal(ip_schedule_records(&c, 6), 0);
    assert_int_equal(ip_schedule_records(&c, 200), 1);
    assert_int_equal(ip_schedule_count(&c, 100), 4); /* 0, 5, 7, 50 */
    c.list[0] = 0;                                    /* 0 listed explicitly: still once */
    assert_int_equal(ip_schedule_count(&c, 100), 3);
}

static void test_log(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_LOG, 0);
    for (int e = 0; e < 20; e++) assert_int_equal(ip_schedule_records(&c, e), 1);
    assert_int_equal(ip_schedule_records(&c, 20), 1);
    assert_int_equal(ip_schedule_records(&c, 21), 0);
    assert_int_equal(ip_schedule_records(&c, 95), 1);
    assert_int_equal(ip_schedule_records(&c, 99), 0);
    assert_int_equal(ip_schedule_records(&c, 100), 1);
    assert_int_equal(ip_schedule_records(&c, 105), 0);
    assert_int_equal(ip_schedule_records(&c, 120), 1);
    assert_int_equal(ip_schedule_records(&c, 1980), 1);
    assert_int_equal(ip_schedule_records(&c, 2000), 1);
    assert_int_equal(ip_schedule_records(&c, 2020), 0);
    assert_int_equal(ip_schedule_records(&c, 2100), 1);
    /* 0..19: 20; 20..95 by 5: 16; 100..1000 by 20: 46. */
    assert_int_equal(ip_schedule_count(&c, 1000), 82);
    assert_int_equal(ip_schedule_count(&c, 19), 20);
    /* ... 1020..1980 by 20: 49 more, 2000..3000 by 100: 11 more. */
    assert_int_equal(ip_schedule_count(&c, 3000), 82 + 49 + 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
