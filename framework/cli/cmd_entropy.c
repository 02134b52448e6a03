/* `infoplane entropy DATA [--mode cov|pearson] [--beta B]`: the LogDet entropy of one matrix.
 * Prints a line ending with H in nats at full precision (the last number on stdout). */
#include "commands.h"
#include "logdet_args.h"

#include "core/status.h"
#include "estimate/logdet.h"
#include "estimate/matrix_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: infoplane entropy DATA [--mode cov|pearson] [--beta B]\n"
                            "  DATA: CSV (one sample per row, numbers only) or FILE.h5:/dataset\n"
                            "  --beta: default 100 * d (d = columns of DATA)";

int cmd_entropy(int argc, char **argv)
{
    const char *path = NULL;
    ip_logdet_mode mode = IP_MODE_COV;
    double beta = 0;
    for (int i = 1; i < argc; i++) {
        int opt = cli_logdet_option(argc, argv, &i, &mode, &beta);
        if (opt < 0) return 1;
        if (opt > 0) continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts(usage);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_error("entropy: unknown or incomplete option '%s'\n%s", argv[i], usage);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_error("entropy: one DATA argument expected, got '%s' too\n%s", argv[i], usage);
        }
    }
    if (!path) return cli_error("entropy: missing DATA\n%s", usage);

    double *a = NULL, h = 0;
    int m = 0, d = 0;
    if (ip_read_data_matrix(path, &a, &m, &d) != IP_OK) return cli_error("%s", ip_error_message());
    if (beta == 0) beta = ip_logdet_paper_beta(d);
    int rc = ip_logdet_entropy(a, m, d, d, mode, beta, &h);
    free(a);
    if (rc != IP_OK) return cli_error("%s: %s", path, ip_error_message());
    printf("H (LogDet, %s mode, beta = %.17g, %d samples x %d units, %.17g bits) in nats: %.17g\n",
           ip_logdet_mode_name(mode), beta, m, d, h / log(2.0), h);
    return 0;
}
