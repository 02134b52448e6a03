/* record.store with a schedule of its own (log, {every: K}, a list of recorded epochs): the config
 * forms and their errors (file:line:column, --set), that it needs the analysis while training,
 * that only the epochs it selects keep their activations in run.h5 (the same bytes as a run that
 * keeps them all) while every recorded epoch is analysed, what info and analyze say and that
 * analyze does not replace the online results of every epoch with fewer unless told to, and that a
 * killed run resumed ends with the uninterrupted run's bytes. */
#include "testutil.h"

#include <signal.h>

#include "config/config.h"
#include "config/config_compare.h"
#include "core/status.h"
#include "test_run_util.h"

static const char *const online_yaml = "record:\n"
                                       "  epochs: {every: 3}\n"
                                       "  store: STORE\n"
                                       "analysis:\n"
                                       "  online: true\n";

/* online_yaml with STORE replaced by store, loaded with the overrides; returns the status. */
static int load_store(ip_config *c, const char *store, int n_sets, char **sets)
{
    char yaml[512];
    const char *at = strstr(online_yaml, "STORE");
    snprintf(yaml, sizeof yaml, "%.*s%s%s", (int)(at - online_yaml), online_yaml, store, at + 5);
    memset(c, 0, sizeof *c);
    return ip_config_load_text(c, yaml, "t.yaml", n_sets, sets);
}

static void expect_refused(const char *store, int n_sets, char **sets, const char *want)
{
    ip_config c;
    if (load_store(&c, store, n_sets, sets) == IP_OK) {
        ip_config_free(&c);
        fail_msg("record.store: %s loaded, expected \"%s\"", store, want);
    }
    if (!strstr(ip_error_message(), want)) fail_msg("expected \"%s\" in:\n%s", want, ip_error_message());
}

static void test_config_forms(void **state)
{
    (void)state;
    ip_config c;
    char text[IP_SCHEDULE_TEXT];
    static const struct {
        const char *yaml, *text;
        ip_store_kind kind;
    } forms[] = {{"activations", "activations", IP_STORE_ACTIVATIONS}, {"all", "activations", IP_STORE_ACTIVATIONS},
                 {"none", "none", IP_STORE_NONE},                       {"log", "log", IP_STORE_SCHEDULE},
                 {"{every: 6}", "{every: 6}", IP_STORE_SCHEDULE},       {"[0, 9, 30]", "[0, 9, 30]", IP_STORE_SCHEDULE},
                 {"[]", "[]", IP_STORE_SCHEDULE}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (load_store(&c, forms[i].yaml, 0, NULL) != IP_OK) fail_msg("%s: %s", forms[i].yaml, ip_error_message());
        assert_int_equal(c.record.store, forms[i].kind);
        assert_string_equal(ip_store_text(&c.record, text, sizeof text), forms[i].text);
        assert_int_equal(c.record.epochs.kind, IP_SCHED_EVERY); /* record.epochs is its own schedule */
        assert_int_equal(c.record.epochs.every, 3);
        ip_config_free(&c);
    }
    /* --set takes every form, the later wins, and configs that differ in it are other experiments */
    char *sets[] = {"record.store=[0, 3]", "record.store={every: 9}"};
    ip_config a;
    if (load_store(&a, "log", 2, sets) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(a.record.store_epochs.kind, IP_SCHED_EVERY);
    assert_int_equal(a.record.store_epochs.every, 9);
    if (load_store(&c, "log", 1, sets) != IP_OK) fail_msg("%s", ip_error_message());
    assert_false(ip_config_same_but_seed(&a, &c));
    const ip_config *others[1] = {&c};
    ip_config_distinct(&a, 1, others, 8, text, sizeof text);
    assert_string_equal(text, "store: {every: 9}");
    ip_config_free(&c);
    if (load_store(&c, "{every: 9}", 0, NULL) != IP_OK) fail_msg("%s", ip_error_message());
    assert_true(ip_config_same_but_seed(&a, &c));
    ip_config_free(&c);
    ip_config_free(&a);
}

static void test_config_errors(void **state)
{
    (void)state;
    /* a list names recorded epochs: the first that is not is shown where it is */
    expect_refused("[0, 3, 4]", 0, NULL,
                   "t.yaml:3:17: record.store[2]: epoch 4 is not recorded (record.epochs: {every: 3}); a store list "
                   "names recorded epochs");
    char *set[] = {"record.store=[0, 5]"};
    expect_refused("log", 1, set, "--set record.store=[0, 5]: record.store[1]: epoch 5 is not recorded");
    expect_refused("[3, 3]", 0, NULL, "t.yaml:3:14: record.store[1]: the list must be strictly ascending");
    expect_refused("{every: 0}", 0, NULL, "record.store.every: expected an integer in 1..2147483647, got '0'");
    expect_refused("sometimes", 0, NULL,
                   "t.yaml:3:10: record.store: expected activations, none, log, {every: K} or an ascending list of "
                   "recorded epochs, got 'sometimes'");
    expect_refused("{evry: 2}", 0, NULL, "record.store: unknown key 'evry' (allowed: every)");
    /* without the analysis while training, as none */
    char *offline[] = {"analysis.online=false"};
    expect_refused("log", 1, offline,
                   "t.yaml:3:10: record.store: log keeps the activations of some recorded epochs only, so the others "
                   "can only be analysed while training: set analysis.online: true");
    expect_refused("none", 1, offline, "record.store: none keeps no activations");
    ip_config c;
    if (load_store(&c, "activations", 1, offline) != IP_OK) fail_msg("%s", ip_error_message());
    ip_config_free(&c);
}

/* ---- runs ---- */

#define BASE                                                                                                    \
    "configs/demo_tishby.yaml --quiet --set record.samples=300 --set record.test_samples=0 --set plot.format=svg " \
    "--set analysis.estimators=[logdet,binning] --set train.epochs=25 --set record.epochs=all"

static void same_file(const char *dir_a, const char *dir_b, const char *name)
{
    char a[1400], b[1400];
    snprintf(a, sizeof a, "%s/%s", dir_a, name);
    snprintf(b, sizeof b, "%s/%s", dir_b, name);
    run_same_bytes(a, b);
}

/* The distinct epochs of /analysis/NAME (a layers table) of dir's run. */
static int table_epochs(const char *dir, const char *name)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/run.h5", dir);
    ip_run *r = NULL;
    int rows, cols, n = 0;
    double *x;
    char **columns;
    if (ip_run_open_read(&r, p, 0) != IP_OK || ip_run_read_table(r, name, &rows, &cols, &x, &columns) != IP_OK)
        fail_msg("%s", ip_error_message());
    assert_string_equal(columns[0], "epoch");
    for (int i = 0; i < rows; i++) n += i == 0 || x[(size_t)i * cols] != x[(size_t)(i - 1) * cols];
    free(x);
    ip_run_strings_free(columns, cols);
    ip_run_close(r);
    return n;
}

/* Every stored layer row of dir_part's run equals the row of the same epoch in dir_all's. */
static void stored_rows_equal(const char *dir_part, const char *dir_all, int want_rows)
{
    char pa[1400], pb[1400];
    snprintf(pa, sizeof pa, "%s/run.h5", dir_part);
    snprintf(pb, sizeof pb, "%s/run.h5", dir_all);
    ip_run *ra = NULL, *rb = NULL;
    ip_run_description da, db;
    memset(&da, 0, sizeof da);
    memset(&db, 0, sizeof db);
    if (ip_run_open_read(&ra, pa, 0) != IP_OK || ip_run_describe(ra, &da) != IP_OK ||
        ip_run_open_read(&rb, pb, 0) != IP_OK || ip_run_describe(rb, &db) != IP_OK)
        fail_msg("%s", ip_error_message());
    assert_int_equal(da.n_recorded, want_rows);
    assert_string_equal(db.store, "activations");
    for (int k = 0; k < da.n_recorded; k++) {
        int kb = 0;
        while (kb < db.n_recorded && db.recorded_epochs[kb] != da.recorded_epochs[k]) kb++;
        if (kb == db.n_recorded) fail_msg("epoch %d not recorded in %s", da.recorded_epochs[k], pb);
        for (int l = 0; l < da.n_layers; l++) {
            size_t n = (size_t)da.n_samples * da.layer_units[l];
            double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
            if (ip_run_read_layer(ra, l, k, x) != IP_OK || ip_run_read_layer(rb, l, kb, y) != IP_OK)
                fail_msg("%s", ip_error_message());
            assert_memory_equal(x, y, n * sizeof *x);
            free(x);
            free(y);
        }
    }
    ip_run_describe_free(&da);
    ip_run_describe_free(&db);
    ip_run_close(ra);
    ip_run_close(rb);
}

static void test_store_log_run(void **state)
{
    (void)state;
    char all[1300], part[1300];
    snprintf(all, sizeof all, "%s/all", run_dir);
    snprintf(part, sizeof part, "%s/log", run_dir);
    int rc = run_cli("run " BASE " --online --out %s", all);
    if (rc != 0) fail_msg("store activations: exit %d:\n%s", rc, run_err);
    rc = run_cli("run " BASE " --online --set record.store=log --out %s", part);
    if (rc != 0) fail_msg("store log: exit %d:\n%s", rc, run_err);
    /* every epoch analysed, the same bytes; epochs 0..20 and 25 kept, as the other run keeps them */
    same_file(all, part, "analysis/logdet.csv");
    same_file(all, part, "analysis/binning.csv");
    run_same_params(all, part); /* training unchanged */
    assert_int_equal(table_epochs(part, "logdet_cov_beta1200/layers"), 26);
    stored_rows_equal(part, all, 22);

    rc = run_cli("info %s", part);
    assert_int_equal(rc, 0);
    expect_text(run_out, "epochs with activations: 22 of the 26 recorded (record.store: log; ");
    expect_text(run_out, ": 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 25\n");

    /* analyze: the online results of the same setting are not replaced by those of 22 epochs */
    rc = run_cli("analyze %s/run.h5 --quiet", part);
    assert_int_not_equal(rc, 0);
    expect_text(run_out, "run.h5 holds the activations of 22 of the 26 analysed epochs (record.store: log): only "
                         "those are analysed here");
    expect_text(run_err, "/analysis/logdet_cov_beta1200 holds the results of 26 epochs (analysed while training), "
                         "but the run keeps the activations of 22 epochs only (record.store: log)");
    expect_text(run_err, "--replace-online");
    same_file(all, part, "analysis/logdet.csv"); /* nothing written */
    assert_int_equal(table_epochs(part, "logdet_cov_beta1200/layers"), 26);
    /* another setting: its 22 epochs, beside the online ones */
    rc = run_cli("analyze %s/run.h5 --quiet --estimator binning --bins 12", part);
    if (rc != 0) fail_msg("analyze binning 12: exit %d:\n%s", rc, run_err);
    assert_int_equal(table_epochs(part, "binning_layer_bins12/layers"), 22);
    assert_int_equal(table_epochs(part, "binning_layer_bins30/layers"), 26);
    rc = run_cli("analyze %s/run.h5 --quiet --estimator binning --bins 12", part); /* again: its own epochs */
    if (rc != 0) fail_msg("analyze binning 12 again: exit %d:\n%s", rc, run_err);
    /* told to: replaced */
    rc = run_cli("analyze %s/run.h5 --quiet --replace-online", part);
    if (rc != 0) fail_msg("analyze --replace-online: exit %d:\n%s", rc, run_err);
    assert_int_equal(table_epochs(part, "logdet_cov_beta1200/layers"), 22);

    /* train analyses nothing: refused as store none is */
    rc = run_cli("train " BASE " --set record.store=log --set analysis.online=true --out %s/refused", run_dir);
    assert_int_not_equal(rc, 0);
    expect_text(run_err, "record.store: log keeps the activations of some recorded epochs only, so they must be "
                         "analysed while training");
}

/* Killed (SIGKILL) after some epochs, resumed: the uninterrupted run's stored layers, state,
 * metrics and results. */
#define LONG                                                                                                      \
    "configs/demo_tishby.yaml --set record.samples=300 --set record.test_samples=0 --set plot.format=svg "      \
    "--set analysis.estimators=[logdet] --set train.epochs=80 --set 'record.epochs={every: 2}' "                 \
    "--set record.store=log --online"

static void test_sigkill_then_resume(void **state)
{
    (void)state;
    char dir[1300], whole[1300], err[1 << 16], cmd[4000], a[1400], b[1400];
    snprintf(dir, sizeof dir, "%s/killed", run_dir);
    snprintf(whole, sizeof whole, "%s/whole", run_dir);
    snprintf(cmd, sizeof cmd, "run " LONG " --out %s", dir);
    pid_t pid = run_start("killed", cmd);
    run_wait_for("killed", "epoch 20/80", err, sizeof err, 300);
    kill(pid, SIGKILL);
    assert_int_equal(run_finish(pid), -SIGKILL);
    int rc = run_cli("run " LONG " --quiet --out %s --resume", dir);
    if (rc != 0) fail_msg("resume: exit %d:\n%s", rc, run_err);
    expect_text(run_out, "final: epoch=80 ");
    rc = run_cli("run " LONG " --quiet --out %s", whole);
    if (rc != 0) fail_msg("uninterrupted: exit %d:\n%s", rc, run_err);
    snprintf(a, sizeof a, "%s/run.h5", dir);
    snprintf(b, sizeof b, "%s/run.h5", whole);
    assert_same_run(a, b); /* the stored layers and the state */
    same_file(dir, whole, "analysis/logdet.csv");
    same_file(dir, whole, "analysis/logdet_layers.csv");
    /* every other epoch analysed; kept: {every: 2} and log, 0..18 by 2 and 20..80 by 10 */
    assert_int_equal(table_epochs(whole, "logdet_cov_beta1200/layers"), 41);
    ip_run *r = NULL;
    ip_run_description d;
    memset(&d, 0, sizeof d);
    if (ip_run_open_read(&r, a, 0) != IP_OK || ip_run_describe(r, &d) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(d.n_recorded, 10 + 7);
    assert_string_equal(d.store, "log");
    ip_run_describe_free(&d);
    ip_run_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_forms),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_store_log_run),
        cmocka_unit_test(test_sigkill_then_resume),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
