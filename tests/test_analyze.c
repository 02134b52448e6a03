/* Tests for `infoplane analyze` on a small run file written through record/run.h: the CSV files
 * and the run-file tables hold, for every recorded epoch and layer, the library's direct values,
 * for LogDet and for every other estimator (the run-level planes, which cache the input side,
 * agree with the plain calls); a parameter sweep is one command; other settings' rows survive a
 * second analysis; bad options fail; the compression summary (analysis/compression.csv, the
 * /analysis/GROUP/compression tables, `info`) agrees with the NAME.csv rows it summarizes.
 * Also `entropy FILE.h5:/dataset` and its errors (the HDF5 side of DATA). */
#include "testutil.h"

#include <libgen.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "core/csv.h"
#include "core/rng.h"
#include "core/status.h"
#include "estimate/estimator.h"
#include "record/run.h"

enum { M = 120, DX = 30, K = 3, L = 3, EPOCHS = 3 };
static const int units[L] = {40, 6, 4};
static char bin[1024], dir[] = "/tmp/ip_test_logdet_analyze_XXXXXX", run_path[1200];
static char out_text[1 << 16], err_text[1 << 16];
static float xf[M * DX], act[EPOCHS][L][M * 40];
static int y[M];

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(buf, 1, n - 1, f) : 0;
    buf[got] = '\0';
    if (f) fclose(f);
}

static int run(const char *args)
{
    char cmd[4096], po[1100], pe[1100];
    snprintf(po, sizeof po, "%s/stdout", dir);
    snprintf(pe, sizeof pe, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "cd %s && %s %s >stdout 2>stderr", dir, bin, args);
    int st = system(cmd);
    slurp(po, out_text, sizeof out_text);
    slurp(pe, err_text, sizeof err_text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* A run: inputs with a constant pixel, three recorded epochs of tanh/relu layers with a dead unit. */
static int setup(void **state)
{
    (void)state;
    if (!realpath("/proc/self/exe", bin)) return -1;
    char *d = dirname(dirname(bin));
    memmove(bin, d, strlen(d) + 1);
    strcat(bin, "/infoplane");
    if (access(bin, X_OK) != 0 || !mkdtemp(dir)) return -1;
    snprintf(run_path, sizeof run_path, "%s/run.h5", dir);
    ip_rng r;
    ip_rng_seed(&r, 41);
    for (int i = 0; i < M; i++) {
        y[i] = (int)ip_rng_below(&r, K);
        for (int j = 0; j < DX; j++) xf[i * DX + j] = j == 3 ? 0.5f : (float)(ip_rng_uniform(&r) + 0.2 * y[i] * (j < 5));
    }
    for (int e = 0; e < EPOCHS; e++) {
        const float *prev = xf;
        int dp = DX;
        for (int l = 0; l < L; l++) {
            for (int i = 0; i < M; i++)
                for (int j = 0; j < units[l]; j++) {
                    double s = 0;
                    for (int q = 0; q < dp; q++) s += prev[i * dp + q] * (((q * 7 + j * 3 + e) % 11) - 5.0) / dp;
                    act[e][l][i * units[l] + j] = (float)(j == 0 ? 0.0 : l == 1 ? fmax(s, 0) : tanh(s));
                }
            prev = act[e][l];
            dp = units[l];
        }
    }
    const ip_run_provenance prov = {.summary = "test data, no config"};
    char names[L][IP_LAYER_NAME_LEN] = {"dense1", "dense2", "logits"};
    ip_run *run = NULL;
    if (ip_run_create(&run, run_path, &prov, L, (const char(*)[IP_LAYER_NAME_LEN])names, units, M, DX, xf, y, K,
                      "test data", 1) != IP_OK) {
        fprintf(stderr, "create: %s\n", ip_error_message());
        return -1;
    }
    float params[4] = {0};
    uint64_t rs[4] = {1, 2, 3, 4};
    for (int e = 0; e < EPOCHS; e++) {
        const float *acts[L] = {act[e][0], act[e][1], act[e][2]};
        ip_epoch_metrics mt = {e, 1, 0.5, 1, 0.5, 0.1};
        if (ip_run_append_activations(run, e * 5, acts) != IP_OK) return -1;
        mt.epoch = e * 5;
        if (ip_run_append_epoch(run, &mt, params, 4, NULL, NULL, 0, 0, rs) != IP_OK) {
            fprintf(stderr, "append: %s\n", ip_error_message());
            return -1;
        }
    }
    return ip_run_close(run) == IP_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The direct values for epoch e, layer l (nats). */
static void direct(int e, int l, ip_logdet_mode mode, double beta, double *ixt, double *ity)
{
    double *x = malloc(sizeof(double) * M * DX), *t = malloc(sizeof(double) * M * units[l]);
    for (int i = 0; i < M * DX; i++) x[i] = xf[i];
    for (int i = 0; i < M * units[l]; i++) t[i] = act[e][l][i];
    assert_int_equal(ip_logdet_mi(x, M, DX, DX, t, units[l], units[l], mode, beta, ixt, NULL), IP_OK);
    assert_int_equal(ip_logdet_mi_labels(t, M, units[l], units[l], y, K, mode, beta, ity, NULL), IP_OK);
    free(x);
    free(t);
}

/* Parse analysis/logdet.csv rows of (mode, beta) and compare every value. Returns rows seen. */
static int check_csv(const char *mode, const char *beta_s, double beta, double unit, const char *uname)
{
    char path[1300], *text = malloc(1 << 20);
    snprintf(path, sizeof path, "%s/analysis/logdet.csv", dir);
    slurp(path, text, 1 << 20);
    static const char header[] = "estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\n";
    if (strncmp(text, header, strlen(header)) != 0) fail_msg("%s: bad header: %.60s", path, text);
    int n = 0;
    for (char *line = strtok(text + strlen(header), "\n"); line; line = strtok(NULL, "\n")) {
        char est[32], md[32], bs[64], un[16];
        int epoch, layer;
        double ixt, ity;
        if (sscanf(line, "%31[^,],%31[^,],%63[^,],%d,%d,%lf,%lf,%15s", est, md, bs, &epoch, &layer, &ixt, &ity, un) != 8)
            fail_msg("bad CSV row '%s'", line);
        if (strcmp(md, mode) || strcmp(bs, beta_s)) continue;
        assert_string_equal(est, "logdet");
        assert_string_equal(un, uname);
        assert_true(epoch % 5 == 0 && layer >= 1 && layer <= L);
        double wx, wy;
        direct(epoch / 5, layer - 1, !strcmp(mode, "cov") ? IP_MODE_COV : IP_MODE_PEARSON, beta, &wx, &wy);
        assert_close(ixt, wx * unit, 1e-9, 1e-9);
        assert_close(ity, wy * unit, 1e-9, 1e-9);
        n++;
    }
    free(text);
    return n;
}

static void test_analyze_default_settings(void **state)
{
    (void)state;
    if (run("analyze run.h5 --beta auto") != 0) fail_msg("analyze failed: %s", err_text);
    assert_non_null(strstr(out_text, "logdet_cov_beta3000"));
    /* Default beta 100 * d_X = 3000, bits. */
    assert_int_equal(check_csv("cov", "3000", 3000, 1 / log(2.0), "bits"), EPOCHS * L);
    /* The run-file table agrees with the CSV. */
    ip_run *r = NULL;
    assert_int_equal(ip_run_open_read(&r, run_path, 0), IP_OK);
    int rows, cols;
    double *data;
    char **names;
    assert_int_equal(ip_run_read_table(r, "logdet_cov_beta3000/layers", &rows, &cols, &data, &names), IP_OK);
    assert_int_equal(rows, EPOCHS * L);
    assert_int_equal(cols, 5);
    assert_string_equal(names[2], "i_xt");
    for (int i = 0; i < rows; i++) {
        double wx, wy;
        direct((int)data[i * 5] / 5, (int)data[i * 5 + 1] - 1, IP_MODE_COV, 3000, &wx, &wy);
        assert_close(data[i * 5 + 2], wx / log(2.0), 1e-10, 1e-12);
        assert_close(data[i * 5 + 3], wy / log(2.0), 1e-10, 1e-12);
    }
    char *unit = NULL;
    assert_int_equal(ip_run_read_table_attr(r, "logdet_cov_beta3000/layers", "unit", &unit), IP_OK);
    assert_string_equal(unit, "bits");
    free(unit);
    free(data);
    ip_run_strings_free(names, cols);
    /* Layer pairs at the paper's beta 100 * (d_l + d_l+1). */
    assert_int_equal(ip_run_read_table(r, "logdet_cov_beta3000/pairs", &rows, &cols, &data, &names), IP_OK);
    assert_int_equal(rows, EPOCHS * (L - 1));
    for (int i = 0; i < rows; i++) {
        int e = (int)data[i * 4] / 5, l = (int)data[i * 4 + 1] - 1;
        double *a = malloc(sizeof(double) * M * units[l]), *b = malloc(sizeof(double) * M * units[l + 1]), v;
        for (int q = 0; q < M * units[l]; q++) a[q] = act[e][l][q];
        for (int q = 0; q < M * units[l + 1]; q++) b[q] = act[e][l + 1][q];
        assert_close(data[i * 4 + 3], 100.0 * (units[l] + units[l + 1]), 0, 0);
        assert_int_equal(ip_logdet_mi(a, M, units[l], units[l], b, units[l + 1], units[l + 1], IP_MODE_COV,
                                      data[i * 4 + 3], &v, NULL),
                         IP_OK);
        assert_close(data[i * 4 + 2], v / log(2.0), 1e-10, 1e-12);
        free(a);
        free(b);
    }
    free(data);
    ip_run_strings_free(names, cols);
    assert_int_equal(ip_run_close(r), IP_OK);
    char p[1300];
    snprintf(p, sizeof p, "%s/analysis/logdet_layers.csv", dir);
    assert_true(access(p, R_OK) == 0);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "ls '%s/analysis' | grep -q tmp", dir);
    assert_true(system(cmd) != 0); /* no temporary (NAME.tmp.PID) left behind */
}

/* A second analysis with other settings adds its rows and keeps the first one's. */
static void test_analyze_other_settings_kept(void **state)
{
    (void)state;
    if (run("analyze run.h5 --mode pearson --beta 77 --units nats --estimator logdet") != 0)
        fail_msg("analyze failed: %s", err_text);
    assert_int_equal(check_csv("pearson", "77", 77, 1, "nats"), EPOCHS * L);
    assert_int_equal(check_csv("cov", "3000", 3000, 1 / log(2.0), "bits"), EPOCHS * L);
    if (run("analyze run.h5 --mode pearson --beta 77 --units nats --quiet") != 0)
        fail_msg("analyze failed: %s", err_text);
    assert_string_equal(err_text, ""); /* --quiet: no progress */
    assert_int_equal(check_csv("pearson", "77", 77, 1, "nats"), EPOCHS * L); /* replaced, not duplicated */
}


/* ---- the other estimators ---- */

static double *layer_d(int e, int l)
{
    double *t = malloc(sizeof(double) * M * units[l]);
    for (int i = 0; i < M * units[l]; i++) t[i] = act[e][l][i];
    return t;
}

/* The plain library values of one setting for epoch e, layer l; KDE: setting `lower` picks the bound. */
static void direct_any(const ip_estimator *est, int lower, int e, int l, double *ixt, double *ity)
{
    double *x = malloc(sizeof(double) * M * DX), *t = layer_d(e, l);
    for (int i = 0; i < M * DX; i++) x[i] = xf[i];
    ip_estimator s = *est;
    int d = units[l];
    switch (s.kind) {
    case IP_EST_BINNING: /* I(X;T) = H(T) */
        assert_int_equal(ip_binning_entropy(t, M, d, d, &s.binning, ixt, NULL, NULL), IP_OK);
        break;
    case IP_EST_KDE: /* I(X;T) = H(T+N) - H(N) */
        s.kde.bound = lower ? IP_KDE_LOWER : IP_KDE_UPPER;
        assert_int_equal(ip_kde_entropy(t, M, d, d, &s.kde, ixt), IP_OK);
        *ixt -= ip_kde_noise_entropy(d, s.kde.noise);
        break;
    default: assert_int_equal(ip_estimator_mi(&s, x, M, DX, DX, t, d, d, ixt, NULL), IP_OK);
    }
    assert_int_equal(ip_estimator_mi_labels(&s, t, M, d, d, y, K, ity, NULL), IP_OK);
    free(x);
    free(t);
}

/* Rows of analysis/NAME.csv with (mode, beta) compared with direct_any; returns the rows seen. */
static int check_any_csv(const char *name, const char *mode, const char *beta_s, const ip_estimator *est, int lower)
{
    char path[1300], *text = malloc(1 << 20);
    snprintf(path, sizeof path, "%s/analysis/%s.csv", dir, name);
    slurp(path, text, 1 << 20);
    static const char header[] = "estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\n";
    if (strncmp(text, header, strlen(header)) != 0) fail_msg("%s: bad header: %.60s", path, text);
    int n = 0;
    for (char *line = strtok(text + strlen(header), "\n"); line; line = strtok(NULL, "\n")) {
        char es[32], md[64], bs[64], un[16];
        int epoch, layer;
        double ixt, ity, wx, wy;
        if (sscanf(line, "%31[^,],%63[^,],%63[^,],%d,%d,%lf,%lf,%15s", es, md, bs, &epoch, &layer, &ixt, &ity, un) != 8)
            fail_msg("bad CSV row '%s'", line);
        assert_string_equal(es, name);
        if (strcmp(md, mode) || strcmp(bs, beta_s)) continue;
        assert_string_equal(un, "nats");
        direct_any(est, lower, epoch / 5, layer - 1, &wx, &wy);
        assert_close(ixt, wx, 1e-10, 1e-11);
        assert_close(ity, wy, 1e-10, 1e-11);
        n++;
    }
    free(text);
    return n;
}

/* All five estimators in one command; each CSV and run-file table holds the plain library values. */
static void test_analyze_every_estimator(void **state)
{
    (void)state;
    if (run("analyze run.h5 --estimator logdet,binning,kde,renyi,ksg --units nats --quiet") != 0)
        fail_msg("analyze failed: %s", err_text);
    ip_estimator e;
    ip_estimator_default(&e, IP_EST_BINNING);
    assert_int_equal(check_any_csv("binning", "layer", "30", &e, 0), EPOCHS * L);
    ip_estimator_default(&e, IP_EST_KDE);
    assert_int_equal(check_any_csv("kde", "upper", "0.1", &e, 0), EPOCHS * L);
    assert_int_equal(check_any_csv("kde", "lower", "0.1", &e, 1), EPOCHS * L);
    ip_estimator_default(&e, IP_EST_RENYI);
    assert_int_equal(check_any_csv("renyi", "alpha=1.01", "0", &e, 0), EPOCHS * L);
    ip_estimator_default(&e, IP_EST_KSG);
    assert_int_equal(check_any_csv("ksg", "ksg1", "3", &e, 0), EPOCHS * L);
    for (const char *p = "logdet\0binning\0kde\0renyi\0ksg\0"; *p; p += strlen(p) + 1)
        if (!strstr(out_text, p)) fail_msg("stdout lacks %s: %s", p, out_text);
    /* the tables in the run file, with their extra columns and parameters */
    ip_run *r = NULL;
    int rows, cols;
    double *data;
    char **names, *v = NULL;
    assert_int_equal(ip_run_open_read(&r, run_path, 0), IP_OK);
    assert_int_equal(ip_run_read_table(r, "binning_layer_bins30/layers", &rows, &cols, &data, &names), IP_OK);
    assert_int_equal(rows, EPOCHS * L);
    assert_int_equal(cols, 6);
    assert_string_equal(names[4], "lo");
    assert_string_equal(names[5], "hi");
    for (int i = 0; i < rows; i++) { /* the edges: the layer's own min..max */
        double *t = layer_d((int)data[i * 6] / 5, (int)data[i * 6 + 1] - 1), lo = INFINITY, hi = -INFINITY;
        for (int q = 0; q < M * units[(int)data[i * 6 + 1] - 1]; q++) lo = fmin(lo, t[q]), hi = fmax(hi, t[q]);
        assert_true(data[i * 6 + 4] == lo && data[i * 6 + 5] == hi);
        free(t);
    }
    free(data);
    ip_run_strings_free(names, cols);
    assert_int_equal(ip_run_read_table_attr(r, "binning_layer_bins30/layers", "bins", &v), IP_OK);
    assert_string_equal(v, "30");
    free(v);
    assert_int_equal(ip_run_read_table_attr(r, "kde_lower_noise0.1/layers", "bound", &v), IP_OK);
    assert_string_equal(v, "lower");
    free(v);
    assert_int_equal(ip_run_read_table(r, "renyi_alpha=1.01_sigmarule/layers", &rows, &cols, &data, &names), IP_OK);
    assert_string_equal(names[4], "sigma");
    for (int i = 0; i < rows; i++)
        assert_close(data[i * 5 + 4], ip_renyi_rule_sigma(M, units[(int)data[i * 5 + 1] - 1]), 0, 0);
    free(data);
    ip_run_strings_free(names, cols);
    assert_int_equal(ip_run_read_table(r, "ksg_ksg1_k3/layers", &rows, &cols, &data, &names), IP_OK);
    assert_int_equal(cols, 4);
    free(data);
    ip_run_strings_free(names, cols);
    assert_int_equal(ip_run_close(r), IP_OK);
}

/* A parameter sweep is one command; a second sweep replaces its own settings and keeps others. */
static void test_analyze_sweep(void **state)
{
    (void)state;
    if (run("analyze run.h5 --estimator binning --bins 5,10,20 --range -1:1 --units nats") != 0)
        fail_msg("analyze failed: %s", err_text);
    ip_estimator e;
    ip_estimator_default(&e, IP_EST_BINNING);
    e.binning.range = IP_BIN_FIXED, e.binning.lo = -1, e.binning.hi = 1;
    int bins[] = {5, 10, 20};
    char bs[8];
    for (int i = 0; i < 3; i++) {
        e.binning.bins = bins[i];
        snprintf(bs, sizeof bs, "%d", bins[i]);
        assert_int_equal(check_any_csv("binning", "fixed[-1:1]", bs, &e, 0), EPOCHS * L);
    }
    if (run("analyze run.h5 --estimator binning --bins 10 --range -1:1 --units nats") != 0)
        fail_msg("analyze failed: %s", err_text);
    e.binning.bins = 10;
    assert_int_equal(check_any_csv("binning", "fixed[-1:1]", "10", &e, 0), EPOCHS * L); /* replaced */
    e.binning.bins = 20;
    assert_int_equal(check_any_csv("binning", "fixed[-1:1]", "20", &e, 0), EPOCHS * L); /* kept */
    ip_run *r = NULL;
    int rows, cols;
    double *data;
    char **names;
    assert_int_equal(ip_run_open_read(&r, run_path, 0), IP_OK);
    assert_int_equal(ip_run_read_table(r, "binning_fixed[-1:1]_bins5/layers", &rows, &cols, &data, &names), IP_OK);
    for (int i = 0; i < rows; i++) assert_true(data[i * 6 + 4] == -1 && data[i * 6 + 5] == 1);
    free(data);
    ip_run_strings_free(names, cols);
    assert_int_equal(ip_run_close(r), IP_OK);
}

/* ---- the compression summary, after the analyses above (every estimator, several settings) ---- */

static const char *const comp_header = "estimator,mode,beta,layer,ixt_peak_epoch,ixt_peak,ixt_final,ixt_drop,"
                                       "ity_peak_epoch,ity_peak,ity_final,ity_drop,unit";

/* The row of compression.csv (read into c) for estimator, mode, beta and layer (text); -1 if none. */
static int comp_row(const ip_csv *c, const char *e, const char *mode, const char *beta, const char *layer)
{
    int found = -1;
    for (int r = 0; r < c->n_rows; r++)
        if (!strcmp(ip_csv_cell(c, r, 0), e) && !strcmp(ip_csv_cell(c, r, 1), mode) &&
            !strcmp(ip_csv_cell(c, r, 2), beta) && !strcmp(ip_csv_cell(c, r, 3), layer)) {
            if (found >= 0) fail_msg("compression.csv: two rows for %s %s %s layer %s", e, mode, beta, layer);
            found = r;
        }
    return found;
}

static double num(const ip_csv *t, int r, int c) { return strtod(ip_csv_cell(t, r, c), NULL); }

/* Recompute, from the rows of NAME.csv, every (setting, layer) summary and find it in c: the
 * peak (largest value, first epoch of a tie), the value at the last epoch, the relative drop.
 * Returns the summaries checked. */
static int check_comp_against(const ip_csv *c, const char *name)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/analysis/%s.csv", dir, name);
    ip_csv t;
    if (ip_csv_read(&t, path, IP_CSV_HEADER) != IP_OK) fail_msg("%s", ip_error_message());
    int *done = calloc((size_t)t.n_rows, sizeof *done), n = 0;
    for (int a = 0; a < t.n_rows; a++) {
        if (done[a]) continue;
        int pe[2] = {-1, -1}, last_epoch = -1;
        double peak[2] = {0, 0}, final[2] = {0, 0};
        for (int b = a; b < t.n_rows; b++) {
            int same = 1;
            for (int k = 0; k < 5 && same; k++)
                if (k != 3) same = !strcmp(ip_csv_cell(&t, a, k), ip_csv_cell(&t, b, k));
            if (!same) continue;
            done[b] = 1;
            int epoch = atoi(ip_csv_cell(&t, b, 3));
            for (int q = 0; q < 2; q++) {
                double v = num(&t, b, 5 + q);
                if (pe[q] < 0 || v > peak[q] || (v == peak[q] && epoch < pe[q])) pe[q] = epoch, peak[q] = v;
                if (epoch > last_epoch) final[q] = v;
            }
            if (epoch > last_epoch) last_epoch = epoch;
        }
        int r = comp_row(c, name, ip_csv_cell(&t, a, 1), ip_csv_cell(&t, a, 2), ip_csv_cell(&t, a, 4));
        if (r < 0)
            fail_msg("compression.csv has no row for %s %s %s layer %s", name, ip_csv_cell(&t, a, 1),
                     ip_csv_cell(&t, a, 2), ip_csv_cell(&t, a, 4));
        for (int q = 0; q < 2; q++) {
            double drop = peak[q] == 0 ? 0 : (peak[q] - final[q]) / fabs(peak[q]);
            assert_int_equal(atoi(ip_csv_cell(c, r, 4 + 4 * q)), pe[q]);
            assert_true(num(c, r, 5 + 4 * q) == peak[q]); /* the very cells of NAME.csv */
            assert_true(num(c, r, 6 + 4 * q) == final[q]);
            assert_true(num(c, r, 7 + 4 * q) == drop); /* 17 digits: the same double */
        }
        assert_string_equal(ip_csv_cell(c, r, 12), ip_csv_cell(&t, a, 7));
        n++;
    }
    free(done);
    ip_csv_free(&t);
    return n;
}

/* The run file's GROUP/compression table equals the setting's rows of compression.csv. */
static void check_comp_table(ip_run *r, const ip_csv *c, const char *group, const char *e, const char *mode,
                             const char *beta)
{
    char name[256], layer[16];
    int rows, cols;
    double *t;
    char **names;
    snprintf(name, sizeof name, "%s/compression", group);
    if (ip_run_read_table(r, name, &rows, &cols, &t, &names) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(rows, L);
    assert_int_equal(cols, 9);
    static const char *const want[] = {"layer",          "ixt_peak_epoch", "ixt_peak", "ixt_final", "ixt_drop",
                                       "ity_peak_epoch", "ity_peak",       "ity_final", "ity_drop"};
    for (int k = 0; k < 9; k++) assert_string_equal(names[k], want[k]);
    for (int i = 0; i < rows; i++) {
        const double *v = t + i * 9;
        snprintf(layer, sizeof layer, "%d", (int)v[0]);
        int row = comp_row(c, e, mode, beta, layer);
        if (row < 0) fail_msg("compression.csv lacks %s layer %s", group, layer);
        for (int k = 1; k < 9; k++)
            if (!(v[k] == num(c, row, 3 + k)))
                fail_msg("/analysis/%s row %d column %s: %.17g, compression.csv %s", name, i, names[k], v[k],
                         ip_csv_cell(c, row, 3 + k));
    }
    char *unit = NULL;
    assert_int_equal(ip_run_read_table_attr(r, name, "estimator", &unit), IP_OK);
    assert_string_equal(unit, e);
    free(unit);
    free(t);
    ip_run_strings_free(names, cols);
}

static void test_analyze_compression(void **state)
{
    (void)state;
    char path[1300], text[512];
    snprintf(path, sizeof path, "%s/analysis/compression.csv", dir);
    slurp(path, text, sizeof text);
    if (strncmp(text, comp_header, strlen(comp_header)) || text[strlen(comp_header)] != '\n')
        fail_msg("%s: bad header: %.200s", path, text);
    ip_csv c;
    if (ip_csv_read(&c, path, IP_CSV_HEADER) != IP_OK) fail_msg("%s", ip_error_message());
    /* The analyses above left logdet cov 3000 + pearson 77, binning layer/30 + fixed[-1:1]/5,10,20,
     * kde upper + lower, renyi and ksg: 10 settings of L layers. */
    int n = 0;
    for (const char *p = "logdet\0binning\0kde\0renyi\0ksg\0"; *p; p += strlen(p) + 1) n += check_comp_against(&c, p);
    assert_int_equal(n, 10 * L);
    assert_int_equal(c.n_rows, n);
    ip_run *r = NULL;
    assert_int_equal(ip_run_open_read(&r, run_path, 0), IP_OK);
    check_comp_table(r, &c, "logdet_cov_beta3000", "logdet", "cov", "3000");
    check_comp_table(r, &c, "binning_fixed[-1:1]_bins20", "binning", "fixed[-1:1]", "20");
    check_comp_table(r, &c, "kde_lower_noise0.1", "kde", "lower", "0.1");
    check_comp_table(r, &c, "ksg_ksg1_k3", "ksg", "ksg1", "3");
    assert_int_equal(ip_run_close(r), IP_OK);
    /* info shows each setting's summary, its layers by name. */
    if (run("info run.h5") != 0) fail_msg("info failed: %s", err_text);
    for (const char *p = "compression (docs/compression.md)\0logdet_cov_beta3000 (nats)\0logdet_pearson_beta77 (nats)\0"
                         "ksg_ksg1_k3 (nats)\0I(X;T) peak\0dense1 \0logits \0";
         *p; p += strlen(p) + 1)
        if (!strstr(out_text, p)) fail_msg("info lacks '%s':\n%s", p, out_text);
    int row = comp_row(&c, "logdet", "cov", "3000", "2");
    char want[128];
    snprintf(want, sizeof want, "%.1f%%", 100 * num(&c, row, 7)); /* layer 2's I(X;T) drop in per cent */
    if (!strstr(out_text, want)) fail_msg("info lacks the drop %s:\n%s", want, out_text);
    ip_csv_free(&c);
}

static void expect_failure(const char *args, const char *fragment)
{
    if (run(args) == 0) fail_msg("`infoplane %s` succeeded; expected '%s'", args, fragment);
    if (!strstr(err_text, fragment)) fail_msg("`infoplane %s`: stderr \"%s\" lacks \"%s\"", args, err_text, fragment);
}

static void test_analyze_bad_options(void **state)
{
    (void)state;
    expect_failure("analyze run.h5 --beta 0", "--beta must be a positive number");
    expect_failure("analyze run.h5 --beta -1", "--beta must be a positive number");
    expect_failure("analyze run.h5 --layer-beta x", "--layer-beta must be a positive number");
    expect_failure("analyze run.h5 --mode spearman", "cov or pearson");
    expect_failure("analyze run.h5 --units dits", "bits or nats");
    expect_failure("analyze run.h5 --estimator knn", "unknown estimator 'knn' (have: logdet, binning, kde, renyi, ksg)");
    expect_failure("analyze run.h5 --estimator kde,kde", "'kde' is listed twice");
    expect_failure("analyze run.h5 --bins 10", "--bins/--range/--width are parameters of binning, which is not among");
    expect_failure("analyze run.h5 --estimator binning --bins 0", "--bins: expected integers >= 1");
    expect_failure("analyze run.h5 --estimator binning --range 1:-1", "--range: expected layer, unit, width or LO:HI");
    expect_failure("analyze run.h5 --estimator kde --noise -0.1", "--noise: expected numbers > 0");
    expect_failure("analyze run.h5 --estimator binning --width 0.1", "--width is the bin width of --range width");
    expect_failure("analyze run.h5 --estimator binning --range width --bins 10", "with --range width the bins");
    expect_failure("analyze run.h5 --estimator renyi --alpha 1", "alpha");
    expect_failure("analyze run.h5 --estimator ksg --k 1.5", "--k: expected integers >= 1");
    expect_failure("analyze run.h5 --estimator ksg --k 500", "k");
    expect_failure("analyze run.h5 --estimator kde --noise 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "at most 16");
    expect_failure("analyze nosuch.h5", "nosuch.h5");
    expect_failure("analyze", "missing RUN.h5");
}

/* DATA as FILE.h5:/dataset: the run's float32 inputs read back as doubles. */
static void test_entropy_from_hdf5(void **state)
{
    (void)state;
    if (run("entropy run.h5:/inputs --beta 10") != 0) fail_msg("entropy failed: %s", err_text);
    double *x = malloc(sizeof(double) * M * DX), h;
    for (int i = 0; i < M * DX; i++) x[i] = xf[i];
    assert_int_equal(ip_logdet_entropy(x, M, DX, DX, IP_MODE_COV, 10, &h), IP_OK);
    const char *p = strrchr(out_text, ':');
    assert_non_null(p);
    assert_close(strtod(p + 1, NULL), h, 1e-15, 0);
    free(x);
    expect_failure("entropy run.h5:/no_such_dataset", "no_such_dataset");
    expect_failure("entropy nosuch.h5:/x", "nosuch.h5");
    expect_failure("mi run.h5:/inputs run.h5:/nope", "nope");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyze_default_settings),
        cmocka_unit_test(test_analyze_other_settings_kept),
        cmocka_unit_test(test_analyze_every_estimator),
        cmocka_unit_test(test_analyze_sweep),
        cmocka_unit_test(test_analyze_compression),
        cmocka_unit_test(test_analyze_bad_options),
        cmocka_unit_test(test_entropy_from_hdf5),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
