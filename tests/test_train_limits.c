/* End-to-end tests of `infoplane train` and `run` at the edges of what a config allows, run as a
 * hostile but realistic user would: sizes that cannot fit in memory are refused before anything
 * large is allocated (naming the key, what it needs and what the machine has), a batch larger
 * than the training set is the whole set (the same bytes as asking for exactly that), a config
 * that leaves no training sample or fewer than two analysis samples is refused before training,
 * and a run without a test set trains, analyses and plots without test curves. */
#include "testutil.h"

#include "test_run_util.h"

/* Commands that must refuse before touching memory run under this address-space limit (4 GB):
 * an allocation of the size they would need fails at once instead of paging the machine. Not
 * under AddressSanitizer, whose shadow memory alone reserves terabytes of addresses. */
#define SMALL_VM "ulimit -v 4000000; "

static double physical_memory(void) { return (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE); }

/* `infoplane ARGS` under SMALL_VM; the same captures as run_cli. */
static int small_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int small_cli(const char *fmt, ...)
{
    char args[4096], cmd[6000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s%s %s", getenv("IP_UNDER_SANITIZER") ? "" : SMALL_VM, ip_test_cli(), args);
    return ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out);
}

static void expect_refused(int rc, const char *key)
{
    if (rc == 0) fail_msg("exit 0, expected a refusal naming %s:\n%s", key, run_err);
    expect_text(run_err, key);
}

/* A network, an analysis set or a history too large for the machine is refused with the key, the
 * memory it needs and the memory there is, before it is allocated (so within 4 GB of address
 * space), and nothing is written to the run directory. */
static void test_memory_refused_before_allocating(void **state)
{
    (void)state;
    int rc = small_cli("train configs/demo_tishby.yaml --set 'model.hidden=[30000000]' --set train.epochs=2 "
                       "--out %s/wide", run_dir);
    expect_refused(rc, "model.hidden");
    expect_text(run_err, "this machine has");
    expect_text(run_err, " TB");
    char p[1300];
    snprintf(p, sizeof p, "%s/wide/run.h5", run_dir);
    if (access(p, F_OK) == 0) fail_msg("%s was written by a refused run", p);

    /* 2^31 epochs of history: 378 GB. Only a machine with less than that can be expected to refuse. */
    if (physical_memory() < 300e9) {
        rc = small_cli("train configs/demo_tishby.yaml --set train.epochs=2147483647 --out %s/epochs", run_dir);
        expect_refused(rc, "train.epochs");
        expect_text(run_err, "history");
        expect_text(run_err, "this machine has");
    }

    /* The generator's samples are counted before they are drawn. */
    rc = small_cli("train configs/demo_tishby.yaml --set data.dataset=gaussian --set data.gaussian_dim=2000000000 "
                   "--out %s/gauss", run_dir);
    expect_refused(rc, "data.gaussian_dim");
    expect_text(run_err, "this machine has");
}

/* Layer sizes that do not fit the int every layer indexes with are refused, not wrapped. */
static void test_layer_sizes_past_int_refused(void **state)
{
    (void)state;
    int rc = small_cli("train configs/demo_tishby.yaml --set model.arch=custom "
                       "--set 'model.layers=[{type: avgpool, size: [50000, 50000]}, {type: flatten}, "
                       "{type: dense, units: 2}]' --out %s/pool", run_dir);
    expect_refused(rc, "avgpool");
    expect_text(run_err, "more than 2147483647");
    rc = small_cli("train configs/demo_tishby.yaml --set model.arch=custom "
                   "--set 'model.layers=[{type: conv2d, channels: 8, kernel: 1, padding: 2000000000}, {type: flatten}, "
                   "{type: dense, units: 2}]' --out %s/pad", run_dir);
    expect_refused(rc, "padding 2000000000");
}

/* train.batch_size past the training set (3482 Tishby samples) is the whole set, said once. A
 * huge one gives the same bytes as 5000, which ran before sizes were checked: the evaluation
 * passes split the sets exactly as that batch did (the 4096 analysis samples in one pass). */
static void test_batch_larger_than_training_set(void **state)
{
    (void)state;
    const char *cfg = "configs/demo_tishby.yaml --set train.epochs=5 --quiet";
    int rc = small_cli("train %s --set train.batch_size=2147483647 --out %s/huge_batch", cfg, run_dir);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    const char *note = "train.batch_size = 2147483647 is more than the 3482 training samples";
    const char *at = strstr(run_err, note);
    if (!at || strstr(at + 1, note)) fail_msg("expected the note once:\n%s", run_err);
    rc = run_cli("train %s --set train.batch_size=5000 --out %s/batch5000", cfg, run_dir);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    char a[1300], b[1300];
    snprintf(a, sizeof a, "%s/huge_batch/run.h5", run_dir);
    snprintf(b, sizeof b, "%s/batch5000/run.h5", run_dir);
    assert_same_run(a, b);
    rc = run_cli("train %s --set train.batch_size=3482 --out %s/batch3482", cfg, run_dir);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    if (strstr(run_err, "note:")) fail_msg("a batch of exactly the training set needs no note:\n%s", run_err);
}

/* No training sample, or fewer than two analysis samples, is refused before training with the key
 * and the counts (it used to train "loss nan" and exit 0, or estimate from one sample). */
static void test_too_few_samples_refused(void **state)
{
    (void)state;
    int rc = run_cli("train configs/demo_tishby.yaml --set data.train_fraction=0.0001 --set train.epochs=2 "
                     "--out %s/empty", run_dir);
    expect_refused(rc, "data.train_fraction = 0.0001");
    expect_text(run_err, "4096 samples");
    rc = run_cli("train configs/demo_tishby.yaml --set record.samples=1 --set record.test_samples=0 "
                 "--set train.epochs=2 --out %s/one", run_dir);
    expect_refused(rc, "record.samples = 1");
    expect_text(run_err, "at least 2");
    char p[1300];
    snprintf(p, sizeof p, "%s/one/run.h5", run_dir);
    if (access(p, F_OK) == 0) fail_msg("%s was written by a refused run", p);
}

/* data.train_fraction 1: no test set. Training, analysis and plotting complete; the test metrics
 * are absent (not NaN) from the final line and metrics.csv; the curves have no test series. */
static void test_no_test_set(void **state)
{
    (void)state;
    int rc = run_cli("run configs/demo_tishby.yaml --set data.train_fraction=1 --set train.epochs=5 --quiet "
                     "--out %s/notest", run_dir);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    const char *final = strstr(run_out, "final: epoch=5 train_loss=");
    if (!final) fail_msg("no final line in:\n%s", run_out);
    if (strstr(final, "test")) fail_msg("test metrics in the final line of a run without a test set:\n%s", final);
    char p[1300], text[4096];
    snprintf(p, sizeof p, "%s/notest/metrics.csv", run_dir);
    ip_test_slurp(p, text, sizeof text);
    if (strncmp(text, "epoch,train_loss,train_acc,seconds\n", 35)) fail_msg("metrics.csv:\n%s", text);
    if (strstr(text, "nan")) fail_msg("NaN in metrics.csv:\n%s", text);
    snprintf(p, sizeof p, "%s/notest/figures/curves.gp", run_dir);
    ip_test_slurp(p, text, sizeof text);
    if (!strstr(text, "title \"train\"") || strstr(text, "title \"test\"")) fail_msg("curves.gp:\n%s", text);
    snprintf(p, sizeof p, "%s/notest/index.html", run_dir);
    ip_test_slurp(p, text, sizeof text);
    expect_text(text, "no test set");
    /* Compared with a run that has one: the comparison's curves are left out, with the reason. */
    rc = run_cli("run configs/demo_tishby.yaml --set train.epochs=5 --quiet --out %s/with_test", run_dir);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    rc = run_cli("plot %s/notest %s/with_test --out %s/compare", run_dir, run_dir, run_dir);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    expect_text(run_err, "notest has no test set");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_refused_before_allocating),
        cmocka_unit_test(test_layer_sizes_past_int_refused),
        cmocka_unit_test(test_batch_larger_than_training_set),
        cmocka_unit_test(test_too_few_samples_refused),
        cmocka_unit_test(test_no_test_set),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
