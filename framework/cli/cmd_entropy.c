/* `infoplane entropy DATA [--estimator NAME] [parameters]`: the entropy of one matrix by any
 * estimator (LogDet by default). Prints a line ending with H in nats at full precision (the last
 * number on stdout). */
#include "commands.h"
#include "estimate_common.h"
#include "estimator_args.h"

#include "core/names.h"
#include "core/status.h"
#include "estimate/estimator.h"
#include "estimate/matrix_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] = "usage: infoplane entropy DATA [--estimator NAME] [parameters]\n"
                                 "  DATA: CSV (one sample per row, numbers only) or FILE.h5:/dataset\n";
static const char usage_tail[] = "\n  KDE: the entropy of DATA + Gaussian noise (--bound upper|lower, default upper);\n"
                                 "  KSG: the Kozachenko-Leonenko estimate its MI is built on.";

int cmd_entropy(int argc, char **argv)
{
    const char *path = NULL;
    ip_estimator_choice c;
    ip_estimator_choice_default(&c);
    unsigned given = 0;
    ip_kde_bound bound = IP_KDE_UPPER;
    for (int i = 1; i < argc; i++) {
        int o = cli_estimator_option(argc, argv, &i, &c, &given);
        if (o < 0) return 1;
        if (o > 0) continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("%s%s%s\n", usage_head, cli_estimator_usage, usage_tail);
            return 0;
        } else if (!strcmp(argv[i], "--bound") && i + 1 < argc) {
            int b = ip_name_find(ip_kde_bound_names, argv[++i]);
            if (b < 0) return cli_error("--bound: expected upper or lower, got '%s'", argv[i]);
            bound = (ip_kde_bound)b, given |= 1u << IP_EST_KDE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_error("entropy: unknown or incomplete option '%s'\n%s%s", argv[i], usage_head, cli_estimator_usage);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_error("entropy: one DATA argument expected, got '%s' too", argv[i]);
        }
    }
    if (!path) return cli_error("entropy: missing DATA\n%s%s", usage_head, cli_estimator_usage);
    ip_estimator e;
    if (cli_one_setting(&c, given, "entropy", &e)) return 1;
    e.kde.bound = bound;

    double *a = NULL, h = 0;
    int m = 0, d = 0;
    if (ip_read_data_matrix(path, &a, &m, &d) != IP_OK) return cli_error("%s", ip_error_message());
    double beta = e.logdet.beta > 0 ? e.logdet.beta : ip_logdet_paper_beta(d);
    int rc = ip_estimator_entropy(&e, a, m, d, d, &h);
    free(a);
    if (rc != IP_OK) return cli_error("%s: %s", path, ip_error_message());
    char what[256];
    printf("H (%s, %d samples x %d units, %.17g bits) in nats: %.17g\n", cli_describe_setting(&e, beta, what, sizeof what),
           m, d, h / log(2.0), h);
    return 0;
}
