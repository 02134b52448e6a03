/* Tests of the plot module: every figure kind rendered from the stored fixtures
 * (tests/fixtures/, made by make_fixtures.py) into scratch copies, checked to be real images of
 * the requested size, re-renderable from the saved .gp/.dat; and the failure paths. */
#include "testutil.h"
#include "test_plot_util.h"

#include "core/status.h"
#include "plot/plot.h"
#include "plot/plot_internal.h"

static ip_plot_options opts(unsigned figures)
{
    ip_plot_options o;
    ip_plot_options_default(&o);
    o.estimators = "logdet";
    o.figures = figures;
    return o;
}

static void path_in(char *out, size_t cap, const char *dir, const char *run, const char *file)
{
    snprintf(out, cap, "%s/%s/%s", dir, run, file);
}

/* No stray temporary files: every output is renamed into place or removed. */
static void assert_no_partial(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.partial' -o -name '*.tmp.*' | grep -q .", dir);
    if (system(cmd) == 0) fail_msg("a *.partial or *.tmp.PID file was left under %s", dir);
}

static void test_tables(void **state)
{
    (void)state;
    plot_mi m;
    assert_int_equal(plot_mi_read("tests/fixtures/tanh_seed1/analysis/logdet.csv", &m), IP_OK);
    assert_int_equal(m.n_layers, 5);
    assert_int_equal(m.n_epochs, 47); /* the log-spaced schedule 0..19, 20..95 by 5, 100..300 by 20 */
    assert_string_equal(m.unit, "bits");
    assert_string_equal(m.layers[4], "layer5");
    assert_true(plot_epochs_log_spaced(m.epochs, m.n_epochs));
    for (size_t i = 0; i < (size_t)m.n_layers * m.n_epochs; i++) assert_false(isnan(m.i_xt[i]));
    plot_mi_free(&m);
    int every[] = {0, 10, 20, 30, 40, 50};
    assert_false(plot_epochs_log_spaced(every, 6));

    plot_metrics t;
    assert_int_equal(plot_metrics_read("tests/fixtures/tanh_seed1/metrics.csv", &t), IP_OK);
    assert_int_equal(t.n, 301);
    assert_int_equal(t.epoch[300], 300);
    plot_metrics_free(&t);

    char rel[1024];
    assert_int_equal(plot_relpath("tests/fixtures/tanh_seed1", "tests/fixtures/relu_seed1/metrics.csv", rel,
                                  sizeof rel), IP_OK);
    assert_string_equal(rel, "../relu_seed1/metrics.csv");
    assert_int_equal(plot_relpath("tests", "tests/fixtures", rel, sizeof rel), IP_OK);
    assert_string_equal(rel, "fixtures");
}

static void test_png_figures(void **state)
{
    (void)state;
    const char *fx[] = {"tanh_seed1"};
    char *dir = scratch_with(fx, 1), p[1024];
    /* valgrind is slow even though gnuplot runs outside it: two figures there */
    unsigned want = ip_test_valgrind() ? IP_FIG_PLANE | IP_FIG_CURVES
                                       : IP_FIG_ALL & ~(unsigned)IP_FIG_ANIMATION;
    ip_plot_options o = opts(want);
    ip_plot_report rep;
    path_in(p, sizeof p, dir, "tanh_seed1", "");
    int rc = ip_plot_run(p, &o, &rep);
    if (rc) fail_msg("ip_plot_run: %s", ip_error_message());
    const char *figs[] = {"curves", "plane_logdet", "plane_layers_logdet", "mi_epochs_logdet", "layer_mi_logdet"};
    int n_figs = ip_test_valgrind() ? 2 : 5;
    for (int i = 0; i < n_figs; i++) {
        char f[256];
        snprintf(f, sizeof f, "figures/%s.png", figs[i]);
        path_in(p, sizeof p, dir, "tanh_seed1", f);
        assert_png(p, 900, 700);
        snprintf(f, sizeof f, "figures/%s.gp", figs[i]);
        path_in(p, sizeof p, dir, "tanh_seed1", f);
        assert_true(file_size(p) > 100);
        assert_file_contains(p, "set output outfile");
        snprintf(f, sizeof f, "figures/%s.dat", figs[i]);
        path_in(p, sizeof p, dir, "tanh_seed1", f);
        assert_true(file_size(p) > 100);
    }
    assert_int_equal(rep.n_made, n_figs + (ip_test_valgrind() ? 0 : 1));
    assert_int_equal(rep.n_skipped, 0);
    if (!ip_test_valgrind()) {
        path_in(p, sizeof p, dir, "tanh_seed1", "index.html");
        assert_file_contains(p, "figures/plane_logdet.png");
        assert_file_contains(p, "activation: tanh"); /* the config, verbatim */
        assert_file_contains(p, "layer5");           /* the analysis table */
    }
    /* units come from the CSV and end up on the axes */
    path_in(p, sizeof p, dir, "tanh_seed1", "figures/plane_logdet.gp");
    assert_file_contains(p, "I(X;T) [bits]");
    /* the plane's script re-renders the figure from its directory with plain gnuplot */
    path_in(p, sizeof p, dir, "tanh_seed1", "figures/plane_logdet.png");
    assert_int_equal(unlink(p), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s/tanh_seed1/figures' && gnuplot plane_logdet.gp 2>/dev/null", dir);
    assert_int_equal(system(cmd), 0);
    assert_png(p, 900, 700);
    assert_no_partial(dir);
    rm_tree(dir);
}

static void test_size_pdf_svg(void **state)
{
    (void)state;
    const char *fx[] = {"relu_seed1"};
    char *dir = scratch_with(fx, 1), run[512], p[1024];
    path_in(run, sizeof run, dir, "relu_seed1", "");
    ip_plot_options o = opts(IP_FIG_PLANE);
    o.width = 640, o.height = 480;
    int rc = ip_plot_run(run, &o, NULL);
    if (rc) fail_msg("png: %s", ip_error_message());
    path_in(p, sizeof p, dir, "relu_seed1", "figures/plane_logdet.png");
    assert_png(p, 640, 480);
    if (ip_test_valgrind()) {
        rm_tree(dir);
        return;
    }
    o.format = IP_PLOT_PDF;
    rc = ip_plot_run(run, &o, NULL);
    if (rc) fail_msg("pdf: %s", ip_error_message());
    path_in(p, sizeof p, dir, "relu_seed1", "figures/plane_logdet.pdf");
    long n = 0;
    unsigned char *b = slurp(p, &n);
    assert_non_null(b);
    assert_true(n > 1000 && !memcmp(b, "%PDF-", 5));
    assert_non_null(strstr((char *)b + n - 32, "%%EOF"));
    free(b);
    o.format = IP_PLOT_SVG;
    o.width = 900, o.height = 700;
    rc = ip_plot_run(run, &o, NULL);
    if (rc) fail_msg("svg: %s", ip_error_message());
    path_in(p, sizeof p, dir, "relu_seed1", "figures/plane_logdet.svg");
    assert_file_contains(p, "<svg");
    assert_file_contains(p, "width=\"900\" height=\"700\"");
    assert_file_contains(p, "</svg>");
    rm_tree(dir);
}

static void test_animation(void **state)
{
    (void)state;
    if (ip_test_valgrind()) skip(); /* the GIF is the slowest figure; covered by the other runs */
    const char *fx[] = {"tanh_seed2"};
    char *dir = scratch_with(fx, 1), run[512], p[1024];
    path_in(run, sizeof run, dir, "tanh_seed2", "");
    ip_plot_options o = opts(IP_FIG_ANIMATION);
    o.max_frames = 12; /* also keeps the test quick */
    int rc = ip_plot_run(run, &o, NULL);
    if (rc) fail_msg("%s", ip_error_message());
    path_in(p, sizeof p, dir, "tanh_seed2", "figures/plane_anim_logdet.gif");
    int w, h, frames = gif_frames(p, &w, &h);
    assert_int_equal(w, 900);
    assert_int_equal(h, 700);
    if (frames < 2 || frames > 12) fail_msg("%d frames, expected 2..12", frames);
    path_in(p, sizeof p, dir, "tanh_seed2", "figures/plane_anim_logdet.gp");
    assert_file_contains(p, "set terminal gif animate");
    rm_tree(dir);
}

static void test_missing_gnuplot(void **state)
{
    (void)state;
    const char *fx[] = {"one_epoch"};
    char *dir = scratch_with(fx, 1), run[512], p[1024];
    path_in(run, sizeof run, dir, "one_epoch", "");
    setenv("IP_GNUPLOT", "/nonexistent/gnuplot", 1);
    ip_plot_options o = opts(0);
    int rc = ip_plot_run(run, &o, NULL);
    unsetenv("IP_GNUPLOT");
    assert_int_not_equal(rc, IP_OK);
    if (!strstr(ip_error_message(), "gnuplot-nox") || !strstr(ip_error_message(), "not found"))
        fail_msg("message does not say what to install: %s", ip_error_message());
    path_in(p, sizeof p, dir, "one_epoch", "figures");
    assert_false(ip_test_is_dir(p)); /* nothing half-made */
    rm_tree(dir);
}

static void test_gnuplot_failure(void **state)
{
    (void)state;
    const char *fx[] = {"one_epoch"};
    char *dir = scratch_with(fx, 1), run[512], fake[600];
    path_in(run, sizeof run, dir, "one_epoch", "");
    /* a "gnuplot" that writes part of its output, complains and fails */
    snprintf(fake, sizeof fake, "%s/fake-gnuplot", dir);
    FILE *f = fopen(fake, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho 'partial' > curves.png.partial\necho 'line 7: unknown terminal type' >&2\nexit 1\n", f);
    fclose(f);
    chmod(fake, 0755);
    setenv("IP_GNUPLOT", fake, 1);
    ip_plot_options o = opts(IP_FIG_CURVES);
    int rc = ip_plot_run(run, &o, NULL);
    unsetenv("IP_GNUPLOT");
    assert_int_not_equal(rc, IP_OK);
    if (!strstr(ip_error_message(), "unknown terminal type") || !strstr(ip_error_message(), "exit status 1"))
        fail_msg("gnuplot's stderr is not in the message: %s", ip_error_message());
    char p[1024];
    path_in(p, sizeof p, dir, "one_epoch", "figures/curves.png");
    assert_true(file_size(p) < 0); /* no figure pretending to be complete */
    assert_no_partial(dir);
    rm_tree(dir);
}

static void test_without_analysis(void **state)
{
    (void)state;
    const char *fx[] = {"no_analysis"};
    char *dir = scratch_with(fx, 1), run[512], p[1024];
    path_in(run, sizeof run, dir, "no_analysis", "");
    ip_plot_options o = opts(ip_test_valgrind() ? IP_FIG_CURVES | IP_FIG_PLANE : 0);
    o.estimators = NULL; /* discover: there is nothing in analysis/ */
    ip_plot_report rep;
    int rc = ip_plot_run(run, &o, &rep);
    if (rc) fail_msg("%s", ip_error_message());
    path_in(p, sizeof p, dir, "no_analysis", "figures/curves.png");
    assert_png(p, 900, 700);
    path_in(p, sizeof p, dir, "no_analysis", "figures/plane_logdet.png");
    assert_true(file_size(p) < 0);
    assert_int_equal(rep.n_skipped, 1);
    if (!strstr(rep.skipped[0], "infoplane analyze") || !strstr(rep.skipped[0], "information plane"))
        fail_msg("the note does not say what was skipped and what to do: %s", rep.skipped[0]);
    /* asking by name for an estimator that was never run is refused, and nothing is written */
    path_in(p, sizeof p, dir, "no_analysis", "index.html");
    long before = file_size(p);
    o.estimators = "binning";
    o.figures = 0;
    assert_int_not_equal(ip_plot_run(run, &o, &rep), IP_OK);
    if (!strstr(ip_error_message(), "binning.csv") || !strstr(ip_error_message(), "infoplane analyze"))
        fail_msg("the message does not name the table and what to do: %s", ip_error_message());
    assert_int_equal(rep.n_made, 0);
    assert_true(file_size(p) == before);
    rm_tree(dir);
}

static void test_one_epoch(void **state)
{
    (void)state;
    const char *fx[] = {"one_epoch"};
    char *dir = scratch_with(fx, 1), run[512], p[1024];
    path_in(run, sizeof run, dir, "one_epoch", "");
    unsigned want = ip_test_valgrind() ? IP_FIG_PLANE | IP_FIG_ANIMATION
                                       : IP_FIG_PLANE | IP_FIG_PLANE_LAYERS | IP_FIG_MI_EPOCHS | IP_FIG_ANIMATION;
    ip_plot_options o = opts(want);
    ip_plot_report rep;
    int rc = ip_plot_run(run, &o, &rep);
    if (rc) fail_msg("%s", ip_error_message());
    path_in(p, sizeof p, dir, "one_epoch", "figures/plane_logdet.png");
    assert_png(p, 900, 700);
    if (!ip_test_valgrind()) {
        path_in(p, sizeof p, dir, "one_epoch", "figures/plane_layers_logdet.png");
        assert_png(p, 900, 700);
        path_in(p, sizeof p, dir, "one_epoch", "figures/mi_epochs_logdet.png");
        assert_png(p, 900, 700);
    }
    assert_int_equal(rep.n_skipped, 1); /* an animation of one frame is not made */
    assert_non_null(strstr(rep.skipped[0], "one recorded epoch"));
    rm_tree(dir);
}

static void test_bad_table(void **state)
{
    (void)state;
    const char *fx[] = {"one_epoch"};
    char *dir = scratch_with(fx, 1), run[512], p[1024];
    path_in(run, sizeof run, dir, "one_epoch", "");
    path_in(p, sizeof p, dir, "one_epoch", "analysis/logdet.csv");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\nlogdet,cov,100,0,layer1,1.5,0.5,bits\n"
          "logdet,cov,100,1,layer1,oops,0.5,bits\n", f);
    fclose(f);
    ip_plot_options o = opts(IP_FIG_PLANE);
    assert_int_not_equal(ip_plot_run(run, &o, NULL), IP_OK);
    if (!strstr(ip_error_message(), "logdet.csv: line 3") || !strstr(ip_error_message(), "i_xt"))
        fail_msg("the message does not name file, line and column: %s", ip_error_message());
    path_in(p, sizeof p, dir, "one_epoch", "figures/plane_logdet.png");
    assert_true(file_size(p) < 0);
    rm_tree(dir);
}

/* index.html shows analysis/compression.csv as a table, which discovering the estimators skips
 * (it is no estimator table); without it, a note says how to get one. */
static void test_compression_html(void **state)
{
    (void)state;
    const char *fx[] = {"one_epoch"};
    char *dir = scratch_with(fx, 1), run[512], p[1024];
    path_in(run, sizeof run, dir, "one_epoch", "");
    path_in(p, sizeof p, dir, "one_epoch", "analysis/compression.csv");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("estimator,mode,beta,layer,ixt_peak_epoch,ixt_peak,ixt_final,ixt_drop,ity_peak_epoch,ity_peak,ity_final,"
          "ity_drop,unit\n"
          "logdet,cov,78400,layer1,50,21.0388828373,17.1203645598,0.18625125239790918,940,0.7045,0.7001,"
          "0.0062230022687643407,bits\n"
          "logdet,cov,78400,layer2,35,11.898922504,11.6,0.025,980,0.73,0.72,0.01,bits\n",
          f);
    fclose(f);
    ip_plot_options o = opts(IP_FIG_HTML);
    o.estimators = NULL;
    int rc = ip_plot_run(run, &o, NULL);
    if (rc) fail_msg("%s", ip_error_message());
    path_in(p, sizeof p, dir, "one_epoch", "index.html");
    char *html = (char *)slurp(p, NULL);
    assert_non_null(html);
    const char *want[] = {"<h3 id=\"compression\">", "href=\"analysis/compression.csv\"",
                          "<td class=\"l\">LogDet (cov, β = 78400)</td><td class=\"l\">layer1</td><td>21.04 (50)</td>"
                          "<td>17.12</td><td>18.6 %</td><td class=\"l\">compressed</td><td>0.7045 (940)</td>",
                          "<td class=\"l\">layer2</td><td>11.9 (35)</td><td>11.6</td><td>2.5 %</td><td class=\"l\"></td>",
                          "more than 5 % of its"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(html, want[i])) fail_msg("index.html lacks %s", want[i]);
    assert_null(strstr(html, "LogDet (compression")); /* not taken for an estimator */
    free(html);
    path_in(p, sizeof p, dir, "one_epoch", "analysis/compression.csv");
    unlink(p);
    if (ip_plot_run(run, &o, NULL)) fail_msg("%s", ip_error_message());
    path_in(p, sizeof p, dir, "one_epoch", "index.html");
    html = (char *)slurp(p, NULL);
    if (!strstr(html, "No compression summary")) fail_msg("index.html lacks the note on a missing compression.csv");
    free(html);
    rm_tree(dir);
}

static void test_compare(void **state)
{
    (void)state;
    const char *fx[] = {"tanh_seed1", "tanh_seed2", "tanh_seed3", "relu_seed1"};
    char *dir = scratch_with(fx, 4), runs[4][512], p[1024];
    const char *rp[4];
    for (int i = 0; i < 4; i++) path_in(runs[i], sizeof runs[i], dir, fx[i], ""), rp[i] = runs[i];
    unsigned want = ip_test_valgrind() ? IP_FIG_PLANE : IP_FIG_ALL;
    ip_plot_options o = opts(want);

    /* three seeds of one config: one group, mean with a spread (the caller groups and names) */
    const int one_group[] = {0, 0, 0};
    const char *seeds_label[] = {"seeds 1, 2, 3"};
    ip_plot_groups g = {1, one_group, seeds_label};
    int rc = ip_plot_compare(3, rp, &g, &o, NULL);
    if (rc) fail_msg("seeds: %s", ip_error_message());
    snprintf(p, sizeof p, "%s/compare/compare_plane_logdet.png", dir);
    assert_png(p, 900, 700);
    snprintf(p, sizeof p, "%s/compare/compare_plane_logdet.gp", dir);
    assert_file_contains(p, "seeds 1, 2, 3");
    assert_file_contains(p, "xyerrorbars");
    assert_file_contains(p, "standard deviation");
    if (!ip_test_valgrind()) {
        snprintf(p, sizeof p, "%s/compare/compare_mi_epochs_logdet.png", dir);
        assert_png(p, 900, 700);
        snprintf(p, sizeof p, "%s/compare/compare_curves.png", dir);
        assert_png(p, 900, 700);
        snprintf(p, sizeof p, "%s/compare/index.html", dir);
        assert_file_contains(p, "compare_plane_logdet.png");
    }
    /* a spread that is really there: the std columns of the data are not all zero */
    snprintf(p, sizeof p, "%s/compare/compare_plane_logdet.dat", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[512];
    double max_sd = 0;
    while (fgets(line, sizeof line, f)) {
        double e, c, mx, my, sx, sy;
        if (line[0] != '#' && sscanf(line, "%lf %lf %lf %lf %lf %lf", &e, &c, &mx, &my, &sx, &sy) == 6)
            max_sd = fmax(max_sd, fmax(sx, sy));
    }
    fclose(f);
    assert_true(max_sd > 0.1);

    /* tanh seeds and a relu run: two groups side by side, named by what differs */
    char out[600];
    snprintf(out, sizeof out, "%s/tanh-vs-relu", dir);
    o.out_dir = out;
    const int two_groups[] = {0, 0, 0, 1};
    const char *labels[] = {"activation: tanh (seeds 1, 2, 3)", "activation: relu"};
    g = (ip_plot_groups){2, two_groups, labels};
    rc = ip_plot_compare(4, rp, &g, &o, NULL);
    if (rc) fail_msg("groups: %s", ip_error_message());
    snprintf(p, sizeof p, "%s/compare_plane_logdet.png", out);
    assert_png(p, 900, 700);
    snprintf(p, sizeof p, "%s/compare_plane_logdet.gp", out);
    assert_file_contains(p, "activation: relu");
    assert_file_contains(p, "activation: tanh (seeds 1, 2, 3)");
    assert_file_contains(p, "multiplot layout 1,2");

    /* without a grouping every run is its own group, named by its directory */
    snprintf(out, sizeof out, "%s/each", dir);
    o.figures = IP_FIG_PLANE;
    rc = ip_plot_compare(2, rp + 2, NULL, &o, NULL);
    if (rc) fail_msg("no grouping: %s", ip_error_message());
    snprintf(p, sizeof p, "%s/compare_plane_logdet.gp", out);
    assert_file_contains(p, "tanh_seed3");
    assert_file_contains(p, "relu_seed1");
    assert_file_contains(p, "multiplot layout 1,2");
    /* a grouping that does not fit the runs is refused */
    const int empty_group[] = {0, 0, 0, 0};
    g = (ip_plot_groups){2, empty_group, labels};
    assert_int_not_equal(ip_plot_compare(4, rp, &g, &o, NULL), IP_OK);
    assert_non_null(strstr(ip_error_message(), "group 1 has no run"));
    const int out_of_range[] = {0, 0, 0, 2};
    g = (ip_plot_groups){2, out_of_range, labels};
    assert_int_not_equal(ip_plot_compare(4, rp, &g, &o, NULL), IP_OK);
    assert_no_partial(dir);
    rm_tree(dir);
}

static void test_not_a_run(void **state)
{
    (void)state;
    ip_plot_options o = opts(0);
    assert_int_not_equal(ip_plot_run("/nonexistent/run", &o, NULL), IP_OK);
    assert_non_null(strstr(ip_error_message(), "not a run directory"));
    assert_int_not_equal(ip_plot_run("tests/fixtures", &o, NULL), IP_OK); /* a directory without tables */
    assert_non_null(strstr(ip_error_message(), "no result tables"));
    const char *one[] = {"tests/fixtures/tanh_seed1"};
    assert_int_not_equal(ip_plot_compare(1, one, NULL, &o, NULL), IP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),          cmocka_unit_test(test_png_figures),
        cmocka_unit_test(test_size_pdf_svg),    cmocka_unit_test(test_animation),
        cmocka_unit_test(test_missing_gnuplot), cmocka_unit_test(test_gnuplot_failure),
        cmocka_unit_test(test_without_analysis), cmocka_unit_test(test_one_epoch),
        cmocka_unit_test(test_bad_table),       cmocka_unit_test(test_compression_html),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_not_a_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
