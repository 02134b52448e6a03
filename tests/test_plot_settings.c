/* Tests of the figures over several settings and estimators: a run whose analysis/ holds
 * logdet.csv (one setting), binning.csv (a sweep over 10, 30 and 100 bins) and kde.csv (upper and
 * lower bound at two noise levels) gets plane_binning with three panels, plane_kde with two panels
 * each with a dashed lower bound, planes_estimators with three panels and a page that opens with
 * it. A table with one setting plots byte for byte as before (tests/fixtures/plot_ref/); a
 * malformed setting is an error naming file and line; the setting labels of every estimator. */
#include "testutil.h"
#include "test_plot_util.h"

#include "core/status.h"
#include "plot/plot.h"
#include "plot/plot_internal.h"

#define N_LAYERS 3
#define N_EPOCHS 8
#define HEADER "estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\n"

/* Rows of one setting: every layer at epochs 0..N_EPOCHS-1, values that move with the epoch and
 * differ between settings (scale). */
static void rows(FILE *f, const char *est, const char *mode, const char *beta, double scale, const char *unit)
{
    for (int e = 0; e < N_EPOCHS; e++)
        for (int l = 0; l < N_LAYERS; l++)
            fprintf(f, "%s,%s,%s,%d,layer%d,%.6f,%.6f,%s\n", est, mode, beta, e, l + 1,
                    scale * (3.0 - l + 0.5 * sin(0.7 * e)), 0.2 + 0.1 * e - 0.05 * l, unit);
}

static FILE *open_in(const char *run, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/analysis/%s", run, name);
    FILE *f = fopen(p, "w");
    if (!f) fail_msg("cannot write %s", p);
    fputs(HEADER, f);
    return f;
}

/* DIR/sweep with analysis/logdet.csv, binning.csv (3 settings) and kde.csv (2 x 2). */
static char *sweep_run(char *run, size_t cap)
{
    char *dir = scratch_with(NULL, 0);
    snprintf(run, cap, "%s/sweep", dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/analysis'", run);
    assert_int_equal(system(cmd), 0);
    FILE *f = open_in(run, "logdet.csv");
    rows(f, "logdet", "cov", "100", 10, "bits");
    fclose(f);
    f = open_in(run, "binning.csv");
    rows(f, "binning", "layer", "10", 1, "bits");
    rows(f, "binning", "layer", "30", 1.5, "bits");
    rows(f, "binning", "layer", "100", 2, "bits");
    fclose(f);
    f = open_in(run, "kde.csv");
    rows(f, "kde", "upper", "0.1", 1, "bits");
    rows(f, "kde", "lower", "0.1", 0.8, "bits");
    rows(f, "kde", "upper", "0.01", 2, "bits");
    rows(f, "kde", "lower", "0.01", 1.6, "bits");
    fclose(f);
    return dir;
}

/* Occurrences of needle in the file. */
static int count_in(const char *path, const char *needle)
{
    unsigned char *b = slurp(path, NULL);
    if (!b) fail_msg("%s: missing", path);
    int n = 0;
    for (const char *s = strstr((char *)b, needle); s; s = strstr(s + 1, needle)) n++;
    free(b);
    return n;
}

/* Data rows (not comments, not blank) of a .dat file. */
static int data_rows(const char *path)
{
    unsigned char *b = slurp(path, NULL);
    if (!b) fail_msg("%s: missing", path);
    int n = 0;
    for (char *line = strtok((char *)b, "\n"); line; line = strtok(NULL, "\n")) n += line[0] != '#';
    free(b);
    return n;
}

static void fig(char *out, size_t cap, const char *run, const char *file)
{
    snprintf(out, cap, "%s/figures/%s", run, file);
}

static void test_sweep_figures(void **state)
{
    (void)state;
    char run[512], p[1024];
    char *dir = sweep_run(run, sizeof run);
    ip_plot_options o;
    ip_plot_options_default(&o);
    o.figures = IP_FIG_PLANE | IP_FIG_PLANES_ESTIMATORS | IP_FIG_HTML;
    ip_plot_report rep;
    int rc = ip_plot_run(run, &o, &rep);
    if (rc) fail_msg("ip_plot_run: %s", ip_error_message());
    /* made: planes_estimators (first), plane_logdet, plane_binning, plane_kde, index.html */
    assert_int_equal(rep.n_made, 5);
    assert_non_null(strstr(rep.made[0], "planes_estimators.png"));
    for (int i = 0; i < rep.n_skipped; i++) /* only the missing metrics.csv: no "first only" note */
        if (!strstr(rep.skipped[i], "metrics.csv")) fail_msg("unexpected note: %s", rep.skipped[i]);

    /* plane_binning: three panels in a row, one per bin count, titled by the setting */
    fig(p, sizeof p, run, "plane_binning.png");
    assert_png(p, 900, 700);
    fig(p, sizeof p, run, "plane_binning.gp");
    assert_file_contains(p, "set multiplot layout 1,3 ");
    assert_int_equal(count_in(p, "\nplot \\\n"), 3); /* the panels (the key is a last, empty plot) */
    assert_int_equal(count_in(p, "\nplot NaN notitle"), 1);
    assert_file_contains(p, "set title '10 bins (range per layer)'");
    assert_file_contains(p, "set title '30 bins (range per layer)'");
    assert_file_contains(p, "set title '100 bins (range per layer)'");
    assert_int_equal(count_in(p, "dt 2"), 0); /* no bounds: nothing dashed */
    fig(p, sizeof p, run, "plane_binning.dat");
    assert_int_equal(data_rows(p), 3 * N_LAYERS * N_EPOCHS);
    assert_int_equal(count_in(p, "# panel 1 (10 bins"), N_LAYERS);
    assert_int_equal(count_in(p, "# panel 2 (30 bins"), N_LAYERS);
    assert_int_equal(count_in(p, "# panel 3 (100 bins"), N_LAYERS);

    /* plane_kde: a panel per noise level, each with the upper bound solid and the lower dashed */
    fig(p, sizeof p, run, "plane_kde.gp");
    assert_file_contains(p, "set multiplot layout 1,2 ");
    assert_int_equal(count_in(p, "\nplot \\\n"), 2);
    assert_file_contains(p, "set title 's² = 0.1: upper and lower bound'");
    assert_file_contains(p, "set title 's² = 0.01: upper and lower bound'");
    assert_int_equal(count_in(p, "with lines lc rgb \"#707070\" lw 1 dt 2 notitle"), 2 * N_LAYERS);
    assert_int_equal(count_in(p, "with lines lc rgb \"#b4b4b4\" lw 1 dt 1 notitle"), 2 * N_LAYERS);
    assert_file_contains(p, "title \"lower bound\"");
    fig(p, sizeof p, run, "plane_kde.dat");
    assert_int_equal(data_rows(p), 4 * N_LAYERS * N_EPOCHS);
    assert_int_equal(count_in(p, ", lower bound; layer"), 2 * N_LAYERS);
    fig(p, sizeof p, run, "plane_kde.png");
    assert_png(p, 900, 700);

    /* planes_estimators: one panel per estimator, each its own scale, titled estimator + setting */
    fig(p, sizeof p, run, "planes_estimators.gp");
    assert_file_contains(p, "set multiplot layout 1,3 ");
    assert_int_equal(count_in(p, "\nplot \\\n"), 3);
    assert_file_contains(p, "set title 'LogDet'.\"\\n\".'cov, β = 100'");
    assert_file_contains(p, "set title 'binning'.\"\\n\".'10 bins (range per layer)'");
    assert_file_contains(p, "set title 'KDE'.\"\\n\".'s² = 0.1, upper and lower bound'");
    assert_int_equal(count_in(p, "dt 2 notitle"), N_LAYERS); /* KDE's lower bound only */
    assert_int_equal(count_in(p, "set xrange"), 3 + 1);     /* own ranges (+ the key plot) */
    fig(p, sizeof p, run, "planes_estimators.dat");
    assert_int_equal(data_rows(p), 4 * N_LAYERS * N_EPOCHS); /* logdet, binning, kde upper + lower */
    fig(p, sizeof p, run, "planes_estimators.png");
    assert_png(p, 900, 700);

    /* the page opens with the estimators side by side */
    snprintf(p, sizeof p, "%s/index.html", run);
    unsigned char *html = slurp(p, NULL);
    assert_non_null(html);
    char *side = strstr((char *)html, "figures/planes_estimators.png"), *one = strstr((char *)html, "figures/plane_logdet.png");
    assert_non_null(side);
    assert_non_null(one);
    assert_true(side < one);
    assert_non_null(strstr((char *)html, "figures/plane_binning.png"));
    assert_non_null(strstr((char *)html, "figures/plane_kde.png"));
    assert_non_null(strstr((char *)html, "The table holds 3 settings"));
    free(html);

    /* every script re-renders with plain gnuplot in its directory */
    if (!ip_test_valgrind()) {
        fig(p, sizeof p, run, "plane_kde.png");
        assert_int_equal(unlink(p), 0);
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "cd '%s/figures' && gnuplot plane_kde.gp 2>/dev/null", run);
        assert_int_equal(system(cmd), 0);
        assert_png(p, 900, 700);
    }

    /* the figures of one setting say which they show, only when there are several */
    o.figures = IP_FIG_MI_EPOCHS;
    o.estimators = "logdet,binning";
    rc = ip_plot_run(run, &o, &rep);
    if (rc) fail_msg("ip_plot_run: %s", ip_error_message());
    int noted = 0;
    for (int i = 0; i < rep.n_skipped; i++) {
        if (strstr(rep.skipped[i], "logdet")) fail_msg("a note on a single-setting table: %s", rep.skipped[i]);
        noted += strstr(rep.skipped[i], "binning: 3 settings") &&
                 strstr(rep.skipped[i], "mi_epochs_binning shows the first (10 bins (range per layer)) only");
    }
    assert_int_equal(noted, 1);
    rm_tree(dir);
}

/* More settings than panels: the first nine, 3 x 3, and a note. */
static void test_many_settings(void **state)
{
    (void)state;
    char run[512], p[1024], beta[16];
    char *dir = sweep_run(run, sizeof run);
    FILE *f = open_in(run, "binning.csv");
    for (int s = 0; s < 11; s++) {
        snprintf(beta, sizeof beta, "%d", 10 + 10 * s);
        rows(f, "binning", "unit", beta, 1 + 0.1 * s, "bits");
    }
    fclose(f);
    ip_plot_options o;
    ip_plot_options_default(&o);
    o.estimators = "binning";
    o.figures = IP_FIG_PLANE;
    ip_plot_report rep;
    int rc = ip_plot_run(run, &o, &rep);
    if (rc) fail_msg("ip_plot_run: %s", ip_error_message());
    fig(p, sizeof p, run, "plane_binning.gp");
    assert_file_contains(p, "set multiplot layout 3,3 ");
    assert_int_equal(count_in(p, "\nplot \\\n"), 9);
    assert_file_contains(p, "set title '90 bins (range per unit)'");
    assert_int_equal(count_in(p, "set title '100 bins"), 0);
    int noted = 0;
    for (int i = 0; i < rep.n_skipped; i++) noted += strstr(rep.skipped[i], "11 panels") && strstr(rep.skipped[i], "first 9");
    assert_int_equal(noted, 1);
    rm_tree(dir);
}

/* One setting per table: the scripts and data of before, byte for byte. */
static void test_single_setting_unchanged(void **state)
{
    (void)state;
    const char *fx[] = {"tanh_seed1"};
    char *dir = scratch_with(fx, 1), run[512], p[1024], ref[512];
    snprintf(run, sizeof run, "%s/tanh_seed1", dir);
    ip_plot_options o;
    ip_plot_options_default(&o);
    o.figures = IP_FIG_PLANE | IP_FIG_MI_EPOCHS;
    ip_plot_report rep;
    int rc = ip_plot_run(run, &o, &rep);
    if (rc) fail_msg("ip_plot_run: %s", ip_error_message());
    const char *files[] = {"plane_logdet.gp", "plane_logdet.dat", "plane_binning.gp", "plane_binning.dat",
                           "mi_epochs_logdet.gp"};
    for (int i = 0; i < 5; i++) {
        long na = 0, nb = 0;
        fig(p, sizeof p, run, files[i]);
        snprintf(ref, sizeof ref, "tests/fixtures/plot_ref/%s", files[i]);
        unsigned char *a = slurp(p, &na), *b = slurp(ref, &nb);
        if (!a || !b) fail_msg("missing %s or %s", p, ref);
        if (na != nb || memcmp(a, b, (size_t)na)) fail_msg("%s differs from %s", p, ref);
        free(a);
        free(b);
    }
    rm_tree(dir);
}

/* A unit that changes within a later setting is still an error naming file and line. */
static void test_bad_setting(void **state)
{
    (void)state;
    char run[512], p[1024];
    char *dir = sweep_run(run, sizeof run);
    FILE *f = open_in(run, "binning.csv");
    rows(f, "binning", "layer", "10", 1, "bits");
    rows(f, "binning", "layer", "30", 1, "bits");
    fputs("binning,layer,30,99,layer1,1.0,0.5,nats\n", f); /* line 2 + 48 = 50 */
    fclose(f);
    ip_plot_options o;
    ip_plot_options_default(&o);
    o.figures = IP_FIG_PLANE;
    assert_int_not_equal(ip_plot_run(run, &o, NULL), IP_OK);
    const char *msg = ip_error_message();
    if (!strstr(msg, "binning.csv: line 50") || !strstr(msg, "unit 'nats'"))
        fail_msg("the message does not name file, line and unit: %s", msg);
    fig(p, sizeof p, run, "plane_binning.png");
    assert_true(file_size(p) < 0);
    fig(p, sizeof p, run, "planes_estimators.png");
    assert_true(file_size(p) < 0); /* tables are read before any figure is drawn */
    rm_tree(dir);
}

static void label_is(const char *est, const char *mode, double beta, const char *want)
{
    plot_mi m;
    memset(&m, 0, sizeof m);
    snprintf(m.estimator, sizeof m.estimator, "%s", est);
    snprintf(m.mode, sizeof m.mode, "%s", mode);
    m.beta = beta;
    char got[256];
    plot_setting_label(got, sizeof got, &m);
    if (strcmp(got, want)) fail_msg("%s (%s, %g): label '%s', expected '%s'", est, mode, beta, got, want);
}

static void test_labels_and_reader(void **state)
{
    (void)state;
    label_is("logdet", "cov", 78400, "cov, β = 78400");
    label_is("logdet", "pearson", 0, "pearson");
    label_is("binning", "layer", 30, "30 bins (range per layer)");
    label_is("binning", "unit", 1, "1 bin (range per unit)");
    label_is("binning", "fixed[-1:1]", 30, "30 bins on [-1:1]");
    label_is("binning", "width", 0.07, "bin width 0.07");
    label_is("binning", "fixed30", 0, "fixed30"); /* the tables of before the sweep */
    label_is("kde", "upper", 0.1, "upper bound, s² = 0.1");
    label_is("kde", "lower", 0.01, "lower bound, s² = 0.01");
    label_is("renyi", "alpha=1.01", 2, "α = 1.01, σ = 2");
    label_is("renyi", "alpha=1.01", 0, "α = 1.01, σ by rule");
    label_is("renyi", "alpha=x", 2, "alpha=x, β = 2");
    label_is("ksg", "ksg1", 3, "k = 3");
    label_is("newest", "fancy", 5, "fancy, β = 5");
    label_is("newest", "", 5, "");

    char run[512], p[1024];
    char *dir = sweep_run(run, sizeof run);
    snprintf(p, sizeof p, "%s/analysis/kde.csv", run);
    plot_mi *all = NULL;
    int n = 0;
    assert_int_equal(plot_mi_read_all(p, &all, &n), IP_OK);
    assert_int_equal(n, 4);
    const char *modes[] = {"upper", "lower", "upper", "lower"};
    const double betas[] = {0.1, 0.1, 0.01, 0.01};
    for (int i = 0; i < n; i++) {
        assert_string_equal(all[i].mode, modes[i]);
        assert_true(all[i].beta == betas[i]);
        assert_int_equal(all[i].n_layers, N_LAYERS);
        assert_int_equal(all[i].n_epochs, N_EPOCHS);
        assert_int_equal(all[i].n_variants, 4);
    }
    assert_true(all[1].i_xt[0] < all[0].i_xt[0]); /* the lower bound's own values */
    plot_mi_free_all(all, n);
    plot_mi first; /* the one-setting reader still reads the first */
    assert_int_equal(plot_mi_read(p, &first), IP_OK);
    assert_string_equal(first.mode, "upper");
    assert_int_equal(first.n_variants, 4);
    plot_mi_free(&first);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_and_reader), cmocka_unit_test(test_sweep_figures),
        cmocka_unit_test(test_many_settings),     cmocka_unit_test(test_single_setting_unchanged),
        cmocka_unit_test(test_bad_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
