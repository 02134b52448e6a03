/* The table of implemented estimators (estimators.h), in the order of ip_estimator_kind. */
#include "estimators.h"

#include <stddef.h>

const char *const ip_estimator_names[] = {"logdet", "binning", "kde", "renyi", "ksg", NULL};
