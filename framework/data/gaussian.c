/* Synthetic Gaussian classes: a data set with known structure for checking the pipeline and
 * the estimators without any file. Everything comes from the seed, so a run is reproducible. */
#include "dataset.h"

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/sysmem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Its own stream, apart from the split's shuffle and the training's draws. */
#define GAUSS_RNG_TAG 0x67617573ULL /* "gaus" */

/* Class k has mean m_k and identity covariance. With K <= D classes m_k = (s/sqrt 2) e_k, so any
 * two means are exactly s apart (s = separation, in units of the within-class standard deviation);
 * with more classes than dimensions the m_k are (s/sqrt 2) times random unit vectors, the same
 * distance apart on average in high dimension. Sample i belongs to class i mod K, so classes are
 * balanced; the split's seeded shuffle then mixes them. */
int ip_data_load_gaussian(ip_data *d, const ip_data_config *cfg, uint64_t seed)
{
    int n = cfg->gaussian_samples ? cfg->gaussian_samples : 1000;
    int dim = cfg->gaussian_dim ? cfg->gaussian_dim : 2;
    int k = cfg->gaussian_classes ? cfg->gaussian_classes : 2;
    double sep = cfg->gaussian_separation;
    int rc = IP_OK;
    float *x = NULL;
    int *y = NULL;
    double *means = NULL;

    if (n < 2 || dim < 1 || k < 2 || k > n || !(sep >= 0 && isfinite(sep)))
        return ip_fail(IP_ERR,
                       "data: gaussian needs gaussian_samples >= 2, gaussian_dim >= 1, 2 <= gaussian_classes <= "
                       "samples and a finite separation >= 0; got %d, %d, %d, %g",
                       n, dim, k, sep);
    /* The samples, their copy in the split and the class means, before any of it is allocated. */
    double need = 2.0 * n * ((double)dim * sizeof *x + sizeof *y) + (double)k * dim * sizeof *means,
           have = ip_physical_memory();
    if (have > 0 && need > have) {
        char b1[32], b2[32];
        return ip_fail(IP_ERR_NOMEM,
                       "data.gaussian_samples, data.gaussian_dim: %d samples of %d values need %s (generated, then "
                       "split), but this machine has %s of memory",
                       n, dim, ip_format_bytes(need, b1, sizeof b1), ip_format_bytes(have, b2, sizeof b2));
    }
    x = ip_malloc((size_t)n * dim * sizeof *x);
    y = ip_malloc((size_t)n * sizeof *y);
    means = ip_calloc((size_t)k * dim, sizeof *means);
    if (!x || !y || !means) {
        rc = IP_ERR_NOMEM;
        goto out;
    }

    ip_rng rng;
    ip_rng_seed(&rng, seed ^ GAUSS_RNG_TAG);
    double r = sep / sqrt(2.0);
    for (int c = 0; c < k; c++) {
        double *m = means + (size_t)c * dim;
        if (k <= dim) {
            m[c] = r;
            continue;
        }
        double norm = 0;
        while (norm < 1e-12) { /* a zero draw has no direction; redraw (never happens in practice) */
            norm = 0;
            for (int j = 0; j < dim; j++) {
                m[j] = ip_rng_normal(&rng);
                norm += m[j] * m[j];
            }
            norm = sqrt(norm);
        }
        for (int j = 0; j < dim; j++) m[j] *= r / norm;
    }
    for (int i = 0; i < n; i++) {
        y[i] = i % k;
        const double *m = means + (size_t)y[i] * dim;
        for (int j = 0; j < dim; j++) x[(size_t)i * dim + j] = (float)(m[j] + ip_rng_normal(&rng));
    }

    d->generated = 1;
    ip_data_describe(d,
                     "generated: gaussian classes, %d samples, dim %d, %d classes, separation %g (means %s, identity "
                     "covariance), seed %llu",
                     n, dim, k, sep, k <= dim ? "(s/sqrt2) e_k" : "(s/sqrt2) x random unit vectors",
                     (unsigned long long)seed);
    ip_data_source src = {.n = n, .c = dim, .h = 1, .w = 1, .xf = x, .x_stride = (size_t)dim, .yi = y,
                          .y_stride = 1, .scale = 1.0f, .name = "the gaussian data"};
    rc = ip_data_assemble(d, &src, NULL, cfg, seed, k);
out:
    free(x);
    free(y);
    free(means);
    return rc;
}
