/* Tests for framework/sweep and the sweep-file loader (config/config_sweep.c), in this process:
 * every bad sweep file fails with its file, line and column (the assertions read the message);
 * the grid expands in file order with readable, unique, filesystem-safe names and the --set
 * values each run gets; the aggregate of fabricated runs equals a hand computation and is the
 * same bytes when made again; --status tells done, running (a held lock), failed and waiting; and
 * the scheduler itself runs two real runs at a time, one failing, with the others unharmed. The
 * end-to-end sweeps through the command line are in test_sweep_run.c. */
#include "testutil.h"

#include <glob.h>

#include "config/config.h"
#include "config/config_sweep.h"
#include "core/dirlock.h"
#include "core/status.h"
#include "sweep/sweep.h"

static char tmp[] = "/tmp/ip_test_sweep_XXXXXX";

static void expect_text_in(const char *text, const char *part)
{
    if (!strstr(text, part)) fail_msg("expected '%s' in:\n%s", part, text);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* TMP/NAME with `text`; returns its path (a static buffer). */
static const char *sweep_file(const char *name, const char *text)
{
    static char path[512];
    ip_test_write_text(tmp, name, text);
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    return path;
}

/* Planning `text` must fail with every fragment (NULL-terminated) in the message. */
static void expect_fail(const char *text, const char *first, ...)
{
    ip_sweep_plan p;
    const char *path = sweep_file("bad.yaml", text);
    if (ip_sweep_plan_make(&p, path, NULL) == IP_OK) {
        ip_sweep_plan_free(&p);
        fail_msg("the sweep file was accepted but should fail with \"%s\":\n%s", first, text);
    }
    assert_int_equal(p.n_runs, 0);
    const char *msg = ip_error_message();
    va_list ap;
    va_start(ap, first);
    for (const char *frag = first; frag; frag = va_arg(ap, const char *))
        if (!strstr(msg, frag)) {
            va_end(ap);
            fail_msg("message \"%s\" lacks \"%s\"", msg, frag);
        }
    va_end(ap);
}

#define BASE "base: configs/tishby_tanh.yaml\n"

static void test_loader_errors(void **state)
{
    (void)state;
    expect_fail(BASE "grid:\n  model.activation: [tanh, relu]\nseed: [1]\n", "bad.yaml:4:1: unknown key 'seed' in a sweep file",
                "allowed: base, set, grid, seeds, threshold", NULL);
    expect_fail(BASE "grid:\n  model.activaton: [tanh]\n", "bad.yaml:3:3: unknown key 'activaton' in section 'model'",
                "allowed: arch, activation", NULL);
    expect_fail(BASE "grid:\n  modle.activation: [tanh]\n", "bad.yaml:3:3: unknown key 'modle' at the top level", NULL);
    expect_fail(BASE "set:\n  train.epoch: 3\ngrid:\n  model.activation: [tanh]\n", "bad.yaml:3:3: unknown key 'epoch'",
                NULL);
    expect_fail(BASE "grid:\n  model.activation: tanh\n", "bad.yaml:3:21: model.activation: expected a list of values",
                NULL);
    expect_fail(BASE "grid:\n  model.activation: []\n", "bad.yaml:3:21: model.activation: empty list", NULL);
    expect_fail(BASE "grid: {}\nseeds: [1]\n", "bad.yaml:2:7: grid: empty", NULL);
    expect_fail(BASE "grid:\nseeds: [1]\n", "grid: empty", NULL);
    expect_fail(BASE "seeds: []\n", "bad.yaml:2:8: seeds: empty list", NULL);
    expect_fail(BASE "seeds: 3\n", "bad.yaml:2:8: seeds: expected a list of seeds", NULL);
    expect_fail(BASE "seeds: [1, \"2\"]\n", "bad.yaml:2:12: seeds[1]: expected a non-negative integer", NULL);
    expect_fail(BASE "seeds: [1, -1]\n", "bad.yaml:2:12: seeds[1]", NULL);
    expect_fail(BASE "seeds: [4, 4]\n", "bad.yaml:2:12: seeds: 4 is given twice (also at line 2 column 9)", NULL);
    expect_fail(BASE "grid:\n  model.activation: [tanh, relu, tanh]\n", "bad.yaml:3:34: model.activation: value 'tanh' "
                "is given twice", NULL);
    expect_fail(BASE "grid:\n  seed: [1, 2]\n", "bad.yaml:3:3: grid: seed: give the seeds as a list under", NULL);
    expect_fail(BASE "set:\n  model.activation: relu\ngrid:\n  model.activation: [tanh]\n",
                "bad.yaml:5:3: grid: model.activation is given in set too (line 3)", NULL);
    expect_fail(BASE "set: [train.epochs]\nseeds: [1]\n", "bad.yaml:2:6: set: expected a mapping", NULL);
    expect_fail(BASE "threshold: -0.1\nseeds: [1]\n", "bad.yaml:2:12: threshold: expected a number >= 0", NULL);
    expect_fail("grid:\n  model.activation: [tanh]\n", "no base", NULL);
    expect_fail("base: configs/nope.yaml\nseeds: [1]\n", "bad.yaml:1:7: base: configs/nope.yaml: no such file", NULL);
    expect_fail(BASE, "nothing to sweep", NULL);
    expect_fail("", "the sweep file is empty", NULL);
    expect_fail(BASE "grid: [1\n", "bad.yaml:3:1: invalid YAML", NULL);
    /* values are checked by the run config's own loader, point by point, at their place here */
    expect_fail(BASE "grid:\n  model.activation: [tanh, rleu]\n",
                "bad.yaml:3:28: model.activation: unknown value 'rleu' (valid: linear, tanh", NULL);
    expect_fail(BASE "set:\n  train.epochs: ten\nseeds: [1]\n",
                "bad.yaml:3:17: train.epochs: expected an integer in 0..2147483647, got 'ten'", NULL);
    expect_fail(BASE "set:\n  train.lr: \"0.1\"\nseeds: [1]\n", "bad.yaml:3:13: train.lr: expected a number", "quoted", NULL);
    expect_fail(BASE "grid:\n  model.hidden: [[10, 0]]\n", "bad.yaml:3:18: model.hidden", NULL);
}

/* slurm: {options: [...]}: extra sbatch options for `sweep --slurm` (docs/cluster.md) */
static void test_slurm_options(void **state)
{
    (void)state;
    expect_fail(BASE "seeds: [1]\nslurm:\n  optons: [--qos=x]\n", "bad.yaml:4:3: unknown key 'optons' in section 'slurm'",
                "allowed: options", NULL);
    expect_fail(BASE "seeds: [1]\nslurm: [--qos=x]\n", "bad.yaml:3:8: slurm: expected a mapping", NULL);
    expect_fail(BASE "seeds: [1]\nslurm:\n  options: --qos=x\n", "bad.yaml:4:12: slurm.options: expected a list", NULL);
    expect_fail(BASE "seeds: [1]\nslurm:\n  options: [qos=x]\n", "bad.yaml:4:13: slurm.options: 'qos=x': expected one "
                "sbatch option in its long form", NULL);
    expect_fail(BASE "seeds: [1]\nslurm:\n  options: [\"--x y\"]\n", "bad.yaml:4:13: slurm.options: '--x y'", NULL);
    expect_fail(BASE "seeds: [1]\nslurm:\n  options: [--qos=a, --array=1-3]\n",
                "bad.yaml:4:22: slurm.options: --array is set by infoplane sweep --slurm itself", NULL);
    ip_sweep_plan p;
    const char *path = sweep_file("ok.yaml", BASE "seeds: [1]\nslurm:\n  options: [--account=lab, --qos=short]\n");
    assert_int_equal(ip_sweep_plan_make(&p, path, NULL), IP_OK);
    assert_int_equal(p.spec.n_slurm_options, 2);
    assert_string_equal(p.spec.slurm_options[1], "--qos=short");
    ip_sweep_plan_free(&p);
}

static void test_grid_and_names(void **state)
{
    (void)state;
    ip_sweep_plan p;
    const char *path = sweep_file("g.yaml", BASE "set:\n  train.epochs: 400\ngrid:\n  model.activation: [tanh, relu]\n"
                                            "  train.optimizer: [sgd, adam]\nseeds: [1, 2, 3]\nthreshold: 0.1\n");
    if (ip_sweep_plan_make(&p, path, NULL) != IP_OK) fail_msg("%s", ip_error_message());
    assert_string_equal(p.dir, "sweeps/g");
    assert_string_equal(p.spec.base, "configs/tishby_tanh.yaml"); /* not next to the file: the current directory */
    assert_int_equal(p.n_points, 4);
    assert_int_equal(p.n_runs, 12);
    assert_true(p.spec.has_threshold);
    assert_true(p.auto_threads);
    static const char *const names[] = {"activation=tanh_optimizer=sgd", "activation=tanh_optimizer=adam",
                                        "activation=relu_optimizer=sgd", "activation=relu_optimizer=adam"};
    for (int g = 0; g < 4; g++) assert_string_equal(p.point_names[g], names[g]);
    assert_string_equal(p.point_labels[1], "activation: tanh, optimizer: adam");
    assert_string_equal(p.runs[0].name, "activation=tanh_optimizer=sgd_seed=1");
    assert_string_equal(p.runs[5].name, "activation=tanh_optimizer=adam_seed=3");
    assert_int_equal(p.runs[5].point, 1);
    assert_int_equal(p.runs[5].n_sets, 4);
    assert_string_equal(p.runs[5].sets[0], "train.epochs=400");
    assert_string_equal(p.runs[5].sets[1], "model.activation=tanh");
    assert_string_equal(p.runs[5].sets[2], "train.optimizer=adam");
    assert_string_equal(p.runs[5].sets[3], "seed=3");
    assert_true(p.runs[5].seed == 3);
    ip_sweep_plan_free(&p);

    /* keys ending alike are named in full; lists and mappings pass as flow YAML; hostile values
     * become harmless names; values that read alike once made safe are numbered */
    path = sweep_file("h.yaml", BASE "grid:\n  train.epochs: [5]\n  record.epochs: [log, {every: 5}]\n"
                                "  model.hidden: [[10, 7, 5]]\n  data.path: ['../../x y;rm -rf $HOME', 'a/b', a_b]\n");
    if (ip_sweep_plan_make(&p, path, "/tmp/elsewhere") != IP_OK) fail_msg("%s", ip_error_message());
    assert_string_equal(p.dir, "/tmp/elsewhere");
    assert_int_equal(p.n_runs, 6);
    assert_int_equal(p.spec.n_seeds, 0);
    assert_string_equal(p.runs[0].name, "train.epochs=5_record.epochs=log_hidden=10-7-5_path=.._.._xy_rm-rf_HOME");
    assert_string_equal(p.runs[1].name, "train.epochs=5_record.epochs=log_hidden=10-7-5_path=a_b");
    assert_string_equal(p.runs[2].name, "train.epochs=5_record.epochs=log_hidden=10-7-5_path=a_b_2");
    assert_string_equal(p.runs[3].name, "train.epochs=5_record.epochs=every-5_hidden=10-7-5_path=.._.._xy_rm-rf_HOME");
    assert_string_equal(p.runs[3].sets[1], "record.epochs={every: 5}");
    assert_string_equal(p.runs[3].sets[2], "model.hidden=[10, 7, 5]");
    assert_string_equal(p.runs[3].sets[3], "data.path='../../x y;rm -rf $HOME'");
    for (int i = 0; i < p.n_runs; i++) {
        assert_null(strchr(p.runs[i].name, '/'));
        assert_null(strpbrk(p.runs[i].name, " ;$'\"`\\|&<>*?"));
        assert_true(p.runs[i].seed == 1); /* the base config's own seed */
    }
    ip_config cfg; /* what a run loads from those values */
    if (ip_config_load(&cfg, p.spec.base, p.runs[3].n_sets, p.runs[3].sets) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(cfg.model.n_hidden, 3);
    assert_int_equal(cfg.model.hidden[2], 5);
    assert_string_equal(cfg.data.path, "../../x y;rm -rf $HOME");
    ip_config_free(&cfg);
    ip_sweep_plan_free(&p);

    /* seeds only: the base config names the point; base next to the sweep file comes first */
    ip_test_write_text(tmp, "near.yaml", "model: {arch: tishby}\ndata: {dataset: tishby}\n");
    path = sweep_file("s.yaml", "base: near.yaml\nseeds: [7, 8]\nset:\n  train.threads: 1\n");
    if (ip_sweep_plan_make(&p, path, NULL) != IP_OK) fail_msg("%s", ip_error_message());
    char want[600];
    snprintf(want, sizeof want, "%s/near.yaml", tmp);
    assert_string_equal(p.spec.base, want);
    assert_string_equal(p.point_names[0], "near");
    assert_string_equal(p.runs[1].name, "seed=8");
    assert_false(p.auto_threads);
    ip_sweep_plan_free(&p);

    /* the shipped sweep files plan (their base next to them) */
    glob_t g;
    assert_int_equal(glob("configs/sweeps/*.yaml", 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        if (ip_sweep_plan_make(&p, g.gl_pathv[i], NULL) != IP_OK) fail_msg("%s", ip_error_message());
        assert_true(p.n_runs > 1);
        ip_sweep_plan_free(&p);
    }
    globfree(&g);

    /* the loader alone, from text (the fuzz target's entry) */
    ip_sweep_spec s;
    assert_int_equal(ip_sweep_load_text(&s, BASE "seeds: [1]\n", "t.yaml", "."), IP_OK);
    assert_int_equal(s.n_seeds, 1);
    assert_true(s.threshold == 0.05 && !s.has_threshold);
    ip_sweep_spec_free(&s);
}

/* A fabricated complete run: analysis/logdet.csv with `rows` (after the header), sweep.done. */
static void fake_run(const ip_sweep_plan *p, int i, const char *rows, const char *compression)
{
    char dir[1000], text[4096] = "";
    snprintf(dir, sizeof dir, "%.500s/%.200s/analysis", p->dir, p->runs[i].name);
    char cmd[1500];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(text, sizeof text, "estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\n%s", rows);
    ip_test_write_text(dir, "logdet.csv", text);
    ip_test_write_text(dir, "logdet_layers.csv", "estimator,mode,beta,epoch,layer_a,layer_b,mi,layer_beta,unit\n");
    if (compression) ip_test_write_text(dir, "compression.csv", compression);
    text[0] = '\0';
    for (int k = 0; k < p->runs[i].n_sets; k++) strcat(strcat(text, p->runs[i].sets[k]), "\n");
    strcat(text, "train.threads=1\n");
    snprintf(dir, sizeof dir, "%.500s/%.200s", p->dir, p->runs[i].name);
    ip_test_write_text(dir, "sweep.done", text);
}

static void slurp_file(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ip_test_slurp(path, buf, cap);
}

static void test_aggregate(void **state)
{
    (void)state;
    ip_sweep_plan p;
    char out[600];
    snprintf(out, sizeof out, "%s/agg", tmp);
    const char *path = sweep_file("a.yaml", BASE "grid:\n  model.activation: [tanh, relu]\nseeds: [1, 2, 3, 4]\n");
    if (ip_sweep_plan_make(&p, path, out) != IP_OK) fail_msg("%s", ip_error_message());
    static const char *const ch = "estimator,mode,beta,layer,ixt_peak_epoch,ixt_peak,ixt_final,ixt_drop,ity_peak_epoch,"
                                  "ity_peak,ity_final,ity_drop,unit\n";
    char comp[3][512];
    for (int k = 0; k < 3; k++)
        snprintf(comp[k], sizeof comp[k], "%slogdet,cov,1200,1,3,9,8,%g,5,1,1,0,bits\nlogdet,cov,1200,2,1,5,5,0,5,1,1,0,bits\n",
                 ch, k == 0 ? 0.01 : k == 1 ? 0.2 : 0.5);
    /* tanh: seeds 1..3 complete (4 is not), values chosen so the statistics are easy by hand */
    fake_run(&p, 0, "logdet,cov,1200,0,1,10,0.5,bits\nlogdet,cov,1200,0,2,4,0.25,bits\nlogdet,cov,1200,5,1,12,0.75,bits\n",
             comp[0]);
    fake_run(&p, 1, "logdet,cov,1200,0,1,14,0.5,bits\nlogdet,cov,1200,0,2,6,0.25,bits\nlogdet,cov,1200,5,1,11,0.5,bits\n",
             comp[1]);
    fake_run(&p, 2, "logdet,cov,1200,0,1,11,1.5,bits\nlogdet,cov,1200,0,2,5,0.25,bits\nlogdet,cov,1200,5,1,13,1,bits\n",
             comp[2]);
    fake_run(&p, 5, "logdet,cov,1200,0,1,1,0,bits\n", NULL); /* relu seed 2 only, without compression.csv */
    ip_sweep_aggregate_report rep;
    if (ip_sweep_aggregate(&p, 0.1, &rep) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(rep.runs, 4);
    assert_int_equal(rep.with_compression, 3);
    expect_text_in(rep.note, "3 of 4 runs");
    char agg[8192], again[8192], res[8192], cmp[4096], dir[700];
    snprintf(dir, sizeof dir, "%s/aggregate", out);
    slurp_file(dir, "aggregate.csv", agg, sizeof agg);
    slurp_file(dir, "results.csv", res, sizeof res);
    slurp_file(dir, "compression.csv", cmp, sizeof cmp);
    /* layer 1, epoch 0 of tanh: i_xt 10, 14, 11 -> median 11, mean 35/3, q1 10.5, q3 12.5 (linear
     * interpolation), min 10, max 14; i_ty 0.5, 0.5, 1.5 */
    expect_text_in(agg, "point,model.activation,estimator,mode,beta,layer,epoch,runs,i_xt_median,i_xt_mean,i_xt_q1,"
                        "i_xt_q3,i_xt_min,i_xt_max,i_ty_median,i_ty_mean,i_ty_q1,i_ty_q3,i_ty_min,i_ty_max,unit\n"
                        "activation=tanh,tanh,logdet,cov,1200,1,0,3,11,11.6666666667,10.5,12.5,10,14,0.5,0.833333333333,"
                        "0.5,1,0.5,1.5,bits\n"
                        "activation=tanh,tanh,logdet,cov,1200,1,5,3,12,12,11.5,12.5,11,13,0.75,0.75,0.625,0.875,0.5,1,bits\n"
                        "activation=tanh,tanh,logdet,cov,1200,2,0,3,5,5,4.5,5.5,4,6,0.25,0.25,0.25,0.25,0.25,0.25,bits\n"
                        "activation=relu,relu,logdet,cov,1200,1,0,1,1,1,1,1,1,1,0,0,0,0,0,0,bits\n");
    expect_text_in(res, "point,run,model.activation,seed,estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\n"
                        "activation=tanh,activation=tanh_seed=1,tanh,1,logdet,cov,1200,0,1,10,0.5,bits\n");
    expect_text_in(res, "activation=relu,activation=relu_seed=2,relu,2,logdet,cov,1200,0,1,1,0,bits\n");
    /* drops 0.01, 0.2, 0.5 in layer 1: two above 0.1 */
    expect_text_in(cmp, "point,model.activation,estimator,mode,beta,layer,runs,compressed,threshold,ixt_drop_median,"
                        "ixt_drop_min,ixt_drop_max\nactivation=tanh,tanh,logdet,cov,1200,1,3,2,0.1,0.2,0.01,0.5\n"
                        "activation=tanh,tanh,logdet,cov,1200,2,3,0,0.1,0,0,0\n");
    /* the same runs give the same bytes */
    assert_int_equal(ip_sweep_aggregate(&p, 0.1, &rep), IP_OK);
    slurp_file(dir, "aggregate.csv", again, sizeof again);
    assert_string_equal(agg, again);
    /* status from the directories: 4 done, the rest waiting; a held lock is "running", sweep.failed "failed" */
    char rd[1000];
    snprintf(rd, sizeof rd, "%s/%s", out, p.runs[3].name);
    ip_dir_lock *lock = NULL;
    assert_int_equal(ip_dir_lock_take(rd, 1, &lock), IP_OK);
    snprintf(rd, sizeof rd, "%s/%s", out, p.runs[4].name);
    snprintf(cmp, sizeof cmp, "mkdir -p '%s'", rd);
    assert_int_equal(system(cmp), 0);
    ip_test_write_text(rd, "sweep.failed", "exit status 1; log: L\n");
    FILE *f = tmpfile();
    assert_int_equal(ip_sweep_print_status(&p, f), 1);
    rewind(f);
    size_t n = fread(res, 1, sizeof res - 1, f);
    res[n] = '\0';
    fclose(f);
    ip_dir_lock_release(lock);
    expect_text_in(res, "done     activation=tanh_seed=1\n");
    char running[200];
    snprintf(running, sizeof running, "running  activation=tanh_seed=4 (pid %ld)\n", (long)getpid());
    expect_text_in(res, running);
    expect_text_in(res, "failed   activation=relu_seed=1: exit status 1; log: L\n");
    expect_text_in(res, "waiting  activation=relu_seed=3\n");
    expect_text_in(res, ": 8 runs: 4 done, 1 running, 1 failed, 2 waiting\n");
    ip_sweep_plan_free(&p);
}

/* The scheduler in this process (under valgrind too): two runs at a time, one of which fails at
 * run time (a data directory that is not there); the other completes, the failure is recorded
 * with its log, and a second call skips the complete run and retries the failed one. */
static void test_execute(void **state)
{
    (void)state;
    ip_sweep_plan p;
    char out[600], path[1500], log[8192];
    snprintf(out, sizeof out, "%s/exec", tmp);
    const char *file = sweep_file("e.yaml", BASE "set:\n  train.epochs: 2\n  record.epochs: [0, 2]\n"
                                            "grid:\n  data.path: ['', /nonexistent/tishby]\n");
    if (ip_sweep_plan_make(&p, file, out) != IP_OK) fail_msg("%s", ip_error_message());
    ip_sweep_options o = {.exe = ip_test_cli(), .jobs = 2, .cores = 2, .quiet = 1};
    ip_sweep_summary sum;
    if (ip_sweep_execute(&p, &o, &sum) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(sum.done, 1);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sum.threads, 1);
    ip_sweep_run_state st;
    ip_sweep_state_of(&p, 0, &st);
    assert_int_equal(st.state, IP_SWEEP_DONE);
    ip_sweep_state_of(&p, 1, &st);
    assert_int_equal(st.state, IP_SWEEP_FAILED);
    expect_text_in(st.why, "exit status 1; log: ");
    snprintf(path, sizeof path, "%s/logs/%s.log", out, p.runs[1].name);
    ip_test_slurp(path, log, sizeof log);
    expect_text_in(log, "/nonexistent/tishby");
    snprintf(path, sizeof path, "%s/%s/sweep.args", out, p.runs[0].name);
    ip_test_slurp(path, log, sizeof log);
    assert_string_equal(log, "train.epochs=2\nrecord.epochs=[0, 2]\ndata.path=''\ntrain.threads=1\n");
    assert_int_equal(ip_sweep_execute(&p, &o, &sum), IP_OK);
    assert_int_equal(sum.skipped, 1);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sum.done, 0);
    ip_sweep_plan_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_errors),
        cmocka_unit_test(test_slurm_options),
        cmocka_unit_test(test_grid_and_names),
        cmocka_unit_test(test_aggregate),
        cmocka_unit_test(test_execute),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
