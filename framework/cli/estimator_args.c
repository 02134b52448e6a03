/* Parsing of the shared estimator options (see estimator_args.h). */
#include "estimator_args.h"
#include "commands.h"

#include "core/names.h"
#include "core/status.h"
#include "estimate/estimators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bits of *given beyond the estimator kinds: which of binning's two exclusive lists was given. */
enum { GIVEN_BINS = 1u << 16, GIVEN_WIDTH = 1u << 17 };

const char cli_estimator_usage[] =
    "  --estimator NAME[,NAME...]  logdet (default), binning, kde, renyi, ksg\n"
    "  logdet:  --mode cov|pearson  --beta B (default: the paper's 100 * d)\n"
    "  binning: --bins N[,N...] (default 30)  --range layer|unit|LO:HI|width (default layer: the\n"
    "           data's min..max)  --width W[,W...] (with --range width; default 0.07)\n"
    "  kde:     --noise VAR[,VAR...] (noise variance, default 0.1)\n"
    "  renyi:   --alpha A[,A...] (default 1.01)  --sigma S[,S...]|auto (kernel width; default auto)\n"
    "  ksg:     --k K[,K...] (neighbours, default 3)";

/* A comma list of numbers into out (at most IP_EST_MAX_VALUES), each > lo (lo_open) or >= lo;
 * integers only when integral; "auto" -> 0 when auto_ok. */
static int parse_list(const char *opt, const char *s, double lo, int lo_open, int integral, int auto_ok, double *out,
                      int *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == IP_EST_MAX_VALUES) return cli_error("%s: at most %d values, got '%s'", opt, IP_EST_MAX_VALUES, s);
        char *end;
        double v = strtod(tok, &end);
        if (auto_ok && !strcmp(tok, "auto")) v = 0, end = tok + 4;
        else if (*end || end == tok || !isfinite(v) || (lo_open ? !(v > lo) : !(v >= lo)) ||
                 (integral && (v != floor(v) || v > 1e9)))
            return cli_error("%s: expected %s %s %g%s, got '%s'", opt, integral ? "integers" : "numbers",
                             lo_open ? ">" : ">=", lo, auto_ok ? " or auto" : "", tok);
        out[(*n)++] = v;
    }
    if (*n == 0) return cli_error("%s: expected a value, got '%s'", opt, s);
    return 0;
}

static int set_estimators(const char *v, ip_estimator_choice *c)
{
    char buf[256], names[128];
    snprintf(buf, sizeof buf, "%s", v);
    c->n_kinds = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int k = ip_estimator_kind_of(tok);
        if (k < 0)
            return cli_error("--estimator: unknown estimator '%s' (have: %s)", tok,
                             ip_names_join(names, sizeof names, ip_estimator_names));
        for (int j = 0; j < c->n_kinds; j++)
            if (c->kinds[j] == (ip_estimator_kind)k) return cli_error("--estimator: '%s' is listed twice", tok);
        c->kinds[c->n_kinds++] = (ip_estimator_kind)k;
    }
    if (c->n_kinds == 0) return cli_error("--estimator: expected one or more names, got '%s'", v);
    return 0;
}

static int set_range(const char *v, ip_estimator_choice *c)
{
    int r = ip_name_find(ip_binning_range_names, v);
    if (r >= 0 && r != IP_BIN_FIXED) {
        c->bin_range = (ip_binning_range)r;
        return 0;
    }
    double lo, hi;
    char tail;
    if (sscanf(v, "%lf:%lf%c", &lo, &hi, &tail) == 2 && isfinite(lo) && isfinite(hi) && lo < hi) {
        c->bin_range = IP_BIN_FIXED, c->bin_lo = lo, c->bin_hi = hi;
        return 0;
    }
    return cli_error("--range: expected layer, unit, width or LO:HI with LO < HI (e.g. -1:1), got '%s'", v);
}

int cli_estimator_option(int argc, char **argv, int *i, ip_estimator_choice *c, unsigned *given)
{
    const char *a = argv[*i];
    if (*i + 1 >= argc || a[0] != '-') return 0;
    const char *v = argv[*i + 1];
    double vals[IP_EST_MAX_VALUES];
    int n = 0, rc = 0;
    if (!strcmp(a, "--estimator")) {
        rc = set_estimators(v, c);
    } else if (!strcmp(a, "--mode")) {
        if (ip_logdet_mode_parse(v, &c->logdet_mode) != IP_OK) rc = cli_error("--mode: %s", ip_error_message());
        *given |= 1u << IP_EST_LOGDET;
    } else if (!strcmp(a, "--beta")) {
        char *end;
        c->logdet_beta = strtod(v, &end);
        if (*end || end == v || !(c->logdet_beta > 0) || !isfinite(c->logdet_beta))
            rc = cli_error("--beta must be a positive number, got '%s' (one value: run analyze once per beta)", v);
        *given |= 1u << IP_EST_LOGDET;
    } else if (!strcmp(a, "--bins")) {
        if (!(rc = parse_list(a, v, 1, 0, 1, 0, vals, &n)))
            for (int j = 0; j < n; j++) c->bins[j] = (int)fmin(vals[j], IP_BINNING_MAX_BINS + 1.0);
        c->n_bins = n;
        *given |= 1u << IP_EST_BINNING | GIVEN_BINS;
    } else if (!strcmp(a, "--range")) {
        rc = set_range(v, c);
        *given |= 1u << IP_EST_BINNING;
    } else if (!strcmp(a, "--width")) {
        rc = parse_list(a, v, 0, 1, 0, 0, c->width, &c->n_width);
        *given |= 1u << IP_EST_BINNING | GIVEN_WIDTH;
    } else if (!strcmp(a, "--noise")) {
        rc = parse_list(a, v, 0, 1, 0, 0, c->noise, &c->n_noise);
        *given |= 1u << IP_EST_KDE;
    } else if (!strcmp(a, "--alpha")) {
        rc = parse_list(a, v, 0, 1, 0, 0, c->alpha, &c->n_alpha);
        *given |= 1u << IP_EST_RENYI;
    } else if (!strcmp(a, "--sigma")) {
        rc = parse_list(a, v, 0, 1, 0, 1, c->sigma, &c->n_sigma);
        *given |= 1u << IP_EST_RENYI;
    } else if (!strcmp(a, "--k")) {
        if (!(rc = parse_list(a, v, 1, 0, 1, 0, vals, &n)))
            for (int j = 0; j < n; j++) c->k[j] = (int)vals[j];
        c->n_k = n;
        *given |= 1u << IP_EST_KSG;
    } else {
        return 0;
    }
    ++*i;
    return rc ? -1 : 1;
}

int cli_estimator_settings(const ip_estimator_choice *c, unsigned given, ip_estimator *out)
{
    static const char *const params[IP_EST_COUNT] = {"--mode/--beta", "--bins/--range/--width", "--noise",
                                                     "--alpha/--sigma", "--k"};
    unsigned chosen = 0;
    for (int j = 0; j < c->n_kinds; j++) chosen |= 1u << c->kinds[j];
    for (int k = 0; k < IP_EST_COUNT; k++)
        if ((given & (1u << k)) && !(chosen & (1u << k))) {
            cli_error("%s are parameters of %s, which is not among the estimators chosen (add --estimator %s)",
                      params[k], ip_estimator_names[k], ip_estimator_names[k]);
            return -1;
        }
    /* binning counts bins, or measures their width: the other list would do nothing */
    if ((given & GIVEN_WIDTH) && c->bin_range != IP_BIN_WIDTH) {
        cli_error("--width is the bin width of --range width (with range %s the bins are counted: --bins)",
                  ip_name_of(ip_binning_range_names, (int)c->bin_range));
        return -1;
    }
    if ((given & GIVEN_BINS) && c->bin_range == IP_BIN_WIDTH) {
        cli_error("--bins counts bins on a range; with --range width the bins have a width instead (--width)");
        return -1;
    }
    int n = 0;
    if (ip_estimator_choice_expand(c, out, &n) != IP_OK) {
        cli_error("%s", ip_error_message());
        return -1;
    }
    return n;
}
