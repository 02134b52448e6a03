/* `infoplane info RUN.h5` (or a run directory): what a run holds, in words -- config,
 * seed, versions, layers and shapes, recorded epochs, final metrics, analysis tables and their
 * compression summaries. Reads only through record/run.h; the config summary was stored at
 * creation, so no YAML here, but for a run with a record.store schedule, whose recorded epochs
 * are counted from its stored config (cli_run_partial_store). */
#include "commands.h"
#include "steps.h"

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"
#include "estimate/compression.h"
#include "estimate/labels.h"
#include "estimate/run_summary.h"
#include "record/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
    int n_recorded;
    if (cli_run_partial_store(d, &n_recorded)) { /* record.store: a schedule */
        char of[64] = "";
        if (n_recorded >= 0) snprintf(of, sizeof of, " of the %d recorded", n_recorded);
        printf("  epochs with activations: %d%s (record.store: %.200s; every recorded epoch was analysed while "
               "training, results in /analysis and analysis/*.csv)", d->n_recorded, of, d->store);
        if (d->n_recorded > 0 && d->n_recorded <= 64) {
            printf(":");
            for (int i = 0; i < d->n_recorded; i++) printf(" %d", d->recorded_epochs[i]);
        } else if (d->n_recorded > 0) {
            printf(", first %d, last %d", d->recorded_epochs[0], d->recorded_epochs[d->n_recorded - 1]);
        }
        printf("\n");
        return;
    }
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

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

/* Reads /analysis/NAME and its unit; the caller frees both. */
static int read_with_unit(ip_run *run, const char *name, int *rows, int *cols, double **t, char **unit)
{
    int rc = ip_run_read_table(run, name, rows, cols, t, NULL);
    if (rc == IP_OK) rc = ip_run_read_table_attr(run, name, "unit", unit);
    return rc;
}

/* Every GROUP/compression table (a row per layer, ip_compression_columns) as a short table. */
static int print_compression(ip_run *run, const char *path, const ip_run_description *d)
{
    int n_summaries = 0, n_layer_tables = 0;
    for (int i = 0; i < d->n_tables; i++) {
        const char *name = d->table_names[i];
        n_layer_tables += ends_with(name, "/layers");
        if (!ends_with(name, "/compression")) continue;
        int rows, cols, rc;
        double *t = NULL;
        char *unit = NULL;
        if ((rc = read_with_unit(run, name, &rows, &cols, &t, &unit)) != IP_OK) {
            free(t);
            free(unit);
            return rc;
        }
        if (cols != IP_COMPRESSION_COLS) {
            free(t);
            free(unit);
            return ip_fail(IP_ERR_FORMAT, "%s: /analysis/%s has %d columns, expected %d", path, name, cols,
                           IP_COMPRESSION_COLS);
        }
        if (!n_summaries++)
            printf("  compression (docs/compression.md): peak of the estimate, its epoch, its final value and the drop "
                   "after the peak;\n  \"compressed\": I(X;T) fell by more than %g%% of its peak\n",
                   100 * IP_COMPRESSION_THRESHOLD);
        printf("    %.*s (%s)\n", (int)(strlen(name) - strlen("/compression")), name, unit);
        printf("      %-10s %11s %6s %10s %8s   %11s %6s %10s %8s\n", "layer", "I(X;T) peak", "epoch", "final", "drop",
               "I(T;Y) peak", "epoch", "final", "drop");
        for (int r = 0; r < rows; r++) {
            const double *v = t + (size_t)r * cols;
            int l = (int)v[0];
            char layer[IP_LAYER_NAME_LEN + 16];
            if (l >= 1 && l <= d->n_layers) snprintf(layer, sizeof layer, "%s", d->layer_names[l - 1]);
            else snprintf(layer, sizeof layer, "%d", l);
            printf("      %-10s %11.5g %6d %10.5g %7.1f%%   %11.5g %6d %10.5g %7.1f%%%s\n", layer, v[2], (int)v[1],
                   v[3], 100 * v[4], v[6], (int)v[5], v[7], 100 * v[8],
                   ip_compressed(v[4], IP_COMPRESSION_THRESHOLD) ? "  compressed" : "");
        }
        free(t);
        free(unit);
    }
    if (!n_summaries && n_layer_tables)
        printf("  compression: no summary in this file (analysed by an older infoplane; analyze it again)\n");
    return IP_OK;
}

/* H(Y) of the analysis set's labels in nats (the plug-in entropy of their counts): the bound on
 * any I(T;Y). Reads the labels only. Falls back to log(classes), a looser bound, when the labels
 * cannot be read or are out of range. */
static double label_entropy(ip_run *run, const ip_run_description *d)
{
    double fallback = d->n_classes > 1 ? log(d->n_classes) : INFINITY, h = 0;
    if (d->n_samples < 1) return fallback;
    int *y = ip_malloc((size_t)d->n_samples * sizeof *y);
    int *count = ip_calloc((size_t)(d->n_classes > 0 ? d->n_classes : 1), sizeof *count);
    int ok = y && count && ip_run_read_inputs(run, NULL, y) == IP_OK &&
             ip_labels_check(y, d->n_samples, d->n_classes, "labels") == IP_OK;
    for (int i = 0; ok && i < d->n_samples; i++) count[y[i]]++;
    for (int k = 0; ok && k < d->n_classes; k++)
        if (count[k]) h -= (double)count[k] / d->n_samples * log((double)count[k] / d->n_samples);
    free(y);
    free(count);
    return ok ? h : fallback;
}

static int has_table(const ip_run_description *d, const char *name)
{
    for (int i = 0; i < d->n_tables; i++)
        if (!strcmp(d->table_names[i], name)) return 1;
    return 0;
}

/* The plain-language summary (estimate/run_summary.h): the fit, then per estimator setting which
 * layers compressed and the warning signs of its estimates. */
static int print_summary(ip_run *run, const ip_run_description *d)
{
    printf("summary:\n");
    if (d->n_metrics > 0) {
        const ip_epoch_metrics *m = &d->metrics[d->n_metrics - 1];
        ip_summary_fit(stdout, m->train_acc, m->test_acc, m->train_loss, m->test_loss);
    }
    int n_warn = 0, n_groups = 0;
    double h_y_nats = label_entropy(run, d);
    for (int i = 0; i < d->n_tables; i++) {
        const char *name = d->table_names[i];
        if (!ends_with(name, "/layers")) continue;
        char group[256];
        snprintf(group, sizeof group, "%.*s", (int)(strlen(name) - strlen("/layers")), name);
        char cname[300];
        snprintf(cname, sizeof cname, "%s/compression", group);
        int rows, cols, rc;
        double *t = NULL;
        char *unit = NULL;
        if (has_table(d, cname)) { /* print_compression has checked its columns */
            if ((rc = read_with_unit(run, cname, &rows, &cols, &t, &unit)) != IP_OK) {
                free(t);
                free(unit);
                return rc;
            }
            ip_summary_compression(stdout, group, unit, t, rows, d->layer_names[0], sizeof d->layer_names[0],
                                   d->n_layers);
            free(t);
            free(unit);
            t = NULL, unit = NULL;
        }
        if ((rc = read_with_unit(run, name, &rows, &cols, &t, &unit)) != IP_OK) {
            free(t);
            free(unit);
            return rc;
        }
        double scale = unit && !strcmp(unit, "bits") ? 1 / log(2) : 1;
        double log_m = d->n_samples > 0 ? log(d->n_samples) * scale : INFINITY;
        double h_y = h_y_nats * scale;
        n_warn += ip_summary_warnings(stdout, group, t, rows, cols, log_m, h_y);
        n_groups++;
        free(t);
        free(unit);
    }
    if (!n_groups) printf("  no analysis yet: nothing to say about compression\n");
    else if (!n_warn) printf("  no warning signs: estimates within their bounds and in the order the layers come\n");
    return IP_OK;
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
    if (d.imported) {
        printf("%s: imported run (written outside infoplane, docs/hdf5-layout.md \"Importing\")\n", path);
        printf("  provenance: %s\n", d.provenance[0] ? d.provenance : "(none: no root attribute description or source)");
    } else {
        printf("%s: infoplane run, created %s\n", path, d.created[0] ? d.created : "(unknown)");
        printf("  config:     %s\n", d.config_source[0] ? d.config_source : "(unknown file)");
        print_overrides(d.overrides);
        if (d.config_summary[0]) printf("              %s\n", d.config_summary);
        printf("  seed:       %llu\n", (unsigned long long)d.seed);
        printf("  versions:   %s\n", d.versions);
        printf("  threads:    %d\n", d.threads);
    }
    if (d.data_description[0]) printf("  data:       %s\n", d.data_description);
    printf("  analysis set: %d samples (%d train + %d test), %d inputs, %d classes\n", d.n_samples, d.train_rows,
           d.test_rows, d.d_x, d.n_classes);
    printf("  layers (%d, %s, %s), each [recorded epochs x samples x units]:\n", d.n_layers,
           d.imported ? "float32/float64" : "float32", d.compression ? "gzip" : "uncompressed");
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
    int rc = print_compression(run, path, &d);
    if (rc == IP_OK) rc = print_summary(run, &d);
    ip_run_describe_free(&d);
    if (rc != IP_OK) {
        ip_run_close(run);
        return cli_error("%s", ip_error_message());
    }
    if (ip_run_close(run) != IP_OK) return cli_error("%s", ip_error_message());
    return 0;
}
