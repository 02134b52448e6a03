/* The estimator options analyze, mi and entropy share (SPEC section 7): --estimator NAME[,NAME],
 * LogDet --mode/--beta, binning --bins/--range/--width, kde --noise, renyi --alpha/--sigma, ksg
 * --k. Parameters take comma lists (--bins 10,30,100): analyze runs each value as a setting of
 * its own, mi and entropy take one. */
#ifndef IP_CLI_ESTIMATOR_ARGS_H
#define IP_CLI_ESTIMATOR_ARGS_H

#include "estimate/estimator.h"

/* The options' help text, for the commands' usage. */
extern const char cli_estimator_usage[];

/* If argv[*i] is one of the options above (with its value at argv[*i + 1]), parse it into c,
 * advance *i past the value and return 1; return 0 when it is not one; print the problem and
 * return -1 when its value is wrong. *given gets a bit (1 << kind) for every estimator whose
 * parameter was given, so a parameter of an estimator that was not chosen can be refused. */
int cli_estimator_option(int argc, char **argv, int *i, ip_estimator_choice *c, unsigned *given);

/* After all options: refuse parameters of estimators that were not chosen (they would do nothing)
 * and expand into settings. Prints the problem and returns -1, or returns the number of settings. */
int cli_estimator_settings(const ip_estimator_choice *c, unsigned given, ip_estimator *out);

#endif
