/* End-to-end tests of `infoplane train`, run as a user would: the final summary line, two runs
 * of one config giving identical bytes, a run killed with SIGKILL resuming to the same bytes as
 * an uninterrupted one (also with the cosine schedule and shifted images), real MNIST and Tishby results, and bad input (malformed YAML, unknown
 * key, missing data, an occupied run directory, NaN during training) failing with a message. */
#include "testutil.h"

#include <signal.h>
#include <time.h>

#include "test_run_util.h"

static const char *tishby_short = "configs/demo_tishby.yaml --set train.epochs=40 --quiet";

static void test_final_line_and_outputs(void **state)
{
    (void)state;
    int rc = run_cli("train configs/demo_tishby.yaml --out %s/a --set train.epochs=12", run_dir);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    /* stdout is exactly one line: the summary. */
    int epoch = -1;
    double tl, ta, vl, va;
    char rest[8];
    if (sscanf(run_out, "final: epoch=%d train_loss=%lf train_acc=%lf test_loss=%lf test_acc=%lf%1s", &epoch, &tl, &ta,
               &vl, &va, rest) != 5)
        fail_msg("stdout is not one final line: '%s'", run_out);
    assert_int_equal(epoch, 12);
    assert_true(strchr(run_out, '\n') == run_out + strlen(run_out) - 1);
    assert_true(ta >= 0 && ta <= 1 && va >= 0 && va <= 1 && tl > 0 && vl > 0);
    assert_non_null(strstr(run_err, "epoch 12/12")); /* per-epoch progress on stderr */
    const char *files[] = {"run.h5", "metrics.csv", "config.yaml"};
    for (int i = 0; i < 3; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/a/%s", run_dir, files[i]);
        if (access(p, R_OK) != 0) fail_msg("%s missing", p);
    }
    char metrics[1200];
    snprintf(metrics, sizeof metrics, "%s/a/metrics.csv", run_dir);
    ip_test_slurp(metrics, run_out, sizeof run_out);
    int lines = 0;
    for (char *c = run_out; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 1 + 13); /* header + epochs 0..12 */
}

static void test_same_config_same_bytes(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        int rc = run_cli("train %s --out %s/det%d", tishby_short, run_dir, i);
        if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    }
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/det0/run.h5", run_dir);
    snprintf(b, sizeof b, "%s/det1/run.h5", run_dir);
    assert_same_run(a, b);
    /* A different seed gives a different run (so the comparison above can fail). */
    int rc = run_cli("train %s --set seed=2 --out %s/det2", tishby_short, run_dir);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    run_bytes x = read_run(a);
    snprintf(b, sizeof b, "%s/det2/run.h5", run_dir);
    run_bytes y = read_run(b);
    assert_int_equal(x.n, y.n);
    assert_true(memcmp(x.v, y.v, sizeof(double) * (size_t)x.n) != 0);
    free(x.v);
    free(y.v);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Kill a training run (`cfg`, `epochs` epochs, into DIR/NAME_*) with SIGKILL part-way, resume
 * it, and compare with an uninterrupted run. With mid_run, only a kill after at least one trained
 * epoch counts (so the resumed run starts inside the schedule, not at its beginning). */
static void kill_then_resume(const char *cfg, int epochs, const char *name, int mid_run)
{
    int rc = run_cli("train %s --out %s/%s_whole", cfg, run_dir, name);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    double whole_seconds = 0;
    {
        double t0 = now();
        rc = run_cli("train %s --out %s/%s_timing", cfg, run_dir, name);
        whole_seconds = now() - t0;
    }
    int interrupted = 0;
    for (int attempt = 0; attempt < 6 && !interrupted; attempt++) {
        char cmd[6000], kdir[1200];
        snprintf(kdir, sizeof kdir, "%s/%s_killed%d", run_dir, name, attempt);
        static const double mid[6] = {0.5, 0.7, 0.6, 0.8, 0.4, 0.9};
        double delay = whole_seconds * (mid_run ? mid[attempt] : 0.5 / (1 << attempt));
        /* Start, wait part of a whole run's time, SIGKILL; "exit 137" means it was killed. */
        snprintf(cmd, sizeof cmd, "%s train %s --out %s & pid=$!; sleep %.3f; kill -9 $pid 2>/dev/null; wait $pid",
                 ip_test_cli(), cfg, kdir, delay);
        rc = ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out);
        char h5[1300];
        snprintf(h5, sizeof h5, "%s/run.h5", kdir);
        if (rc != 137 || access(h5, R_OK) != 0) continue; /* finished first, or killed before creating */
        rc = run_cli("info %s", h5); /* the killed run opens cleanly */
        if (rc != 0) fail_msg("info on the killed run: exit %d: %s", rc, run_err);
        const char *done = strstr(run_out, "completed epochs: 0 to ");
        int last = 0;
        if (mid_run && (!done || sscanf(done, "completed epochs: 0 to %d", &last) != 1 || last < 1)) continue;
        interrupted = 1;
        if (mid_run) fprintf(stderr, "%s: killed after epoch %d of %d, resuming\n", name, last, epochs);
        rc = run_cli("train %s --out %s --resume", cfg, kdir);
        if (rc != 0) fail_msg("resume: exit %d: %s", rc, run_err);
        char final[64];
        snprintf(final, sizeof final, "final: epoch=%d ", epochs);
        assert_non_null(strstr(run_out, final));
        char whole[1200];
        snprintf(whole, sizeof whole, "%s/%s_whole/run.h5", run_dir, name);
        assert_same_run(whole, h5);
    }
    if (!interrupted) fail_msg("could not interrupt a run mid-way in 6 attempts (whole run %.3f s)", whole_seconds);
}

static void test_sigkill_then_resume(void **state)
{
    (void)state;
    kill_then_resume("configs/demo_tishby.yaml --set train.epochs=150 --set 'record.epochs={every: 3}' --quiet", 150,
                     "tishby", 0);
}

/* The same with the cosine schedule (its position comes from the saved optimizer step), shifted
 * training images (drawn from the saved RNG state) and data.scale std, on part of MNIST. */
static void test_sigkill_then_resume_cosine_shift(void **state)
{
    (void)state;
    char cfg[2000];
    snprintf(cfg, sizeof cfg,
             "configs/mnist_fnn_adam.yaml --set data.path=%s --set data.train_size=1000 --set data.test_size=500 "
             "--set train.epochs=10 --set record.samples=200 --set train.threads=1 --quiet",
             ip_test_data_dir("mnist"));
    kill_then_resume(cfg, 10, "mnist_cos", 1);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    ip_test_write_text(run_dir, "bad.yaml", "seed: 1\ntrain:\n  epochs: [1, 2\n");
    int rc = run_cli("train %s/bad.yaml --out %s/bad", run_dir, run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "bad.yaml:")) fail_msg("no file name in: %s", run_err);
    if (!strstr(run_err, ":3:") && !strstr(run_err, ":4:")) fail_msg("no line number in: %s", run_err);

    ip_test_write_text(run_dir, "unknown.yaml", "train:\n  epoch: 3\n");
    rc = run_cli("train %s/unknown.yaml --out %s/unknown", run_dir, run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "unknown.yaml:2:") || !strstr(run_err, "epoch")) fail_msg("message: %s", run_err);

    rc = run_cli("train configs/demo_tishby.yaml --set train.epochs=ten --out %s/wrongtype", run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "train.epochs") || !strstr(run_err, "ten")) fail_msg("message: %s", run_err);

    rc = run_cli("train %s/nonexistent.yaml", run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "nonexistent.yaml")) fail_msg("message: %s", run_err);

    /* Missing and truncated data files are named. */
    ip_test_write_text(run_dir, "missing_data.yaml", "data:\n  dataset: idx\n  train_images: /nonexistent/images.gz\n"
                                    "  train_labels: /nonexistent/labels.gz\n");
    rc = run_cli("train %s/missing_data.yaml --out %s/missing", run_dir, run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "/nonexistent/images.gz")) fail_msg("message: %s", run_err);
    /* The training digits exist under both names of data dir (../shared or scripts/get-data.sh). */
    const char *mnist = ip_test_data_dir("mnist");
    char cmd[4000];
    snprintf(cmd, sizeof cmd, "head -c 5000 '%s/%s/mnist10k-train-images-idx3-ubyte.gz' > '%s/trunc.gz'", run_repo, mnist,
             run_dir);
    assert_int_equal(system(cmd), 0);
    char yaml[5000];
    snprintf(yaml, sizeof yaml,
             "data:\n  dataset: idx\n  train_images: %s/trunc.gz\n  train_labels: %s/%s/mnist10k-train-labels-idx1-ubyte.gz\n",
             run_dir, run_repo, mnist);
    ip_test_write_text(run_dir, "trunc.yaml", yaml);
    rc = run_cli("train %s/trunc.yaml --out %s/trunc", run_dir, run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "trunc.gz")) fail_msg("message: %s", run_err);

    /* A directory that already holds a run is not overwritten; resuming with another config is refused. */
    rc = run_cli("train %s --out %s/occupied", tishby_short, run_dir);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    rc = run_cli("train %s --out %s/occupied", tishby_short, run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "already holds a run")) fail_msg("message: %s", run_err);
    rc = run_cli("train %s --set seed=7 --out %s/occupied --resume", tishby_short, run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "different config")) fail_msg("message: %s", run_err);
    rc = run_cli("info %s/occupied/run.h5", run_dir); /* still intact */
    if (rc != 0) fail_msg("info after refusals: exit %d: %s", rc, run_err);
}

/* Messages that used to name a symptom: --resume refused for --set values in another order, a file
 * given as data.path ("no such directory"), a directory given as the run file of analyze. */
static void test_messages_name_the_problem(void **state)
{
    (void)state;
    int rc = run_cli("train configs/demo_tishby.yaml --set train.epochs=3 --set seed=5 --set model.activation=relu "
                     "--quiet --out %s/order", run_dir);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    rc = run_cli("train configs/demo_tishby.yaml --set model.activation=relu --set seed=5 --set train.epochs=3 "
                 "--quiet --out %s/order --resume", run_dir);
    if (rc != 0) fail_msg("--resume with the same --set values in another order: exit %d: %s", rc, run_err);
    rc = run_cli("train configs/demo_tishby.yaml --set model.activation=tanh --set seed=5 --set train.epochs=3 "
                 "--quiet --out %s/order --resume", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "different config: it has activation: relu, this one activation: tanh");

    rc = run_cli("train configs/demo_tishby.yaml --set data.path=README.md --out %s/datafile", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "data.path = README.md: is a file, expected the directory holding the tishby files");
    rc = run_cli("train configs/mnist_fnn_adam.yaml --set data.path=README.md --out %s/datafile2", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "data.path = README.md: is a file, expected the directory holding the mnist files");
    rc = run_cli("train configs --out %s/cfgdir", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "configs: is a directory, expected a YAML config file");
    rc = run_cli("analyze %s/order", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "order is a directory, expected a run file");
    rc = run_cli("train configs/demo_tishby.yaml --set train.epochs=99999999999 --out %s/big", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "train.epochs: expected an integer in 0..2147483647, got '99999999999'");
}

static void test_nan_loss_stops_and_keeps_the_run(void **state)
{
    (void)state;
    int rc = run_cli("train configs/demo_tishby.yaml --set train.optimizer=sgd --set train.lr=1e300 "
                 "--set train.epochs=20 --out %s/nan",
                 run_dir);
    assert_int_not_equal(rc, 0);
    if (!strstr(run_err, "loss is")) fail_msg("message: %s", run_err);
    rc = run_cli("info %s/nan/run.h5", run_dir);
    if (rc != 0) fail_msg("info on the stopped run: exit %d: %s", rc, run_err);
    assert_non_null(strstr(run_out, "recorded epochs"));
}

/* The paper's MLP on the real MNIST digits (10,000 to train, the official 10,000 to test) with
 * Adam reaches >= 96% in a few epochs with configs/mnist_fnn_adam.yaml: relu, Adam 3e-3, batch 64,
 * cosine decay to 0 over the 8 epochs, training images shifted by up to one pixel, inputs divided
 * by the training pixels' std. Measured here (1 thread): 97.07% / 97.11% / 97.27% for seeds 1-3
 * (PyTorch, same recipe: 97.15 / 97.05 / 97.22%); plain Adam 1e-3 plateaus near 94.5%. The bar
 * keeps a margin of one point. Recording is cut to the last epoch and 500 samples. */
static void test_mnist_fnn_accuracy(void **state)
{
    (void)state;
    if (ip_test_slow_env()) skip(); /* an accuracy, not a memory check: the release pass has it */
    const char *mnist = ip_test_data_dir("mnist");
    int rc = run_cli("train configs/mnist_fnn_adam.yaml --set data.path=%s --set 'record.epochs=[8]' "
                 "--set record.samples=500 --quiet --out %s/mnist",
                 mnist, run_dir);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    double acc = 0;
    const char *p = strstr(run_out, "test_acc=");
    if (!p || sscanf(p, "test_acc=%lf", &acc) != 1) fail_msg("no test_acc in '%s'", run_out);
    fprintf(stderr, "mnist_fnn (configs/mnist_fnn_adam.yaml: relu, Adam 3e-3 cosine, batch 64, shift 1, scale std, "
                    "8 epochs, 10k digits): test accuracy %.4f\n", acc);
    if (acc < 0.96) fail_msg("test accuracy %.4f < 0.96", acc);
}

/* The Tishby network with tanh fits its task. */
static void test_tishby_fits(void **state)
{
    (void)state;
    int rc = run_cli("train configs/demo_tishby.yaml --set train.epochs=300 --set 'record.epochs=[300]' --quiet "
                 "--out %s/tishby",
                 run_dir);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    double acc = 0;
    const char *p = strstr(run_out, "train_acc=");
    if (!p || sscanf(p, "train_acc=%lf", &acc) != 1) fail_msg("no train_acc in '%s'", run_out);
    fprintf(stderr, "tishby (tanh, Adam 4e-4, 300 epochs): train accuracy %.4f\n", acc);
    if (acc < 0.90) fail_msg("train accuracy %.4f < 0.90", acc);
}

int main(void)
{
    RUN_SKIP_UNDER_VALGRIND();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_line_and_outputs),
        cmocka_unit_test(test_same_config_same_bytes),
        cmocka_unit_test(test_sigkill_then_resume),
        cmocka_unit_test(test_sigkill_then_resume_cosine_shift),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_messages_name_the_problem),
        cmocka_unit_test(test_nan_loss_stops_and_keeps_the_run),
        cmocka_unit_test(test_mnist_fnn_accuracy),
        cmocka_unit_test(test_tishby_fits),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
