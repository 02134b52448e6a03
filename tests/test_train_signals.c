/* Ctrl-C and SIGTERM, sent as a user (or a batch system) would: `train` stops at the next batch
 * boundary, says which epochs the run holds and how to continue, exits 130 / 143, and the printed
 * command resumes it to the same layers and state as an uninterrupted run (values, and h5diff of
 * /layers and /state); `run` stopped in its analysis or plotting says what is complete and its
 * printed command finishes the run, and `plot` stopped between figures leaves index.html as it was;
 * a second signal may end the process at once, and the run file still resumes. The commands are started with SIGINT at its default (posix_spawn), since a
 * background job of a non-interactive shell would ignore it. */
#include "testutil.h"

#include <signal.h>
#include <time.h>

#include "test_run_util.h"

/* `infoplane train|run ARGS...` (args NULL-terminated) started in the repository root with stdout
 * and stderr into DIR/NAME.out and DIR/NAME.err; returns its pid. */
static pid_t start(const char *name, const char *const *args)
{
    const char *argv[64] = {ip_test_cli()};
    int n = 1;
    for (int i = 0; args[i] && n < 63; i++) argv[n++] = args[i];
    argv[n] = NULL;
    return run_spawn(name, argv);
}

/* The indented command line printed after `intro` in the process's stderr, with its "infoplane"
 * replaced by this build's binary. */
static void printed_command(const char *err, const char *intro, char *cmd, size_t cap)
{
    const char *at = strstr(err, intro);
    if (!at) fail_msg("no '%s' in:\n%s", intro, err);
    at = strstr(at, "\n  infoplane ");
    if (!at) fail_msg("no command after '%s' in:\n%s", intro, err);
    at += strlen("\n  infoplane ");
    const char *end = strchr(at, '\n');
    snprintf(cmd, cap, "%s %.*s", ip_test_cli(), (int)(end ? end - at : (long)strlen(at)), at);
}

static void h5diff_same(const char *a, const char *b, const char *object)
{
    if (system("command -v h5diff >/dev/null 2>&1") != 0) return; /* the values are compared anyway */
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "h5diff -q '%s' '%s' %s %s", a, b, object, object);
    if (system(cmd) != 0) fail_msg("h5diff finds %s different in %s and %s", object, a, b);
}

static const char *const train_args[] = {"train", "configs/demo_tishby.yaml", "--set", "train.epochs=1000",
                                         "--set", "record.epochs={every: 7}", "--out", NULL, NULL};

/* Interrupt `train` with sig once it has trained some epochs, then resume it with the command it
 * printed, and compare with an uninterrupted run of the same config. */
static void interrupt_then_resume(int sig, const char *name, const char *signame)
{
    char out_dir[1300], err[1 << 16];
    snprintf(out_dir, sizeof out_dir, "%s/%s", run_dir, name);
    const char *args[9];
    memcpy(args, train_args, sizeof args);
    args[7] = out_dir;
    pid_t pid = start(name, args);
    run_wait_for(name, "epoch 30/1000", err, sizeof err, 120);
    kill(pid, sig);
    int status = run_finish(pid);
    char p[1400];
    snprintf(p, sizeof p, "%s/%s.err", run_dir, name);
    ip_test_slurp(p, err, sizeof err);
    if (status != 128 + sig) fail_msg("exit %d after %s, expected %d:\n%s", status, signame, 128 + sig, err);
    expect_text(err, signame);
    expect_text(err, "the run holds epochs 0 to ");
    char cmd[6000];
    printed_command(err, "continue it with:", cmd, sizeof cmd);
    expect_text(cmd, "--resume");
    int rc = ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out);
    if (rc != 0) fail_msg("`%s`: exit %d:\n%s", cmd, rc, run_err);
    expect_text(run_out, "final: epoch=1000 ");

    rc = run_cli("train configs/demo_tishby.yaml --set train.epochs=1000 --set 'record.epochs={every: 7}' --quiet "
                 "--out %s/%s_whole", run_dir, name);
    if (rc != 0) fail_msg("exit %d: %s", rc, run_err);
    char a[1400], b[1400];
    snprintf(a, sizeof a, "%s/run.h5", out_dir);
    snprintf(b, sizeof b, "%s/%s_whole/run.h5", run_dir, name);
    assert_same_run(a, b);
    h5diff_same(a, b, "/layers");
    h5diff_same(a, b, "/state");
}

static void test_sigint_stops_train_and_resumes(void **state)
{
    (void)state;
    interrupt_then_resume(SIGINT, "int", "stopped by SIGINT (Ctrl-C)");
}

static void test_sigterm_stops_train_and_resumes(void **state)
{
    (void)state;
    interrupt_then_resume(SIGTERM, "term", "stopped by SIGTERM");
}

/* Two Ctrl-C in a row: the second may end the process at once (killed by SIGINT) or come after the
 * first has stopped it (exit 130); either way the run file resumes to the end. */
static void test_second_sigint(void **state)
{
    (void)state;
    char out_dir[1300], err[1 << 16];
    snprintf(out_dir, sizeof out_dir, "%s/twice", run_dir);
    const char *args[9];
    memcpy(args, train_args, sizeof args);
    args[7] = out_dir;
    pid_t pid = start("twice", args);
    run_wait_for("twice", "epoch 30/1000", err, sizeof err, 120);
    kill(pid, SIGINT);
    kill(pid, SIGINT);
    int status = run_finish(pid);
    if (status != 130 && status != -SIGINT) fail_msg("exit %d after two SIGINT", status);
    int rc = run_cli("train configs/demo_tishby.yaml --set train.epochs=1000 --set 'record.epochs={every: 7}' "
                     "--quiet --out %s --resume", out_dir);
    if (rc != 0) fail_msg("resume after two SIGINT (exit %d before): exit %d:\n%s", status, rc, run_err);
}

/* `run` stopped after its training (in the analysis or the plotting) exits 143, says what is
 * complete, and the command it prints finishes the run. */
static void test_sigterm_stops_run_after_training(void **state)
{
    (void)state;
    char out_dir[1300], err[1 << 16];
    snprintf(out_dir, sizeof out_dir, "%s/steps", run_dir);
    const char *args[] = {"run", "configs/demo_tishby.yaml", "--set", "train.epochs=400", "--set", "record.epochs=all",
                          "--out", out_dir, NULL};
    pid_t pid = start("steps", args);
    run_wait_for("steps", "[2/3] analyzing", err, sizeof err, 120);
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    kill(pid, SIGTERM);
    int status = run_finish(pid);
    char p[1400];
    snprintf(p, sizeof p, "%s/steps.err", run_dir);
    ip_test_slurp(p, err, sizeof err);
    if (status != 143) fail_msg("exit %d after SIGTERM, expected 143:\n%s", status, err);
    expect_text(err, "stopped by SIGTERM");
    if (!strstr(err, "training is complete") && !strstr(err, "training and analysis are complete"))
        fail_msg("does not say what is complete:\n%s", err);
    snprintf(p, sizeof p, "%s/index.html", out_dir);
    if (access(p, F_OK) == 0) fail_msg("index.html written by a stopped run");
    char cmd[6000];
    printed_command(err, "finish it with", cmd, sizeof cmd);
    int rc = ip_test_sh(run_repo, cmd, run_out, run_err, sizeof run_out);
    if (rc != 0) fail_msg("`%s`: exit %d:\n%s", cmd, rc, run_err);
    expect_text(run_out, "final: epoch=400 ");
    if (access(p, F_OK) != 0) fail_msg("no index.html after finishing the run:\n%s", run_err);
    fprintf(stderr, "run stopped by SIGTERM:\n%s", strstr(err, "infoplane: stopping") ? strstr(err, "infoplane: stopping") : err);

    /* `plot` stopped between figures (into a fresh directory, to see the first one appear): 143,
     * and no index.html. */
    char fresh[1400], first[1500], page[1500];
    snprintf(fresh, sizeof fresh, "%s/replot", run_dir);
    snprintf(first, sizeof first, "%s/figures/plane_logdet.svg", fresh);
    snprintf(page, sizeof page, "%s/index.html", fresh);
    const char *plot_args[] = {"plot", out_dir, "--format", "svg", "--out", fresh, NULL};
    pid = start("plot", plot_args);
    for (int i = 0; i < 12000 && access(first, F_OK) != 0; i++) {
        struct timespec tick = {0, 5000000};
        nanosleep(&tick, NULL);
    }
    kill(pid, SIGTERM);
    status = run_finish(pid);
    char q[1400];
    snprintf(q, sizeof q, "%s/plot.err", run_dir);
    ip_test_slurp(q, err, sizeof err);
    if (status != 143) fail_msg("plot: exit %d after SIGTERM, expected 143:\n%s", status, err);
    expect_text(err, "stopped by SIGTERM");
    expect_text(err, "index.html is as it was");
    if (access(page, F_OK) == 0) fail_msg("%s written by a stopped plot", page);
}

int main(void)
{
    RUN_SKIP_UNDER_VALGRIND();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigint_stops_train_and_resumes),
        cmocka_unit_test(test_sigterm_stops_train_and_resumes),
        cmocka_unit_test(test_second_sigint),
        cmocka_unit_test(test_sigterm_stops_run_after_training),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
