/* The binning estimator: bin codes per unit, one symbol per sample (row) by hashing the row of
 * codes, plug-in entropies from the symbol counts. See binning.h and docs/binning.md.
 *
 * Exactness and determinism: symbols are found by a 64-bit hash of the row of codes with a full
 * comparison on every hash match, so two samples share a symbol exactly when their codes agree.
 * An entropy only depends on the multiset of symbol counts, and it is summed over the counts
 * sorted ascending: the result is bit-identical from run to run and under any permutation of the
 * samples. Everything runs on the caller's thread. */
#include "binning.h"

#include "core/mem.h"
#include "labels.h"
#include "core/status.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const ip_binning_range_names[] = {"layer", "unit", "fixed", "width", NULL};

void ip_binning_params_default(ip_binning_params *p)
{
    *p = (ip_binning_params){.bins = 30, .range = IP_BIN_LAYER, .lo = -1, .hi = 1, .width = 0.07};
}

int ip_binning_params_check(const ip_binning_params *p)
{
    if (p->range < IP_BIN_LAYER || p->range > IP_BIN_WIDTH)
        return ip_fail(IP_ERR, "binning: unknown range %d (expected layer, unit, fixed or width)", (int)p->range);
    if (p->range == IP_BIN_WIDTH) {
        if (!(p->width > 0) || !isfinite(p->width))
            return ip_fail(IP_ERR, "binning: width must be a positive finite number, got %g", p->width);
        return IP_OK;
    }
    if (p->bins < 1 || p->bins > IP_BINNING_MAX_BINS)
        return ip_fail(IP_ERR, "binning: bins must be in 1..%d, got %d", IP_BINNING_MAX_BINS, p->bins);
    if (p->range == IP_BIN_FIXED && (!isfinite(p->lo) || !isfinite(p->hi) || !(p->lo < p->hi)))
        return ip_fail(IP_ERR, "binning: fixed range needs finite lo < hi, got lo = %g, hi = %g", p->lo, p->hi);
    return IP_OK;
}

/* ---- codes: one small integer per value ---------------------------------------------------- */

/* A matrix of codes, row-major, `w` bytes a code (1, 2 or 4: the narrowest that holds the largest
 * code), `row` = d * w bytes a row. Narrow codes make hashing and comparing rows cheaper. */
typedef struct {
    unsigned char *c;
    int m, w;
    size_t row;
} codes;

/* Column min and max (into lo, hi), after checking every value is finite. */
static int scan_columns(const double *a, int m, int d, int lda, double *lo, double *hi, const char *what)
{
    for (int j = 0; j < d; j++) lo[j] = hi[j] = a[j];
    for (int i = 0; i < m; i++) {
        const double *r = a + (size_t)i * lda;
        double nan_probe = 0; /* v * 0 is NaN exactly when v is NaN or Inf */
        for (int j = 0; j < d; j++) {
            nan_probe += r[j] * 0.0;
            lo[j] = r[j] < lo[j] ? r[j] : lo[j];
            hi[j] = r[j] > hi[j] ? r[j] : hi[j];
        }
        if (nan_probe != 0.0) /* NaN compares unequal */
            for (int j = 0; j < d; j++)
                if (!isfinite(r[j]))
                    return ip_fail(IP_ERR_NUMERIC, "%s: row %d, column %d holds %s", what, i + 1, j + 1,
                                   isnan(r[j]) ? "NaN" : "Inf");
    }
    return IP_OK;
}

/* Per column: the bin edges (lo, hi) and how a value maps to a code, code = clamp(floor((v - base) *
 * mul / div), 0, top) with the same operations as floor((v - lo) / (hi - lo) * bins). */
typedef struct {
    double *lo, *hi, *span; /* span: hi - lo (equal bins; 1 for a constant column) */
    double *base;           /* WIDTH: floor(lo / width), the code of the column's smallest value */
    int top;                /* the largest code any column can have */
} edges;

static int set_edges(const ip_binning_params *p, int d, edges *e, const char *what)
{
    e->top = p->range == IP_BIN_WIDTH ? 0 : p->bins - 1;
    double glo = d ? e->lo[0] : 0, ghi = d ? e->hi[0] : 0;
    for (int j = 0; j < d; j++) {
        glo = fmin(glo, e->lo[j]);
        ghi = fmax(ghi, e->hi[j]);
    }
    for (int j = 0; j < d; j++) {
        if (p->range == IP_BIN_LAYER) e->lo[j] = glo, e->hi[j] = ghi;
        if (p->range == IP_BIN_FIXED) e->lo[j] = p->lo, e->hi[j] = p->hi;
        if (p->range != IP_BIN_WIDTH) {
            e->span[j] = e->hi[j] - e->lo[j];
            if (e->span[j] == 0) e->span[j] = 1; /* constant: v - lo is 0, one bin, no branch per value */
            if (!isfinite(e->span[j]))
                return ip_fail(IP_ERR_NUMERIC, "%s: column %d: the range %g..%g overflows double precision; "
                                               "divide the data by a constant first", what, j + 1, e->lo[j], e->hi[j]);
            continue;
        }
        /* WIDTH: codes are counted from the column's lowest bin, so they stay small and >= 0. */
        double b0 = floor(e->lo[j] / p->width), b1 = floor(e->hi[j] / p->width);
        if (!isfinite(b0) || !isfinite(b1) || b1 - b0 > INT32_MAX)
            return ip_fail(IP_ERR_NUMERIC, "%s: column %d: %g..%g in bins of width %g is more than %d bins", what,
                           j + 1, e->lo[j], e->hi[j], p->width, INT32_MAX);
        e->base[j] = b0;
        if (b1 - b0 > e->top) e->top = (int)(b1 - b0);
    }
    return IP_OK;
}

/* Row i's codes into out[0..d). Equal bins: floor((v - lo) / (hi - lo) * bins), clamped, so v == hi
 * is in the last bin and FIXED's outliers in the first or last; a constant column is all bin 0. */
static void row_codes(const double *r, int d, const ip_binning_params *p, const edges *e, int32_t *out)
{
    if (p->range == IP_BIN_WIDTH) {
        for (int j = 0; j < d; j++) out[j] = (int32_t)(floor(r[j] / p->width) - e->base[j]);
        return;
    }
    double bins = p->bins;
    int32_t top = e->top;
    for (int j = 0; j < d; j++) {
        /* v is clamped into [lo, hi] first (FIXED's outliers; a no-op otherwise), so q >= 0 and
         * only v == hi needs the cap: maxsd/minsd, not fmin/fmax (library calls) nor a branch per
         * value, which costs 3x on two-bin data (unpredictable) */
        double v = r[j] < e->lo[j] ? e->lo[j] : r[j];
        v = v < e->hi[j] ? v : e->hi[j];
        int32_t k = (int32_t)floor((v - e->lo[j]) / e->span[j] * bins); /* 0..bins */
        out[j] = k < top ? k : top;
    }
}

static void narrow(const int32_t *in, int d, int w, unsigned char *out)
{
    if (w == 1)
        for (int j = 0; j < d; j++) out[j] = (unsigned char)in[j];
    else if (w == 2)
        for (int j = 0; j < d; j++) ((uint16_t *)(void *)out)[j] = (uint16_t)in[j];
    else
        memcpy(out, in, (size_t)d * sizeof *in);
}

/* Bins the m x d matrix a into c (owned by the caller afterwards: free(c->c)); lo/hi as in
 * ip_binning_entropy. */
static int bin_matrix(const double *a, int m, int d, int lda, const ip_binning_params *p, codes *c, double *lo_out,
                      double *hi_out, const char *what)
{
    c->c = NULL;
    int rc = ip_binning_params_check(p);
    if (rc != IP_OK) return rc;
    if (m < 1 || d < 0 || lda < d)
        return ip_fail(IP_ERR, "%s: bad shape (m = %d samples, d = %d units, leading dimension %d; m >= 1)", what,
                       m, d, lda);
    size_t dd = d ? (size_t)d : 1;
    edges e = {ip_malloc(dd * sizeof(double)), ip_malloc(dd * sizeof(double)), ip_malloc(dd * sizeof(double)),
               ip_malloc(dd * sizeof(double)), 0};
    int32_t *tmp = ip_malloc(dd * sizeof *tmp);
    rc = IP_ERR_NOMEM;
    if (!e.lo || !e.hi || !e.span || !e.base || !tmp) goto out;
    if ((rc = scan_columns(a, m, d, lda, e.lo, e.hi, what)) != IP_OK) goto out;
    if ((rc = set_edges(p, d, &e, what)) != IP_OK) goto out;
    c->m = m;
    c->w = e.top <= UINT8_MAX ? 1 : e.top <= UINT16_MAX ? 2 : 4;
    c->row = (size_t)d * c->w;
    c->c = ip_malloc((size_t)m * c->row + 1);
    rc = IP_ERR_NOMEM;
    if (!c->c) goto out;
    for (int i = 0; i < m; i++) {
        row_codes(a + (size_t)i * lda, d, p, &e, tmp);
        narrow(tmp, d, c->w, c->c + (size_t)i * c->row);
    }
    if (lo_out) memcpy(lo_out, e.lo, (size_t)d * sizeof *e.lo);
    if (hi_out) memcpy(hi_out, e.hi, (size_t)d * sizeof *e.hi);
    rc = IP_OK;
out:
    free(e.lo);
    free(e.hi);
    free(e.span);
    free(e.base);
    free(tmp);
    return rc;
}

/* ---- symbols: equal rows of codes get the same number ------------------------------------- */

static uint64_t mix64(uint64_t h) /* MurmurHash3's finaliser: every input bit reaches every output bit */
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* A hash of n bytes: four independent multiply-rotate lanes (no serial dependency between
 * consecutive words), the tail zero-padded (all rows hashed together have the same length). */
static uint64_t hash_bytes(const unsigned char *s, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h[4] = {1, 2, 3, 4}, w[4];
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        memcpy(w, s + i, 32);
        for (int l = 0; l < 4; l++) {
            h[l] = (h[l] ^ w[l]) * k;
            h[l] = (h[l] << 31) | (h[l] >> 33);
        }
    }
    for (int l = 0; i < n; l = (l + 1) & 3, i += 8) {
        uint64_t t = 0;
        memcpy(&t, s + i, n - i < 8 ? n - i : 8);
        h[l] = ((h[l] ^ t) * k);
        h[l] = (h[l] << 31) | (h[l] >> 33);
    }
    return mix64(h[0] ^ mix64(h[1] ^ mix64(h[2] ^ mix64(h[3] ^ n))));
}

/* sym[i] <- the symbol of row i of rows (m rows of `len` bytes), numbered 0.. in order of first
 * appearance; *n_sym the number of distinct rows. Open addressing on a table of at least 2m slots;
 * a slot holds the first row with that content, so a hash match is confirmed by memcmp. */
static int symbolise(const unsigned char *rows, int m, size_t len, int *sym, int *n_sym)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)m) cap *= 2;
    int *slot = ip_malloc(cap * sizeof *slot);
    uint64_t *hash = ip_malloc((size_t)m * sizeof *hash);
    if (!slot || !hash) {
        free(slot);
        free(hash);
        return IP_ERR_NOMEM;
    }
    memset(slot, 0xff, cap * sizeof *slot); /* -1: empty */
    int n = 0;
    for (int i = 0; i < m; i++) {
        const unsigned char *r = rows + (size_t)i * len;
        uint64_t h = hash[i] = hash_bytes(r, len);
        size_t s = h & (cap - 1);
        for (;; s = (s + 1) & (cap - 1)) {
            int f = slot[s];
            if (f < 0) {
                slot[s] = i;
                sym[i] = n++;
                break;
            }
            if (hash[f] == h && memcmp(rows + (size_t)f * len, r, len) == 0) {
                sym[i] = sym[f];
                break;
            }
        }
    }
    *n_sym = n;
    free(slot);
    free(hash);
    return IP_OK;
}

/* The symbols of the pairs (s1[i], s2[i]): the joint symbol of two symbolised sides. */
static int symbolise_pairs(const int *s1, const int *s2, int m, int *sym, int *n_sym)
{
    int32_t *pair = ip_malloc((size_t)m * 2 * sizeof *pair);
    if (!pair) return IP_ERR_NOMEM;
    for (int i = 0; i < m; i++) pair[2 * i] = s1[i], pair[2 * i + 1] = s2[i];
    int rc = symbolise((const unsigned char *)pair, m, 2 * sizeof *pair, sym, n_sym);
    free(pair);
    return rc;
}

/* ---- plug-in entropies ------------------------------------------------------------------- */

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* key[k] = group * (m + 1) + count of symbol k, for n keys. Sorted, each group's counts ascending:
 * h[g] = sum n_k (log m_g - log n_k) / m_g over the symbols of group g (m_g their total), the
 * plug-in entropy -sum p log p of the group. A group of one symbol has exactly 0. */
static void grouped_entropies(int64_t *key, int n, int m, int n_groups, double *h)
{
    qsort(key, (size_t)n, sizeof *key, cmp_i64);
    for (int g = 0, k = 0; g < n_groups; g++) {
        int k0 = k;
        int64_t mg = 0;
        while (k < n && key[k] / (m + 1) == g) mg += key[k++] % (m + 1);
        double acc = 0, lmg = log((double)mg);
        for (int q = k0, q1; q < k; q = q1) { /* one term per run of equal counts: fewer roundings */
            for (q1 = q + 1; q1 < k && key[q1] == key[q];) q1++;
            double c = (double)(key[q] % (m + 1));
            if (c > 0) acc += (double)(q1 - q) * c * (lmg - log(c)); /* empty classes' zeros add nothing */
        }
        h[g] = mg ? acc / (double)mg : 0.0;
    }
}

/* Plug-in H of m samples with symbols sym (n_sym distinct). */
static int entropy_of(const int *sym, int m, int n_sym, double *h)
{
    int64_t *key = ip_calloc((size_t)n_sym, sizeof *key);
    if (!key) return IP_ERR_NOMEM;
    for (int i = 0; i < m; i++) key[sym[i]]++;
    grouped_entropies(key, n_sym, m, 1, h);
    free(key);
    return IP_OK;
}

/* I(S;Y) = H(S) - sum_y p(y) H(S | Y=y) from one pass over the joint symbols (s, y):
 * h_s, h_y, h_sy are H(S), H(Y), H(S,Y). */
static int labels_mi(const int *sym, int n_sym, const int *y, int n_classes, int m, double *mi, ip_mi_terms *t)
{
    int *joint = ip_malloc((size_t)m * sizeof *joint), n_joint = 0, rc;
    int64_t *key = ip_calloc((size_t)m + (size_t)n_classes, sizeof *key);
    int *cls = ip_malloc((size_t)m * sizeof *cls);
    double *hc = ip_malloc((size_t)n_classes * sizeof *hc), hs = 0, hy = 0, hsy = 0;
    rc = IP_ERR_NOMEM;
    if (!joint || !key || !cls || !hc) goto out;
    if ((rc = symbolise_pairs(sym, y, m, joint, &n_joint)) != IP_OK) goto out;
    if ((rc = entropy_of(sym, m, n_sym, &hs)) != IP_OK) goto out;
    if ((rc = entropy_of(joint, m, n_joint, &hsy)) != IP_OK) goto out;
    if ((rc = entropy_of(y, m, n_classes, &hy)) != IP_OK) goto out;
    /* Per class: the counts of its joint symbols, grouped by class. */
    for (int i = 0; i < m; i++) {
        key[joint[i]]++;
        cls[joint[i]] = y[i];
    }
    for (int k = 0; k < n_joint; k++) key[k] += (int64_t)cls[k] * (m + 1);
    grouped_entropies(key, n_joint, m, n_classes, hc);
    int64_t *my = key + m; /* class sizes, after the joint keys */
    for (int i = 0; i < m; i++) my[y[i]]++;
    double cond = 0;
    for (int c = 0; c < n_classes; c++) cond += (double)my[c] / m * hc[c];
    *mi = hs - cond;
    if (t) *t = (ip_mi_terms){hs, hy, hsy, *mi};
out:
    free(joint);
    free(key);
    free(cls);
    free(hc);
    return rc;
}

/* Bins and symbolises one matrix: sym (m ints, caller's) and *n_sym. */
static int symbols_of(const double *a, int m, int d, int lda, const ip_binning_params *p, int *sym, int *n_sym,
                      double *lo, double *hi, const char *what)
{
    codes c;
    int rc = bin_matrix(a, m, d, lda, p, &c, lo, hi, what);
    if (rc == IP_OK) rc = symbolise(c.c, m, c.row, sym, n_sym);
    free(c.c);
    return rc;
}

/* ---- the public calls ---------------------------------------------------------------------- */

int ip_binning_entropy(const double *a, int m, int d, int lda, const ip_binning_params *p, double *h_nats,
                       double *lo, double *hi)
{
    int *sym = ip_malloc((m > 0 ? (size_t)m : 1) * sizeof *sym), n = 0;
    if (!sym) return IP_ERR_NOMEM;
    int rc = symbols_of(a, m, d, lda, p, sym, &n, lo, hi, "binning H(A)");
    if (rc == IP_OK) rc = entropy_of(sym, m, n, h_nats);
    free(sym);
    return rc;
}

int ip_binning_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                  const ip_binning_params *p, double *mi_nats, ip_mi_terms *terms)
{
    size_t mm = m > 0 ? (size_t)m : 1;
    int *sa = ip_malloc(mm * sizeof *sa), *sb = ip_malloc(mm * sizeof *sb), *sab = ip_malloc(mm * sizeof *sab);
    int na = 0, nb = 0, nab = 0, rc = IP_ERR_NOMEM;
    double ha = 0, hb = 0, hab = 0;
    if (!sa || !sb || !sab) goto out;
    if ((rc = symbols_of(a, m, da, lda, p, sa, &na, NULL, NULL, "binning I(A;B): A")) != IP_OK) goto out;
    if ((rc = symbols_of(b, m, db, ldb, p, sb, &nb, NULL, NULL, "binning I(A;B): B")) != IP_OK) goto out;
    if ((rc = symbolise_pairs(sa, sb, m, sab, &nab)) != IP_OK) goto out;
    if ((rc = entropy_of(sa, m, na, &ha)) != IP_OK) goto out;
    if ((rc = entropy_of(sb, m, nb, &hb)) != IP_OK) goto out;
    if ((rc = entropy_of(sab, m, nab, &hab)) != IP_OK) goto out;
    *mi_nats = ha + hb - hab;
    if (terms) *terms = (ip_mi_terms){ha, hb, hab, *mi_nats};
out:
    free(sa);
    free(sb);
    free(sab);
    return rc;
}

/* The shared body of mi_labels and plane: symbols of a, then H(A) and I(A;Y) in one pass. */
static int labels_common(const double *a, int m, int d, int lda, const int *y, int n_classes,
                         const ip_binning_params *p, double *mi, ip_mi_terms *t, double *lo, double *hi,
                         const char *what)
{
    int rc = m >= 1 ? ip_labels_check(y, m, n_classes, what) : IP_OK;
    if (rc != IP_OK) return rc;
    int *sym = ip_malloc((m > 0 ? (size_t)m : 1) * sizeof *sym), n = 0;
    if (!sym) return IP_ERR_NOMEM;
    rc = symbols_of(a, m, d, lda, p, sym, &n, lo, hi, what);
    if (rc == IP_OK) rc = labels_mi(sym, n, y, n_classes, m, mi, t);
    free(sym);
    return rc;
}

int ip_binning_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes,
                         const ip_binning_params *p, double *mi_nats, ip_mi_terms *terms)
{
    return labels_common(a, m, d, lda, y, n_classes, p, mi_nats, terms, NULL, NULL, "binning I(A;Y)");
}

int ip_binning_plane(const double *t, int m, int d, int ldt, const int *y, int n_classes,
                     const ip_binning_params *p, double *i_xt, double *i_ty, double *lo, double *hi)
{
    ip_mi_terms terms;
    int rc = labels_common(t, m, d, ldt, y, n_classes, p, i_ty, &terms, lo, hi, "binning plane");
    if (rc == IP_OK) *i_xt = terms.h_a;
    return rc;
}
