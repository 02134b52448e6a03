/* The live view and the self-refreshing report of `infoplane run` (see live.h). */
#include "live.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/status.h"
#include "estimate/estimators.h"

#define VIEW_CAP 16384 /* a 64 x 16 grid with highlights, labels and title: about 1.5 KB */

struct cli_live {
    int view, report;
    ip_plot_options popt;
    int shown;                 /* the setting shown (index into the results) */
    ip_plot_live *live;        /* the report (NULL: none) */
    pthread_mutex_t mu;        /* guards text and generation */
    char *text;                /* the view (VIEW_CAP bytes) */
    unsigned long generation, taken;
};

int cli_live_create(cli_live **out, int view, int report, const ip_plot_options *popt)
{
    *out = NULL;
    cli_live *l = ip_calloc(1, sizeof *l);
    if (!l) return IP_ERR_NOMEM;
    l->view = view, l->report = report;
    if (popt) l->popt = *popt;
    else ip_plot_options_default(&l->popt);
    if (view && !(l->text = ip_calloc(VIEW_CAP, 1))) {
        free(l);
        return IP_ERR_NOMEM;
    }
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return IP_OK;
}

/* The view of setting l->shown into the view buffer. */
static void render(cli_live *l, const ip_results *res)
{
    const ip_results *r = &res[l->shown];
    int rows = r->n_epochs * r->L, last = r->n_epochs ? ip_results_epoch_at(r, r->n_epochs - 1) : -1;
    char title[512], epoch[96] = "no epoch analysed yet";
    if (last >= 0) snprintf(epoch, sizeof epoch, "epoch %d (%d analysed)", last, r->n_epochs);
    /* e.g. "Information plane, logdet (cov, beta = 4096): epoch 120 (25 analysed)"; param is %.17g text, shown %g */
    snprintf(title, sizeof title, "Information plane, %s (%s, %s = %g): %s", ip_estimator_names[r->e->kind],
             r->mode[0], ip_estimator_param_name(r->e), strtod(r->param, NULL), epoch);
    char *buf = malloc(VIEW_CAP); /* owned here */
    if (!buf) return;
    ip_plot_text_options o = {.width = 64, .height = 16, .title = title, .unit = r->bits ? "bits" : "nats", .ansi = 1};
    int lines = ip_plot_text_plane(buf, VIEW_CAP, r->rows[0], rows, 4 + r->n_extra, &o);
    if (lines > 0) {
        pthread_mutex_lock(&l->mu);
        memcpy(l->text, buf, strlen(buf) + 1);
        l->generation++;
        pthread_mutex_unlock(&l->mu);
    }
    free(buf);
}

void cli_live_start(cli_live *l, const char *out_dir, const ip_results *res, int n)
{
    if (!l) return;
    l->shown = 0;
    for (int i = n - 1; i >= 0; i--)
        if (res[i].e->kind == IP_EST_LOGDET) l->shown = i;
    if (l->view) render(l, res);
    if (l->report && !l->live &&
        ip_plot_live_create(&l->live, out_dir, ip_estimator_names[res[l->shown].e->kind], &l->popt) != IP_OK)
        l->live = NULL;
}

void cli_live_epoch(cli_live *l, const ip_results *res, int n, int csv)
{
    if (!l || l->shown >= n) return;
    if (l->view) render(l, res);
    if (csv && l->live) ip_plot_live_update(l->live); /* a failure is noted on the page */
}

int cli_live_view(cli_live *l, char *buf, size_t cap)
{
    if (!l || !l->view || cap == 0) return 0;
    pthread_mutex_lock(&l->mu);
    int changed = l->generation != l->taken;
    if (changed) {
        snprintf(buf, cap, "%s", l->text);
        l->taken = l->generation;
    }
    pthread_mutex_unlock(&l->mu);
    return changed;
}

void cli_live_free(cli_live *l)
{
    if (!l) return;
    ip_plot_live_free(l->live);
    pthread_mutex_destroy(&l->mu);
    free(l->text);
    free(l);
}
