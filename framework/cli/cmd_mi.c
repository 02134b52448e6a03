/* `infoplane mi DATA_A DATA_B [--mode cov|pearson] [--beta B] [--labels]`: the LogDet mutual
 * information I(A;B) = H(A) + H(B) - H(A,B), all at one beta. With --labels DATA_B is one column
 * of integer class labels, entered as the one-hot matrix. Prints I in nats as the last number. */
#include "commands.h"
#include "logdet_args.h"

#include "core/status.h"
#include "estimate/logdet.h"
#include "estimate/matrix_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: infoplane mi DATA_A DATA_B [--mode cov|pearson] [--beta B] [--labels]\n"
                            "  DATA: CSV (one sample per row, numbers only) or FILE.h5:/dataset\n"
                            "  --beta: default 100 * (d_A + d_B), as the paper's code for two layers\n"
                            "  --labels: DATA_B is one column of class labels 0..K-1 (one-hot)";

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

int cmd_mi(int argc, char **argv)
{
    const char *pa = NULL, *pb = NULL;
    ip_logdet_mode mode = IP_MODE_COV;
    double beta = 0;
    int labels = 0;
    for (int i = 1; i < argc; i++) {
        int opt = cli_logdet_option(argc, argv, &i, &mode, &beta);
        if (opt < 0) return 1;
        if (opt > 0) continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts(usage);
            return 0;
        } else if (!strcmp(argv[i], "--labels")) {
            labels = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_error("mi: unknown or incomplete option '%s'\n%s", argv[i], usage);
        } else if (!pa) {
            pa = argv[i];
        } else if (!pb) {
            pb = argv[i];
        } else {
            return cli_error("mi: two DATA arguments expected, got '%s' too\n%s", argv[i], usage);
        }
    }
    if (!pb) return cli_error("mi: need DATA_A and DATA_B\n%s", usage);

    double *a = NULL, *b = NULL, mi = 0;
    int ma = 0, da = 0, mb = 0, db = 0, *y = NULL, k = 0, status = 1;
    ip_logdet_terms t;
    if (ip_read_data_matrix(pa, &a, &ma, &da) != IP_OK || ip_read_data_matrix(pb, &b, &mb, &db) != IP_OK) {
        cli_error("%s", ip_error_message());
        goto out;
    }
    if (ma != mb) {
        cli_error("%s has %d samples (rows) but %s has %d: the rows must pair up", pa, ma, pb, mb);
        goto out;
    }
    if (labels && to_labels(pb, b, mb, db, &y, &k) != 0) goto out;
    if (labels) db = k;
    if (beta == 0) beta = ip_logdet_paper_beta(da + db);
    int rc = labels ? ip_logdet_mi_labels(a, ma, da, da, y, k, mode, beta, &mi, &t)
                    : ip_logdet_mi(a, ma, da, da, b, db, db, mode, beta, &mi, &t);
    if (rc != IP_OK) {
        cli_error("%s, %s: %s", pa, pb, ip_error_message());
        goto out;
    }
    printf("H(A) = %.17g, H(B) = %.17g, H(A,B) = %.17g nats\n", t.h_a, t.h_b, t.h_ab);
    printf("I (LogDet, %s mode, beta = %.17g, %d samples, %d x %d units, %.17g bits) in nats: %.17g\n",
           ip_logdet_mode_name(mode), beta, ma, da, db, mi / log(2.0), mi);
    status = 0;
out:
    free(a);
    free(b);
    free(y);
    return status;
}
