/* The LogDet analysis of a whole run (see logdet_analyze.h): reads the inputs and labels once,
 * then one recorded epoch at a time (so memory does not depend on how many epochs were recorded)
 * feeds the block route, streams CSV rows to temporary files, and finally writes the results
 * table into the run file and renames the CSV files into place. */
#include "logdet_analyze.h"
#include "logdet_run.h"

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/version.h"
#include "record/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char csv_header[] = "estimator,mode,beta,epoch,layer,i_xt,i_ty,unit\n";
static const char csv_pairs_header[] = "estimator,mode,beta,epoch,layer_a,layer_b,mi,layer_beta,unit\n";

typedef struct {
    char path[4096], tmp[4112];
    FILE *f;
} csv_out;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Start PATH.tmp with the header and the rows of PATH (if any) that do not start with `ours`
 * (estimator,mode,beta of this analysis): other settings survive, ours are replaced. */
static int csv_open(csv_out *c, const char *dir, const char *name, const char *header, const char *ours)
{
    snprintf(c->path, sizeof c->path, "%s/%s", dir, name);
    snprintf(c->tmp, sizeof c->tmp, "%s.tmp", c->path);
    c->f = fopen(c->tmp, "w");
    if (!c->f) return ip_fail(IP_ERR_IO, "%s: cannot create: %s", c->tmp, strerror(errno));
    fputs(header, c->f);
    char *old = NULL;
    size_t len = 0;
    if (ip_path_exists(c->path) && ip_read_file(c->path, &old, &len) == IP_OK) {
        size_t n_ours = strlen(ours);
        char *line = strchr(old, '\n'); /* skip the old header */
        while (line && *++line) {
            char *eol = strchr(line, '\n');
            size_t n = eol ? (size_t)(eol - line) : strlen(line);
            if (n > 0 && strncmp(line, ours, n_ours) != 0) fprintf(c->f, "%.*s\n", (int)n, line);
            line = eol;
        }
    }
    free(old);
    return IP_OK;
}

static int csv_commit(csv_out *c)
{
    int bad = ferror(c->f);
    if (fclose(c->f) != 0 || bad) {
        c->f = NULL;
        remove(c->tmp);
        return ip_fail(IP_ERR_IO, "%s: write error", c->tmp);
    }
    c->f = NULL;
    if (rename(c->tmp, c->path) != 0) {
        int e = errno;
        remove(c->tmp);
        return ip_fail(IP_ERR_IO, "%s: cannot rename into place: %s", c->path, strerror(e));
    }
    return IP_OK;
}

static void csv_abandon(csv_out *c)
{
    if (c->f) {
        fclose(c->f);
        c->f = NULL;
        remove(c->tmp);
    }
}

int ip_logdet_analyze(const char *run_path, const ip_logdet_analyze_options *opt, char *group)
{
    ip_run *run = NULL;
    ip_run_description d;
    ip_logdet_run *lr = NULL;
    double *x = NULL, **t = NULL, *rows = NULL, *pair_rows = NULL, *res = NULL;
    int *y = NULL, have_desc = 0, rc;
    csv_out c1 = {0}, c2 = {0};
    memset(&d, 0, sizeof d);

    if ((rc = ip_run_open_read(&run, run_path, 1)) != IP_OK) goto out;
    if ((rc = ip_run_describe(run, &d)) != IP_OK) goto out;
    have_desc = 1;
    int m = d.n_samples, L = d.n_layers, n_rec = d.n_recorded;
    if (n_rec < 1 || L < 1) {
        rc = ip_fail(IP_ERR, "%s: no recorded epochs to analyze (%d layers, %d epochs)", run_path, L, n_rec);
        goto out;
    }
    rc = IP_ERR_NOMEM;
    if (!(x = ip_aligned_alloc((size_t)m * d.d_x * sizeof *x)) || !(y = ip_malloc((size_t)m * sizeof *y)) ||
        !(t = ip_calloc((size_t)L, sizeof *t)))
        goto out;
    for (int l = 0; l < L; l++)
        if (!(t[l] = ip_aligned_alloc((size_t)m * d.layer_units[l] * sizeof **t))) goto out;
    if ((rc = ip_run_read_inputs(run, x, y)) != IP_OK) goto out;

    ip_logdet_run_settings s = {opt->mode, opt->beta, opt->layer_beta};
    if ((rc = ip_logdet_run_create(&lr, x, m, d.d_x, y, d.n_classes, L, d.layer_units, &s)) != IP_OK) {
        ip_error_prefix("%s", run_path);
        goto out;
    }
    free(x); /* the block route keeps what it needs */
    x = NULL;
    double beta = ip_logdet_run_beta(lr), unit = opt->bits ? 1 / log(2.0) : 1.0;
    const char *uname = opt->bits ? "bits" : "nats", *mode = ip_logdet_mode_name(opt->mode);

    /* Where the results go. */
    char dir[4096], name[256], ours[256], sbeta[64], slbeta[64];
    const char *slash = strrchr(run_path, '/');
    snprintf(dir, sizeof dir, "%.*s/analysis", slash ? (int)(slash - run_path) : 1, slash ? run_path : ".");
    if ((rc = ip_mkdir_p(dir)) != IP_OK) goto out;
    snprintf(sbeta, sizeof sbeta, "%.17g", beta);
    snprintf(slbeta, sizeof slbeta, opt->layer_beta > 0 ? "%.17g" : "paper", opt->layer_beta);
    if (opt->layer_beta > 0) snprintf(name, sizeof name, "logdet_%s_beta%s_lbeta%s", mode, sbeta, slbeta);
    else snprintf(name, sizeof name, "logdet_%s_beta%s", mode, sbeta);
    if (strlen(name) + 8 >= IP_TABLE_NAME_LEN) {
        rc = ip_fail(IP_ERR, "%s: table name %s is too long (beta %s)", run_path, name, sbeta);
        goto out;
    }
    if (group) memcpy(group, name, strlen(name) + 1);
    snprintf(ours, sizeof ours, "logdet,%s,%s,", mode, sbeta);
    if ((rc = csv_open(&c1, dir, "logdet.csv", csv_header, ours)) != IP_OK) goto out;
    if ((rc = csv_open(&c2, dir, "logdet_layers.csv", csv_pairs_header, ours)) != IP_OK) goto out;

    /* Result rows: a few doubles per layer and epoch (the only thing that grows with epochs). */
    rc = IP_ERR_NOMEM;
    if (!(rows = ip_malloc((size_t)n_rec * L * 5 * sizeof *rows)) ||
        !(pair_rows = ip_malloc((size_t)n_rec * (L > 1 ? L - 1 : 1) * 4 * sizeof *pair_rows)))
        goto out;
    if (!(res = ip_malloc((size_t)4 * L * sizeof *res))) goto out;
    double *ixt = res, *ity = res + L, *itt = res + 2 * L, *ht = res + 3 * L, t0 = now();
    for (int k = 0; k < n_rec; k++) {
        int epoch = d.recorded_epochs[k];
        for (int l = 0; l < L; l++)
            if ((rc = ip_run_read_layer(run, l, k, t[l])) != IP_OK) goto out;
        if ((rc = ip_logdet_run_epoch(lr, (const double *const *)t, ixt, ity, itt, ht)) != IP_OK) {
            ip_error_prefix("%s: epoch %d", run_path, epoch);
            goto out;
        }
        for (int l = 0; l < L; l++) {
            double *r = rows + ((size_t)k * L + l) * 5;
            r[0] = epoch, r[1] = l + 1, r[2] = ixt[l] * unit, r[3] = ity[l] * unit, r[4] = ht[l] * unit;
            fprintf(c1.f, "logdet,%s,%s,%d,%d,%.12g,%.12g,%s\n", mode, sbeta, epoch, l + 1, r[2], r[3], uname);
        }
        for (int l = 0; l + 1 < L; l++) {
            double *r = pair_rows + ((size_t)k * (L - 1) + l) * 4, lb = ip_logdet_run_layer_beta(lr, l);
            r[0] = epoch, r[1] = l + 1, r[2] = itt[l] * unit, r[3] = lb;
            fprintf(c2.f, "logdet,%s,%s,%d,%d,%d,%.12g,%.17g,%s\n", mode, sbeta, epoch, l + 1, l + 2, r[2], lb, uname);
        }
        /* In a log, a line at every tenth of the epochs, once the whole looks like taking 10 s. */
        double el = now() - t0, per = el / (k + 1);
        int tenth = (n_rec + 9) / 10, long_run = per * n_rec >= 10.0;
        if (opt->progress == 1 || (opt->progress == 2 && long_run && ((k + 1) % tenth == 0 || k + 1 == n_rec))) {
            fprintf(stderr, "%sanalyze logdet: epoch %d (%d of %d), %.3f s per epoch, %.0f s left%s",
                    opt->progress == 1 ? "\r" : "", epoch, k + 1, n_rec, per, per * (n_rec - k - 1),
                    opt->progress == 1 ? "   " : "\n");
            fflush(stderr);
        }
    }
    if (opt->progress == 1) fputc('\n', stderr);

    char shx[64], shy[64], layers[2048] = "";
    snprintf(shx, sizeof shx, "%.17g", ip_logdet_run_hx(lr) * unit);
    snprintf(shy, sizeof shy, "%.17g", ip_logdet_run_hy(lr) * unit);
    for (int l = 0; l < L; l++) {
        size_t n = strlen(layers);
        snprintf(layers + n, sizeof layers - n, "%s%s", l ? "," : "", d.layer_names[l]);
    }
    const char *keys[] = {"estimator", "mode", "beta", "layer_beta", "unit", "h_x", "h_y", "layers", "infoplane"};
    const char *vals[] = {"logdet", mode, sbeta, slbeta, uname, shx, shy, layers, IP_VERSION};
    const char *cols[] = {"epoch", "layer", "i_xt", "i_ty", "h_t"}, *pcols[] = {"epoch", "layer", "i_tt", "beta"};
    char tname[sizeof name + 16];
    snprintf(tname, sizeof tname, "%s/layers", name);
    if ((rc = ip_run_write_table(run, tname, n_rec * L, 5, cols, rows, 9, keys, vals)) != IP_OK) goto out;
    snprintf(tname, sizeof tname, "%s/pairs", name);
    if ((rc = ip_run_write_table(run, tname, L > 1 ? n_rec * (L - 1) : 0, 4, pcols, pair_rows, 9, keys, vals)) !=
        IP_OK)
        goto out;
    if ((rc = csv_commit(&c1)) != IP_OK) goto out;
    rc = csv_commit(&c2);
out:
    csv_abandon(&c1);
    csv_abandon(&c2);
    if (t)
        for (int l = 0; l < (have_desc ? d.n_layers : 0); l++) free(t[l]);
    free(t);
    free(x);
    free(y);
    free(rows);
    free(pair_rows);
    free(res);
    ip_logdet_run_free(lr);
    if (have_desc) ip_run_describe_free(&d);
    if (run) {
        int rc2 = ip_run_close(run);
        if (rc == IP_OK) rc = rc2;
    }
    return rc;
}
