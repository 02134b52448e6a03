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

/* One number or a list of at most IP_EST_MAX_VALUES of them, each > lo (lo_open) or >= lo, and
 * < hi; "auto" (stored as 0) where auto_ok. */
static int real_list(const cfg_node *v, const char *key, double lo, int lo_open, double hi, int auto_ok, double *out,
                     int *n_out)
{
    char sub[192], what[128];
    snprintf(what, sizeof what, "a number %s %g%s%s, or a list of them", lo_open ? ">" : ">=", lo,
             hi < 1e300 ? " and below the limit" : "", auto_ok ? " (or auto)" : "");
    int n = v->kind == CFG_SEQ ? v->n : 1;
    if (v->kind == CFG_MAP || n == 0) return cfg_fail_expected(v, key, what);
    if (n > IP_EST_MAX_VALUES) return cfg_node_fail(v, "%s: at most %d values, got %d", key, IP_EST_MAX_VALUES, n);
    for (int i = 0; i < n; i++) {
        const cfg_node *one = v->kind == CFG_SEQ ? v->items[i] : v;
        snprintf(sub, sizeof sub, v->kind == CFG_SEQ ? "%s[%d]" : "%s", key, i);
        double x;
        if (auto_ok && one->kind == CFG_SCALAR && !strcmp(one->value, "auto")) {
            out[i] = 0;
            continue;
        }
        if (one->kind != CFG_SCALAR || !cfg_parse_real(one, &x) || (lo_open ? !(x > lo) : !(x >= lo)) || !(x < hi))
            return cfg_fail_expected(one, sub, what);
        out[i] = x;
    }
    *n_out = n;
    return IP_OK;
}

/* The keys of one estimator's map, each checked against the allowed list. */
static int check_keys(const cfg_node *v, const char *key, const char *const *allowed)
{
    char names[128];
    if (v->kind != CFG_MAP) return cfg_fail_expected(v, key, "a map of parameters");
    for (int i = 0; i < v->n; i++)
        if (ip_name_find(allowed, v->keys[i]->value) < 0)
            return cfg_node_fail(v->keys[i], "%s: unknown key '%.64s' (allowed: %s)", key, v->keys[i]->value,
                                 ip_names_join(names, sizeof names, allowed));
    return IP_OK;
}

#define SUBKEY(name) (snprintf(sub, sizeof sub, "%s.%s", key, name), sub)

/* binning: {bins: N | [N, ...], range: layer | unit | fixed | width, lo: A, hi: B, width: W | [W, ...]} */
static int fn_binning(void *base, const cfg_node *v, const char *key)
{
    static const char *const allowed[] = {"bins", "range", "lo", "hi", "width", NULL};
    ip_estimator_choice *c = &((ip_config *)base)->analysis.params;
    char sub[192];
    int rc = check_keys(v, key, allowed);
    const cfg_node *x;
    if (rc == IP_OK && (x = cfg_map_get(v, "bins", NULL)))
        rc = cfg_convert_int_list(x, SUBKEY("bins"), 1, IP_EST_MAX_VALUES, c->bins, &c->n_bins);
    if (rc == IP_OK && c->n_bins && c->bins[c->n_bins - 1] > IP_BINNING_MAX_BINS)
        rc = cfg_node_fail(x, "%s: at most %d bins", sub, IP_BINNING_MAX_BINS);
    if (rc == IP_OK && (x = cfg_map_get(v, "range", NULL))) {
        int r = x->kind == CFG_SCALAR ? ip_name_find(ip_binning_range_names, x->value) : -1;
        if (r < 0) rc = cfg_fail_expected(x, SUBKEY("range"), "layer, unit, fixed or width");
        else c->bin_range = (ip_binning_range)r;
    }
    int n1;
    double one[IP_EST_MAX_VALUES];
    if (rc == IP_OK && (x = cfg_map_get(v, "lo", NULL))) {
        if (x->kind == CFG_SEQ) rc = cfg_fail_expected(x, SUBKEY("lo"), "one number");
        else if ((rc = real_list(x, SUBKEY("lo"), -1e300, 0, 1e300, 0, one, &n1)) == IP_OK) c->bin_lo = one[0];
    }
    if (rc == IP_OK && (x = cfg_map_get(v, "hi", NULL))) {
        if (x->kind == CFG_SEQ) rc = cfg_fail_expected(x, SUBKEY("hi"), "one number");
        else if ((rc = real_list(x, SUBKEY("hi"), -1e300, 0, 1e300, 0, one, &n1)) == IP_OK) c->bin_hi = one[0];
    }
    if (rc == IP_OK && (x = cfg_map_get(v, "width", NULL)))
        rc = real_list(x, SUBKEY("width"), 0, 1, 1e300, 0, c->width, &c->n_width);
    if (rc == IP_OK && !(c->bin_lo < c->bin_hi))
        rc = cfg_node_fail(v, "%s: lo (%g) must be below hi (%g)", key, c->bin_lo, c->bin_hi);
    /* keys the range does not use would do nothing: refused */
    const char *unused = c->bin_range == IP_BIN_WIDTH ? "bins" : "width";
    if (rc == IP_OK && (x = cfg_map_get(v, unused, NULL)))
        rc = cfg_node_fail(x, "%s.%s: not used with range %s (%s)", key, unused,
                           ip_name_of(ip_binning_range_names, (int)c->bin_range),
                           c->bin_range == IP_BIN_WIDTH ? "bins of a fixed width" : "the range is cut into `bins` bins");
    if (rc == IP_OK && c->bin_range != IP_BIN_FIXED &&
        ((x = cfg_map_get(v, "lo", NULL)) || (x = cfg_map_get(v, "hi", NULL))))
        rc = cfg_node_fail(x, "%s: lo and hi are the range of range: fixed, not used with range %s", key,
                           ip_name_of(ip_binning_range_names, (int)c->bin_range));
    return rc;
}

/* kde: {noise: VAR | [VAR, ...]} */
static int fn_kde(void *base, const cfg_node *v, const char *key)
{
    static const char *const allowed[] = {"noise", NULL};
    ip_estimator_choice *c = &((ip_config *)base)->analysis.params;
    char sub[192];
    int rc = check_keys(v, key, allowed);
    const cfg_node *x;
    if (rc == IP_OK && (x = cfg_map_get(v, "noise", NULL)))
        rc = real_list(x, SUBKEY("noise"), 0, 1, 1e300, 0, c->noise, &c->n_noise);
    return rc;
}

/* renyi: {alpha: A | [A, ...], sigma: S | auto | [...]} */
static int fn_renyi(void *base, const cfg_node *v, const char *key)
{
    static const char *const allowed[] = {"alpha", "sigma", NULL};
    ip_estimator_choice *c = &((ip_config *)base)->analysis.params;
    char sub[192];
    int rc = check_keys(v, key, allowed);
    const cfg_node *x;
    if (rc == IP_OK && (x = cfg_map_get(v, "alpha", NULL)))
        rc = real_list(x, SUBKEY("alpha"), 0, 1, 1e300, 0, c->alpha, &c->n_alpha);
    for (int i = 0; rc == IP_OK && x && i < c->n_alpha; i++)
        if (c->alpha[i] == 1)
            rc = cfg_node_fail(x, "%s: alpha = 1 is Shannon's limit, where the formula divides by zero: use 1.01 "
                                  "(the default) or 0.99", sub);
    if (rc == IP_OK && (x = cfg_map_get(v, "sigma", NULL)))
        rc = real_list(x, SUBKEY("sigma"), 0, 1, 1e300, 1, c->sigma, &c->n_sigma);
    return rc;
}

/* ksg: {k: K | [K, ...]} */
static int fn_ksg(void *base, const cfg_node *v, const char *key)
{
    static const char *const allowed[] = {"k", NULL};
    ip_estimator_choice *c = &((ip_config *)base)->analysis.params;
    char sub[192];
    int rc = check_keys(v, key, allowed);
    const cfg_node *x;
    if (rc == IP_OK && (x = cfg_map_get(v, "k", NULL)))
        rc = cfg_convert_int_list(x, SUBKEY("k"), 1, IP_EST_MAX_VALUES, c->k, &c->n_k);
    return rc;
}

/* After the section: the choice's estimators and LogDet settings from estimators, mode and beta,
 * and the whole expanded once, so a parameter set that cannot run fails here, before training. */
static int check_analysis(ip_config *cfg, const cfg_node *section)
{
    ip_analysis_config *a = &cfg->analysis;
    ip_estimator_choice *c = &a->params;
    c->n_kinds = a->n_estimators;
    for (int i = 0; i < a->n_estimators; i++) c->kinds[i] = (ip_estimator_kind)ip_estimator_kind_of(a->estimators[i]);
    c->logdet_mode = a->mode;
    c->logdet_beta = a->beta > 0 ? a->beta : 0;
    /* Parameters of an estimator that does not run would do nothing: refused, not ignored. */
    for (int k = IP_EST_BINNING; section && k < IP_EST_COUNT; k++) {
        int idx, listed = 0;
        if (!cfg_map_get(section, ip_estimator_names[k], &idx)) continue;
        for (int i = 0; i < c->n_kinds; i++) listed |= c->kinds[i] == (ip_estimator_kind)k;
        if (!listed)
            return cfg_node_fail(section->keys[idx], "analysis.%s: parameters of %s, which is not in analysis.estimators "
                                                     "(add it there, or remove this key)",
                                 ip_estimator_names[k], ip_estimator_names[k]);
    }
    ip_estimator settings[IP_EST_MAX_SETTINGS];
    int n;
    if (ip_estimator_choice_expand(c, settings, &n) != IP_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ip_error_message());
        return section ? cfg_node_fail(section, "analysis: %s", msg) : ip_fail(IP_ERR_FORMAT, "analysis: %s", msg);
    }
    return IP_OK;
}

static const cfg_field analysis_fields[] = {
    FN_F("estimators", fn_estimators),
    ENUM_F(ip_config, "mode", analysis.mode, ip_logdet_mode_names),
    FN_F("beta", fn_beta),
    ENUM_F(ip_config, "units", analysis.bits, units_names),
    BOOL_F(ip_config, "online", analysis.online),
    FN_F("binning", fn_binning),
    FN_F("kde", fn_kde),
    FN_F("renyi", fn_renyi),
    FN_F("ksg", fn_ksg),
};

const cfg_section cfg_analysis_section = {"analysis", analysis_fields, N_OF(analysis_fields), check_analysis};

/* width, height: the figure size in pixels, the range `infoplane plot --size WxH` accepts. */
static const cfg_field plot_fields[] = {
    NAME_F(ip_config, "format", plot.format, format_names),
    INT_F(ip_config, "width", plot.width, 200, 10000),
    INT_F(ip_config, "height", plot.height, 200, 10000),
    BOOL_F(ip_config, "animation", plot.animation),
};

const cfg_section cfg_plot_section = {"plot", plot_fields, N_OF(plot_fields), NULL};
