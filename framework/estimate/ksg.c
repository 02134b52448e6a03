/* The KSG mutual-information estimator (algorithm 1), its labels' variant (Ross 2014) and the
 * Kozachenko-Leonenko entropy, all from max-norm distance matrices (ksg_dist.c): per sample, the
 * k-th smallest distance by selection, then strict counts. Rows are spread over the thread pool;
 * each row's terms are kept and summed in row order afterwards, so results do not depend on the
 * thread count. See docs/ksg.md. */
#include "ksg.h"

#include "core/mem.h"
#include "core/parallel.h"
#include "labels.h"
#include "core/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ip_ksg_params_default(ip_ksg_params *p) { p->k = 3; }

int ip_ksg_params_check(const ip_ksg_params *p)
{
    if (p->k < 1) return ip_fail(IP_ERR, "KSG: k (the number of neighbours) must be at least 1, got %d", p->k);
    return IP_OK;
}

static int check_k(const ip_ksg_params *p, int m, const char *what)
{
    int rc = ip_ksg_params_check(p);
    if (rc != IP_OK) return rc;
    if (m <= p->k)
        return ip_fail(IP_ERR, "%s: k = %d neighbours need more than k samples, got m = %d", what, p->k, m);
    return IP_OK;
}

double ip_digamma_int(int n)
{
    static const double euler = 0.57721566490153286061;
    if (n < 40) { /* smallest terms first */
        double s = 0;
        for (int j = n - 1; j >= 1; j--) s += 1.0 / j;
        return s - euler;
    }
    double x = n, r = 1.0 / (x * x);
    /* ln x - 1/(2x) - sum B_2k / (2k x^2k), to x^-10: the next term is below 1e-20 at x = 40 */
    double tail = r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132)))));
    return log(x) - 0.5 / x - tail;
}

/* psi(0..n) (psi(0) unused), freed by the caller. */
static double *digamma_table(int n)
{
    double *t = ip_malloc(((size_t)n + 1) * sizeof *t);
    if (!t) return NULL;
    t[0] = NAN;
    for (int i = 1; i <= n; i++) t[i] = ip_digamma_int(i);
    return t;
}

/* The k-th smallest (k >= 1) of v[0..n), by quickselect with a three-way partition (duplicates,
 * common in distances, cannot make it quadratic); v is reordered. */
static double kth_smallest(double *v, int n, int k)
{
    int lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        double a = v[lo], b = v[(lo + hi) / 2], c = v[hi];
        double piv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b)); /* median of 3 */
        int lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            double x = v[i];
            if (x < piv) {
                v[i++] = v[lt];
                v[lt++] = x;
            } else if (x > piv) {
                v[i] = v[gt];
                v[gt--] = x;
            } else {
                i++;
            }
        }
        if (want < lt) hi = lt - 1;
        else if (want > gt) lo = gt + 1;
        else return piv;
    }
    return v[want];
}

typedef struct {
    const double *da, *db; /* db NULL: one side only */
    const int *y, *count;  /* labels' variant */
    const double *psi;
    int m, k;
    double *scratch; /* per worker, m */
    double *term;    /* per row */
    int *ok;         /* per row: kept (labels), r > 0 (entropy) */
} row_job;

/* KSG algorithm 1: eps_i from the joint max-norm, strict marginal counts. */
static void mi_rows(void *ctx, int begin, int end, int worker)
{
    const row_job *J = ctx;
    int m = J->m;
    double *z = J->scratch + (size_t)worker * m;
    for (int i = begin; i < end; i++) {
        const double *ra = J->da + (size_t)i * m, *rb = J->db + (size_t)i * m;
        int n = 0;
        for (int j = 0; j < m; j++)
            if (j != i) z[n++] = ra[j] > rb[j] ? ra[j] : rb[j];
        double eps = kth_smallest(z, n, J->k);
        int na = 0, nb = 0;
        for (int j = 0; j < m; j++) {
            na += ra[j] < eps;
            nb += rb[j] < eps;
        }
        if (eps > 0) { /* j = i has distance 0 < eps and was counted */
            na--;
            nb--;
        }
        J->term[i] = J->psi[na + 1] + J->psi[nb + 1];
    }
}

int ip_ksg_mi_distances(const double *da, const double *db, int m, const ip_ksg_params *p, double *mi_nats)
{
    int rc = check_k(p, m, "KSG I(A;B)");
    if (rc != IP_OK) return rc;
    double *psi = digamma_table(m), *scratch = ip_malloc((size_t)IP_PAR_MAX_THREADS * m * sizeof *scratch);
    double *term = ip_malloc((size_t)m * sizeof *term); /* all three freed here */
    if (!psi || !scratch || !term) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    row_job J = {da, db, NULL, NULL, psi, m, p->k, scratch, term, NULL};
    ip_parallel_for(m, 16, mi_rows, &J);
    double s = 0;
    for (int i = 0; i < m; i++) s += term[i];
    *mi_nats = psi[p->k] + psi[m] - s / m;
out:
    free(psi);
    free(scratch);
    free(term);
    return rc;
}

int ip_ksg_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, const ip_ksg_params *p,
              double *mi_nats, ip_mi_terms *terms)
{
    int rc = check_k(p, m, "KSG I(A;B)");
    if (rc != IP_OK) return rc;
    size_t bytes = (size_t)m * m * sizeof(double);
    double *xa = ip_aligned_alloc(bytes), *xb = ip_aligned_alloc(bytes); /* freed here */
    rc = IP_ERR_NOMEM;
    if (!xa || !xb) goto out;
    if ((rc = ip_ksg_distances(a, m, da, lda, xa)) != IP_OK) {
        ip_error_prefix("I(A;B): A");
        goto out;
    }
    if ((rc = ip_ksg_distances(b, m, db, ldb, xb)) != IP_OK) {
        ip_error_prefix("I(A;B): B");
        goto out;
    }
    rc = ip_ksg_mi_distances(xa, xb, m, p, mi_nats);
    if (rc == IP_OK && terms) *terms = (ip_mi_terms){NAN, NAN, NAN, *mi_nats};
out:
    free(xa);
    free(xb);
    return rc;
}

/* Ross: d_i the k-th neighbour within the class, n_i the kept samples strictly closer than d_i. */
static void label_rows(void *ctx, int begin, int end, int worker)
{
    const row_job *J = ctx;
    int m = J->m;
    double *z = J->scratch + (size_t)worker * m;
    for (int i = begin; i < end; i++) {
        int yi = J->y[i];
        J->ok[i] = J->count[yi] > J->k;
        if (!J->ok[i]) continue;
        const double *r = J->da + (size_t)i * m;
        int n = 0;
        for (int j = 0; j < m; j++)
            if (j != i && J->y[j] == yi) z[n++] = r[j];
        double d = kth_smallest(z, n, J->k);
        int cnt = 0;
        for (int j = 0; j < m; j++) cnt += j != i && J->count[J->y[j]] > J->k && r[j] < d;
        J->term[i] = J->psi[cnt + 1];
    }
}

/* Ross's I(A;Y) from A's max-norm distance matrix (m x m); count and psi as the callers make them. */
static int labels_from_distances(const double *dist, int m, const int *y, const int *count, const double *psi,
                                 const ip_ksg_params *p, double *mi_nats)
{
    int *ok = ip_calloc((size_t)m, sizeof *ok), rc = IP_ERR_NOMEM;
    double *scratch = ip_malloc((size_t)IP_PAR_MAX_THREADS * m * sizeof *scratch);
    double *term = ip_malloc((size_t)m * sizeof *term); /* all three freed here */
    if (!ok || !scratch || !term) goto out;
    row_job J = {dist, NULL, y, count, psi, m, p->k, scratch, term, ok};
    ip_parallel_for(m, 16, label_rows, &J);
    int kept = 0;
    double s_n = 0, s_y = 0;
    for (int i = 0; i < m; i++)
        if (ok[i]) {
            kept++;
            s_n += term[i];
            s_y += psi[count[y[i]]];
        }
    if (kept == 0) {
        rc = ip_fail(IP_ERR, "KSG I(A;Y): no class has more than k = %d samples", p->k);
        goto out;
    }
    *mi_nats = psi[kept] - s_y / kept + psi[p->k] - s_n / kept;
    rc = IP_OK;
out:
    free(ok);
    free(scratch);
    free(term);
    return rc;
}

static int check_labels(const int *y, int m, int n_classes, const ip_ksg_params *p)
{
    int rc = check_k(p, m, "KSG I(A;Y)");
    if (rc != IP_OK) return rc;
    return ip_labels_check(y, m, n_classes, "KSG I(A;Y)");
}

/* dist NULL: computed here from a (the plain route); else A's distances as given. */
static int mi_labels(const double *a, const double *dist_in, int m, int d, int lda, const int *y, int n_classes,
                     const ip_ksg_params *p, double *mi_nats)
{
    int rc = check_labels(y, m, n_classes, p);
    if (rc != IP_OK) return rc;
    int *count = ip_calloc((size_t)n_classes, sizeof *count);
    double *dist = dist_in ? NULL : ip_aligned_alloc((size_t)m * m * sizeof *dist), *psi = digamma_table(m);
    rc = IP_ERR_NOMEM; /* count, dist (when made here) and psi freed here */
    if (!count || (!dist_in && !dist) || !psi) goto out;
    for (int i = 0; i < m; i++) count[y[i]]++;
    if (!dist_in && (rc = ip_ksg_distances(a, m, d, lda, dist)) != IP_OK) {
        ip_error_prefix("I(A;Y)");
        goto out;
    }
    rc = labels_from_distances(dist_in ? dist_in : dist, m, y, count, psi, p, mi_nats);
out:
    free(count);
    free(dist);
    free(psi);
    return rc;
}

int ip_ksg_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes, const ip_ksg_params *p,
                     double *mi_nats, ip_mi_terms *terms)
{
    int rc = mi_labels(a, NULL, m, d, lda, y, n_classes, p, mi_nats);
    if (rc == IP_OK && terms) *terms = (ip_mi_terms){NAN, NAN, NAN, *mi_nats};
    return rc;
}

int ip_ksg_mi_labels_distances(const double *dist, int m, const int *y, int n_classes, const ip_ksg_params *p,
                               double *mi_nats)
{
    return mi_labels(NULL, dist, m, 0, 0, y, n_classes, p, mi_nats);
}

static void kl_rows(void *ctx, int begin, int end, int worker)
{
    const row_job *J = ctx;
    int m = J->m;
    double *z = J->scratch + (size_t)worker * m;
    for (int i = begin; i < end; i++) {
        const double *r = J->da + (size_t)i * m;
        int n = 0;
        for (int j = 0; j < m; j++)
            if (j != i) z[n++] = r[j];
        double rk = kth_smallest(z, n, J->k);
        J->ok[i] = rk > 0;
        J->term[i] = rk > 0 ? log(2.0 * rk) : 0.0;
    }
}

int ip_ksg_entropy(const double *a, int m, int d, int lda, const ip_ksg_params *p, double *h_nats)
{
    int rc = check_k(p, m, "KL H(A)");
    if (rc != IP_OK) return rc;
    int *ok = ip_calloc((size_t)m, sizeof *ok);
    double *dist = ip_aligned_alloc((size_t)m * m * sizeof *dist);
    double *scratch = ip_malloc((size_t)IP_PAR_MAX_THREADS * m * sizeof *scratch);
    double *term = ip_malloc((size_t)m * sizeof *term); /* all four freed here */
    rc = IP_ERR_NOMEM;
    if (!ok || !dist || !scratch || !term) goto out;
    if ((rc = ip_ksg_distances(a, m, d, lda, dist)) != IP_OK) {
        ip_error_prefix("KL H(A)");
        goto out;
    }
    row_job J = {dist, NULL, NULL, NULL, NULL, m, p->k, scratch, term, ok};
    ip_parallel_for(m, 16, kl_rows, &J);
    double s = 0;
    for (int i = 0; i < m; i++) {
        if (!ok[i]) {
            rc = ip_fail(IP_ERR_NUMERIC,
                         "KL H(A): sample %d has %d or more exact duplicates (its k = %d-th neighbour is at distance "
                         "0), which makes the estimate -inf; remove duplicates or add tiny noise",
                         i + 1, p->k, p->k);
            goto out;
        }
        s += term[i];
    }
    *h_nats = ip_digamma_int(m) - ip_digamma_int(p->k) + (double)d / m * s;
out:
    free(ok);
    free(dist);
    free(scratch);
    free(term);
    return rc;
}
