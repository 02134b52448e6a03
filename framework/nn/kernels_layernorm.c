/* Kernels of layer normalisation (kernels_layernorm.h), one build per kernel level (core/cpu.h).
 * The double sums are the costly part, and a v8d is one AVX-512 register, two AVX ones or four
 * SSE2 ones. The arithmetic is the same at every level (eight lanes in every build, combined in a
 * fixed order; no FMA: -std=c11 keeps contraction off), so are the results. The element-wise
 * passes work on 16-float vectors, then one float at a time: the same operations. */
#include "kernels_layernorm.h"

#include <string.h>

#include "kernels_levels.h"

typedef float v8f __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
typedef double v8d __attribute__((vector_size(64)));

/* The eight lanes of a summed in a fixed order. */
static inline double hsum8(const v8d *v) /* by pointer: a 64-byte vector argument has no fixed ABI */
{
    const v8d a = *v;
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* Eight lanes at a time (the lanes keep the adds independent, so they pipeline), the tail added
 * to the combined lanes. */
IP_KERNEL_BODY void sums_body(double *sx, double *sxy, const float *x, const float *y, int n)
{
    v8d ax = {0}, axy = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f xv, yv;
        memcpy(&xv, x + i, sizeof xv);
        v8d xd = __builtin_convertvector(xv, v8d);
        ax += xd;
        memcpy(&yv, y + i, sizeof yv);
        axy += xd * __builtin_convertvector(yv, v8d);
    }
    double tx = hsum8(&ax), txy = hsum8(&axy);
    for (; i < n; i++) {
        tx += x[i];
        txy += (double)x[i] * y[i];
    }
    *sx = tx;
    *sxy = txy;
}

/* The variance comes out as E[x^2] - mean^2 (layer_layernorm.c): in double, with float inputs,
 * the cancellation costs at most (mean/std)^2 * 2^-53 relative, far below float's resolution for
 * any sane activation. */
IP_KERNEL_BODY void sums_sq_body(double *sx, double *sxx, const float *x, int n)
{
    v8d ax = {0}, axx = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f xv;
        memcpy(&xv, x + i, sizeof xv);
        v8d xd = __builtin_convertvector(xv, v8d);
        ax += xd;
        axx += xd * xd;
    }
    double tx = hsum8(&ax), txx = hsum8(&axx);
    for (; i < n; i++) {
        tx += x[i];
        txx += (double)x[i] * x[i];
    }
    *sx = tx;
    *sxx = txx;
}

IP_KERNEL_BODY void normalize_body(float *y, const float *x, float m, float r, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f v;
        memcpy(&v, x + i, sizeof v);
        v = (v - m) * r;
        memcpy(y + i, &v, sizeof v);
    }
    for (; i < n; i++) y[i] = (x[i] - m) * r;
}

IP_KERNEL_BODY void apply_grad_body(float *d, const float *g, const float *xh, float r, float mg, float mgx, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f gv, xv;
        memcpy(&gv, g + i, sizeof gv);
        memcpy(&xv, xh + i, sizeof xv);
        gv = r * (gv - mg - xv * mgx);
        memcpy(d + i, &gv, sizeof gv);
    }
    for (; i < n; i++) d[i] = r * (g[i] - mg - xh[i] * mgx);
}

/* The builds: AVX2 and AVX-512F, as the target_clones they replace. */
#define SUMS_ARGS double *sx, double *sxy, const float *x, const float *y, int n
#define SUMS_PASS sx, sxy, x, y, n
#define SUMS_SQ_ARGS double *sx, double *sxx, const float *x, int n
#define SUMS_SQ_PASS sx, sxx, x, n
#define NORMALIZE_ARGS float *y, const float *x, float m, float r, int n
#define NORMALIZE_PASS y, x, m, r, n
#define APPLY_GRAD_ARGS float *d, const float *g, const float *xh, float r, float mg, float mgx, int n
#define APPLY_GRAD_PASS d, g, xh, r, mg, mgx, n
IP_KERNEL_LEVELS(sums, "avx2", "avx512f", SUMS_ARGS, SUMS_PASS)
IP_KERNEL_LEVELS(sums_sq, "avx2", "avx512f", SUMS_SQ_ARGS, SUMS_SQ_PASS)
IP_KERNEL_LEVELS(normalize, "avx2", "avx512f", NORMALIZE_ARGS, NORMALIZE_PASS)
IP_KERNEL_LEVELS(apply_grad, "avx2", "avx512f", APPLY_GRAD_ARGS, APPLY_GRAD_PASS)

void ip_kern_ln_sums(double *sx, double *sxy, const float *x, const float *y, int n) { sums_level(SUMS_PASS); }

void ip_kern_ln_sums_sq(double *sx, double *sxx, const float *x, int n) { sums_sq_level(SUMS_SQ_PASS); }

void ip_kern_ln_normalize(float *y, const float *x, float m, float r, int n) { normalize_level(NORMALIZE_PASS); }

void ip_kern_ln_apply_grad(float *d, const float *g, const float *xh, float r, float mg, float mgx, int n)
{
    apply_grad_level(APPLY_GRAD_PASS);
}
