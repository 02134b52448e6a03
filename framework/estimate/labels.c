/* The one check of class labels (labels.h), shared by every estimator. */
#include "labels.h"

#include "core/status.h"

int ip_labels_check(const int *y, int m, int n_classes, const char *what)
{
    if (n_classes < 1) return ip_fail(IP_ERR, "%s: need at least one class (got %d)", what, n_classes);
    for (int i = 0; i < m; i++)
        if (y[i] < 0 || y[i] >= n_classes)
            return ip_fail(IP_ERR_FORMAT, "%s: label %d of sample %d is outside [0, %d)", what, y[i], i + 1,
                           n_classes);
    return IP_OK;
}
