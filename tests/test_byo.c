/* Bring your own training (issue 17): files written outside infoplane by python/infoplane's
 * Recorder, the import contract (docs/hdf5-layout.md, "Importing"), the estimators from Python
 * (build/libinfoplane.so) and the PyTorch example. Python helpers in tests/byo/. Everything that
 * starts Python runs in the release pass only (the C code it drives is the same; the sanitizer and
 * valgrind passes would only be slower); the refusals of broken files run in every pass. */
#include "testutil.h"
#include "test_run_util.h"

#include "core/fsutil.h"

#include <sys/stat.h>

#define PY "/usr/bin/python3"

static int have_python_h5py(void)
{
    static int have = -1; /* asked once */
    if (have < 0) have = system(PY " -c 'import numpy, h5py' >/dev/null 2>&1") == 0;
    return have;
}

static void need_python(void)
{
    if (!have_python_h5py()) {
        print_message("SKIPPED: %s with numpy and h5py is missing (python3-numpy, python3-h5py)\n", PY);
        skip();
    }
}

static void release_only(void)
{
    if (ip_test_slow_env()) {
        print_message("SKIPPED here: runs in the release pass only\n");
        skip();
    }
}

/* An infoplane run and the same activations written by the Recorder: every estimator's CSV files
 * are the same bytes. */
static void test_recorder_same_numbers(void **state)
{
    (void)state;
    release_only();
    need_python();
    int rc = run_cli("train configs/demo_tishby.yaml --quiet --set record.samples=300 --set record.test_samples=0 "
                     "--set train.epochs=12 --out %s/own",
                     run_dir);
    if (rc) fail_msg("train: %s", run_err);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, PY " tests/byo/copy_run.py . %s/own/run.h5 %s/imp/run.h5", run_dir, run_dir);
    if (ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out)) fail_msg("%s: %s", cmd, run_err);
    for (int i = 0; i < 2; i++) {
        rc = run_cli("analyze %s/%s/run.h5 --quiet --estimator logdet,binning,kde,renyi,ksg", run_dir, i ? "imp" : "own");
        if (rc) fail_msg("analyze: %s", run_err);
    }
    expect_text(run_out, "in /analysis/"); /* a writable imported file gets the tables too */
    const char *csv[] = {"logdet.csv", "logdet_layers.csv", "binning.csv", "kde.csv", "renyi.csv", "ksg.csv",
                         "compression.csv"};
    for (size_t i = 0; i < sizeof csv / sizeof csv[0]; i++) {
        snprintf(cmd, sizeof cmd, "cmp '%s/own/analysis/%s' '%s/imp/analysis/%s'", run_dir, csv[i], run_dir, csv[i]);
        if (ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out)) fail_msg("%s: %s%s", cmd, run_out, run_err);
    }
    rc = run_cli("info %s/imp/run.h5", run_dir);
    if (rc) fail_msg("info: %s", run_err);
    expect_text(run_out, "imported run");
    expect_text(run_out, "provenance: copied from");
    expect_text(run_out, "analysis:   13 tables");
    /* A read-only imported file is left as it is; the results go beside it. */
    snprintf(cmd, sizeof cmd, "mkdir %s/ro && cp %s/imp/run.h5 %s/ro/ && chmod a-w %s/ro/run.h5", run_dir, run_dir,
             run_dir, run_dir);
    if (ip_test_sh(run_repo, cmd, NULL, run_err, sizeof run_err)) fail_msg("%s: %s", cmd, run_err);
    char path[1200];
    snprintf(path, sizeof path, "%s/ro/run.h5", run_dir);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    rc = run_cli("analyze %s --quiet --estimator binning --bins 12", path);
    if (rc) fail_msg("analyze read-only: %s", run_err);
    expect_text(run_out, "read-only and left as it is");
    assert_int_equal(stat(path, &after), 0);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    snprintf(path, sizeof path, "%s/ro/analysis/binning.csv", run_dir);
    assert_true(ip_is_file(path));
    rc = run_cli("plot %s/ro", run_dir);
    if (rc) fail_msg("plot: %s", run_err);
}

/* Files missing (or holding wrong) each path of the contract are refused, naming it. */
static void test_broken_refused(void **state)
{
    (void)state;
    need_python();
    char dir[1200], cmd[1400];
    snprintf(dir, sizeof dir, "%s/broken", run_dir);
    mkdir(dir, 0755);
    snprintf(cmd, sizeof cmd, PY " tests/byo/broken.py %s", dir);
    static char list[8192];
    if (ip_test_sh(run_repo, cmd, list, run_err, sizeof list)) fail_msg("%s: %s", cmd, run_err);
    int n = 0, ok = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char file[1300], named[128];
        if (sscanf(line, "%1299s %127s", file, named) != 2) fail_msg("broken.py printed '%s'", line);
        int rc = run_cli("info %s", file);
        if (!strcmp(named, "-")) {
            if (rc) fail_msg("%s is valid but info failed: %s", file, run_err);
            ok++;
        } else {
            if (!rc) fail_msg("%s (bad %s) was accepted:\n%s", file, named, run_out);
            char want[200];
            snprintf(want, sizeof want, ": %s ", named);
            if (!strstr(run_err, want)) fail_msg("%s: the error does not name %s:\n%s", file, named, run_err);
            rc = run_cli("analyze %s --quiet", file);
            if (!rc || !strstr(run_err, want)) fail_msg("analyze %s: not refused naming %s:\n%s", file, named, run_err);
            n++;
        }
    }
    assert_int_equal(ok, 2);
    assert_true(n >= 13);
}

/* The Recorder killed by SIGKILL while recording: the file analyses up to its last complete epoch. */
static void test_recorder_sigkill(void **state)
{
    (void)state;
    release_only();
    need_python();
    char path[1200], out[1300];
    snprintf(path, sizeof path, "%s/killed/run.h5", run_dir);
    snprintf(out, sizeof out, "%s/rec.out", run_dir);
    const char *argv[] = {PY, "tests/byo/record_forever.py", ".", path, NULL};
    pid_t pid = run_spawn("rec", argv);
    /* Wait for some epochs, then kill at a moment that is not aligned with anything. */
    static char buf[1 << 16];
    int seen = 0;
    for (int i = 0; i < 3000 && seen < 20; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        ip_test_slurp(out, buf, sizeof buf);
        for (char *p = strstr(buf, "recorded "); p; p = strstr(p + 1, "recorded ")) sscanf(p, "recorded %d", &seen);
    }
    if (seen < 20) fail_msg("the recorder did not record 20 epochs in 30 s:\n%s", buf);
    struct timespec ts = {0, 3000000 + (long)(getpid() % 7) * 1000000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    assert_int_equal(run_finish(pid), -SIGKILL);
    ip_test_slurp(out, buf, sizeof buf);
    int printed = 0;
    for (char *p = strstr(buf, "recorded "); p; p = strstr(p + 1, "recorded ")) sscanf(p, "recorded %d", &printed);
    int rc = run_cli("analyze %s --quiet --estimator binning", path);
    if (rc) fail_msg("analyze after SIGKILL: %s", run_err);
    ip_run *r = NULL;
    ip_run_description d;
    if (ip_run_open_read(&r, path, 0) != IP_OK || ip_run_describe(r, &d) != IP_OK) fail_msg("%s", ip_error_message());
    /* Every epoch the recorder announced is there; at most the one it finished but had no time to
     * announce is there too. */
    if (d.n_recorded != printed && d.n_recorded != printed + 1)
        fail_msg("the killed file holds %d epochs; the recorder had announced %d", d.n_recorded, printed);
    assert_int_equal(d.recorded_epochs[d.n_recorded - 1], d.n_recorded - 1);
    double *t = malloc(sizeof *t * (size_t)d.n_samples * d.layer_units[0]);
    assert_int_equal(ip_run_read_layer(r, 0, d.n_recorded - 1, t), IP_OK);
    free(t);
    ip_run_describe_free(&d);
    ip_run_close(r);
    char csv[1300];
    snprintf(csv, sizeof csv, "%s/killed/analysis/binning.csv", run_dir);
    assert_true(ip_is_file(csv));
}

/* mi and entropy from Python equal the command line's, to the last bit, for every estimator. */
static void test_python_estimators(void **state)
{
    (void)state;
    release_only();
    need_python();
    static const char *const settings[] = {
        /* the same as tests/byo/estimators.py's SETTINGS */
        "--estimator logdet",
        "--estimator logdet --mode pearson --beta 2.5",
        "--estimator binning --bins 10",
        "--estimator binning --range width --width 0.5",
        "--estimator kde --noise 0.1",
        "--estimator kde --noise 0.05 --bound lower",
        "--estimator renyi --alpha 1.01",
        "--estimator renyi --alpha 2.0 --sigma 0.8",
        "--estimator ksg --k 3",
    };
    enum { N = sizeof settings / sizeof settings[0] };
    char lib[1200];
    snprintf(lib, sizeof lib, "%s/build/libinfoplane.so", run_repo);
    if (access(lib, R_OK) != 0) fail_msg("%s missing (make)", lib);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, PY " tests/byo/estimators.py . %s", run_dir);
    double py[3 * N];
    ip_test_python_ref(cmd, py, 3 * N);
    for (int s = 0; s < N; s++) {
        double cli[3];
        for (int f = 0; f < 3; f++) {
            int rc = f == 0 ? run_cli("entropy %s/A.csv %s", run_dir, settings[s])
                     : f == 1 ? run_cli("mi %s/A.csv %s/B.csv %s", run_dir, run_dir, settings[s])
                              : run_cli("mi %s/A.csv %s/y.csv --labels %s", run_dir, run_dir, settings[s]);
            if (rc) fail_msg("%s: %s", settings[s], run_err);
            char *colon = strrchr(run_out, ':');
            assert_non_null(colon);
            cli[f] = strtod(colon + 1, NULL);
            if (memcmp(&cli[f], &py[3 * s + f], sizeof(double)))
                fail_msg("%s (%s): command line %.17g, Python %.17g", settings[s], f == 0 ? "entropy" : "mi", cli[f],
                         py[3 * s + f]);
        }
    }
}

/* experiments/byo_pytorch: PyTorch with forward hooks -> analyze, plot, info. */
static void test_pytorch_example(void **state)
{
    (void)state;
    release_only();
    need_python();
    char cmd[1400];
    snprintf(cmd, sizeof cmd, PY " experiments/byo_pytorch/train.py --out %s/torch --epochs 3 --samples 256", run_dir);
    int rc = ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out);
    if (rc == 77) {
        print_message("SKIPPED: %s cannot import torch (python3-torch); the PyTorch example was not run\n", PY);
        skip();
    }
    if (rc) fail_msg("%s: %s", cmd, run_err);
    rc = run_cli("analyze %s/torch/run.h5 --quiet --estimator logdet,binning", run_dir);
    if (rc) fail_msg("analyze: %s", run_err);
    rc = run_cli("plot %s/torch --format svg", run_dir);
    if (rc) fail_msg("plot: %s", run_err);
    expect_text(run_out, "curves"); /* from the metrics.csv analyze wrote from /metrics */
    rc = run_cli("info %s/torch/run.h5", run_dir);
    if (rc) fail_msg("info: %s", run_err);
    expect_text(run_out, "provenance: experiments/byo_pytorch/train.py: PyTorch");
    expect_text(run_out, "recorded epochs: 4");
    expect_text(run_out, "/layers/output");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorder_same_numbers), cmocka_unit_test(test_broken_refused),
        cmocka_unit_test(test_recorder_sigkill),      cmocka_unit_test(test_python_estimators),
        cmocka_unit_test(test_pytorch_example),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
