/* The epoch schedules: epoch 0 always, and each of all / every k / list / log (Saxe et al.)
 * selects exactly the epochs its definition names; record.store keeps the recorded epochs its
 * own schedule selects; the text of a schedule is what the config writes. */
#include "testutil.h"

#include "record/schedule.h"

static ip_record_config sched(ip_schedule_kind k, int every)
{
    ip_record_config c;
    memset(&c, 0, sizeof c);
    c.epochs.kind = k;
    c.epochs.every = every;
    return c;
}

static void test_all(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_ALL, 0);
    for (int e = 0; e <= 50; e++) assert_int_equal(ip_schedule_records(&c, e), 1);
    assert_int_equal(ip_schedule_records(&c, -1), 0);
    assert_int_equal(ip_schedule_count(&c.epochs, 10), 11);
    assert_int_equal(ip_schedule_count(&c.epochs, 0), 1);
}

static void test_every(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_EVERY, 10);
    assert_int_equal(ip_schedule_records(&c, 0), 1);
    assert_int_equal(ip_schedule_records(&c, 5), 0);
    assert_int_equal(ip_schedule_records(&c, 10), 1);
    assert_int_equal(ip_schedule_records(&c, 11), 0);
    assert_int_equal(ip_schedule_count(&c.epochs, 100), 11); /* 0, 10, ..., 100 */
    assert_int_equal(ip_schedule_count(&c.epochs, 9), 1);
    c.epochs.every = 1;
    assert_int_equal(ip_schedule_count(&c.epochs, 7), 8);
}

static void test_list(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_LIST, 0);
    int list[] = {5, 7, 50, 200};
    c.epochs.n_list = 4;
    memcpy(c.epochs.list, list, sizeof list);
    assert_int_equal(ip_schedule_records(&c, 0), 1); /* not in the list, but always there */
    assert_int_equal(ip_schedule_records(&c, 5), 1);
    assert_int_equal(ip_schedule_records(&c, 6), 0);
    assert_int_equal(ip_schedule_records(&c, 200), 1);
    assert_int_equal(ip_schedule_count(&c.epochs, 100), 4); /* 0, 5, 7, 50 */
    c.epochs.list[0] = 0;                                   /* 0 listed explicitly: still once */
    assert_int_equal(ip_schedule_count(&c.epochs, 100), 3);
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
    assert_int_equal(ip_schedule_count(&c.epochs, 1000), 82);
    assert_int_equal(ip_schedule_count(&c.epochs, 19), 20);
    /* ... 1020..1980 by 20: 49 more, 2000..3000 by 100: 11 more. */
    assert_int_equal(ip_schedule_count(&c.epochs, 3000), 82 + 49 + 11);
}

/* record.store: activations keeps every recorded epoch, none none, a schedule the recorded epochs
 * it selects (intersected with record.epochs; epoch 0 always). */
static void test_store(void **state)
{
    (void)state;
    ip_record_config c = sched(IP_SCHED_EVERY, 3);
    char text[IP_SCHEDULE_TEXT];
    for (int e = 0; e <= 30; e++) assert_int_equal(ip_schedule_stores(&c, e), e % 3 == 0);
    assert_string_equal(ip_store_text(&c, text, sizeof text), "activations");
    c.store = IP_STORE_NONE;
    for (int e = 0; e <= 30; e++) assert_int_equal(ip_schedule_stores(&c, e), 0);
    assert_string_equal(ip_store_text(&c, text, sizeof text), "none");
    c.store = IP_STORE_SCHEDULE;
    c.store_epochs.kind = IP_SCHED_EVERY;
    c.store_epochs.every = 5; /* recorded every 3rd, kept every 5th: 0, 15, 30 */
    int kept = 0;
    for (int e = 0; e <= 30; e++) {
        assert_int_equal(ip_schedule_stores(&c, e), e % 15 == 0);
        kept += ip_schedule_stores(&c, e);
    }
    assert_int_equal(kept, 3);
    assert_string_equal(ip_store_text(&c, text, sizeof text), "{every: 5}");
    c.epochs.kind = IP_SCHED_ALL;
    c.store_epochs.kind = IP_SCHED_LOG;
    for (int e = 0; e <= 1000; e++)
        assert_int_equal(ip_schedule_stores(&c, e), ip_schedule_selects(&c.store_epochs, e));
    assert_string_equal(ip_store_text(&c, text, sizeof text), "log");
    c.store_epochs.kind = IP_SCHED_LIST; /* a list without 0 keeps epoch 0 all the same */
    c.store_epochs.n_list = 2;
    c.store_epochs.list[0] = 4;
    c.store_epochs.list[1] = 9;
    assert_int_equal(ip_schedule_stores(&c, 0), 1);
    assert_int_equal(ip_schedule_stores(&c, 4), 1);
    assert_int_equal(ip_schedule_stores(&c, 5), 0);
    assert_int_equal(ip_schedule_stores(&c, 9), 1);
    assert_int_equal(ip_schedule_stores(&c, -1), 0);
    assert_string_equal(ip_store_text(&c, text, sizeof text), "[4, 9]");
}

/* The text of each form, and a list cut to the buffer, still terminated. */
static void test_text(void **state)
{
    (void)state;
    ip_schedule s = {.kind = IP_SCHED_ALL};
    char text[IP_SCHEDULE_TEXT], small[8];
    assert_string_equal(ip_schedule_text(&s, text, sizeof text), "all");
    s.kind = IP_SCHED_LIST;
    assert_string_equal(ip_schedule_text(&s, text, sizeof text), "[]");
    s.n_list = IP_MAX_LIST;
    for (int i = 0; i < IP_MAX_LIST; i++) s.list[i] = 2000000000 + i; /* the longest list there is */
    ip_schedule_text(&s, text, sizeof text);
    assert_true(strlen(text) < sizeof text - 1);
    assert_int_equal(text[strlen(text) - 1], ']');
    ip_schedule_text(&s, small, sizeof small);
    assert_string_equal(small, "[200000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
