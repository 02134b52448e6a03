/* `infoplane info RUN.h5` (or a run directory): what a run holds, in words -- config,
 * seed, versions, layers and shapes, recorded epochs, final metrics, analysis tables.
 * Reads only through record/run.h; the config summary was stored at creation, so no YAML here. */
#include "commands.h"

#include "core/fsutil.h"
#include "core/status.h"
#include "record/run.h"

#include <stdio.h>
#include <string.h>

/* Overrides are stored one "key=value" per line; show them on one line. */
static void print_overrides(const char *o)
{
    if (!o || !*o) return;
    printf("  overrides:  ");
    for (int first = 1; *o;) {
        size_t n = strcspn(o, "\n");
        if (n) printf("%s--set %.*s", first ? "" : " ", (int)n, o);
        if (n) first = 0;
        o += n + (o[n] == '\n');
    }
    printf("\n");
}

static void print_epochs(const ip_run_description *d)
{
    if (d->store_none) {
        printf("  recorded epochs: no activations kept (record.store: none); analysed while training, results "
               "in /analysis and analysis/*.csv\n");
        return;
    }
    if (d->n_recorded == 0) {
        printf("  recorded epochs: none\n");
        return;
    }
    printf("  recorded epochs: %d (first %d, last %d)", d->n_recorded, d->recorded_epochs[0],
           d->recorded_epochs[d->n_recorded - 1]);
    if (d->n_recorded <= 24) {
        printf(":");
        for (int i = 0; i < d->n_recorded; i++) printf(" %d", d->recorded_epochs[i]);
    }
    printf("\n");
}

static void print_metrics(const ip_run_description *d)
{
    if (d->n_metrics == 0) {
        printf("  metrics: none\n");
        return;
    }
    const ip_epoch_metrics *m = &d->metrics[d->n_metrics - 1];
    double total = 0;
    for (int i = 0; i < d->n_metrics; i++) total += d->metrics[i].seconds;
    printf("  completed epochs: %d to %d\n", d->metrics[0].epoch, d->last_epoch);
    printf("  final metrics (epoch %d): train loss %.6g, accuracy %.2f%%; test loss %.6g, accuracy %.2f%%\n",
           m->epoch, m->train_loss, 100 * m->train_acc, m->test_loss, 100 * m->test_acc);
    printf("  time: %.1f s in all, %.3f s per epoch on average\n", total,
           d->n_metrics > 1 ? (total - d->metrics[0].seconds) / (d->n_metrics - 1) : total);
}

int cmd_info(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: infoplane info RUN.h5|RUN_DIR\n");
        return 2;
    }
    char path[IP_PATH_LEN + 16];
    if (ip_is_dir(argv[1])) snprintf(path, sizeof path, "%s/run.h5", argv[1]);
    else snprintf(path, sizeof path, "%s", argv[1]);

    ip_run *run = NULL;
    ip_run_description d;
    memset(&d, 0, sizeof d);
    if (ip_run_open_read(&run, path, 0) != IP_OK || ip_run_describe(run, &d) != IP_OK) {
        ip_run_close(run);
        return cli_error("%s", ip_error_message());
    }
    printf("%s: infoplane run, created %s\n", path, d.created[0] ? d.created : "(unknown)");
    printf("  config:     %s\n", d.config_source[0] ? d.config_source : "(unknown file)");
    print_overrides(d.overrides);
    if (d.config_summary[0]) printf("              %s\n", d.config_summary);
    printf("  seed:       %llu\n", (unsigned long long)d.seed);
    printf("  versions:   %s\n", d.versions);
    printf("  threads:    %d\n", d.threads);
    if (d.data_description[0]) printf("  data:       %s\n", d.data_description);
    printf("  analysis set: %d samples (%d train + %d test), %d inputs, %d classes\n", d.n_samples, d.train_rows,
           d.test_rows, d.d_x, d.n_classes);
    printf("  layers (%d, float32, %s), each [recorded epochs x samples x units]:\n", d.n_layers,
           d.compression ? "gzip" : "uncompressed");
    for (int l = 0; l < d.n_layers; l++)
        printf("    /layers/%-16s %d x %d x %d\n", d.layer_names[l], d.n_recorded, d.n_samples, d.layer_units[l]);
    print_epochs(&d);
    print_metrics(&d);
    if (d.n_tables == 0) {
        printf("  analysis:   none yet (infoplane analyze %s)\n", path);
    } else {
        printf("  analysis:   %d table%s:", d.n_tables, d.n_tables == 1 ? "" : "s");
        for (int i = 0; i < d.n_tables; i++) printf(" /analysis/%s", d.table_names[i]);
        printf("\n");
    }
    ip_run_describe_free(&d);
    if (ip_run_close(run) != IP_OK) return cli_error("%s", ip_error_message());
    return 0;
}
