/* Shared by cmd_mi.c and cmd_entropy.c (see estimate_common.h). */
#include "estimate_common.h"
#include "commands.h"
#include "estimator_args.h"

#include "core/csv.h"
#include "core/names.h"

#include <stdio.h>

int cli_one_setting(const ip_estimator_choice *c, unsigned given, const char *cmd, ip_estimator *e)
{
    ip_estimator all[IP_EST_MAX_SETTINGS];
    int n = cli_estimator_settings(c, given, all);
    if (n < 0) return -1;
    if (n != 1) {
        cli_error("%s: one estimator with one value per parameter (got %d settings); `infoplane analyze` runs "
                  "several on a run",
                  cmd, n);
        return -1;
    }
    *e = all[0];
    return 0;
}

const char *cli_describe_setting(const ip_estimator *e, double beta, char *buf, size_t cap)
{
    char a[32], b[32]; /* numbers in the fewest digits that read back exactly (0.1, not 0.10000000000000001) */
    switch (e->kind) {
    case IP_EST_LOGDET:
        snprintf(buf, cap, "LogDet, %s mode, beta = %s", ip_logdet_mode_name(e->logdet.mode), ip_number_text(a, sizeof a, beta));
        break;
    case IP_EST_BINNING:
        if (e->binning.range == IP_BIN_WIDTH)
            snprintf(buf, cap, "binning, bin width %s", ip_number_text(a, sizeof a, e->binning.width));
        else if (e->binning.range == IP_BIN_FIXED)
            snprintf(buf, cap, "binning, %d bins on [%s, %s]", e->binning.bins, ip_number_text(a, sizeof a, e->binning.lo),
                     ip_number_text(b, sizeof b, e->binning.hi));
        else
            snprintf(buf, cap, "binning, %d bins, range per %s (min..max)", e->binning.bins,
                     e->binning.range == IP_BIN_UNIT ? "unit" : "matrix");
        break;
    case IP_EST_KDE:
        snprintf(buf, cap, "KDE %s bound, noise variance %s", ip_name_of(ip_kde_bound_names, (int)e->kde.bound),
                 ip_number_text(a, sizeof a, e->kde.noise));
        break;
    case IP_EST_RENYI:
        if (e->renyi.sigma > 0)
            snprintf(buf, cap, "Renyi, alpha = %s, sigma = %s", ip_number_text(a, sizeof a, e->renyi.alpha),
                     ip_number_text(b, sizeof b, e->renyi.sigma));
        else snprintf(buf, cap, "Renyi, alpha = %s, sigma by the width rule", ip_number_text(a, sizeof a, e->renyi.alpha));
        break;
    case IP_EST_KSG: snprintf(buf, cap, "KSG, k = %d", e->ksg.k); break;
    default: snprintf(buf, cap, "?");
    }
    return buf;
}
