/* The LogDet entropy estimator (Zhouyin & Liu, arXiv 2105.03705) as a small library:
 * H(A), H(A,B), I(A;B) and I(A;Y) with one-hot labels, in double precision, by Cholesky.
 * Formulas, beta, units and the degenerate cases: docs/logdet.md. */
#ifndef IP_LOGDET_H
#define IP_LOGDET_H

/* cov: covariance of the features; pearson: their correlation matrix (scale-free). */
typedef enum { IP_MODE_COV = 0, IP_MODE_PEARSON } ip_logdet_mode;
extern const char *const ip_logdet_mode_names[]; /* "cov", "pearson" */

/* Pearson mode's guard: column i is scaled by 1/sqrt(||a_i||^2 + IP_LOGDET_PEARSON_EPS) after
 * centring, so a constant column becomes a zero column (never NaN). See docs/logdet.md. */
#define IP_LOGDET_PEARSON_EPS 1e-8

/* The fewest samples (rows) an estimate takes: the covariance of a single sample is zero, so with
 * one sample every data set would have H = 0 and every I = 0. */
#define IP_LOGDET_MIN_SAMPLES 2

/* All matrices are row-major, m samples (rows) x d units (columns), leading dimension ld >= d.
 * Inputs are never modified. Every function returns IP_OK or a negative status with a message
 * in ip_error_message() (bad sizes, fewer than IP_LOGDET_MIN_SAMPLES samples, beta <= 0 or not
 * finite, NaN/Inf in the data, data whose sums of squares overflow double precision, out of memory,
 * a factorisation failure). Results are in nats (bits = nats / ln 2).
 *
 * H_beta(A) = 1/2 logdet(I_d + beta C), C = A_c^T A_c / m (cov) or the Pearson matrix of A. */
int ip_logdet_entropy(const double *a, int m, int d, int lda, ip_logdet_mode mode, double beta,
                      double *h_nats);

/* H_beta([A B]) on the column concatenation; a is m x da, b is m x db. */
int ip_logdet_joint_entropy(const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                            ip_logdet_mode mode, double beta, double *h_nats);

/* The three entropies behind a mutual information, for callers that want them too. */
typedef struct {
    double h_a, h_b, h_ab, mi; /* nats; mi = h_a + h_b - h_ab */
} ip_logdet_terms;

/* I(A;B) = H(A) + H(B) - H(A,B), all with the same beta. `terms` may be NULL. */
int ip_logdet_mi(const double *a, int m, int da, int lda, const double *b, int db, int ldb,
                 ip_logdet_mode mode, double beta, double *mi_nats, ip_logdet_terms *terms);

/* I(A;Y) with Y the one-hot matrix (m x n_classes) of labels y[i] in [0, n_classes). */
int ip_logdet_mi_labels(const double *a, int m, int d, int lda, const int *y, int n_classes,
                        ip_logdet_mode mode, double beta, double *mi_nats, ip_logdet_terms *terms);

/* "cov" / "pearson" <-> mode. Parsing returns IP_OK or IP_ERR_FORMAT with a message. */
int ip_logdet_mode_parse(const char *s, ip_logdet_mode *mode);
const char *ip_logdet_mode_name(ip_logdet_mode mode);

/* The paper's default beta for a run: 100 * d_X; for layer-to-layer MI 100 * (d_A + d_B). */
static inline double ip_logdet_paper_beta(int d) { return 100.0 * d; }

#endif
