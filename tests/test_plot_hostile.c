/* Strings that reach gnuplot are inert, whatever they hold. A run directory named with
 * backquotes used to run shell commands when its figures were drawn (gnuplot expands `...` in
 * double-quoted strings). Here a run directory, its layer names (from analysis/logdet.csv) and a
 * comparison's group labels carry backquotes, $(...), quotes, semicolons, a line break and
 * non-ASCII text, each command of which would leave a file named pwned*; the figures must be drawn
 * and no such file may appear anywhere. The same for the mode text of an estimator's settings
 * (panel titles of the multi-setting figures). */
#include "testutil.h"
#include "test_plot_util.h"

#include "core/status.h"
#include "plot/plot.h"

/* The hostile text: every quoting trick at once; each command would create a pwned* file. */
#define HOSTILE(tag) "r`touch pwned_bq" tag "`'q\"$(touch pwned_sub" tag ");touch pwned_semi" tag "\n@x ü"

/* 1 when a file named pwned* exists under dir or in the current directory. */
static int pwned_anywhere(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "find '%s' . -maxdepth 6 -name 'pwned*' 2>/dev/null | grep -q .", dir);
    return system(cmd) == 0;
}

/* Replaces every "layer1" cell of DIR/analysis/logdet.csv by text (no comma: one CSV field). */
static void rename_layer(const char *run_dir, const char *text)
{
    char path[1200], *data;
    snprintf(path, sizeof path, "%s/analysis/logdet.csv", run_dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    data = calloc(1, 1 << 20);
    assert_non_null(data);
    size_t n = fread(data, 1, (1 << 20) - 1, f);
    fclose(f);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(data + i, ",layer1,", 8)) {
            fprintf(f, ",%s,", text);
            i += 7;
        } else {
            fputc(data[i], f);
        }
    }
    assert_int_equal(fclose(f), 0);
    free(data);
}

static void test_hostile_run_name_and_layers(void **state)
{
    (void)state;
    const char *fx[] = {"tanh_seed1", "relu_seed1"};
    char *scratch = scratch_with(fx, 2), dir[256], run[1024], other[1024], out[1200];
    snprintf(dir, sizeof dir, "%s", scratch);
    snprintf(run, sizeof run, "%s/%s", dir, HOSTILE("1"));
    char from[1024];
    snprintf(from, sizeof from, "%s/tanh_seed1", dir);
    assert_int_equal(rename(from, run), 0);
    /* a layer name in the table cannot hold a line break or comma: the rest of the tricks */
    const char *layer = "l`touch pwned_layer`'\"$(touch pwned_layer2);ü";
    rename_layer(run, layer);

    ip_plot_options o;
    ip_plot_options_default(&o);
    o.estimators = "logdet";
    o.figures = IP_FIG_ALL & ~(unsigned)IP_FIG_ANIMATION;
    ip_plot_report rep;
    int rc = ip_plot_run(run, &o, &rep);
    if (rc != IP_OK) fail_msg("plot of the hostile run failed: %s", ip_error_message());
    snprintf(out, sizeof out, "%s/figures/plane_logdet.png", run);
    assert_true(file_size(out) > 1000);
    if (pwned_anywhere(dir)) fail_msg("a command in a run name or layer name was run by gnuplot");

    /* comparison: the hostile run beside another, with hostile group labels */
    snprintf(other, sizeof other, "%s/relu_seed1", dir);
    rename_layer(other, layer); /* the same architecture, so the runs can share axes */
    const char *runs[2] = {run, other};
    int group[2] = {0, 1};
    const char *label[2] = {HOSTILE("2"), "relu; `touch pwned_label`"};
    ip_plot_groups groups;
    memset(&groups, 0, sizeof groups);
    groups.group = group;
    groups.label = label;
    groups.n_groups = 2;
    snprintf(out, sizeof out, "%s/cmp", dir);
    o.out_dir = out;
    rc = ip_plot_compare(2, runs, &groups, &o, &rep);
    if (rc != IP_OK) fail_msg("compare of the hostile runs failed: %s", ip_error_message());
    snprintf(out, sizeof out, "%s/cmp/compare_plane_logdet.png", dir);
    assert_true(file_size(out) > 1000);
    if (pwned_anywhere(dir)) fail_msg("a command in a group label was run by gnuplot");
    rm_tree(dir);
}

/* Settings whose mode text is hostile: the panel titles of plane_binning and planes_estimators
 * carry it literally, and nothing in it runs. */
static void test_hostile_setting_mode(void **state)
{
    (void)state;
    const char *fx[] = {"one_epoch"};
    char *scratch = scratch_with(fx, 1), dir[256], path[1200], out[1200];
    snprintf(dir, sizeof dir, "%s", scratch);
    const char *mode = "m`touch pwned_mode`'\"$(touch pwned_mode2);@x ü";
    snprintf(path, sizeof path, "%s/one_epoch/analysis/binning.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\n", f);
    for (int s = 0; s < 2; s++)
        for (int l = 1; l <= 3; l++) fprintf(f, "binning,%s,%d,0,layer%d,%d.5,0.%d,bits\n", mode, 10 * (s + 1), l, l + s, l);
    assert_int_equal(fclose(f), 0);

    ip_plot_options o;
    ip_plot_options_default(&o);
    o.figures = IP_FIG_PLANE | IP_FIG_PLANES_ESTIMATORS;
    ip_plot_report rep;
    snprintf(path, sizeof path, "%s/one_epoch", dir);
    int rc = ip_plot_run(path, &o, &rep);
    if (rc != IP_OK) fail_msg("plot of the hostile settings failed: %s", ip_error_message());
    const char *figs[] = {"plane_binning", "planes_estimators"};
    for (int i = 0; i < 2; i++) {
        snprintf(out, sizeof out, "%s/one_epoch/figures/%s.png", dir, figs[i]);
        assert_true(file_size(out) > 1000);
        snprintf(out, sizeof out, "%s/one_epoch/figures/%s.gp", dir, figs[i]);
        /* drawn literally: one single-quoted string, its ' doubled */
        assert_file_contains(out, "'m`touch pwned_mode`''\"$(touch pwned_mode2);@x ü, β = 10'"); /* the first setting */
    }
    if (pwned_anywhere(dir)) fail_msg("a command in a setting's mode text was run by gnuplot");
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_run_name_and_layers),
        cmocka_unit_test(test_hostile_setting_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
