/* The verification experiment's data generators and the closed forms they are checked against
 * (verify.h). Every random draw goes through the caller's ip_rng. */
#include "verify.h"

#include <math.h>
#include <stddef.h>

void vd_uncertainty(double *x, const double *noise, int m, int d, double u)
{
    for (size_t i = 0; i < (size_t)m * d; i++) x[i] = u * noise[i] + (1.0 - u);
}

void vd_equicorrelated(double *x, int m, int d, double c, ip_rng *rng)
{
    double a = sqrt(1.0 - c), b = sqrt(c);
    for (int i = 0; i < m; i++) {
        double g = ip_rng_normal(rng);
        for (int k = 0; k < d; k++) x[(size_t)i * d + k] = a * g + b * ip_rng_normal(rng);
    }
}

double vd_equicorrelated_entropy(int d, double c)
{
    if (c <= 0) return -INFINITY;
    return 0.5 * d * log(2.0 * M_PI * M_E) + 0.5 * (d - 1) * log(c) + 0.5 * log(c + d * (1.0 - c));
}

double vd_equicorrelated_logdet_target(int d, double c, double beta)
{
    return 0.5 * (d - 1) * log1p(beta * c) + 0.5 * log1p(beta * (c + d * (1.0 - c)));
}

void vd_correlated_pairs(double *x, double *y, int m, int d, double rho, ip_rng *rng)
{
    double s = sqrt(1.0 - rho * rho);
    for (size_t i = 0; i < (size_t)m * d; i++) {
        double z1 = ip_rng_normal(rng), z2 = ip_rng_normal(rng);
        x[i] = z1;
        y[i] = rho * z1 + s * z2;
    }
}

double vd_pairs_mi(int d, double rho) { return -0.5 * d * log1p(-rho * rho); }

void vd_normal(double *x, size_t n, double scale, ip_rng *rng)
{
    for (size_t i = 0; i < n; i++) x[i] = scale * ip_rng_normal(rng);
}

void vd_activate(double *t, const double *xw, size_t n, double w, int relu)
{
    for (size_t i = 0; i < n; i++) {
        double v = w * xw[i];
        t[i] = relu ? (v > 0 ? v : 0.0) : tanh(v);
    }
}
