/* `infoplane sweep` end to end, as a user runs it: a tiny sweep of the Tishby task (2 activations
 * x 2 seeds, -j 2, 20 epochs) finishes with its runs, aggregate, figures and index.html, and its
 * aggregate median is the one computed here from the runs' own tables; the same sweep killed with
 * SIGKILL after its first finished run and started again completes without redoing that run and
 * ends with the same aggregate bytes as the uninterrupted sweep; --status reads the directories;
 * a run that fails at run time is reported with its log while the other completes, and the exit
 * status is non-zero; a bad sweep file starts nothing. The runs are child processes, which
 * valgrind does not follow: under valgrind only the cheap checks run (test_sweep.c runs the
 * scheduler itself in process), and under the sanitizers the kill test is left out. */
#include "testutil.h"

#include <signal.h>

#include "test_run_util.h"

static const char *SWEEP = "base: configs/tishby_tanh.yaml\nset:\n  train.epochs: 20\n"
                           "grid:\n  model.activation: [tanh, relu]\nseeds: [1, 2]\n";

static void write_sweep(const char *name, const char *text) { ip_test_write_text(run_dir, name, text); }

static void slurp2(const char *a, const char *b, char *buf, size_t cap)
{
    char p[2400];
    snprintf(p, sizeof p, "%s/%s", a, b);
    ip_test_slurp(p, buf, cap);
}

static int exists(const char *dir, const char *name)
{
    char p[2400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* i_xt of `layer` at `epoch` in a run's analysis/logdet.csv (fails when there is no such row). */
static double run_ixt(const char *sweep_dir, const char *run, int epoch, int layer)
{
    static char text[1 << 16];
    char dir[1400];
    snprintf(dir, sizeof dir, "%s/%s/analysis", sweep_dir, run);
    slurp2(dir, "logdet.csv", text, sizeof text);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int e, l;
        double x;
        if (sscanf(line, "logdet,cov,1200,%d,%d,%lf,", &e, &l, &x) == 3 && e == epoch && l == layer) return x;
    }
    fail_msg("%s/logdet.csv has no row for epoch %d, layer %d", dir, epoch, layer);
    return 0;
}

static void test_sweep_aggregate(void **state)
{
    (void)state;
    if (ip_test_valgrind()) skip();
    write_sweep("s.yaml", SWEEP);
    int rc = run_cli("sweep %s/s.yaml -j 2 --out %s/one", run_dir, run_dir);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    char one[1200], text[1 << 16];
    snprintf(one, sizeof one, "%s/one", run_dir);
    expect_text(run_err, "4 runs (2 grid points x 2 seeds)");
    expect_text(run_err, "2 at a time, train.threads=1 each");
    expect_text(run_err, "sweep: 4 of 4 runs done (4 now, 0 before), 0 failed");
    expect_text(run_out, "/one/aggregate/aggregate.csv\n");
    static const char *const runs[] = {"activation=tanh_seed=1", "activation=tanh_seed=2", "activation=relu_seed=1",
                                       "activation=relu_seed=2"};
    for (int i = 0; i < 4; i++) {
        char d[1400];
        snprintf(d, sizeof d, "%s/%s", one, runs[i]);
        if (!exists(d, "sweep.done") || !exists(d, "index.html") || !exists(d, "analysis/logdet.csv"))
            fail_msg("%s is incomplete", d);
    }
    assert_true(exists(one, "figures/sweep_plane_logdet.png"));
    assert_true(exists(one, "figures/sweep_mi_epochs_logdet.gp"));
    slurp2(one, "index.html", text, sizeof text);
    expect_text(text, "<a href=\"activation=relu_seed=2/index.html\">");
    expect_text(text, "<img src=\"figures/sweep_plane_logdet.png\"");
    /* the median over two seeds is their mean; the quartiles interpolate (numpy's default) */
    double a = run_ixt(one, runs[2], 20, 3), b = run_ixt(one, runs[3], 20, 3);
    slurp2(one, "aggregate/aggregate.csv", text, sizeof text);
    char *row = strstr(text, "\nactivation=relu,relu,logdet,cov,1200,3,20,2,");
    if (!row) fail_msg("no row for relu, layer 3, epoch 20 in:\n%.2000s", text);
    double med, mean, q1, q3, lo, hi;
    if (sscanf(row + strlen("\nactivation=relu,relu,logdet,cov,1200,3,20,2,"), "%lf,%lf,%lf,%lf,%lf,%lf", &med, &mean,
               &q1, &q3, &lo, &hi) != 6)
        fail_msg("cannot read %.200s", row);
    assert_close(med, (a + b) / 2, 1e-11, 0);
    assert_close(mean, (a + b) / 2, 1e-11, 0);
    assert_close(q1, fmin(a, b) + 0.25 * fabs(a - b), 1e-11, 0);
    assert_close(q3, fmin(a, b) + 0.75 * fabs(a - b), 1e-11, 0);
    assert_close(lo, fmin(a, b), 0, 0);
    assert_close(hi, fmax(a, b), 0, 0);
    /* every run wrote its compression summary (analysis/compression.csv): counted over the seeds */
    char comp[1 << 14];
    slurp2(one, "aggregate/compression.csv", comp, sizeof comp);
    expect_text(comp, "point,model.activation,estimator,mode,beta,layer,runs,compressed,threshold,ixt_drop_median,"
                      "ixt_drop_min,ixt_drop_max\nactivation=tanh,tanh,logdet,cov,1200,1,2,");
    expect_text(comp, "\nactivation=relu,relu,logdet,cov,1200,6,2,");
    /* --status from the directories; --collect makes the same bytes again */
    rc = run_cli("sweep %s/s.yaml --out %s/one --status", run_dir, run_dir);
    assert_int_equal(rc, 0);
    expect_text(run_out, "done     activation=tanh_seed=1\n");
    expect_text(run_out, "/one: 4 runs: 4 done, 0 running, 0 failed, 0 waiting\n");
    char again[1 << 16];
    rc = run_cli("sweep %s/s.yaml --out %s/one --collect", run_dir, run_dir);
    assert_int_equal(rc, 0);
    slurp2(one, "aggregate/aggregate.csv", again, sizeof again);
    assert_string_equal(text, again);
}

static long mtime_ns(const char *dir, const char *run, const char *file)
{
    char p[2400];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s/%s", dir, run, file);
    if (stat(p, &st) != 0) fail_msg("%s is missing", p);
    return (long)st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
}

static void test_kill_and_resume(void **state)
{
    (void)state;
    if (ip_test_slow_env()) skip(); /* runs at the sanitizers' speed; valgrind cannot follow them */
    write_sweep("k.yaml", SWEEP);
    char sweep[1200], out[1200], err[1 << 16], first[256] = "";
    snprintf(sweep, sizeof sweep, "%s/k.yaml", run_dir);
    snprintf(out, sizeof out, "%s/two", run_dir);
    const char *argv[] = {ip_test_cli(), "sweep", sweep, "-j", "2", "--out", out, NULL};
    pid_t pid = run_spawn("kill", argv);
    run_wait_for("kill", "] done activation=", err, sizeof err, 120);
    kill(pid, SIGKILL);
    assert_int_equal(run_finish(pid), -SIGKILL);
    /* the runs complete at the kill: their marker and run file must not be touched again */
    static const char *const runs[] = {"activation=tanh_seed=1", "activation=tanh_seed=2", "activation=relu_seed=1",
                                       "activation=relu_seed=2"};
    long done_at[4] = {0}, h5_at[4] = {0};
    int n_done = 0;
    for (int i = 0; i < 4; i++) {
        char d[1400];
        snprintf(d, sizeof d, "%s/%s", out, runs[i]);
        if (!exists(d, "sweep.done")) continue;
        done_at[i] = mtime_ns(out, runs[i], "sweep.done");
        h5_at[i] = mtime_ns(out, runs[i], "run.h5");
        snprintf(first, sizeof first, "%s", runs[i]);
        n_done++;
    }
    if (n_done < 1 || n_done > 3) fail_msg("%d runs complete at the kill:\n%s", n_done, err);
    int rc = run_cli("sweep %s --out %s --status", sweep, out);
    assert_int_equal(rc, 0);
    char line[400];
    snprintf(line, sizeof line, "done     %s\n", first);
    expect_text(run_out, line);
    expect_text(run_out, "/two: 4 runs: ");
    rc = run_cli("sweep %s -j 2 --out %s", sweep, out);
    if (rc != 0) fail_msg("the second invocation: exit %d:\n%s", rc, run_err);
    snprintf(line, sizeof line, "sweep: %d run%s complete already and %s skipped", n_done,
             n_done == 1 ? " is" : "s are", n_done == 1 ? "is" : "are");
    expect_text(run_err, line);
    snprintf(line, sizeof line, "sweep: 4 of 4 runs done (%d now, %d before)", 4 - n_done, n_done);
    expect_text(run_err, line);
    for (int i = 0; i < 4; i++) {
        if (!done_at[i]) continue;
        if (mtime_ns(out, runs[i], "sweep.done") != done_at[i] || mtime_ns(out, runs[i], "run.h5") != h5_at[i])
            fail_msg("%s was complete before and was run again", runs[i]);
    }
    /* the uninterrupted sweep's aggregate, byte for byte */
    char one[1200], a[1 << 16], b[1 << 16];
    snprintf(one, sizeof one, "%s/one", run_dir);
    if (!exists(one, "aggregate/aggregate.csv")) { /* test_sweep_aggregate made it; alone, make it here */
        rc = run_cli("sweep %s -j 2 --out %s --quiet", sweep, one);
        if (rc != 0) fail_msg("exit %d:\n%s", rc, run_err);
    }
    static const char *const files[] = {"aggregate/aggregate.csv", "aggregate/results.csv", "aggregate/compression.csv"};
    for (int f = 0; f < 3; f++) {
        slurp2(one, files[f], a, sizeof a);
        slurp2(out, files[f], b, sizeof b);
        assert_true(strlen(a) > 100);
        if (strcmp(a, b)) fail_msg("%s differs between the uninterrupted and the killed-and-resumed sweep", files[f]);
    }
}

static void test_failed_run(void **state)
{
    (void)state;
    if (ip_test_valgrind()) skip();
    write_sweep("f.yaml", "base: configs/tishby_tanh.yaml\nset:\n  train.epochs: 2\n  record.epochs: [0, 2]\n"
                          "grid:\n  data.path: ['', /nonexistent/tishby]\n");
    int rc = run_cli("sweep %s/f.yaml -j 2 --out %s/three", run_dir, run_dir);
    if (rc != 1) fail_msg("exit %d, expected 1:\n%s", rc, run_err);
    expect_text(run_err, "FAILED path=_nonexistent_tishby: exit status 1; log: ");
    expect_text(run_err, "/three/logs/path=_nonexistent_tishby.log");
    expect_text(run_err, "sweep: failed: path=_nonexistent_tishby: exit status 1");
    expect_text(run_err, "sweep: 1 of 2 runs done (1 now, 0 before), 1 failed (the same command retries them)");
    char d[1400];
    snprintf(d, sizeof d, "%s/three/path=none", run_dir);
    assert_true(exists(d, "sweep.done"));
    rc = run_cli("sweep %s/f.yaml --out %s/three --status", run_dir, run_dir);
    expect_text(run_out, "failed   path=_nonexistent_tishby: exit status 1; log: ");
    expect_text(run_out, "2 runs: 1 done, 0 running, 1 failed, 0 waiting\n");
}

static void test_bad_files(void **state)
{
    (void)state;
    write_sweep("b.yaml", "base: configs/tishby_tanh.yaml\ngrid:\n  model.activation: [tanh, rleu]\n");
    int rc = run_cli("sweep %s/b.yaml --out %s/four", run_dir, run_dir);
    assert_int_equal(rc, 1);
    expect_text(run_err, "b.yaml:3:28: model.activation: unknown value 'rleu'");
    char d[1200];
    snprintf(d, sizeof d, "%s/four", run_dir);
    assert_false(ip_test_is_dir(d)); /* nothing started, nothing made */
    rc = run_cli("sweep");
    assert_int_equal(rc, 2);
    expect_text(run_err, "usage: infoplane sweep SWEEP.yaml");
    rc = run_cli("sweep %s/b.yaml -j 0", run_dir);
    assert_int_equal(rc, 2);
    write_sweep("w.yaml", SWEEP);
    rc = run_cli("sweep %s/w.yaml --out %s/five --status", run_dir, run_dir);
    assert_int_equal(rc, 0);
    expect_text(run_out, "waiting  activation=relu_seed=2\n");
    expect_text(run_out, "/five: 4 runs: 0 done, 0 running, 0 failed, 4 waiting\n");
    /* --slurm without sbatch on PATH: said clearly, -j N suggested, nothing written */
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "PATH=%s/no_slurm_here %s sweep %s/w.yaml --out %s/six --slurm", run_dir, ip_test_cli(),
             run_dir, run_dir);
    rc = ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out);
    assert_int_equal(rc, 2);
    expect_text(run_err, "--slurm: sbatch is not on PATH");
    expect_text(run_err, "with -j N instead");
    snprintf(d, sizeof d, "%s/six", run_dir);
    assert_false(ip_test_is_dir(d));
    rc = run_cli("sweep %s/w.yaml --out %s/six --slurm-task activation=nope_seed=1", run_dir, run_dir);
    assert_int_equal(rc, 1);
    expect_text(run_err, "no run named 'activation=nope_seed=1' in the sweep file");
    rc = run_cli("sweep %s/w.yaml --mem 1G", run_dir);
    assert_int_equal(rc, 2);
    expect_text(run_err, "go with --slurm");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_aggregate),
        cmocka_unit_test(test_kill_and_resume),
        cmocka_unit_test(test_failed_run),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
