/* The LogDet entropy estimator: H_beta(A) = 1/2 logdet(I + beta C) by Cholesky, the Sylvester
 * m x m form when a matrix is wider than it is tall, and I(A;B) from one factorisation of the
 * joint matrix, whose leading block is the factor of A's own matrix. See docs/logdet.md. */
#include "logdet_impl.h"

#include "core/blas.h"
#include "core/mem.h"
#include "core/names.h"
#include "labels.h"
#include "core/status.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Work matrices of a few MB and up are 2 MB aligned and advised onto transparent huge pages:
 * first-touch page faults of the fresh 38 MB work matrix and 20 MB Gram matrix of a stand-alone
 * I(X;T) on MNIST cost more than the SYRK itself on 4 KB pages (about 10 us a fault in a VM). */
enum { LD_HUGE = 2 << 20 };

void *ip_ld_alloc(size_t bytes, int zero)
{
    if (bytes < 2 * (size_t)LD_HUGE) return ip_aligned_alloc(bytes); /* zeroed */
    size_t rounded = (bytes + LD_HUGE - 1) / LD_HUGE * LD_HUGE;
    void *p = NULL;
    if (posix_memalign(&p, LD_HUGE, rounded) != 0) {
        ip_fail(IP_ERR_NOMEM, "out of memory allocating %zu bytes for a LogDet work matrix", bytes);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: 4 KB pages work too */
#endif
    if (zero) memset(p, 0, bytes);
    return p;
}

double ip_ld_scale(ip_logdet_mode mode, double beta, int m, double sumsq)
{
    if (mode == IP_MODE_PEARSON) return sqrt(beta / (sumsq + IP_LOGDET_PEARSON_EPS));
    return sqrt(beta / m);
}

int ip_ld_check_args(int m, int d, int ld, ip_logdet_mode mode, double beta, const char *what)
{
    if (m < IP_LOGDET_MIN_SAMPLES)
        return ip_fail(IP_ERR, "%s: %d sample%s, but the LogDet estimator needs at least %d (the covariance of a "
                               "single sample is zero: any data would give H = 0)",
                       what, m, m == 1 ? "" : "s", IP_LOGDET_MIN_SAMPLES);
    if (d < 0 || ld < d) return ip_fail(IP_ERR, "%s: bad shape (d = %d, leading dimension %d)", what, d, ld);
    if (mode != IP_MODE_COV && mode != IP_MODE_PEARSON)
        return ip_fail(IP_ERR, "%s: unknown mode %d (expected cov or pearson)", what, (int)mode);
    if (!(beta > 0) || !isfinite(beta))
        return ip_fail(IP_ERR, "%s: beta must be a positive finite number, got %g", what, beta);
    return IP_OK;
}

/* The message for a column whose sums overflow double precision although every value is finite:
 * the data's scale is the problem, and dividing it by a constant is the cure. */
static int scale_overflow(const double *a, int m, int lda, int j, const char *how, const char *what)
{
    double big = 0;
    for (int i = 0; i < m; i++) big = fmax(big, fabs(a[(size_t)i * lda + j]));
    return ip_fail(IP_ERR_NUMERIC,
                   "%s: the data's scale overflows double precision: column %d reaches |x| = %.3g and its %s is "
                   "beyond %.3g; divide the data by a constant (its largest |x|, or its standard deviation) first",
                   what, j + 1, big, how, DBL_MAX);
}

int ip_ld_prepare(const double *a, int m, int d, int lda, ip_logdet_mode mode, double beta, int scale,
                  int drop_constant, double *z, int ldz, int *kept, double *sumsq, const char *what)
{
    int rc = IP_OK, k = 0;
    double *mean = ip_calloc((size_t)d, sizeof *mean), *ss = ip_calloc((size_t)d, sizeof *ss);
    double *s = ip_calloc((size_t)d, sizeof *s);
    int *varies = ip_calloc((size_t)d, sizeof *varies), *idx = ip_calloc((size_t)d, sizeof *idx);
    if (!mean || !ss || !s || !varies || !idx) { rc = IP_ERR_NOMEM; goto out; }

    /* Row by row (the contiguous direction): column sums, and whether any entry differs from row 0. */
    for (int i = 0; i < m; i++) {
        const double *r = a + (size_t)i * lda;
        for (int j = 0; j < d; j++) {
            mean[j] += r[j];
            varies[j] |= r[j] != a[j];
        }
    }
    for (int j = 0; j < d; j++) {
        if (!isfinite(mean[j])) {
            int bad = 0;
            for (int i = 0; i < m && !bad; i++) bad = !isfinite(a[(size_t)i * lda + j]);
            if (bad) rc = ip_fail(IP_ERR_NUMERIC, "%s: column %d holds NaN or Inf", what, j + 1);
            else rc = scale_overflow(a, m, lda, j, "sum", what);
            goto out;
        }
        mean[j] /= m;
        if (varies[j] || !drop_constant) idx[k++] = j;
    }
    /* Centre; a constant column is written as exact zeros rather than trusting v - mean(v) == 0,
     * which rounding can break (0.1 summed 3000 times, divided by 3000, is not 0.1). In cov mode the
     * scale is known up front and applied in the same pass (the same products as a second pass). */
    int fused = scale && mode != IP_MODE_PEARSON;
    double s0 = ip_ld_scale(mode, beta, m, 0.0);
    for (int i = 0; i < m; i++) {
        const double *r = a + (size_t)i * lda;
        double *zr = z + (size_t)i * ldz;
        if (k == d) { /* every column kept: contiguous loops */
            for (int c = 0; c < k; c++) {
                double v = varies[c] ? r[c] - mean[c] : 0.0;
                ss[c] += v * v;
                zr[c] = fused ? v * s0 : v;
            }
        } else {
            for (int c = 0; c < k; c++) {
                int j = idx[c];
                double v = varies[j] ? r[j] - mean[j] : 0.0;
                ss[c] += v * v;
                zr[c] = fused ? v * s0 : v;
            }
        }
    }
    /* The matrix the factorisation sees has sum(z^2) of each kept column on its diagonal (cov: the
     * sum of squares times beta/m; pearson: at most beta), and their total bounds every entry of
     * the m x m form: all must be finite. */
    double total = 0;
    for (int c = 0; c < k; c++) {
        double diag = !scale ? ss[c] : fused ? ss[c] * s0 * s0 : beta; /* pearson: at most beta */
        total += diag;
        if (!isfinite(ss[c]) || !isfinite(diag)) {
            rc = scale_overflow(a, m, lda, idx[c], fused ? "sum of squares times beta/m" : "sum of squares", what);
            goto out;
        }
    }
    if (!isfinite(total)) {
        int worst = 0;
        for (int c = 1; c < k; c++)
            if (ss[c] > ss[worst]) worst = c;
        rc = scale_overflow(a, m, lda, idx[worst], "share of the matrix's total", what);
        goto out;
    }
    if (scale && !fused) {
        for (int c = 0; c < k; c++) s[c] = ip_ld_scale(mode, beta, m, ss[c]);
        for (int i = 0; i < m; i++) {
            double *zr = z + (size_t)i * ldz;
            for (int c = 0; c < k; c++) zr[c] *= s[c];
        }
    }
    if (sumsq) memcpy(sumsq, ss, (size_t)k * sizeof *ss);
    *kept = k;
out:
    free(mean);
    free(ss);
    free(s);
    free(varies);
    free(idx);
    return rc;
}

double ip_ld_factor_logdet(int n, const double *u, int ldu)
{
    double acc = 0;
    for (int i = 0; i < n; i++) acc += log(u[(size_t)i * ldu + i]);
    return 2.0 * acc;
}

int ip_ld_chol_logdet(int n, double *a, int lda, double *logdet, const char *what)
{
    if (n == 0) {
        *logdet = 0;
        return IP_OK;
    }
    /* I + Z^T Z is SPD for any Z, so a failure here is a genuine error (NaN, broken BLAS). */
    int rc = ip_dpotrf_upper_inplace(n, a, lda, what);
    if (rc != IP_OK) return rc;
    *logdet = ip_ld_factor_logdet(n, a, lda);
    if (!isfinite(*logdet))
        return ip_fail(IP_ERR_NUMERIC, "%s: logdet is not finite (is the data's scale beyond double precision? divide "
                                       "the data by a constant first)", what);
    return IP_OK;
}

int ip_ld_logdet_gram(const double *z, int m, int k, int ldz, double *logdet, const char *what)
{
    if (k == 0) {
        *logdet = 0;
        return IP_OK;
    }
    int n = k <= m ? k : m;
    double *g = ip_ld_alloc((size_t)n * n * sizeof *g, 0); /* SYRK writes every entry read */
    if (!g) return IP_ERR_NOMEM;
    if (k <= m)
        ip_dsyrk(1, n, m, 1.0, z, ldz, 0.0, g, n); /* G <- Z^T Z (k x k, upper) */
    else
        ip_dsyrk(0, n, k, 1.0, z, ldz, 0.0, g, n); /* Sylvester: G <- Z Z^T (m x m, upper) */
    for (int i = 0; i < n; i++) g[(size_t)i * n + i] += 1.0;
    int rc = ip_ld_chol_logdet(n, g, n, logdet, what);
    free(g);
    return rc;
}

int ip_logdet_entropy(const double *a, int m, int d, int lda, ip_logdet_mode mode, double beta,
                      double *h_nats)
{
    int rc = ip_ld_check_args(m, d, lda, mode, beta, "H(A)");
    if (rc != IP_OK) return rc;
    double *z = ip_ld_alloc((size_t)m * (d ? d : 1) * sizeof *z, 0), ld = 0;
    int k = 0;
    if (!z) return IP_ERR_NOMEM;
    rc = ip_ld_prepare(a, m, d, lda, mode, beta, 1, 1, z, d ? d : 1, &k, NULL, "H(A)");
    if (rc == IP_OK) rc = ip_ld_logdet_gram(z, m, k, d ? d : 1, &ld, "H(A)");
    if (rc == IP_OK) *h_nats = 0.5 * ld;
    free(z);
    return rc;
}

int ip_logdet_joint_entropy(const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                            ip_logdet_mode mode, double beta, double *h_nats)
{
    int rc = ip_ld_check_args(m, da, lda, mode, beta, "H(A,B): A");
    if (rc == IP_OK) rc = ip_ld_check_args(m, db, ldb, mode, beta, "H(A,B): B");
    if (rc != IP_OK) return rc;
    int D = da + db > 0 ? da + db : 1, ka = 0, kb = 0;
    double *z = ip_ld_alloc((size_t)m * D * sizeof *z, 0), ld = 0;
    if (!z) return IP_ERR_NOMEM;
    rc = ip_ld_prepare(a, m, da, lda, mode, beta, 1, 1, z, D, &ka, NULL, "H(A,B): A");
    if (rc == IP_OK) rc = ip_ld_prepare(b, m, db, ldb, mode, beta, 1, 1, z + ka, D, &kb, NULL, "H(A,B): B");
    if (rc == IP_OK) rc = ip_ld_logdet_gram(z, m, ka + kb, D, &ld, "H(A,B)");
    if (rc == IP_OK) *h_nats = 0.5 * ld;
    free(z);
    return rc;
}

/* I(P;Q) with P the larger block. Z = [Z_P Z_Q] (m x kp+kq, ldz). When kp + kq <= m, one
 * Cholesky of M = I + Z^T Z gives both H(P) (its leading kp x kp block is the factor of M_PP)
 * and H(P,Q); H(Q) needs its own kq x kq factor, the cheaper of the two. */
static int mi_prepared(const double *z, int m, int kp, int kq, int ldz, double *hp, double *hq,
                       double *hpq)
{
    int D = kp + kq, rc;
    double ld;
    if (D > m || kq == 0) {
        /* Sylvester territory (or nothing to join): each term on its own min(m, k) form. */
        if ((rc = ip_ld_logdet_gram(z, m, kp, ldz, &ld, "H(A)")) != IP_OK) return rc;
        *hp = 0.5 * ld;
        if ((rc = ip_ld_logdet_gram(z + kp, m, kq, ldz, &ld, "H(B)")) != IP_OK) return rc;
        *hq = 0.5 * ld;
        if (kq == 0) {
            *hpq = *hp;
            return IP_OK;
        }
        if ((rc = ip_ld_logdet_gram(z, m, D, ldz, &ld, "H(A,B)")) != IP_OK) return rc;
        *hpq = 0.5 * ld;
        return IP_OK;
    }
    double *g = ip_ld_alloc((size_t)D * D * sizeof *g, 0), *gq = ip_ld_alloc((size_t)kq * kq * sizeof *gq, 0);
    rc = IP_ERR_NOMEM;
    if (!g || !gq) goto out;
    ip_dsyrk(1, D, m, 1.0, z, ldz, 0.0, g, D); /* M <- Z^T Z, then + I: upper triangle, D x D */
    for (int i = 0; i < D; i++) g[(size_t)i * D + i] += 1.0;
    for (int i = 0; i < kq; i++)
        memcpy(gq + (size_t)i * kq + i, g + (size_t)(kp + i) * D + kp + i, (size_t)(kq - i) * sizeof *g);
    if ((rc = ip_ld_chol_logdet(D, g, D, &ld, "H(A,B)")) != IP_OK) goto out;
    *hpq = 0.5 * ld;
    *hp = 0.5 * ip_ld_factor_logdet(kp, g, D);
    if ((rc = ip_ld_chol_logdet(kq, gq, kq, &ld, "H(B)")) != IP_OK) goto out;
    *hq = 0.5 * ld;
out:
    free(g);
    free(gq);
    return rc;
}

int ip_logdet_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                 ip_logdet_mode mode, double beta, double *mi_nats, ip_logdet_terms *terms)
{
    int rc = ip_ld_check_args(m, da, lda, mode, beta, "I(A;B): A");
    if (rc == IP_OK) rc = ip_ld_check_args(m, db, ldb, mode, beta, "I(A;B): B");
    if (rc != IP_OK) return rc;
    int D = da + db > 0 ? da + db : 1;
    double *z = ip_ld_alloc((size_t)m * D * sizeof *z, 0), ha = 0, hb = 0, hab = 0;
    if (!z) return IP_ERR_NOMEM;
    /* The larger block goes first so that the separate factorisation is of the smaller one. */
    int a_first = da >= db;
    const double *p = a_first ? a : b, *q = a_first ? b : a;
    int dp = a_first ? da : db, dq = a_first ? db : da, ldp = a_first ? lda : ldb, ldq = a_first ? ldb : lda;
    int kp = 0, kq = 0;
    const char *wp = a_first ? "I(A;B): A" : "I(A;B): B", *wq = a_first ? "I(A;B): B" : "I(A;B): A";
    rc = ip_ld_prepare(p, m, dp, ldp, mode, beta, 1, 1, z, D, &kp, NULL, wp);
    if (rc == IP_OK) rc = ip_ld_prepare(q, m, dq, ldq, mode, beta, 1, 1, z + kp, D, &kq, NULL, wq);
    double hp = 0, hq = 0;
    if (rc == IP_OK) rc = mi_prepared(z, m, kp, kq, D, &hp, &hq, &hab);
    free(z);
    if (rc != IP_OK) return rc;
    ha = a_first ? hp : hq;
    hb = a_first ? hq : hp;
    *mi_nats = ha + hb - hab;
    if (terms) *terms = (ip_logdet_terms){ha, hb, hab, *mi_nats};
    return IP_OK;
}

int ip_logdet_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes,
                        ip_logdet_mode mode, double beta, double *mi_nats, ip_logdet_terms *terms)
{
    int rc = ip_labels_check(y, m, n_classes, "I(A;Y)");
    if (rc != IP_OK) return rc;
    if (m < IP_LOGDET_MIN_SAMPLES) return ip_ld_check_args(m, 1, 1, mode, 1, "I(A;Y)"); /* its message */
    double *onehot = ip_calloc((size_t)m * n_classes, sizeof *onehot);
    if (!onehot) return IP_ERR_NOMEM;
    for (int i = 0; i < m; i++) onehot[(size_t)i * n_classes + y[i]] = 1.0;
    rc = ip_logdet_mi(a, m, d, lda, onehot, n_classes, n_classes, mode, beta, mi_nats, terms);
    free(onehot);
    return rc;
}

const char *const ip_logdet_mode_names[] = {"cov", "pearson", NULL};

int ip_logdet_mode_parse(const char *s, ip_logdet_mode *mode)
{
    int i = ip_name_find(ip_logdet_mode_names, s);
    if (i < 0) return ip_fail(IP_ERR_FORMAT, "unknown mode '%s' (expected cov or pearson)", s);
    *mode = (ip_logdet_mode)i;
    return IP_OK;
}

const char *ip_logdet_mode_name(ip_logdet_mode mode) { return ip_name_of(ip_logdet_mode_names, (int)mode); }
