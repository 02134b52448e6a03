/* Sizes of the fixed-length strings that pass between modules (paths, short names). */
#ifndef IP_LIMITS_H
#define IP_LIMITS_H

#define IP_PATH_LEN 1024 /* a file or directory path, with its terminating NUL */
#define IP_NAME_LEN 64   /* a short name: an architecture, a dataset, an estimator */

#endif
