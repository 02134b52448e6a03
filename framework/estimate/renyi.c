/* The matrix-based Renyi alpha-entropy (Giraldo, Rao & Principe 2014): Gaussian Gram matrices by
 * one SYRK on centred data, entropies from LAPACK's eigenvalue-only drivers, the joint from the
 * Hadamard product, and the labels' joint from per-class blocks. See docs/renyi.md. */
#include "renyi.h"

#include "core/blas.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "labels.h"
#include "core/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Silverman's form sigma = gamma m^(-1/(4+d)) with the gamma of Yu et al.'s code (docs/renyi.md). */
#define RULE_GAMMA 0.8

static ip_renyi_eig_driver eig_driver = IP_RENYI_EIG_AUTO;

void ip_renyi_set_eig_driver(ip_renyi_eig_driver driver) { eig_driver = driver; }

void ip_renyi_params_default(ip_renyi_params *p)
{
    p->alpha = 1.01;
    p->sigma = 0;
}

int ip_renyi_params_check(const ip_renyi_params *p)
{
    if (!(p->alpha > 0) || !isfinite(p->alpha))
        return ip_fail(IP_ERR, "Renyi: alpha must be a positive finite number, got %g", p->alpha);
    if (p->alpha == 1)
        return ip_fail(IP_ERR, "Renyi: alpha = 1 is the Shannon limit, where the formula divides by 1 - alpha = 0; "
                               "use an alpha near 1 (the default is 1.01)");
    if (!(p->sigma >= 0) || !isfinite(p->sigma))
        return ip_fail(IP_ERR, "Renyi: sigma must be a finite kernel width > 0, or 0 for the width rule; got %g",
                       p->sigma);
    return IP_OK;
}

double ip_renyi_rule_sigma(int m, int d) { return RULE_GAMMA * pow((double)m, -1.0 / (4.0 + d)); }

/* ---- Gram matrices ---------------------------------------------------------------------- */

typedef struct {
    double *g;
    const double *norms;
    int m;
    double scale; /* 1 / (2 sigma^2) */
} fill_job;

/* Rows [begin, end) of the upper triangle: SYRK's inner products -> K / m. */
static void fill_rows(void *ctx, int begin, int end, int worker)
{
    const fill_job *j = ctx;
    double inv_m = 1.0 / j->m;
    for (int i = begin; i < end; i++) {
        double *r = j->g + (size_t)i * j->m;
        double ni = j->norms[i];
        r[i] = inv_m; /* the distance to itself is exactly 0 */
        for (int c = i + 1; c < j->m; c++) {
            double d2 = ni + j->norms[c] - 2.0 * r[c];
            r[c] = exp(-(d2 > 0 ? d2 : 0.0) * j->scale) * inv_m; /* rounding can make d2 slightly < 0 */
        }
    }
}

enum { TILE = 64 };

/* Tile rows [begin, end): the lower triangle from the upper one (a blocked transpose). */
static void mirror_tiles(void *ctx, int begin, int end, int worker)
{
    const fill_job *j = ctx;
    int m = j->m;
    for (int t = begin; t < end; t++)
        for (int c0 = 0; c0 <= t * TILE; c0 += TILE) /* tiles at or left of the diagonal */
            for (int i = t * TILE; i < m && i < (t + 1) * TILE; i++)
                for (int c = c0; c < c0 + TILE && c < i; c++) j->g[(size_t)i * m + c] = j->g[(size_t)c * m + i];
}

static void mirror(double *g, int m)
{
    fill_job j = {g, NULL, m, 0};
    ip_parallel_for((m + TILE - 1) / TILE, 1, mirror_tiles, &j);
}

static int check_data(const double *a, int m, int d, int lda, const char *what)
{
    if (m < 1 || d < 0 || lda < d) return ip_fail(IP_ERR, "%s: bad shape (m = %d, d = %d, leading dimension %d)",
                                                  what, m, d, lda);
    for (int i = 0; i < m; i++)
        for (int c = 0; c < d; c++)
            if (!isfinite(a[(size_t)i * lda + c]))
                return ip_fail(IP_ERR_NUMERIC, "%s: sample %d, column %d holds NaN or Inf", what, i + 1, c + 1);
    return IP_OK;
}

int ip_renyi_gram(const double *a, int m, int d, int lda, double sigma, double *g)
{
    int rc = check_data(a, m, d, lda, "Renyi Gram");
    if (rc != IP_OK) return rc;
    if (!(sigma > 0) || !isfinite(sigma))
        return ip_fail(IP_ERR, "Renyi Gram: the kernel width must be positive and finite, got %g", sigma);
    int dd = d ? d : 1;
    /* Centred copy: |x_i - x_j|^2 = n_i + n_j - 2 <x_i, x_j> loses less to cancellation near the
     * mean. z and norms are freed here. */
    double *z = ip_aligned_alloc((size_t)m * dd * sizeof *z), *mean = ip_calloc((size_t)dd, sizeof *mean);
    double *norms = ip_calloc((size_t)m, sizeof *norms);
    if (!z || !mean || !norms) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < m; i++)
        for (int c = 0; c < d; c++) mean[c] += a[(size_t)i * lda + c];
    for (int c = 0; c < d; c++) mean[c] /= m;
    for (int i = 0; i < m; i++)
        for (int c = 0; c < d; c++) z[(size_t)i * dd + c] = a[(size_t)i * lda + c] - mean[c];
    if (d > 0) ip_dsyrk(0, m, d, 1.0, z, dd, 0.0, g, m); /* upper triangle of Z Z^T */
    else
        for (int i = 0; i < m; i++) memset(g + (size_t)i * m + i, 0, (size_t)(m - i) * sizeof *g);
    for (int i = 0; i < m; i++) norms[i] = g[(size_t)i * m + i];
    fill_job j = {g, norms, m, 1.0 / (2.0 * sigma * sigma)};
    ip_parallel_for(m, 16, fill_rows, &j);
    mirror(g, m);
out:
    free(z);
    free(mean);
    free(norms);
    return rc;
}

int ip_renyi_gram_labels(const int *y, int m, double *g)
{
    if (m < 1) return ip_fail(IP_ERR, "Renyi label Gram: no samples");
    double v = 1.0 / m; /* the trace of K is m: every diagonal entry is 1 */
    for (int i = 0; i < m; i++)
        for (int c = 0; c < m; c++) g[(size_t)i * m + c] = y[i] == y[c] ? v : 0.0;
    return IP_OK;
}

/* ---- entropies from eigenvalues ------------------------------------------------------------- */

static double entropy_of_values(const double *w, int n, double alpha)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        if (w[i] > 0) s += pow(w[i], alpha); /* negative eigenvalues are rounding: clipped to 0 */
    return log(s) / (1.0 - alpha);
}

static int check_alpha(double alpha, const char *what)
{
    ip_renyi_params p = {alpha, 0};
    int rc = ip_renyi_params_check(&p);
    if (rc != IP_OK) ip_error_prefix("%s", what);
    return rc;
}

/* The eigenvalues of the upper triangle of g (n x n, ld; destroyed) into w. */
static int eigenvalues(double *g, int n, int ld, double *w, const char *what)
{
    int two = eig_driver == IP_RENYI_EIG_TWO_STAGE || (eig_driver == IP_RENYI_EIG_AUTO && ip_blas_threads() == 1);
    return ip_dsyev_values(n, g, ld, w, two, what);
}

int ip_renyi_entropy_gram(double *g, int m, double alpha, double *h_nats)
{
    int rc = check_alpha(alpha, "S(A)");
    if (rc != IP_OK) return rc;
    if (m < 1) return ip_fail(IP_ERR, "S(A): no samples");
    double *w = ip_malloc((size_t)m * sizeof *w); /* freed here */
    if (!w) return IP_ERR_NOMEM;
    rc = eigenvalues(g, m, m, w, "S(A)");
    if (rc == IP_OK) *h_nats = entropy_of_values(w, m, alpha);
    free(w);
    return rc;
}

int ip_renyi_joint_entropy_gram(const double *ga, const double *gb, int m, double alpha, double *work,
                                double *h_nats)
{
    int rc = check_alpha(alpha, "S(A,B)");
    if (rc != IP_OK) return rc;
    if (m < 1) return ip_fail(IP_ERR, "S(A,B): no samples");
    double tr = 0;
    for (int i = 0; i < m; i++) tr += ga[(size_t)i * m + i] * gb[(size_t)i * m + i];
    if (!(tr > 0) || !isfinite(tr)) return ip_fail(IP_ERR_NUMERIC, "S(A,B): the Hadamard product has trace %g", tr);
    double inv = 1.0 / tr;
    for (int i = 0; i < m; i++) { /* the upper triangle is all the eigensolver reads */
        const double *ra = ga + (size_t)i * m, *rb = gb + (size_t)i * m;
        double *rw = work + (size_t)i * m;
        for (int c = i; c < m; c++) rw[c] = ra[c] * rb[c] * inv;
    }
    return ip_renyi_entropy_gram(work, m, alpha, h_nats);
}

/* ---- on data ---------------------------------------------------------------------------------- */

static double width(const ip_renyi_params *p, int m, int d) { return p->sigma > 0 ? p->sigma : ip_renyi_rule_sigma(m, d); }

int ip_renyi_entropy(const double *a, int m, int d, int lda, const ip_renyi_params *p, double *h_nats)
{
    int rc = ip_renyi_params_check(p);
    if (rc != IP_OK) return rc;
    if (m < 1) return ip_fail(IP_ERR, "S(A): no samples");
    double *g = ip_aligned_alloc((size_t)m * m * sizeof *g); /* freed here */
    if (!g) return IP_ERR_NOMEM;
    rc = ip_renyi_gram(a, m, d, lda, width(p, m, d), g);
    if (rc == IP_OK) rc = ip_renyi_entropy_gram(g, m, p->alpha, h_nats);
    free(g);
    return rc;
}

int ip_renyi_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, const ip_renyi_params *p,
                double *mi_nats, ip_mi_terms *terms)
{
    int rc = ip_renyi_params_check(p);
    if (rc != IP_OK) return rc;
    if (m < 1) return ip_fail(IP_ERR, "I(A;B): no samples");
    size_t bytes = (size_t)m * m * sizeof(double);
    double *ga = ip_aligned_alloc(bytes), *gb = ip_aligned_alloc(bytes), *w = ip_aligned_alloc(bytes); /* freed here */
    double ha = NAN, hb = NAN, hab = NAN;
    rc = IP_ERR_NOMEM;
    if (!ga || !gb || !w) goto out;
    if ((rc = ip_renyi_gram(a, m, da, lda, width(p, m, da), ga)) != IP_OK) {
        ip_error_prefix("I(A;B): A");
        goto out;
    }
    if ((rc = ip_renyi_gram(b, m, db, ldb, width(p, m, db), gb)) != IP_OK) {
        ip_error_prefix("I(A;B): B");
        goto out;
    }
    if ((rc = ip_renyi_joint_entropy_gram(ga, gb, m, p->alpha, w, &hab)) != IP_OK) goto out;
    if ((rc = ip_renyi_entropy_gram(ga, m, p->alpha, &ha)) != IP_OK) goto out;
    if ((rc = ip_renyi_entropy_gram(gb, m, p->alpha, &hb)) != IP_OK) goto out;
    *mi_nats = ha + hb - hab;
    if (terms) *terms = (ip_mi_terms){ha, hb, hab, *mi_nats};
out:
    free(ga);
    free(gb);
    free(w);
    return rc;
}

/* S(A, Y) with the label kernel: A o Y is A's entries within each class, zero across classes, so
 * after grouping the samples by class it is block diagonal and its eigenvalues are those of the
 * per-class blocks of A: sum_c m_c^3 instead of m^3. g is A's normalised Gram (kept); the blocks
 * are renormalised by the trace of their union, as A o Y / tr(A o Y) is. */
static int joint_labels(const double *g, int m, const int *y, int n_classes, const int *count, double alpha,
                        double *h_nats)
{
    int big = 0;
    for (int c = 0; c < n_classes; c++) big = count[c] > big ? count[c] : big;
    int *idx = ip_malloc((size_t)m * sizeof *idx), *start = ip_calloc((size_t)n_classes + 1, sizeof *start);
    double *blk = ip_aligned_alloc((size_t)big * big * sizeof *blk), *w = ip_malloc((size_t)m * sizeof *w);
    int rc = IP_ERR_NOMEM; /* all four freed here */
    if (!idx || !start || !blk || !w) goto out;
    for (int c = 0; c < n_classes; c++) start[c + 1] = start[c] + count[c];
    {
        int *pos = ip_malloc((size_t)n_classes * sizeof *pos);
        if (!pos) goto out;
        memcpy(pos, start, (size_t)n_classes * sizeof *pos);
        for (int i = 0; i < m; i++) idx[pos[y[i]]++] = i;
        free(pos);
    }
    double tr = 0;
    for (int i = 0; i < m; i++) tr += g[(size_t)i * m + i];
    for (int c = 0; c < n_classes; c++) {
        int n = count[c];
        const int *ic = idx + start[c];
        for (int r = 0; r < n; r++)
            for (int s = r; s < n; s++) blk[(size_t)r * n + s] = g[(size_t)ic[r] * m + ic[s]] / tr;
        if ((rc = eigenvalues(blk, n, n, w + start[c], "S(A,Y)")) != IP_OK) goto out;
    }
    *h_nats = entropy_of_values(w, m, alpha);
    rc = IP_OK;
out:
    free(idx);
    free(start);
    free(blk);
    free(w);
    return rc;
}

int ip_renyi_joint_entropy_labels(const double *g, int m, const int *y, int n_classes, double alpha, double *work,
                                  double *h_nats)
{
    (void)work; /* the blocks need less than m x m; joint_labels allocates them */
    if (m < 1) return ip_fail(IP_ERR, "S(A,Y): no samples");
    int rc = ip_labels_check(y, m, n_classes, "S(A,Y)");
    if (rc != IP_OK) return rc;
    int *count = ip_calloc((size_t)n_classes, sizeof *count); /* freed here */
    if (!count) return IP_ERR_NOMEM;
    for (int i = 0; i < m; i++) count[y[i]]++;
    rc = joint_labels(g, m, y, n_classes, count, alpha, h_nats);
    free(count);
    return rc;
}

int ip_renyi_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes,
                       const ip_renyi_params *p, double *mi_nats, ip_mi_terms *terms)
{
    int rc = ip_renyi_params_check(p);
    if (rc != IP_OK) return rc;
    if (m < 1) return ip_fail(IP_ERR, "I(A;Y): no samples");
    if ((rc = ip_labels_check(y, m, n_classes, "I(A;Y)")) != IP_OK) return rc;
    int *count = ip_calloc((size_t)n_classes, sizeof *count);
    double *g = ip_aligned_alloc((size_t)m * m * sizeof *g), ha = NAN, hy = NAN, hay = NAN; /* both freed here */
    rc = IP_ERR_NOMEM;
    if (!count || !g) goto out;
    for (int i = 0; i < m; i++) count[y[i]]++;
    /* The label Gram's normalised form is one block of 1/m per class: eigenvalues m_c / m. */
    double s = 0;
    for (int c = 0; c < n_classes; c++)
        if (count[c]) s += pow((double)count[c] / m, p->alpha);
    hy = log(s) / (1.0 - p->alpha);
    if ((rc = ip_renyi_gram(a, m, d, lda, width(p, m, d), g)) != IP_OK) {
        ip_error_prefix("I(A;Y)");
        goto out;
    }
    if ((rc = joint_labels(g, m, y, n_classes, count, p->alpha, &hay)) != IP_OK) goto out;
    if ((rc = ip_renyi_entropy_gram(g, m, p->alpha, &ha)) != IP_OK) goto out;
    *mi_nats = ha + hy - hay;
    if (terms) *terms = (ip_mi_terms){ha, hy, hay, *mi_nats};
out:
    free(count);
    free(g);
    return rc;
}
