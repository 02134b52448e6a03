/* The estimator options `entropy` and `mi` share: --mode cov|pearson and --beta B. */
#ifndef IP_LOGDET_ARGS_H
#define IP_LOGDET_ARGS_H

#include "config/config.h"

/* When argv[*i] is `--mode M` or `--beta B` (with its value), stores the value, advances *i
 * past it and returns 1; returns 0 when argv[*i] is neither; prints the problem and returns -1
 * when the value is bad (beta must be a finite positive number). */
int cli_logdet_option(int argc, char **argv, int *i, ip_logdet_mode *mode, double *beta);

#endif
