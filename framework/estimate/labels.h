/* Class labels as every estimator's I(A;Y) takes them: m integers in [0, n_classes). */
#ifndef IP_LABELS_H
#define IP_LABELS_H

/* IP_OK, or a message "WHAT: need at least one class (got K)" (IP_ERR) or "WHAT: label L of sample
 * I is outside [0, K)" (IP_ERR_FORMAT, samples counted from 1). */
int ip_labels_check(const int *y, int m, int n_classes, const char *what);

#endif
