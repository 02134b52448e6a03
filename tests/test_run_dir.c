/* Processes sharing a run directory, as a user starts them: two `infoplane train` into one --out
 * at the same moment (exactly one trains, the other is refused by the directory's lock and
 * changes nothing); `infoplane info` on a run while it trains (always succeeds, epochs growing);
 * `analyze` refused while a trainer holds the directory. */
#include "testutil.h"

#include "test_run_util.h"

#include <signal.h>
#include <time.h>

/* A run of a few tenths of a second: gaussian data, a small MLP, every epoch recorded. */
static void write_config(const char *name, int seed, int epochs)
{
    char text[1024];
    snprintf(text, sizeof text,
             "# %s\nseed: %d\nmodel:\n  arch: mlp\n  hidden: [8, 6]\n  activation: tanh\n"
             "data:\n  dataset: gaussian\n  gaussian_samples: 400\n  gaussian_dim: 4\n  gaussian_classes: 3\n"
             "train:\n  epochs: %d\n  batch_size: 32\n  optimizer: adam\n  lr: 0.01\n  threads: 1\n"
             "record:\n  samples: 200\n  test_samples: 50\n  epochs: all\n",
             name, seed, epochs);
    ip_test_write_text(run_dir, name, text);
}

static void slurp_in(const char *name, char *buf, size_t n)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", run_dir, name);
    ip_test_slurp(p, buf, n);
}

/* Two trainers with different configs into one directory at the same moment, 20 times. */
static void test_two_trainers_one_dir(void **state)
{
    (void)state;
    const int pairs = ip_test_slow_env() ? 8 : 20, epochs = 300; /* fewer under the sanitizers: slower, same race */
    write_config("a.yaml", 1, epochs);
    write_config("b.yaml", 2, epochs);
    char text_a[2048], text_b[2048];
    slurp_in("a.yaml", text_a, sizeof text_a);
    slurp_in("b.yaml", text_b, sizeof text_b);
    for (int i = 0; i < pairs; i++) {
        char cmd[8000], d[300];
        snprintf(d, sizeof d, "%s/pair%d", run_dir, i);
        /* Both started by one shell and released together (each waits for its line on a FIFO the
         * shell holds open); their output goes beside the run directory, never into it. */
        snprintf(cmd, sizeof cmd,
                 "mkfifo %s.go && exec 3<>%s.go && for w in a b; do ( read go <%s.go; "
                 "%s train %s/$w.yaml --out %s --quiet >%s.$w.out 2>%s.$w.err; echo $? >%s.$w.rc ) & "
                 "done; echo go >&3; echo go >&3; wait",
                 d, d, d, ip_test_cli(), run_dir, d, d, d, d);
        assert_int_equal(ip_test_sh(run_repo, cmd, NULL, NULL, 0), 0);
        int rc[2];
        char msg[2][4096], p[1300];
        for (int w = 0; w < 2; w++) {
            snprintf(p, sizeof p, "%s.%c.rc", d, "ab"[w]);
            ip_test_slurp(p, msg[w], sizeof msg[w]);
            rc[w] = atoi(msg[w]);
            snprintf(p, sizeof p, "%s.%c.err", d, "ab"[w]);
            ip_test_slurp(p, msg[w], sizeof msg[w]);
        }
        if ((rc[0] == 0) == (rc[1] == 0))
            fail_msg("pair %d: exits %d and %d (exactly one should win)\na: %s\nb: %s", i, rc[0], rc[1], msg[0], msg[1]);
        int win = rc[0] == 0 ? 0 : 1, lose = 1 - win;
        char want[1400];
        snprintf(want, sizeof want, "%s is in use by another infoplane (pid ", d);
        if (!strstr(msg[lose], want)) fail_msg("pair %d: the refused trainer said: %s", i, msg[lose]);
        /* The directory holds the winner's run only: its config, a complete run, nothing else. */
        char listing[4096];
        snprintf(cmd, sizeof cmd, "ls -A %s | tr '\\n' ' '", d);
        ip_test_sh(run_repo, cmd, listing, NULL, sizeof listing);
        if (strcmp(listing, ".lock config.yaml metrics.csv run.h5 ") != 0) fail_msg("pair %d: %s holds: %s", i, d, listing);
        char cfg[2048];
        snprintf(p, sizeof p, "%s/config.yaml", d);
        ip_test_slurp(p, cfg, sizeof cfg);
        assert_string_equal(cfg, win ? text_b : text_a);
        snprintf(p, sizeof p, "%s/run.h5", d);
        ip_run *run = NULL;
        ip_run_description desc;
        if (ip_run_open_read(&run, p, 0) != IP_OK || ip_run_describe(run, &desc) != IP_OK)
            fail_msg("pair %d: %s", i, ip_error_message());
        assert_string_equal(desc.config_text, win ? text_b : text_a);
        assert_int_equal(desc.last_epoch, epochs);
        assert_int_equal(desc.n_recorded, epochs + 1);
        ip_run_describe_free(&desc);
        ip_run_close(run);
        snprintf(cmd, sizeof cmd, "h5dump -H %s/run.h5 >/dev/null", d);
        if (ip_test_sh(run_repo, cmd, NULL, run_err, sizeof run_err) != 0)
            fail_msg("pair %d: h5dump -H failed: %s", i, run_err);
        /* And it resumes (nothing left to train: the final line of its last epoch). */
        int rr = run_cli("train %s/%s.yaml --out %s --resume --quiet", run_dir, win ? "b" : "a", d);
        char final[64];
        snprintf(final, sizeof final, "final: epoch=%d ", epochs);
        if (rr != 0 || !strstr(run_out, final)) fail_msg("pair %d: resume: exit %d: %s%s", i, rr, run_out, run_err);
    }
    /* h5py opens every winner's run as it is, and reads its last row. */
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import h5py\nfor i in range(%d): "
                              "h5py.File('%s/pair%%d/run.h5' %% i)['layers/layer1'][-1]\"", pairs, run_dir);
    if (ip_test_sh(run_repo, cmd, NULL, run_err, sizeof run_err) != 0) fail_msg("h5py.File on the runs: %s", run_err);
}

/* `infoplane info` on a run while it trains: every call succeeds and reports a completed epoch
 * count that never shrinks and grows. (Before, one call in ten to three failed: "corrupt:
 * /epochs or /metrics disagree with /checkpoint".) Also `analyze` is refused meanwhile. */
static void test_info_while_training(void **state)
{
    (void)state;
    const int infos = ip_test_slow_env() ? 40 : 100; /* fewer under the sanitizers: slower, same race */
    write_config("long.yaml", 3, 100000);
    char d[1200], run_h5[1300];
    snprintf(d, sizeof d, "%s/live", run_dir);
    snprintf(run_h5, sizeof run_h5, "%s/run.h5", d);
    char cfg[1200];
    snprintf(cfg, sizeof cfg, "%s/long.yaml", run_dir);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
        execl(ip_test_cli(), "infoplane", "train", cfg, "--out", d, "--quiet", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 2000 && access(run_h5, F_OK) != 0; i++) usleep(5000);
    if (access(run_h5, F_OK) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("%s did not appear in 10 s", run_h5);
    }
    int first = -1, prev = -1, failures = 0;
    char first_err[4096] = "";
    for (int i = 0; i < infos; i++) {
        int rc = run_cli("info %s", run_h5);
        const char *c = strstr(run_out, "completed epochs: 0 to ");
        int last = -1;
        if (rc != 0 || !c || sscanf(c, "completed epochs: 0 to %d", &last) != 1) {
            if (!failures++) snprintf(first_err, sizeof first_err, "exit %d: %.1500s%.1500s", rc, run_out, run_err);
            continue;
        }
        if (last < prev) fail_msg("info %d: %d completed epochs after %d", i, last, prev);
        if (first < 0) first = last;
        prev = last;
    }
    int rc = run_cli("analyze %s --quiet", run_h5);
    int still_running = waitpid(pid, NULL, WNOHANG) == 0;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (failures) fail_msg("%d of %d infos during training failed; the first: %s", failures, infos, first_err);
    if (!still_running) fail_msg("the trainer ended before the last info: nothing was read while it trained");
    if (prev <= first) fail_msg("the completed epochs did not grow (%d, then %d)", first, prev);
    fprintf(stderr, "%d infos during training, completed epochs %d to %d\n", infos, first, prev);
    assert_int_not_equal(rc, 0);
    char want[1400];
    snprintf(want, sizeof want, "%s is in use by another infoplane (pid %d)", d, (int)pid);
    if (!strstr(run_err, want)) fail_msg("analyze during training said: %s", run_err);
}

int main(void)
{
    RUN_SKIP_UNDER_VALGRIND();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_trainers_one_dir),
        cmocka_unit_test(test_info_while_training),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
