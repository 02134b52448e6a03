/* The max-norm distances of all pairs of rows (ip_ksg_distances), per kernel level (core/cpu.h):
 *   reference  a plain C loop over pairs and coordinates;
 *   avx2       4 rows x 16 columns of a 32-column panel per pass, 4 doubles a vector;
 *   avx512     4 rows x 32 columns, 8 doubles a vector.
 * Each |a_ik - a_jk| is one correctly rounded subtraction and a sign clear, and a maximum is exact
 * in any order, so every level and every thread count gives the same bits. Work is split into
 * column panels over the thread pool; each panel fills its columns for the rows above and at its
 * diagonal block, and the lower triangle is then copied from the upper one (|x - y| = |y - x|
 * exactly). */
#include "ksg.h"

#include "core/cpu.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "core/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if IP_CPU_X86_KERNELS
#include <immintrin.h>
#endif

enum { NC = 32, RT = 4 }; /* panel width (columns), row tile */

typedef struct {
    const double *a;
    int m, d, lda, level;
    double *out, *pack; /* pack: per worker, d x NC */
} dist_job;

/* The reference: pairs (i, j), j in [j0, j1), i < j1. */
static void panel_plain(const dist_job *J, int j0, int j1)
{
    for (int i = 0; i < j1; i++) {
        const double *ri = J->a + (size_t)i * J->lda;
        for (int j = j0; j < j1; j++) {
            const double *rj = J->a + (size_t)j * J->lda;
            double v = 0;
            for (int k = 0; k < J->d; k++) {
                double t = fabs(ri[k] - rj[k]);
                v = t > v ? t : v;
            }
            J->out[(size_t)i * J->m + j] = v;
        }
    }
}

/* The panel's columns transposed into pk (d x NC), zero beyond m (computed, never stored). */
static void pack_panel(const dist_job *J, int j0, int j1, double *pk)
{
    for (int k = 0; k < J->d; k++)
        for (int c = 0; c < NC; c++) pk[(size_t)k * NC + c] = j0 + c < j1 ? J->a[(size_t)(j0 + c) * J->lda + k] : 0.0;
}

/* A row tile's results (tile[RT][NC]) into the output: rows < i_end, columns < j1. */
static void store_tile(const dist_job *J, const double *tile, int i, int i_end, int j0, int j1)
{
    for (int r = 0; r < RT && i + r < i_end; r++)
        memcpy(J->out + (size_t)(i + r) * J->m + j0, tile + r * NC, (size_t)(j1 - j0) * sizeof *tile);
}

#if IP_CPU_X86_KERNELS
__attribute__((target("avx512f"))) static void panel_avx512(const dist_job *J, int j0, int j1, double *pk)
{
    pack_panel(J, j0, j1, pk);
    double tile[RT * NC] __attribute__((aligned(64)));
    for (int i = 0; i < j1; i += RT) {
        const double *row[RT];
        for (int r = 0; r < RT; r++) row[r] = J->a + (size_t)(i + r < j1 ? i + r : j1 - 1) * J->lda;
        __m512d acc[RT][4];
        for (int r = 0; r < RT; r++)
            for (int q = 0; q < 4; q++) acc[r][q] = _mm512_setzero_pd();
        for (int k = 0; k < J->d; k++) {
            const double *p = pk + (size_t)k * NC;
            __m512d b0 = _mm512_loadu_pd(p), b1 = _mm512_loadu_pd(p + 8), b2 = _mm512_loadu_pd(p + 16),
                    b3 = _mm512_loadu_pd(p + 24);
            for (int r = 0; r < RT; r++) {
                __m512d x = _mm512_set1_pd(row[r][k]);
                acc[r][0] = _mm512_max_pd(acc[r][0], _mm512_abs_pd(_mm512_sub_pd(x, b0)));
                acc[r][1] = _mm512_max_pd(acc[r][1], _mm512_abs_pd(_mm512_sub_pd(x, b1)));
                acc[r][2] = _mm512_max_pd(acc[r][2], _mm512_abs_pd(_mm512_sub_pd(x, b2)));
                acc[r][3] = _mm512_max_pd(acc[r][3], _mm512_abs_pd(_mm512_sub_pd(x, b3)));
            }
        }
        for (int r = 0; r < RT; r++)
            for (int q = 0; q < 4; q++) _mm512_store_pd(tile + r * NC + q * 8, acc[r][q]);
        store_tile(J, tile, i, j1, j0, j1);
    }
}

__attribute__((target("avx2"))) static void panel_avx2(const dist_job *J, int j0, int j1, double *pk)
{
    pack_panel(J, j0, j1, pk);
    double tile[RT * NC] __attribute__((aligned(32)));
    const __m256d sign = _mm256_set1_pd(-0.0);
    for (int i = 0; i < j1; i += RT) {
        const double *row[RT];
        for (int r = 0; r < RT; r++) row[r] = J->a + (size_t)(i + r < j1 ? i + r : j1 - 1) * J->lda;
        for (int h = 0; h < NC; h += 16) { /* two halves: 12 accumulators and 4 loads fit 16 registers */
            __m256d acc[RT][4];
            for (int r = 0; r < RT; r++)
                for (int q = 0; q < 4; q++) acc[r][q] = _mm256_setzero_pd();
            for (int k = 0; k < J->d; k++) {
                const double *p = pk + (size_t)k * NC + h;
                __m256d b0 = _mm256_loadu_pd(p), b1 = _mm256_loadu_pd(p + 4), b2 = _mm256_loadu_pd(p + 8),
                        b3 = _mm256_loadu_pd(p + 12);
                for (int r = 0; r < RT; r++) {
                    __m256d x = _mm256_broadcast_sd(row[r] + k);
                    acc[r][0] = _mm256_max_pd(acc[r][0], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b0)));
                    acc[r][1] = _mm256_max_pd(acc[r][1], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b1)));
                    acc[r][2] = _mm256_max_pd(acc[r][2], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b2)));
                    acc[r][3] = _mm256_max_pd(acc[r][3], _mm256_andnot_pd(sign, _mm256_sub_pd(x, b3)));
                }
            }
            for (int r = 0; r < RT; r++)
                for (int q = 0; q < 4; q++) _mm256_store_pd(tile + r * NC + h + q * 4, acc[r][q]);
        }
        store_tile(J, tile, i, j1, j0, j1);
    }
}
#endif

static void panels(void *ctx, int begin, int end, int worker)
{
    const dist_job *J = ctx;
    double *pk = J->pack + (size_t)worker * J->d * NC;
    for (int p = begin; p < end; p++) {
        int j0 = p * NC, j1 = j0 + NC < J->m ? j0 + NC : J->m;
#if IP_CPU_X86_KERNELS
        if (J->level == IP_KERNELS_AVX512 && J->d > 0) {
            panel_avx512(J, j0, j1, pk);
            continue;
        }
        if (J->level == IP_KERNELS_AVX2 && J->d > 0) {
            panel_avx2(J, j0, j1, pk);
            continue;
        }
#endif
        (void)pk;
        panel_plain(J, j0, j1);
    }
}

enum { TILE = 64 };

static void mirror_tiles(void *ctx, int begin, int end, int worker)
{
    const dist_job *J = ctx;
    int m = J->m;
    for (int t = begin; t < end; t++)
        for (int c0 = 0; c0 <= t * TILE; c0 += TILE)
            for (int i = t * TILE; i < m && i < (t + 1) * TILE; i++)
                for (int c = c0; c < c0 + TILE && c < i; c++) J->out[(size_t)i * m + c] = J->out[(size_t)c * m + i];
}

int ip_ksg_distances(const double *a, int m, int d, int lda, double *d_out)
{
    if (m < 1 || d < 0 || lda < d)
        return ip_fail(IP_ERR, "KSG distances: bad shape (m = %d, d = %d, leading dimension %d)", m, d, lda);
    for (int i = 0; i < m; i++)
        for (int k = 0; k < d; k++)
            if (!isfinite(a[(size_t)i * lda + k]))
                return ip_fail(IP_ERR_NUMERIC, "KSG: sample %d, column %d holds NaN or Inf", i + 1, k + 1);
    /* Per-worker panels (freed here): d x NC doubles each, a quarter MB at d = 1024. */
    double *pack = ip_aligned_alloc((size_t)IP_PAR_MAX_THREADS * (d ? d : 1) * NC * sizeof *pack);
    if (!pack) return IP_ERR_NOMEM;
    dist_job J = {a, m, d, lda, (int)ip_cpu_level(), d_out, pack};
    /* Panel p costs about p: small blocks, taken in turn, keep the workers even. */
    ip_parallel_for((m + NC - 1) / NC, 1, panels, &J);
    ip_parallel_for((m + TILE - 1) / TILE, 1, mirror_tiles, &J);
    free(pack);
    return IP_OK;
}
