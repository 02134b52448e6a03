/* The analysis while training (analysis.online, `run --online`) and record.store: none, through
 * the command line: the online results are the offline analysis's bytes for every estimator (CSV
 * files and the run file's /analysis tables), training is unchanged by it, a run without stored
 * activations is small and gives the same results, a stopped (SIGTERM) or killed (SIGKILL) online
 * run resumed with --resume ends with the uninterrupted run's results, analyze refuses a run
 * without activations with a message, and store none without online is a config error. */
#include "testutil.h"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "core/fsutil.h"
#include "test_run_util.h"

/* Small: the Tishby network on 150 analysis samples; every estimator. */
#define BASE                                                                                                    \
    "configs/demo_tishby.yaml --quiet --set record.samples=150 --set record.test_samples=0 --set plot.format=svg " \
    "--set analysis.estimators=[logdet,binning,kde,renyi,ksg]"
#define EPOCHS "--set train.epochs=25"

static const char *const csv_files[] = {"logdet.csv", "logdet_layers.csv", "binning.csv",     "kde.csv",
                                        "renyi.csv",  "ksg.csv",           "compression.csv", NULL};

/* Every CSV file of the analysis, byte for byte. */
static void same_csv(const char *dir_a, const char *dir_b, int all)
{
    char a[1400], b[1400];
    for (int i = 0; csv_files[i]; i++) {
        if (!all && i >= 3) break; /* logdet, binning only */
        snprintf(a, sizeof a, "%s/analysis/%s", dir_a, csv_files[i]);
        snprintf(b, sizeof b, "%s/analysis/%s", dir_b, csv_files[i]);
        run_same_bytes(a, b);
    }
}

/* The same /analysis tables (names, values bit for bit, column names, the attributes that name
 * the setting). */
static void same_tables(const char *dir_a, const char *dir_b)
{
    char pa[1400], pb[1400];
    snprintf(pa, sizeof pa, "%s/run.h5", dir_a);
    snprintf(pb, sizeof pb, "%s/run.h5", dir_b);
    ip_run *ra = NULL, *rb = NULL;
    ip_run_description da, db;
    memset(&da, 0, sizeof da);
    memset(&db, 0, sizeof db);
    if (ip_run_open_read(&ra, pa, 0) != IP_OK || ip_run_describe(ra, &da) != IP_OK ||
        ip_run_open_read(&rb, pb, 0) != IP_OK || ip_run_describe(rb, &db) != IP_OK)
        fail_msg("%s", ip_error_message());
    assert_true(da.n_tables > 0);
    assert_int_equal(da.n_tables, db.n_tables);
    for (int i = 0; i < da.n_tables; i++) {
        assert_string_equal(da.table_names[i], db.table_names[i]);
        int rows_a, cols_a, rows_b, cols_b;
        double *xa, *xb;
        char **ca, **cb;
        if (ip_run_read_table(ra, da.table_names[i], &rows_a, &cols_a, &xa, &ca) != IP_OK ||
            ip_run_read_table(rb, db.table_names[i], &rows_b, &cols_b, &xb, &cb) != IP_OK)
            fail_msg("%s", ip_error_message());
        assert_true(rows_a > 0);
        assert_int_equal(rows_a, rows_b);
        assert_int_equal(cols_a, cols_b);
        if (memcmp(xa, xb, sizeof(double) * (size_t)rows_a * cols_a))
            fail_msg("/analysis/%s differs between %s and %s", da.table_names[i], pa, pb);
        for (int c = 0; c < cols_a; c++) assert_string_equal(ca[c], cb[c]);
        static const char *const keys[] = {"estimator", "mode", "unit", "layers", NULL};
        for (int k = 0; keys[k]; k++) {
            char *va, *vb;
            if (ip_run_read_table_attr(ra, da.table_names[i], keys[k], &va) != IP_OK ||
                ip_run_read_table_attr(rb, db.table_names[i], keys[k], &vb) != IP_OK)
                fail_msg("%s", ip_error_message());
            assert_string_equal(va, vb);
            free(va);
            free(vb);
        }
        ip_run_strings_free(ca, cols_a);
        ip_run_strings_free(cb, cols_b);
        free(xa);
        free(xb);
    }
    ip_run_describe_free(&da);
    ip_run_describe_free(&db);
    ip_run_close(ra);
    ip_run_close(rb);
}

/* The metrics but for the seconds, and the trained parameters. */
static void same_training(const char *dir_a, const char *dir_b)
{
    run_same_params(dir_a, dir_b);
    char pa[1400], pb[1400];
    snprintf(pa, sizeof pa, "%s/run.h5", dir_a);
    snprintf(pb, sizeof pb, "%s/run.h5", dir_b);
    double *a, *b;
    int ra, ca, rb, cb;
    if (ip_h5_read_matrix(pa, "/metrics", &a, &ra, &ca) != IP_OK || ip_h5_read_matrix(pb, "/metrics", &b, &rb, &cb) != IP_OK)
        fail_msg("%s", ip_error_message());
    assert_int_equal(ra, rb);
    for (int r = 0; r < ra; r++) assert_memory_equal(a + (size_t)r * ca, b + (size_t)r * cb, 5 * sizeof(double));
    free(a);
    free(b);
}

static long file_size(const char *dir, const char *name)
{
    char p[1400];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static char offline[1300], online[1300];

/* The reference: the offline route (train, then analyze). Made once. */
static void need_offline(void)
{
    static int made;
    if (made) return;
    snprintf(offline, sizeof offline, "%s/offline", run_dir);
    int rc = run_cli("run " BASE " " EPOCHS " --out %s", offline);
    if (rc != 0) fail_msg("offline run: exit %d:\n%s", rc, run_err);
    made = 1;
}

static void test_online_equals_offline(void **state)
{
    (void)state;
    need_offline();
    snprintf(online, sizeof online, "%s/online", run_dir);
    int rc = run_cli("run " BASE " " EPOCHS " --online --out %s", online);
    if (rc != 0) fail_msg("online run: exit %d:\n%s", rc, run_err);
    expect_text(run_out, "while training");
    expect_text(run_out, "final: epoch=25 ");
    same_csv(offline, online, 1);
    same_tables(offline, online);
    same_training(offline, online);
    char a[1400], b[1400];
    snprintf(a, sizeof a, "%s/run.h5", offline);
    snprintf(b, sizeof b, "%s/run.h5", online);
    assert_same_run(a, b); /* every recorded layer too */
    /* The figures came from the online results. */
    assert_true(file_size(online, "figures/plane_logdet.svg") > 0);
    assert_true(file_size(online, "index.html") > 0);
}

static void test_store_none(void **state)
{
    (void)state;
    need_offline();
    char none[1300];
    snprintf(none, sizeof none, "%s/none", run_dir);
    int rc = run_cli("run " BASE " " EPOCHS " --set record.store=none --online --out %s", none);
    if (rc != 0) fail_msg("store none run: exit %d:\n%s", rc, run_err);
    same_csv(offline, none, 1);
    same_tables(offline, none);
    same_training(offline, none);
    long small = file_size(none, "run.h5"), big = file_size(offline, "run.h5");
    if (!(small > 0 && small * 4 < big)) fail_msg("run.h5 without activations: %ld bytes, with: %ld", small, big);

    rc = run_cli("analyze %s/run.h5", none);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "/run.h5 holds no activations (record.store: none): ");
    rc = run_cli("info %s/run.h5", none);
    assert_int_equal(rc, 0);
    expect_text(run_out, "no activations kept (record.store: none)");
}

/* Beside training (train.threads 2: the analysis on a thread of its own; Renyi left out, which
 * analyses on the training thread): the same bytes as the offline route for every other estimator,
 * and the same trained weights. */
static void test_beside_equals_offline(void **state)
{
    (void)state;
    need_offline();
    char beside[1300], a[1400], b[1400];
    snprintf(beside, sizeof beside, "%s/beside", run_dir);
    int rc = run_cli("run " BASE " " EPOCHS " --set train.threads=2 --set analysis.estimators=[logdet,binning,kde,ksg] "
                     "--set record.store=none --online --out %s",
                     beside);
    if (rc != 0) fail_msg("online run beside training: exit %d:\n%s", rc, run_err);
    static const char *const files[] = {"logdet.csv", "logdet_layers.csv", "binning.csv", "kde.csv", "ksg.csv", NULL};
    for (int i = 0; files[i]; i++) {
        snprintf(a, sizeof a, "%s/analysis/%s", offline, files[i]);
        snprintf(b, sizeof b, "%s/analysis/%s", beside, files[i]);
        run_same_bytes(a, b);
    }
    same_training(offline, beside);
}

static void test_store_none_needs_online(void **state)
{
    (void)state;
    int rc = run_cli("run " BASE " " EPOCHS " --set record.store=none --out %s/refused", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "record.store: none keeps no activations, so they can only be analysed while training");
    char p[1400];
    snprintf(p, sizeof p, "%s/refused/run.h5", run_dir);
    assert_false(ip_path_exists(p)); /* before training */
    /* train analyses nothing: store none is refused there even with analysis.online */
    rc = run_cli("train " BASE " " EPOCHS " --set record.store=none --set analysis.online=true --out %s/refused2",
                 run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "infoplane train does not analyse");
    rc = run_cli("run " BASE " --set record.store=sometimes --out %s/refused3", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "record.store");
}

/* ---- stopping and resuming ---- */

/* Longer, two estimators: stopped by sig once it trained some epochs, resumed with --resume, and
 * compared with one uninterrupted run (store none: the results do not depend on what is stored). */
#define LONG                                                                                                      \
    "configs/demo_tishby.yaml --set record.samples=300 --set record.test_samples=0 --set plot.format=svg "      \
    "--set analysis.estimators=[logdet,binning] --set train.epochs=200 --set 'record.epochs={every: 3}' --online"

static void stop_then_resume(int sig, const char *name, const char *store)
{
    char dir[1300], whole[1300], err[1 << 16], args[2000];
    snprintf(dir, sizeof dir, "%s/%s", run_dir, name);
    snprintf(whole, sizeof whole, "%s/long_whole", run_dir);
    snprintf(args, sizeof args, "run " LONG " --set record.store=%s --out %s", store, dir);
    pid_t pid = run_start(name, args);
    run_wait_for(name, "epoch 40/200", err, sizeof err, 300);
    kill(pid, sig);
    int status = run_finish(pid);
    if (sig == SIGTERM) {
        char p[1400];
        snprintf(p, sizeof p, "%s/%s.err", run_dir, name);
        ip_test_slurp(p, err, sizeof err);
        if (status != 143) fail_msg("exit %d after SIGTERM:\n%s", status, err);
        expect_text(err, "--online --resume");
        /* the tables of the epochs so far are in the run file at once */
        char run[1400];
        snprintf(run, sizeof run, "%s/run.h5", dir);
        ip_run *r = NULL;
        ip_run_description d;
        memset(&d, 0, sizeof d);
        if (ip_run_open_read(&r, run, 0) != IP_OK || ip_run_describe(r, &d) != IP_OK) fail_msg("%s", ip_error_message());
        assert_true(d.n_tables >= 3);
        assert_true(d.last_epoch < 200);
        ip_run_describe_free(&d);
        ip_run_close(r);
    } else {
        assert_int_equal(status, -sig);
    }
    int rc = run_cli("run " LONG " --quiet --set record.store=%s --out %s --resume", store, dir);
    if (rc != 0) fail_msg("resume: exit %d:\n%s", rc, run_err);
    expect_text(run_out, "final: epoch=200 ");
    static int made_whole;
    if (!made_whole) {
        rc = run_cli("run " LONG " --quiet --set record.store=none --out %s", whole);
        if (rc != 0) fail_msg("uninterrupted: exit %d:\n%s", rc, run_err);
        made_whole = 1;
    }
    same_csv(dir, whole, 0);
    same_tables(dir, whole);
    same_training(dir, whole);
}

/* Killed while an epoch it had committed was still being analysed beside training (the analysis
 * slowed down to make that the likely moment): the resume records that epoch again from the
 * restored weights and ends with the uninterrupted run's results. */
#define SLOW                                                                                                      \
    "configs/demo_tishby.yaml --set record.samples=300 --set record.test_samples=0 --set plot.format=svg "      \
    "--set analysis.estimators=[logdet] --set train.epochs=60 --set train.threads=2 --set record.store=none --online"

static void test_sigkill_unfinished_analysis(void **state)
{
    (void)state;
    char dir[1300], whole[1300], err[1 << 16], args[2000];
    snprintf(dir, sizeof dir, "%s/unfinished", run_dir);
    snprintf(whole, sizeof whole, "%s/unfinished_whole", run_dir);
    snprintf(args, sizeof args, "run " SLOW " --out %s", dir);
    setenv("IP_ONLINE_TEST_DELAY_MS", "150", 1);
    pid_t pid = run_start("unfinished", args);
    unsetenv("IP_ONLINE_TEST_DELAY_MS");
    run_wait_for("unfinished", "epoch 8/60", err, sizeof err, 120);
    kill(pid, SIGKILL);
    assert_int_equal(run_finish(pid), -SIGKILL);
    int rc = run_cli("run " SLOW " --out %s --resume", dir);
    if (rc != 0) fail_msg("resume: exit %d:\n%s", rc, run_err);
    expect_text(run_err, "was not finished at the stop: its layers are recorded again");
    rc = run_cli("run " SLOW " --quiet --out %s", whole);
    if (rc != 0) fail_msg("uninterrupted: exit %d:\n%s", rc, run_err);
    char a[1400], b[1400];
    snprintf(a, sizeof a, "%s/analysis/logdet.csv", dir);
    snprintf(b, sizeof b, "%s/analysis/logdet.csv", whole);
    run_same_bytes(a, b);
    same_tables(dir, whole);
    same_training(dir, whole);
}

static void test_sigterm_then_resume(void **state)
{
    (void)state;
    stop_then_resume(SIGTERM, "term", "activations");
}

static void test_sigkill_then_resume_store_none(void **state)
{
    (void)state;
    stop_then_resume(SIGKILL, "kill", "none");
}

int main(void)
{
    RUN_SKIP_UNDER_VALGRIND();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_online_equals_offline),
        cmocka_unit_test(test_store_none),
        cmocka_unit_test(test_store_none_needs_online),
        cmocka_unit_test(test_beside_equals_offline),
        cmocka_unit_test(test_sigkill_unfinished_analysis),
        cmocka_unit_test(test_sigterm_then_resume),
        cmocka_unit_test(test_sigkill_then_resume_store_none),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
