/* Max-pooling forward kernels (kernels_pool.h), one path per kernel level (core/cpu.h):
 *   reference  row kernels on 4-float vectors (GCC vector extensions: SSE2 or NEON);
 *   avx2       the same row kernels on 8 floats;
 *   avx512     planes whose outputs fit one 16-float vector (7x7 -> 4x4) by masked gathers,
 *              larger ones by the AVX2 row kernels.
 * Every path applies the same "later wins only if greater or NaN" rule in the same window order,
 * so all give the same maxima and argmaxes. Planes are split across the thread pool; each plane's
 * work is the same whatever the thread count. */
#include "kernels_pool.h"

#include <math.h>
#include <string.h>

#include "../core/cpu.h"
#include "../core/parallel.h"

#if IP_CPU_X86_KERNELS
#include <immintrin.h>
#endif

/* Per worker: the padded input plane (H rows of rowbuf floats, -inf in the
 * padding) and, for the k most recent input rows, each output column's row maximum and its
 * column. The whole plane is copied in before any row is read back, so the vector loads do not
 * wait on the copy's stores still in flight (a load spanning several recent stores stalls). */
typedef ip_pool_dims pool_dims;

ip_pool_dims ip_kern_maxpool_dims(int C, int H, int W, int OH, int OW, int k, int s, int pad)
{
    pool_dims d = {C, H, W, OH, OW, k, s, pad, 0, 0, 0};
    d.OWV = (d.OW + 7) / 8 * 8;
    /* the last vector reads up to s*(OWV-1) + k - 1 + 8*s (two-vector loads for s = 2) */
    d.rowbuf = (d.OWV + 2) * d.s + d.k + 16;
    d.per_worker = ((size_t)d.H * d.rowbuf + 2 * (size_t)d.k * d.OWV + 16 + 15) / 16 * 16;
    return d;
}

typedef struct {
    float *out;
    const float *in;
    int *argmax;
    float *work;
    pool_dims d;
    const int32_t *tables; /* the gather kernel's (AVX-512F) */
} fwd_ctx;

/* The padding of the padded plane buf: -inf before and after the W values of each row, which
 * copy_plane fills in for each plane. */
static void pad_plane(float *buf, const pool_dims *d)
{
    for (int h = 0; h < d->H; h++) {
        float *row = buf + (size_t)h * d->rowbuf;
        for (int i = 0; i < d->pad; i++) row[i] = -INFINITY;
        for (int i = d->pad + d->W; i < d->rowbuf; i++) row[i] = -INFINITY;
    }
}

/* The rows of img (H x W) into the padded plane buf, between their padding. */
static void copy_plane(float *buf, const float *img, const pool_dims *d)
{
    int W = d->W;
    for (int h = 0; h < d->H; h++) { /* inline 4-float copies: a memcpy call per short row costs more */
        float *dst = buf + (size_t)h * d->rowbuf + d->pad;
        const float *src = img + (size_t)h * W;
        int i = 0;
        for (; i + 4 <= W; i += 4) memcpy(dst + i, src + i, 4 * sizeof(float));
        for (; i < W; i++) dst[i] = src[i];
    }
}

/* The row kernels on vectors VF/VI of N lanes, names ending in SUF: compiled for 4 lanes
 * (reference) and 8 (AVX2). Lanes are independent output columns getting the same
 * operations, so both give the same results.
 *
 * gather: the lanes {p[0], p[s], p[2s], ...}: contiguous loads and a shuffle for the common s = 2.
 * take: where v beats best (or is a NaN), take v and its index: lane masks, not branches, since
 *   which value wins is data-dependent. This "later wins only if greater or NaN" rule is
 *   associative, so taking row maxima first and then the maximum over rows gives exactly the
 *   sequential answer in row-major window order: the first maximum, or the last NaN, as in PyTorch.
 * starts: the first column of each window starting at output column ow: PyTorch's starting
 *   index max(ow*s - pad, 0).
 * row_max: rv, rc (OWV) <- per output column, the maximum over the window's columns of input
 *   row (its padded copy in buf) and the column it sits in; windows made only of padding give
 *   -inf and their start column. Inlined with constant k and
 *   s for the common 3/2 window, so the tap loop unrolls.
 * forward_planes: out and argmax of planes [p0, p1): the row maxima of each input row once (kept
 *   for the k most recent rows, which overlapping windows share), then the maximum over each
 *   window's rows. argmax holds the flat index ih*W + iw of each maximum. */
#define DEFINE_TAKE(VF, VI, SUF)                                                                                 \
    static inline void take##SUF(VF *best, VI *bi, VF v, VI idx)                                               \
    {                                                                                                           \
        VI take = (v > *best) | (v != v);                                                                       \
        *best = (VF)(((VI)v & take) | ((VI)*best & ~take));                                                     \
        *bi = (idx & take) | (*bi & ~take);                                                                     \
    }
#define DEFINE_POOL_KERNELS(VF, VI, N, SUF)                                                                      \
    static inline VF gather##SUF(const float *p, int s)                                                        \
    {                                                                                                           \
        VF a, b;                                                                                                \
        switch (s) {                                                                                            \
        case 1: memcpy(&a, p, sizeof a); return a;                                                              \
        case 2:                                                                                                 \
            memcpy(&a, p, sizeof a);                                                                            \
            memcpy(&b, p + N, sizeof b);                                                                        \
            return EVEN_OF##SUF(a, b);                                                                            \
        default:                                                                                                \
            for (int j = 0; j < N; j++) a[j] = p[j * s];                                                        \
            return a;                                                                                           \
        }                                                                                                       \
    }                                                                                                           \
    static inline VI starts##SUF(int ow, int s, int pad)                                                        \
    {                                                                                                           \
        VI col = IOTA##SUF * s + (ow * s - pad);                                                                \
        return col & ~(col < 0);                                                                                \
    }                                                                                                           \
    static inline __attribute__((always_inline)) void row_max_ks##SUF(float *rv, int *rc, const float *buf,    \
                                                                      const pool_dims *d, int k, int s)        \
    {                                                                                                           \
        int pad = d->pad;                                                                                       \
        for (int ow = 0; ow < d->OW; ow += N) {                                                                 \
            VF best = (VF){0} - INFINITY;                                                                       \
            VI bi = starts##SUF(ow, s, pad);                                                                    \
            VI col = IOTA##SUF * s + (ow * s - pad);                                                            \
            for (int kj = 0; kj < k; kj++) take##SUF(&best, &bi, gather##SUF(buf + ow * s + kj, s), col + kj);  \
            memcpy(rv + ow, &best, sizeof best);                                                                \
            memcpy(rc + ow, &bi, sizeof bi);                                                                    \
        }                                                                                                       \
    }                                                                                                           \
    static void row_max##SUF(float *rv, int *rc, const float *buf, const pool_dims *d)                         \
    {                                                                                                           \
        if (d->k == 3 && d->s == 2)                                                                             \
            row_max_ks##SUF(rv, rc, buf, d, 3, 2);                                                              \
        else                                                                                                    \
            row_max_ks##SUF(rv, rc, buf, d, d->k, d->s);                                                        \
    }                                                                                                           \
    static void forward_planes##SUF(void *vctx, int p0, int p1, int worker)                                    \
    {                                                                                                           \
        fwd_ctx *c = vctx;                                                                                      \
        const pool_dims *d = &c->d;                                                                             \
        int H = d->H, W = d->W, OW = d->OW, k = d->k, s = d->s, pad = d->pad;                                   \
        float *buf = c->work + (size_t)worker * d->per_worker;                                                  \
        float *rv = buf + (size_t)H * d->rowbuf;                                                                \
        int *rc = (int *)(rv + (size_t)k * d->OWV);                                                             \
        int held[64]; /* which input row each of the k slots holds; k <= 64 is checked at setup */             \
        pad_plane(buf, d);                                                                                      \
        for (size_t plane = (size_t)p0; plane < (size_t)p1; plane++) {                                          \
            const float *img = c->in + plane * H * W;                                                           \
            float *out = c->out + plane * d->OH * OW;                                                           \
            int *am = c->argmax + plane * d->OH * OW;                                                           \
            for (int i = 0; i < k; i++) held[i] = -1;                                                           \
            copy_plane(buf, img, d);                                                                            \
            for (int oh = 0; oh < d->OH; oh++) {                                                                \
                int h0 = oh * s - pad < 0 ? 0 : oh * s - pad;                                                   \
                /* the window's rows that exist, their row maxima computed once */                             \
                const float *rvp[64];                                                                           \
                const int *rcp[64];                                                                             \
                int base[64], nr = 0;                                                                           \
                for (int ki = 0; ki < k; ki++) {                                                                \
                    int ih = oh * s - pad + ki;                                                                 \
                    if (ih < 0 || ih >= H) continue;                                                            \
                    int slot = ih % k;                                                                          \
                    float *v = rv + (size_t)slot * d->OWV;                                                      \
                    int *cc = rc + (size_t)slot * d->OWV;                                                       \
                    if (held[slot] != ih) {                                                                     \
                        row_max##SUF(v, cc, buf + (size_t)ih * d->rowbuf, d);                                   \
                        held[slot] = ih;                                                                        \
                    }                                                                                           \
                    rvp[nr] = v;                                                                                \
                    rcp[nr] = cc;                                                                               \
                    base[nr++] = ih * W;                                                                        \
                }                                                                                               \
                for (int ow = 0; ow < OW; ow += N) {                                                            \
                    VF best = (VF){0} - INFINITY;                                                               \
                    VI bi = starts##SUF(ow, s, pad) + h0 * W;                                                   \
                    for (int r = 0; r < nr; r++) {                                                              \
                        VF vv;                                                                                  \
                        VI ci;                                                                                  \
                        memcpy(&vv, rvp[r] + ow, sizeof vv);                                                    \
                        memcpy(&ci, rcp[r] + ow, sizeof ci);                                                    \
                        take##SUF(&best, &bi, vv, ci + base[r]);                                                \
                    }                                                                                           \
                    int n = OW - ow < N ? OW - ow : N;                                                          \
                    if (n == N) {                                                                               \
                        memcpy(out + (size_t)oh * OW + ow, &best, sizeof best);                                 \
                        memcpy(am + (size_t)oh * OW + ow, &bi, sizeof bi);                                      \
                    } else                                                                                      \
                        for (int t = 0; t < n; t++) {                                                           \
                            out[(size_t)oh * OW + ow + t] = best[t];                                            \
                            am[(size_t)oh * OW + ow + t] = bi[t];                                               \
                        }                                                                                       \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }

/* The even lanes of a:b. GCC's __builtin_shuffle takes a mask vector; clang (the fuzzing
 * build) spells it __builtin_shufflevector with constant lanes. */
#ifdef __clang__
#define EVEN_OF_4(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6)
#define EVEN_OF_8(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#else
#define EVEN_OF_4(a, b) __builtin_shuffle(a, b, EVEN_LANES_4)
#define EVEN_OF_8(a, b) __builtin_shuffle(a, b, EVEN_LANES_8)
#endif

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
#define EVEN_LANES_4 ((v4i){0, 2, 4, 6})
#define IOTA_4 ((v4i){0, 1, 2, 3})
DEFINE_TAKE(v4f, v4i, _4)
DEFINE_POOL_KERNELS(v4f, v4i, 4, _4)

#if IP_CPU_X86_KERNELS
#pragma GCC push_options
#pragma GCC target("avx2")
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#define EVEN_LANES_8 ((v8i){0, 2, 4, 6, 8, 10, 12, 14})
#define IOTA_8 ((v8i){0, 1, 2, 3, 4, 5, 6, 7})
DEFINE_TAKE(v8f, v8i, _8)
DEFINE_POOL_KERNELS(v8f, v8i, 8, _8)
#pragma GCC pop_options

/* AVX-512F: sixteen outputs of a plane at a time (any rows), each of the k x k
 * taps one masked gather from the unpadded plane (lanes whose tap falls in the padding, or past
 * the last output, keep -inf) and one take in mask registers, taps in row-major window order:
 * the sequential rule itself, so the same maxima and argmaxes as the row-by-row kernels. No
 * padded copy and no per-row work, which is what small planes (7x7 -> 4x4) spend their time on;
 * used for those only (ip_kern_maxpool_table_floats).
 * The tables (gather_tables) hold per chunk of 16 outputs and tap the flat input index of each
 * lane (also its argmax) and the lanes' mask, then each lane's starting argmax. */
#pragma GCC push_options
#pragma GCC target("avx512f")
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static void forward_planes_gather(void *vctx, int p0, int p1, int worker)
{
    fwd_ctx *c = vctx;
    const pool_dims *d = &c->d;
    int HW = d->H * d->W, OP = d->OH * d->OW, kk = d->k * d->k, chunks = (OP + 15) / 16;
    const int32_t *idx = c->tables, *masks = idx + (size_t)chunks * kk * 16, *init = masks + (size_t)chunks * kk;
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    for (size_t plane = (size_t)p0; plane < (size_t)p1; plane++) {
        const float *img = c->in + plane * HW;
        float *out = c->out + plane * OP;
        int *am = c->argmax + plane * OP;
        for (int ch = 0; ch < chunks; ch++) {
            __m512 best = ninf;
            __m512i bi = _mm512_loadu_si512(init + (size_t)ch * 16);
            const int32_t *ti = idx + (size_t)ch * kk * 16;
            const int32_t *tm = masks + (size_t)ch * kk;
            for (int t = 0; t < kk; t++) {
                __m512i ix = _mm512_loadu_si512(ti + (size_t)t * 16);
                __m512 v = _mm512_mask_i32gather_ps(ninf, (__mmask16)tm[t], ix, img, 4);
                __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
                best = _mm512_mask_mov_ps(best, take, v);
                bi = _mm512_mask_mov_epi32(bi, take, ix);
            }
            int n = OP - ch * 16;
            if (n >= 16) {
                _mm512_storeu_ps(out + ch * 16, best);
                _mm512_storeu_si512(am + ch * 16, bi);
            } else {
                __mmask16 m = (__mmask16)((1u << n) - 1);
                _mm512_mask_storeu_ps(out + ch * 16, m, best);
                _mm512_mask_storeu_epi32(am + ch * 16, m, bi);
            }
        }
    }
}
#pragma GCC pop_options

size_t ip_kern_maxpool_table_floats(const pool_dims *d)
{
    /* gathers are slow (~30 cycles for 16 floats here): they only beat the row kernels on planes
     * whose outputs fit one vector, where per-row overheads dominate (7x7 -> 4x4: 1.5 -> 0.9 ms per
     * 512 x 32 planes; 14x14 -> 7x7: 1.5 -> 2.0 ms) */
    if (d->k * d->k > 49 || d->OH * d->OW > 16) return 0;
    size_t chunks = ((size_t)d->OH * d->OW + 15) / 16, kk = (size_t)d->k * d->k;
    return (chunks * kk * 16 + chunks * kk + chunks * 16 + 15) / 16 * 16;
}

/* The gather kernel's tables into t (ip_kern_maxpool_table_floats). */
static void gather_tables(int32_t *t, const pool_dims *d)
{
    int OP = d->OH * d->OW, k = d->k, kk = k * k, chunks = (OP + 15) / 16;
    int32_t *idx = t, *masks = idx + (size_t)chunks * kk * 16, *init = masks + (size_t)chunks * kk;
    for (int ch = 0; ch < chunks; ch++) {
        for (int t2 = 0; t2 < kk; t2++) masks[(size_t)ch * kk + t2] = 0;
        for (int l = 0; l < 16; l++) {
            int o = ch * 16 + l, oh = o / d->OW, ow = o % d->OW;
            int h0 = oh * d->s - d->pad, w0 = ow * d->s - d->pad;
            init[(size_t)ch * 16 + l] = o < OP ? (h0 < 0 ? 0 : h0) * d->W + (w0 < 0 ? 0 : w0) : 0;
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++) {
                    int t2 = ki * k + kj, ih = h0 + ki, iw = w0 + kj;
                    int ok = o < OP && ih >= 0 && ih < d->H && iw >= 0 && iw < d->W;
                    idx[((size_t)ch * kk + t2) * 16 + l] = ok ? ih * d->W + iw : 0;
                    if (ok) masks[(size_t)ch * kk + t2] |= 1 << l;
                }
        }
    }
}

#else
size_t ip_kern_maxpool_table_floats(const pool_dims *d) { return 0; }
#endif

void ip_kern_maxpool_forward(float *out, int *argmax, const float *in, int planes, const ip_pool_dims *d,
                             float *work, int32_t *tables)
{
    fwd_ctx c = {out, in, argmax, work, *d, tables};
    ip_par_fn fn = forward_planes_4;
#if IP_CPU_X86_KERNELS
    ip_kernel_level level = ip_cpu_level();
    if (level >= IP_KERNELS_AVX2) fn = forward_planes_8;
    if (level >= IP_KERNELS_AVX512 && ip_kern_maxpool_table_floats(d) > 0) {
        gather_tables(tables, d);
        fn = forward_planes_gather;
    }
#endif
    ip_parallel_for(planes, 8, fn, &c);
}

