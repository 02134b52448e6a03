/* The table of implemented estimators (estimators.h). */
#include "estimators.h"

#include <stddef.h>

const char *const ip_estimator_names[] = {"logdet", NULL};
