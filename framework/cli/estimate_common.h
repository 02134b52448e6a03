/* What `infoplane mi` and `infoplane entropy` share: one estimator setting from the options, and
 * the words that describe it in their output. */
#ifndef IP_CLI_ESTIMATE_COMMON_H
#define IP_CLI_ESTIMATE_COMMON_H

#include <stddef.h>

#include "estimate/estimator.h"

/* The one setting the options chose (a list of values is refused: these commands print one
 * number). Prints the problem and returns -1, else 0. */
int cli_one_setting(const ip_estimator_choice *c, unsigned given, const char *cmd, ip_estimator *e);

/* "LogDet, cov mode, beta = B" / "binning, 30 bins, range layer" / ... into buf. beta is the value
 * in use (LogDet's default depends on the data). */
const char *cli_describe_setting(const ip_estimator *e, double beta, char *buf, size_t cap);

#endif
