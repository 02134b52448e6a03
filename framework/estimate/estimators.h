/* The mutual-information estimators this build implements, by the names the config
 * (analysis.estimators) and the command line use. */
#ifndef IP_ESTIMATORS_H
#define IP_ESTIMATORS_H

/* NULL-terminated, in the order of ip_estimator_kind (estimator.h). A new estimator adds its
 * name here once `infoplane analyze` can run it;
 * the config accepts exactly these names, so a run never trains only to fail afterwards. */
extern const char *const ip_estimator_names[];

#endif
