/* DIR/metrics.csv, the per-epoch metrics as text beside the run file (see run.h). */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>

#include "../core/fsutil.h"
#include "../core/mem.h"
#include "../core/status.h"

int ip_metrics_write_csv(const char *path, const ip_epoch_metrics *rows, int n, int with_test)
{
    size_t cap = 128 + (size_t)n * 128;
    char *buf = ip_malloc(cap); /* freed here */
    if (!buf) return IP_ERR_NOMEM;
    size_t len = (size_t)snprintf(buf, cap, "epoch,train_loss,train_acc,%sseconds\n", with_test ? "test_loss,test_acc," : "");
    for (int i = 0; i < n; i++) {
        const ip_epoch_metrics *m = &rows[i];
        if (with_test)
            len += (size_t)snprintf(buf + len, cap - len, "%d,%.9g,%.9g,%.9g,%.9g,%.6f\n", m->epoch, m->train_loss,
                                    m->train_acc, m->test_loss, m->test_acc, m->seconds);
        else
            len += (size_t)snprintf(buf + len, cap - len, "%d,%.9g,%.9g,%.6f\n", m->epoch, m->train_loss, m->train_acc,
                                    m->seconds);
    }
    int rc = ip_write_file_atomic(path, buf, len);
    free(buf);
    return rc;
}
