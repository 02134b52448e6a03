/* The KDE bounds (Kolchinsky & Tracey 2017, as Saxe et al. 2018 use them): the pairwise squared
 * distances of the rows through one SYRK of the centred data, then one pass over the m x m
 * matrix that gives, per row, the log of the kernel sums of every bound and class wanted.
 * See kde.h and docs/kde.md.
 *
 * Every per-row sum runs over j in increasing order on one thread, and the rows are summed in
 * increasing order on the caller's thread: results do not depend on the thread count. */
#include "kde.h"

#include "core/blas.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "labels.h"
#include "core/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *const ip_kde_bound_names[] = {"upper", "lower", NULL};

void ip_kde_params_default(ip_kde_params *p) { *p = (ip_kde_params){.noise = 0.1, .bound = IP_KDE_UPPER}; }

int ip_kde_params_check(const ip_kde_params *p)
{
    if (!(p->noise > 0) || !isfinite(p->noise))
        return ip_fail(IP_ERR, "kde: the noise variance must be a positive finite number, got %g", p->noise);
    if (p->bound != IP_KDE_UPPER && p->bound != IP_KDE_LOWER)
        return ip_fail(IP_ERR, "kde: unknown bound %d (expected upper or lower)", (int)p->bound);
    return IP_OK;
}

double ip_kde_noise_entropy(int d, double noise) { return 0.5 * d * log(2 * M_PI * M_E * noise); }

/* ---- the distance matrix ---------------------------------------------------------------- */

/* An m x m matrix of doubles (72 MB at m = 3000), 2 MB aligned and advised onto transparent huge
 * pages when large: first-touch faults of 4 KB pages cost as much as the SYRK's writes. Release
 * with free(); NULL with IP_ERR_NOMEM's message. */
static double *square_alloc(int m)
{
    size_t bytes = (size_t)m * m * sizeof(double), huge = 2u << 20;
    if (bytes < 2 * huge) return ip_aligned_alloc(bytes ? bytes : sizeof(double));
    void *p = NULL;
    if (posix_memalign(&p, huge, (bytes + huge - 1) / huge * huge) != 0) {
        ip_fail(IP_ERR_NOMEM, "kde: out of memory for the %d x %d distance matrix (%zu bytes)", m, m, bytes);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    (void)madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE); /* advice only */
#endif
    return p;
}

/* z <- a with its column means subtracted (m x d, leading dimension d), after checking that
 * every value is finite. Centring first keeps |a_i|^2 + |a_j|^2 - 2 a_i.a_j from cancelling the
 * digits that a common offset would otherwise take. */
static int centre(const double *a, int m, int d, int lda, double *z, const char *what)
{
    double *mean = ip_calloc(d ? (size_t)d : 1, sizeof *mean);
    if (!mean) return IP_ERR_NOMEM;
    for (int i = 0; i < m; i++) {
        const double *r = a + (size_t)i * lda;
        double probe = 0; /* v * 0 is NaN exactly when v is NaN or Inf */
        for (int j = 0; j < d; j++) probe += r[j] * 0.0, mean[j] += r[j];
        if (probe != 0.0)
            for (int j = 0; j < d; j++)
                if (!isfinite(r[j])) {
                    free(mean);
                    return ip_fail(IP_ERR_NUMERIC, "%s: row %d, column %d holds %s", what, i + 1, j + 1,
                                   isnan(r[j]) ? "NaN" : "Inf");
                }
    }
    for (int j = 0; j < d; j++) mean[j] /= m;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < d; j++) z[(size_t)i * d + j] = a[(size_t)i * lda + j] - mean[j];
    free(mean);
    return IP_OK;
}

enum { BLOCK = 64 };

typedef struct {
    double *g;          /* m x m: the Gram matrix's upper triangle in, the distances out */
    const double *norm; /* |z_i|^2, the Gram diagonal */
    int m;
} dist_ctx;

/* Block rows [b0, b1): the upper triangle turned into distances (clamped at 0: rounding can make
 * a tiny one negative; the diagonal exactly 0), then mirrored into the lower triangle. Each block
 * row writes only its own upper part and its own columns of the lower part. */
static void dist_rows(void *ctx, int b0, int b1, int worker)
{
    const dist_ctx *c = ctx;
    int m = c->m;
    for (int b = b0; b < b1; b++) {
        int i0 = b * BLOCK, i1 = i0 + BLOCK < m ? i0 + BLOCK : m;
        for (int i = i0; i < i1; i++) {
            double *r = c->g + (size_t)i * m, ni = c->norm[i];
            r[i] = 0.0;
            for (int j = i + 1; j < m; j++) {
                double v = ni + c->norm[j] - 2.0 * r[j];
                r[j] = v > 0 ? v : 0.0;
            }
        }
        for (int j0 = i0; j0 < m; j0 += BLOCK) /* tile by tile, so both sides stay in cache */
            for (int i = i0; i < i1; i++)
                for (int j = j0 > i + 1 ? j0 : i + 1; j < j0 + BLOCK && j < m; j++)
                    c->g[(size_t)j * m + i] = c->g[(size_t)i * m + j];
    }
}

/* dist <- the m x m matrix of |a_i - a_j|^2 (allocated here, caller frees) */
static int sq_dists(const double *a, int m, int d, int lda, double **dist, const char *what)
{
    *dist = NULL;
    double *z = ip_aligned_alloc((size_t)m * (d ? d : 1) * sizeof *z), *g = square_alloc(m);
    double *norm = ip_malloc((size_t)m * sizeof *norm);
    int rc = IP_ERR_NOMEM;
    if (!z || !g || !norm) goto out;
    if ((rc = centre(a, m, d, lda, z, what)) != IP_OK) goto out;
    if (d > 0) ip_dsyrk(0, m, d, 1.0, z, d, 0.0, g, m); /* G <- Z Z^T, upper triangle */
    for (int i = 0; i < m; i++) {
        norm[i] = d > 0 ? g[(size_t)i * m + i] : 0.0;
        if (d == 0) memset(g + (size_t)i * m, 0, (size_t)m * sizeof *g);
        if (!isfinite(norm[i])) {
            rc = ip_fail(IP_ERR_NUMERIC, "%s: the squared norm of row %d overflows double precision; divide the "
                                         "data by a constant first", what, i + 1);
            goto out;
        }
    }
    dist_ctx c = {g, norm, m};
    ip_parallel_for((m + BLOCK - 1) / BLOCK, 1, dist_rows, &c);
    *dist = g;
    g = NULL;
out:
    free(z);
    free(g);
    free(norm);
    return rc;
}

/* ---- log kernel sums per row ------------------------------------------------------------------ */

/* Per row i, lse[b][i] = log sum_j exp(-D_ij / (2 v_b)) for the bounds b wanted (v = s^2 for the
 * upper, 4 s^2 for the lower), and with labels lse_c[b][i] the same over j of i's class only.
 * The largest term of every sum is the diagonal's exp(0) = 1 (all D_ij >= 0, D_ii = 0): the row
 * maximum is factored out by construction, every sum is >= 1 and its log finite. */
typedef struct {
    const double *dist;
    const int *y; /* NULL: no class sums */
    int m, want[2];
    double coef[2]; /* 1 / (2 v_b) */
    double *lse[2], *lse_c[2];
} sums_ctx;

/* exp(-x) for x >= 0, without libm's slow underflow path where the result is 0 anyway (beyond
 * 746 even the smallest subnormal is out of reach): far-apart pairs are the common case in
 * wide layers. */
static inline double kexp(double x) { return x < 746.0 ? exp(-x) : 0.0; }

static void sums_rows(void *ctx, int i0, int i1, int worker)
{
    const sums_ctx *c = ctx;
    int both = c->want[0] && c->want[1], one = c->want[0] ? 0 : 1;
    for (int i = i0; i < i1; i++) {
        const double *r = c->dist + (size_t)i * c->m;
        double s[2] = {0, 0}, sc[2] = {0, 0};
        int yi = c->y ? c->y[i] : 0;
        for (int j = 0; j < c->m; j++) {
            double e[2];
            if (both) { /* exp(-D/(2 s^2)) = exp(-D/(8 s^2))^4: one exp for both bounds */
                e[1] = kexp(r[j] * c->coef[1]);
                e[0] = e[1] * e[1];
                e[0] *= e[0];
            } else {
                e[one] = kexp(r[j] * c->coef[one]);
            }
            for (int b = 0; b < 2; b++)
                if (c->want[b]) {
                    s[b] += e[b];
                    if (c->y && c->y[j] == yi) sc[b] += e[b];
                }
        }
        for (int b = 0; b < 2; b++)
            if (c->want[b]) {
                c->lse[b][i] = log(s[b]);
                if (c->y) c->lse_c[b][i] = log(sc[b]);
            }
    }
}

/* What the row sums give, per bound b: mlse[b] = (1/m) sum_i (lse_i - log m) and, with labels,
 * ity[b] = (1/m) sum_i [(lse_c_i - log m_{y_i}) - (lse_i - log m)] = H(T+N) - sum_y p(y) H(T+N|Y=y)
 * (the bound's constants cancel between the two: summing the difference keeps small MIs accurate). */
static int kernel_sums(const double *dist, int m, const int *y, int n_classes, double s2, const int want[2],
                       double mlse[2], double ity[2])
{
    double *buf = ip_malloc((size_t)m * 4 * sizeof *buf), *logmy = NULL;
    if (!buf) return IP_ERR_NOMEM;
    sums_ctx c = {dist, y, m, {want[0], want[1]}, {1 / (2 * s2), 1 / (8 * s2)},
                  {buf, buf + m}, {buf + 2 * (size_t)m, buf + 3 * (size_t)m}};
    ip_parallel_for(m, 16, sums_rows, &c);
    if (y) {
        logmy = ip_calloc((size_t)n_classes, sizeof *logmy);
        if (!logmy) {
            free(buf);
            return IP_ERR_NOMEM;
        }
        for (int i = 0; i < m; i++) logmy[y[i]] += 1;
        for (int k = 0; k < n_classes; k++) logmy[k] = logmy[k] > 0 ? log(logmy[k]) : 0;
    }
    double logm = log((double)m);
    for (int b = 0; b < 2; b++) {
        if (!want[b]) continue;
        double acc = 0, acc_c = 0;
        for (int i = 0; i < m; i++) {
            acc += c.lse[b][i] - logm;
            if (y) acc_c += (c.lse_c[b][i] - logmy[y[i]]) - (c.lse[b][i] - logm);
        }
        mlse[b] = acc / m;
        if (y) ity[b] = acc_c / m;
    }
    free(buf);
    free(logmy);
    return IP_OK;
}

/* The bound's H(T+N) from mlse = (1/m) sum_i log[(1/m) sum_j exp(-D_ij / (2 v))]. */
static double h_bound(int b, double mlse, int d, double s2)
{
    if (b == IP_KDE_UPPER) return d / 2.0 - mlse + d / 2.0 * log(2 * M_PI * s2);
    return d / 2.0 - mlse + d / 2.0 * log(2 * M_PI * 4 * s2) + d / 2.0 * log(0.25);
}

/* ---- the public calls ------------------------------------------------------------------------ */

static int check_args(int m, int d, int lda, const ip_kde_params *p, const char *what)
{
    int rc = ip_kde_params_check(p);
    if (rc != IP_OK) return rc;
    if (m < 1 || d < 0 || lda < d)
        return ip_fail(IP_ERR, "%s: bad shape (m = %d samples, d = %d units, leading dimension %d; m >= 1)", what,
                       m, d, lda);
    return IP_OK;
}

/* The single-bound H of the distances dist of m rows in d dimensions. */
static int h_of(const double *dist, int m, int d, const ip_kde_params *p, double *h)
{
    int want[2] = {p->bound == IP_KDE_UPPER, p->bound == IP_KDE_LOWER};
    double mlse[2], unused[2];
    int rc = kernel_sums(dist, m, NULL, 0, p->noise, want, mlse, unused);
    if (rc == IP_OK) *h = h_bound(p->bound, mlse[p->bound], d, p->noise);
    return rc;
}

int ip_kde_entropy(const double *a, int m, int d, int lda, const ip_kde_params *p, double *h_nats)
{
    double *dist = NULL;
    int rc = check_args(m, d, lda, p, "kde H(A)");
    if (rc == IP_OK) rc = sq_dists(a, m, d, lda, &dist, "kde H(A)");
    if (rc == IP_OK) rc = h_of(dist, m, d, p, h_nats);
    free(dist);
    return rc;
}

int ip_kde_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb, const ip_kde_params *p,
              double *mi_nats, ip_mi_terms *terms)
{
    double *dist_a = NULL, *dist_b = NULL, ha = 0, hb = 0, hab = 0;
    int rc = check_args(m, da, lda, p, "kde I(A;B): A");
    if (rc == IP_OK) rc = check_args(m, db, ldb, p, "kde I(A;B): B");
    if (rc == IP_OK) rc = sq_dists(a, m, da, lda, &dist_a, "kde I(A;B): A");
    if (rc == IP_OK) rc = sq_dists(b, m, db, ldb, &dist_b, "kde I(A;B): B");
    if (rc == IP_OK) rc = h_of(dist_a, m, da, p, &ha);
    if (rc == IP_OK) rc = h_of(dist_b, m, db, p, &hb);
    if (rc == IP_OK) {
        /* Squared distances add over column blocks: [A B]'s are D_A + D_B, no third SYRK. */
        for (size_t k = 0; k < (size_t)m * m; k++) dist_a[k] += dist_b[k];
        rc = h_of(dist_a, m, da + db, p, &hab);
    }
    if (rc == IP_OK) {
        *mi_nats = ha + hb - hab;
        if (terms) *terms = (ip_mi_terms){ha, hb, hab, *mi_nats};
    }
    free(dist_a);
    free(dist_b);
    return rc;
}

/* Plug-in H(Y) of the labels. */
static int label_entropy(const int *y, int m, int n_classes, double *h)
{
    int *n = ip_calloc((size_t)n_classes, sizeof *n);
    if (!n) return IP_ERR_NOMEM;
    for (int i = 0; i < m; i++) n[y[i]]++;
    double acc = 0;
    for (int k = 0; k < n_classes; k++)
        if (n[k]) acc += n[k] * (log((double)m) - log((double)n[k]));
    *h = acc / m;
    free(n);
    return IP_OK;
}

int ip_kde_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes, const ip_kde_params *p,
                     double *mi_nats, ip_mi_terms *terms)
{
    const char *what = "kde I(A;Y)";
    double *dist = NULL, mlse[2], ity[2], hy = 0;
    int want[2] = {p->bound == IP_KDE_UPPER, p->bound == IP_KDE_LOWER};
    int rc = check_args(m, d, lda, p, what);
    if (rc == IP_OK) rc = ip_labels_check(y, m, n_classes, what);
    if (rc == IP_OK) rc = sq_dists(a, m, d, lda, &dist, what);
    if (rc == IP_OK) rc = kernel_sums(dist, m, y, n_classes, p->noise, want, mlse, ity);
    if (rc == IP_OK) rc = label_entropy(y, m, n_classes, &hy);
    if (rc == IP_OK) {
        double ha = h_bound(p->bound, mlse[p->bound], d, p->noise);
        *mi_nats = ity[p->bound];
        if (terms) *terms = (ip_mi_terms){ha, hy, ha + hy - *mi_nats, *mi_nats};
    }
    free(dist);
    return rc;
}

int ip_kde_plane(const double *t, int m, int d, int ldt, const int *y, int n_classes, const ip_kde_params *p,
                 double i_xt[2], double i_ty[2])
{
    const char *what = "kde plane";
    double *dist = NULL, mlse[2];
    int want[2] = {1, 1};
    ip_kde_params pp = *p;
    pp.bound = IP_KDE_UPPER; /* ignored here */
    int rc = check_args(m, d, ldt, &pp, what);
    if (rc == IP_OK) rc = ip_labels_check(y, m, n_classes, what);
    if (rc == IP_OK) rc = sq_dists(t, m, d, ldt, &dist, what);
    if (rc == IP_OK) rc = kernel_sums(dist, m, y, n_classes, p->noise, want, mlse, i_ty);
    /* I(X;T) = H(T+N) - (d/2) log(2 pi e s^2) = -mlse for both bounds: the constants cancel exactly
     * (for the lower bound (d/2) log(2 pi 4 s^2) + (d/2) log(1/4) = (d/2) log(2 pi s^2)). */
    if (rc == IP_OK) i_xt[0] = -mlse[0], i_xt[1] = -mlse[1];
    free(dist);
    return rc;
}
