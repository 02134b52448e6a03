/* `infoplane mi DATA_A DATA_B [--estimator NAME] [parameters] [--labels]`: the mutual information
 * I(A;B) by any estimator (LogDet by default). With --labels DATA_B is one column of integer class
 * labels (LogDet: the one-hot matrix; the others: their discrete-label forms). `infoplane mi
 * SAMPLES.csv DIM_X DIM_Y` reads X and Y side by side from one CSV (the external-estimator
 * convention of the bmi benchmark; a header line is skipped). Prints I in nats as the last number. */
#include "commands.h"
#include "estimate_common.h"
#include "estimator_args.h"

#include "core/csv.h"
#include "core/names.h"
#include "core/status.h"
#include "estimate/estimator.h"
#include "estimate/matrix_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] =
    "usage: infoplane mi DATA_A DATA_B [--estimator NAME] [parameters] [--labels]\n"
    "       infoplane mi SAMPLES.csv DIM_X DIM_Y [--estimator NAME] [parameters]\n"
    "  DATA: CSV (one sample per row, numbers only) or FILE.h5:/dataset\n"
    "  SAMPLES.csv: X (DIM_X columns) and Y (DIM_Y columns) side by side, as the bmi benchmark\n"
    "               calls external estimators; a header line is skipped\n"
    "  --labels: DATA_B is one column of class labels 0..K-1\n"
    "  --bound upper|lower: which KDE bound (default upper; each entropy with the same bound)\n";

/* One column of non-negative integers -> labels and the class count. */
static int to_labels(const char *path, const double *b, int m, int db, int **y, int *k)
{
    if (db != 1) return cli_error("%s: --labels needs one column of labels, found %d columns", path, db);
    int *out = malloc((size_t)m * sizeof *out), kmax = 0;
    if (!out) return cli_error("out of memory");
    for (int i = 0; i < m; i++) {
        if (!(b[i] >= 0 && b[i] < 1e6 && b[i] == floor(b[i]))) {
            free(out);
            return cli_error("%s: line %d: label %g is not a non-negative integer", path, i + 1, b[i]);
        }
        out[i] = (int)b[i];
        if (out[i] + 1 > kmax) kmax = out[i] + 1;
    }
    *y = out;
    *k = kmax;
    return 0;
}

/* A positive integer argument, or -1. */
static int dim_of(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return (*end || end == s || v < 1 || v > 1000000000) ? -1 : (int)v;
}

/* SAMPLES.csv with DIM_X + DIM_Y columns into a (m x dx) and b (m x dy); a first line that is not
 * numbers is a header (bmi writes one). */
static int read_side_by_side(const char *path, int dx, int dy, double **a, double **b, int *m)
{
    ip_csv t;
    int rc = ip_csv_read(&t, path, 0), header = 0;
    if (rc != IP_OK) return cli_error("%s", ip_error_message());
    double v;
    if (t.n_rows > 0 && ip_csv_number(&t, 0, 0, &v) != IP_OK) header = 1;
    int rows = t.n_rows - header;
    if (rows < 1) {
        ip_csv_free(&t);
        return cli_error("%s: no samples", path);
    }
    if (t.n_cols != dx + dy) {
        int n_cols = t.n_cols;
        ip_csv_free(&t);
        return cli_error("%s: %d columns, but DIM_X + DIM_Y = %d + %d = %d", path, n_cols, dx, dy, dx + dy);
    }
    *a = malloc((size_t)rows * dx * sizeof **a);
    *b = malloc((size_t)rows * dy * sizeof **b);
    rc = (*a && *b) ? IP_OK : ip_fail(IP_ERR_NOMEM, "out of memory");
    for (int r = 0; r < rows && rc == IP_OK; r++)
        for (int c = 0; c < dx + dy && rc == IP_OK; c++) {
            rc = ip_csv_number(&t, r + header, c, &v);
            if (c < dx) (*a)[(size_t)r * dx + c] = v;
            else (*b)[(size_t)r * dy + c - dx] = v;
        }
    ip_csv_free(&t);
    if (rc != IP_OK) return cli_error("%s", ip_error_message());
    *m = rows;
    return 0;
}

int cmd_mi(int argc, char **argv)
{
    const char *pos[3] = {NULL, NULL, NULL};
    int n_pos = 0, labels = 0;
    ip_estimator_choice c;
    ip_estimator_choice_default(&c);
    unsigned given = 0;
    ip_kde_bound bound = IP_KDE_UPPER;
    for (int i = 1; i < argc; i++) {
        int o = cli_estimator_option(argc, argv, &i, &c, &given);
        if (o < 0) return 1;
        if (o > 0) continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("%s%s\n", usage_head, cli_estimator_usage);
            return 0;
        } else if (!strcmp(argv[i], "--labels")) {
            labels = 1;
        } else if (!strcmp(argv[i], "--bound") && i + 1 < argc) {
            int b = ip_name_find(ip_kde_bound_names, argv[++i]);
            if (b < 0) return cli_error("--bound: expected upper or lower, got '%s'", argv[i]);
            bound = (ip_kde_bound)b, given |= 1u << IP_EST_KDE;
        } else if (argv[i][0] == '-' && argv[i][1] && !(argv[i][1] >= '0' && argv[i][1] <= '9')) {
            return cli_error("mi: unknown or incomplete option '%s'\n%s%s", argv[i], usage_head, cli_estimator_usage);
        } else if (n_pos < 3) {
            pos[n_pos++] = argv[i];
        } else {
            return cli_error("mi: DATA_A DATA_B or SAMPLES.csv DIM_X DIM_Y expected, got '%s' too", argv[i]);
        }
    }
    if (n_pos < 2) return cli_error("mi: need DATA_A and DATA_B\n%s%s", usage_head, cli_estimator_usage);
    ip_estimator e;
    if (cli_one_setting(&c, given, "mi", &e)) return 1;
    e.kde.bound = bound;

    double *a = NULL, *b = NULL, mi = 0;
    int ma = 0, da = 0, mb = 0, db = 0, *y = NULL, k = 0, status = 1;
    const char *pa = pos[0], *pb = pos[1];
    ip_mi_terms t = {NAN, NAN, NAN, NAN};
    if (n_pos == 3) { /* the bmi form */
        da = dim_of(pos[1]), db = dim_of(pos[2]);
        if (da < 0 || db < 0)
            return cli_error("mi SAMPLES.csv DIM_X DIM_Y: the dimensions must be positive integers, got '%s' '%s'",
                             pos[1], pos[2]);
        if (labels) return cli_error("mi: --labels takes DATA_A DATA_B, not SAMPLES.csv DIM_X DIM_Y");
        if (read_side_by_side(pos[0], da, db, &a, &b, &ma)) goto out;
        mb = ma, pb = pos[0];
    } else if (ip_read_data_matrix(pa, &a, &ma, &da) != IP_OK || ip_read_data_matrix(pb, &b, &mb, &db) != IP_OK) {
        cli_error("%s", ip_error_message());
        goto out;
    }
    if (ma != mb) {
        cli_error("%s has %d samples (rows) but %s has %d: the rows must pair up", pa, ma, pb, mb);
        goto out;
    }
    if (labels && to_labels(pb, b, mb, db, &y, &k) != 0) goto out;
    if (labels) db = k;
    double beta = e.logdet.beta > 0 ? e.logdet.beta : ip_logdet_paper_beta(da + db);
    int rc = labels ? ip_estimator_mi_labels(&e, a, ma, da, da, y, k, &mi, &t)
                    : ip_estimator_mi(&e, a, ma, da, da, b, db, db, &mi, &t);
    if (rc != IP_OK) {
        cli_error("%s, %s: %s", pa, pb, ip_error_message());
        goto out;
    }
    if (!isnan(t.h_ab)) printf("H(A) = %.17g, H(B) = %.17g, H(A,B) = %.17g nats\n", t.h_a, t.h_b, t.h_ab);
    char what[256];
    printf("I (%s, %d samples, %d x %d units, %.17g bits) in nats: %.17g\n", cli_describe_setting(&e, beta, what, sizeof what),
           ma, da, db, mi / log(2.0), mi);
    status = 0;
out:
    free(a);
    free(b);
    free(y);
    return status;
}
