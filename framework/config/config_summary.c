/* One readable paragraph of a config, for the run file's config_summary attribute (what
 * `infoplane info` prints). Moved here from record/, which stores the text without knowing the
 * schema it comes from. */
#include "config_summary.h"

#include <stdio.h>
#include <string.h>

static const char *sched_name(const ip_schedule *r, char *buf, size_t n)
{
    switch (r->kind) {
    case IP_SCHED_ALL: return "every epoch";
    case IP_SCHED_EVERY: snprintf(buf, n, "every %d epochs", r->every); return buf;
    case IP_SCHED_LIST: snprintf(buf, n, "a list of %d epochs", r->n_list); return buf;
    case IP_SCHED_LOG: return "log-spaced (Saxe et al.)";
    }
    return "?";
}

void ip_config_summary(const ip_config *c, char *buf, size_t n)
{
    char widths[256] = "", sched[64], store[80];
    ip_store_text(&c->record, store, sizeof store); /* a long list is cut: the config text has it whole */
    size_t w = 0;
    for (int i = 0; i < c->model.n_hidden && i < IP_MAX_LAYERS && w < sizeof widths - 16; i++)
        w += (size_t)snprintf(widths + w, sizeof widths - w, "%s%d", i ? "-" : "", c->model.hidden[i]);
    const char *opt = c->train.optim.optimizer == IP_OPT_ADAM ? "adam" : "sgd";
    char shift[48] = "", threads[24] = "auto", train_rows[24] = "all", data_extra[96] = "";
    if (c->train.augment_shift > 0) snprintf(shift, sizeof shift, ", augment_shift %d", c->train.augment_shift);
    if (c->train.threads > 0) snprintf(threads, sizeof threads, "%d", c->train.threads);
    if (c->record.samples > 0) snprintf(train_rows, sizeof train_rows, "%d", c->record.samples);
    snprintf(data_extra, sizeof data_extra, "%s%s", c->data.scale == IP_SCALE_STD ? " (scale std)" : "",
             c->data.generate ? " (generated)" : "");
    if (c->data.label_noise > 0)
        snprintf(data_extra + strlen(data_extra), sizeof data_extra - strlen(data_extra), " (label noise %g)",
                 c->data.label_noise);
    int all_stored = c->record.store == IP_STORE_ACTIVATIONS;
    snprintf(buf, n,
             "model %s (activation %s%s%s); data %s%s; train %d epochs, %s lr %g%s, momentum %g, batch %d%s, "
             "threads %s; record %s train + %d test samples, %s, gzip %d%s%s",
             c->model.arch[0] ? c->model.arch : "?", ip_activation_name(c->model.activation), widths[0] ? ", hidden " : "",
             widths, c->data.dataset[0] ? c->data.dataset : "?", data_extra, c->train.epochs, opt, c->train.optim.lr,
             c->train.optim.lr_schedule == IP_LR_COSINE ? " cosine" : "", c->train.optim.momentum, c->train.batch_size,
             shift, threads, train_rows, c->record.test_samples, sched_name(&c->record.epochs, sched, sizeof sched),
             c->record.compression, all_stored ? "" : ", store ", all_stored ? "" : store);
}
