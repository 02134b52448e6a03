/* The run's sizes settled and checked before the trainer allocates (see train_plan.h). Memory is
 * counted in doubles, so that no product of config values can wrap, and compared with the
 * machine's physical memory: a run that needs more is refused at once instead of paging the
 * machine to a halt or failing in an allocation far from the key that caused it. */
#include "train_plan.h"

#include "../core/status.h"
#include "../core/sysmem.h"
#include "../estimate/logdet.h"
#include "../nn/network.h"
#include "../record/run.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Evaluation (test set, analysis set) goes through the network in batches of at least this. */
#define EVAL_BATCH 256
/* Bytes per epoch of history: its metrics row in memory and as a line of metrics.csv. */
#define HISTORY_BYTES ((double)sizeof(ip_epoch_metrics) + 128.0)

/* The model keys that size the network, as the user wrote them. */
static const char *model_key(const ip_model_config *m, char *buf, size_t cap)
{
    if (!strcmp(m->arch, "custom")) return "model.layers";
    if (m->n_hidden > 0 && m->n_channels > 0) return "model.hidden, model.channels";
    if (m->n_hidden > 0) return "model.hidden";
    if (m->n_channels > 0) return "model.channels";
    snprintf(buf, cap, "model.arch (%s)", m->arch);
    return buf;
}

typedef struct {
    char key[192];   /* the config keys that size it */
    char what[256];  /* "the network's N parameters (...)" */
    const char *label; /* a short name for the breakdown */
    const char *verb; /* "need" or "needs" */
    double bytes;
} mem_item;

static void item(mem_item *it, const char *label, double bytes, const char *key, const char *verb, const char *fmt,
                 ...) __attribute__((format(printf, 6, 7)));
static void item(mem_item *it, const char *label, double bytes, const char *key, const char *verb, const char *fmt,
                 ...)
{
    snprintf(it->key, sizeof it->key, "%s", key);
    it->label = label;
    it->verb = verb;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->what, sizeof it->what, fmt, ap);
    va_end(ap);
    it->bytes = bytes;
}

static int check_memory(const ip_train_plan *p, const ip_config *cfg, const ip_data *data,
                        const ip_network_sizes *ns, int n_specs, const ip_layer_spec *specs)
{
    char mk[96], mkey[96], b1[32], b2[32];
    snprintf(mkey, sizeof mkey, "%s", model_key(&cfg->model, mk, sizeof mk));
    const ip_dataset *tr = &data->train, *te = &data->test;
    double feat = (double)ip_dataset_features(tr), P = (double)ns->n_params;
    int adam = cfg->train.optim.optimizer == IP_OPT_ADAM;
    mem_item it[5];
    int n = 0;

    /* Parameters and gradients, the optimizer's moments (SGD keeps one), and the run writer's two
     * jobs, each holding a copy of the parameters and of both moment buffers (record/). */
    item(&it[n++], "network state", 4.0 * P * (2 + (adam ? 2 : 1) + 6), mkey, "need",
         "the network's %.0f parameters (with their gradients, %s and the run writer's copies)", P,
         adam ? "Adam's two moments" : "SGD's momentum");

    /* One batch through the network: every layer's output, the gradient buffers, workspaces. */
    double batch_bytes = ip_network_sizes_bytes(ns) - 4.0 * 2 * P + (4.0 * feat + 4.0 + 8.0) * p->batch;
    char bkey[160];
    snprintf(bkey, sizeof bkey, "%s%s", p->batch > EVAL_BATCH ? "train.batch_size, " : "", mkey);
    item(&it[n++], "batch activations", batch_bytes, bkey, "need", "the activations of a batch of %d samples",
         p->max_batch);

    /* The analysis set: its inputs, and its recorded activations three times (the trainer's buffer
     * and the run writer's two jobs). */
    double units = 0;
    for (int i = 0; i < n_specs; i++)
        if (specs[i].record) units += ns->out_size[i];
    int n_a = p->n_analysis_train + p->n_analysis_test;
    char rkey[192];
    snprintf(rkey, sizeof rkey, "%s, record.samples%s", mkey, p->n_analysis_test ? ", record.test_samples" : "");
    item(&it[n++], "recorded activations", (double)n_a * (feat + 1) * 4 + 3.0 * 4 * n_a * units, rkey, "need",
         "the recorded activations of the %d analysis samples (%.0f values each, in three buffers)", n_a, units);

    item(&it[n++], "history", HISTORY_BYTES * ((double)cfg->train.epochs + 1), "train.epochs", "needs",
         "the per-epoch history of %d epochs", cfg->train.epochs);

    /* Already loaded: counted in the total, never blamed. */
    item(&it[n++], "data", ((double)tr->n + te->n) * (feat * 4 + 4) + 4.0 * tr->n, "data", "holds", "the data set");

    double total = 0, have = ip_physical_memory();
    int worst = 0;
    for (int i = 0; i < n; i++) {
        total += it[i].bytes;
        if (i < n - 1 && it[i].bytes > it[worst].bytes) worst = i;
    }
    if (have <= 0 || total <= have) return IP_OK;

    char parts[400] = "", b3[32];
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof parts; i++)
        used += (size_t)snprintf(parts + used, sizeof parts - used, "%s%s %s", i ? ", " : "", it[i].label,
                                 ip_format_bytes(it[i].bytes, b1, sizeof b1));
    return ip_fail(IP_ERR_NOMEM, "%s: %s %s %s, the whole run %s (%s), but this machine has %s of memory",
                   it[worst].key, it[worst].what, it[worst].verb, ip_format_bytes(it[worst].bytes, b1, sizeof b1),
                   ip_format_bytes(total, b2, sizeof b2), parts, ip_format_bytes(have, b3, sizeof b3));
}

int ip_train_plan_make(ip_train_plan *p, const ip_config *cfg, const ip_data *data, const ip_layer_spec *specs,
                       int n_specs)
{
    memset(p, 0, sizeof *p);
    const ip_dataset *tr = &data->train, *te = &data->test;
    if (tr->n <= 0)
        return ip_fail(IP_ERR, "data: the training set is empty (%s); expected at least one training sample",
                       data->description);

    /* A batch larger than the training set is the whole set: say so, and size for what is used. */
    p->batch = cfg->train.batch_size < tr->n ? cfg->train.batch_size : tr->n;
    if (p->batch < cfg->train.batch_size)
        fprintf(stderr, "infoplane: note: train.batch_size = %d is more than the %d training samples; every epoch is "
                        "one batch of %d\n", cfg->train.batch_size, tr->n, p->batch);

    const ip_record_config *rc = &cfg->record;
    p->n_analysis_train = rc->samples > 0 && rc->samples < tr->n ? rc->samples : tr->n;
    p->n_analysis_test = rc->test_samples < te->n ? rc->test_samples : te->n;
    int n_a = p->n_analysis_train + p->n_analysis_test;
    /* Evaluation passes (test and analysis sets) go in batches of max_batch: the configured batch,
     * cut to the largest set it is used on, so every set is split exactly as by the batch itself
     * (the same results as a network sized for the whole configured batch), and at least 256. */
    int largest = tr->n > te->n ? tr->n : te->n;
    if (n_a > largest) largest = n_a;
    p->max_batch = cfg->train.batch_size < largest ? cfg->train.batch_size : largest;
    if (p->max_batch < EVAL_BATCH) p->max_batch = EVAL_BATCH;
    if (n_a < IP_LOGDET_MIN_SAMPLES)
        return ip_fail(IP_ERR, "record.samples = %d, record.test_samples = %d: the analysis set would hold %d sample "
                               "(the training set has %d, the test set %d), but the estimators need at least %d",
                       rc->samples, rc->test_samples, n_a, tr->n, te->n, IP_LOGDET_MIN_SAMPLES);

    ip_network_sizes ns;
    ip_shape input = {tr->c, tr->h, tr->w};
    char mk[96];
    int status = ip_network_plan(&ns, specs, n_specs, input, p->max_batch);
    if (status != IP_OK) {
        ip_error_prefix("%s", model_key(&cfg->model, mk, sizeof mk));
        return status;
    }
    return check_memory(p, cfg, data, &ns, n_specs, specs);
}
