/* Run files damaged in ways the fuzzer found (fuzz/fuzz_runfile.c): every value read from the
 * file is checked before it is used. A /metrics row whose epoch is not an integer (-3e231, NaN,
 * 1e27 were seen) was converted to int, undefined behaviour that UBSan caught; now the run is
 * refused with a message naming the file and the row. The damage is made with h5py on a copy
 * of a small real run (tests/fuzz/runfile/tiny.h5). */
#include "testutil.h"

#include "core/status.h"
#include "record/run.h"

#include <unistd.h>

/* A copy of tiny.h5 at path whose /metrics[row, 0] is set to value (a Python expression). */
static void damaged_copy(const char *path, int row, const char *value)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cp tests/fuzz/runfile/tiny.h5 '%s' && /usr/bin/python3 -c \"import h5py; "
             "f = h5py.File('%s', 'r+'); f['metrics'][%d, 0] = %s; f.close()\"",
             path, path, row, value);
    if (system(cmd) != 0) fail_msg("could not make %s (python3-h5py missing?)", path);
}

static void test_metrics_epoch_not_a_number(void **state)
{
    (void)state;
    const char *values[] = {"-3.10504e231", "float('nan')", "1.4042e27", "2.5"};
    char path[256];
    snprintf(path, sizeof path, "/tmp/ip-test-damaged-%d.h5", (int)getpid());
    for (int i = 0; i < 4; i++) {
        damaged_copy(path, 1, values[i]);
        ip_run *run = NULL;
        assert_int_equal(ip_run_open_read(&run, path, 0), IP_OK);
        ip_run_description d;
        int rc = ip_run_describe(run, &d);
        if (rc == IP_OK) {
            ip_run_describe_free(&d);
            fail_msg("a /metrics epoch of %s was accepted", values[i]);
        }
        if (!strstr(ip_error_message(), path) || !strstr(ip_error_message(), "/metrics row 1: epoch"))
            fail_msg("message '%s' does not name the file and the row", ip_error_message());
        ip_run_close(run);
    }
    /* the undamaged run still describes itself */
    damaged_copy(path, 1, "1");
    ip_run *run = NULL;
    assert_int_equal(ip_run_open_read(&run, path, 0), IP_OK);
    ip_run_description d;
    assert_int_equal(ip_run_describe(run, &d), IP_OK);
    assert_int_equal(d.metrics[1].epoch, 1);
    ip_run_describe_free(&d);
    ip_run_close(run);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_epoch_not_a_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
