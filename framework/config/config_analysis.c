/* The analysis section (which estimators run after training, LogDet's mode and beta, the
 * units) and the plot section (figure format and size): what `infoplane run` does after training. */
#include "config_fields.h"

#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "core/status.h"
#include "estimate/estimators.h"

CFG_INT_SIZED_ENUM(ip_logdet_mode);

/* The config's own choices. units: index = analysis.bits. */
static const char *const units_names[] = {"nats", "bits", NULL};
static const char *const format_names[] = {"png", "pdf", "svg", NULL};

/* estimators: the implemented ones only (ip_estimator_names), so that a run whose analysis
 * cannot happen fails here, before it trains. */
static int fn_estimators(void *base, const cfg_node *v, const char *key)
{
    ip_analysis_config *a = &((ip_config *)base)->analysis;
    char names[128], sub[160];
    const cfg_node *one = v;
    int n = v->kind == CFG_SEQ ? v->n : 1;
    if (v->kind == CFG_MAP || n == 0 || cfg_node_is_null(v))
        return cfg_node_fail(v, "%s: expected one or a list of %s (to skip the analysis use 'infoplane train')", key,
                             ip_names_join(names, sizeof names, ip_estimator_names));
    if (n > N_OF(a->estimators))
        return cfg_node_fail(v, "%s: at most %d estimators, got %d", key, N_OF(a->estimators), n);
    cfg_field f = {"estimators", F_NAME, 0, NOLIM, ip_estimator_names, sizeof a->estimators[0], NULL, 0};
    for (int i = 0; i < n; i++) {
        if (v->kind == CFG_SEQ) one = v->items[i];
        snprintf(sub, sizeof sub, v->kind == CFG_SEQ ? "%s[%d]" : "%s", key, i);
        int rc = cfg_convert_field(a->estimators[i], &f, one, sub);
        if (rc != IP_OK) return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(a->estimators[j], a->estimators[i]) == 0)
                return cfg_node_fail(one, "%s: '%s' is listed twice", key, a->estimators[i]);
    }
    a->n_estimators = n;
    return IP_OK;
}

/* beta: a positive number, or auto (stored as 0) for the paper's 100 * d_X. */
static int fn_beta(void *base, const cfg_node *v, const char *key)
{
    ip_analysis_config *a = &((ip_config *)base)->analysis;
    double b;
    if (v->kind == CFG_SCALAR && strcmp(v->value, "auto") == 0) {
        a->beta = 0;
        return IP_OK;
    }
    if (!cfg_parse_real(v, &b) || !(b > 0)) return cfg_fail_expected(v, key, "a number > 0 or auto");
    a->beta = b;
    return IP_OK;
}

static const cfg_field analysis_fields[] = {
    FN_F("estimators", fn_estimators),
    ENUM_F(ip_config, "mode", analysis.mode, ip_logdet_mode_names),
    FN_F("beta", fn_beta),
    ENUM_F(ip_config, "units", analysis.bits, units_names),
};

const cfg_section cfg_analysis_section = {"analysis", analysis_fields, N_OF(analysis_fields), NULL};

/* width, height: the figure size in pixels, the range `infoplane plot --size WxH` accepts. */
static const cfg_field plot_fields[] = {
    NAME_F(ip_config, "format", plot.format, format_names),
    INT_F(ip_config, "width", plot.width, 200, 10000),
    INT_F(ip_config, "height", plot.height, 200, 10000),
};

const cfg_section cfg_plot_section = {"plot", plot_fields, N_OF(plot_fields), NULL};
