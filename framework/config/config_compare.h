/* Comparing loaded configurations: which runs are the same experiment apart from the seed (so
 * their results can be averaged), and in which settings experiments differ (to name them). Works
 * on the validated structs of config.h, so comments, key order, formatting and spellings of one
 * value ("1e-4" vs "0.0001") do not matter, and --set overrides count as much as the file. */
#ifndef IP_CONFIG_COMPARE_H
#define IP_CONFIG_COMPARE_H

#include <stddef.h>

#include "config.h"

/* 1 when a and b agree in every setting of every section (model, data, train, record, analysis,
 * plot), the seed aside; else 0. What the YAML looked like (cfg->text, ->overrides, ->source) does
 * not count. Compared field by field, never as raw bytes: padding and whatever follows the NUL in
 * a char buffer are ignored, arrays are compared up to their counts. */
int ip_config_same_but_seed(const ip_config *a, const ip_config *b);

/* Groups of the n configs that are the same apart from the seed: group[i] = the group of cfgs[i],
 * groups numbered 0, 1, ... in order of first appearance. A NULL config (one that could not be
 * loaded) is a group of its own. Returns the number of groups. */
int ip_config_group(int n, const ip_config *const *cfgs, int *group);

/* The settings of c that not every one of the n `others` shares, as "key: value" ("activation:
 * tanh", keys as in the YAML file, in the file's section order), at most `max` of them joined by
 * ", " into out (cap bytes, always terminated; an item that does not fit is left out). A NULL in
 * others shares nothing. Returns the number of settings written. */
int ip_config_distinct(const ip_config *c, int n, const ip_config *const *others, int max, char *out, size_t cap);

#endif
