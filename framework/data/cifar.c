/* CIFAR-10 in its "binary version": data_batch_1..5.bin and test_batch.bin, each a run of
 * 3073-byte records (1 label byte, then 3072 pixel bytes: 1024 red, 1024 green, 1024 blue,
 * row-major 32x32), so a record is already in our C,H,W sample order. */
#include "dataset.h"

#include "core/mem.h"
#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CIFAR_RECORD 3073
#define CIFAR_PIXELS 3072
#define CIFAR_BATCHES 5

/* Appends the records of `path` to *buf (n records so far), checking whole records and labels. */
static int read_batch(const char *path, uint8_t **buf, int *n)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = ip_read_all_gz(path, &data, &len);
    if (rc < 0) return rc;
    if (len == 0 || len % CIFAR_RECORD != 0) {
        rc = ip_fail(IP_ERR_FORMAT,
                     "%s: truncated: expected a positive multiple of %d bytes (1 label + %d pixel bytes per "
                     "record), got %zu",
                     path, CIFAR_RECORD, CIFAR_PIXELS, len);
        goto out;
    }
    size_t records = len / CIFAR_RECORD;
    for (size_t i = 0; i < records; i++)
        if (data[i * CIFAR_RECORD] > 9) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: label %d of record %zu is out of range (expected 0..9)", path,
                         data[i * CIFAR_RECORD], i);
            goto out;
        }
    if (*n == 0) { /* the first batch: keep its buffer */
        *buf = data;
        data = NULL;
    } else {
        uint8_t *bigger = realloc(*buf, ((size_t)*n + records) * CIFAR_RECORD); /* libc; checked here */
        if (!bigger) {
            rc = ip_fail(IP_ERR_NOMEM, "%s: out of memory appending %zu records", path, records);
            goto out;
        }
        *buf = bigger;
        memcpy(*buf + (size_t)*n * CIFAR_RECORD, data, len);
    }
    *n += (int)records;
out:
    free(data);
    return rc;
}

static void cifar_source(ip_data_source *s, const uint8_t *buf, int n, const char *name)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->c = 3;
    s->h = s->w = 32;
    s->xb = buf + 1;
    s->x_stride = CIFAR_RECORD;
    s->yb = buf;
    s->y_stride = CIFAR_RECORD;
    s->scale = 255.0f;
    s->name = name;
}

int ip_data_load_cifar10(ip_data *d, const ip_data_config *cfg, uint64_t seed)
{
    static const char *const defaults[] = {"../shared/data/cifar10", "data/cifar10", "data/cifar-10-batches-bin",
                                           NULL};
    char path[IP_PATH_LEN + 64], test_path[IP_PATH_LEN + 64];
    uint8_t *train = NULL, *test = NULL;
    int n_train = 0, n_test = 0, rc = IP_OK;
    const char *dir = NULL;
    const char *given[] = {cfg->path, NULL};
    const char *const *dirs = cfg->path[0] ? given : defaults;

    for (int i = 0; dirs[i] && !dir; i++)
        if (ip_data_find_file(path, sizeof path, dirs[i], "data_batch_1.bin")) dir = dirs[i];
    if (!dir) {
        if (cfg->path[0])
            return ip_fail(IP_ERR_IO, "%s/data_batch_1.bin: not found (CIFAR-10 binary version expected in %s)",
                           cfg->path, cfg->path);
        return ip_fail(IP_ERR_IO, "cifar10: no data_batch_1.bin in %s, %s or %s; set data.path to the directory of "
                       "the CIFAR-10 binary batches (not available on these machines, see docs/data.md)",
                       defaults[0], defaults[1], defaults[2]);
    }

    /* Batches 1..5 as present; a gap (batch 3 missing but 4 present) is an incomplete copy. */
    ip_data_describe(d, "cifar10 from %s: train", dir);
    int last = 0;
    for (int b = 1; b <= CIFAR_BATCHES; b++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        if (!ip_data_find_file(path, sizeof path, dir, name)) continue;
        if (last != b - 1) {
            rc = ip_fail(IP_ERR_IO, "%s: present, but data_batch_%d.bin is missing from %s", path, last + 1, dir);
            goto out;
        }
        if ((rc = read_batch(path, &train, &n_train)) < 0) goto out;
        ip_data_describe(d, " %s", path);
        last = b;
    }
    int have_test = ip_data_find_file(test_path, sizeof test_path, dir, "test_batch.bin");
    if (have_test) {
        if ((rc = read_batch(test_path, &test, &n_test)) < 0) goto out;
        ip_data_describe(d, "; test %s", test_path);
    } else {
        ip_data_describe(d, "; no test_batch.bin: test split held out from the training batches");
    }

    ip_data_source tr, te;
    cifar_source(&tr, train, n_train, dir);
    if (have_test) cifar_source(&te, test, n_test, test_path);
    rc = ip_data_assemble(d, &tr, have_test ? &te : NULL, cfg, seed, 10);
out:
    free(train);
    free(test);
    return rc;
}
