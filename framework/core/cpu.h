/* What the CPU can do, asked once at run time (for kernels built in several widths). A benign
 * race on first use: every thread computes the same answer. */
#ifndef IP_CPU_H
#define IP_CPU_H

/* 1 when the CPU has AVX2. */
static inline int ip_cpu_has_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
#else
    return 0;
#endif
}

/* 1 when the CPU has AVX-512F. */
static inline int ip_cpu_has_avx512f(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return known;
#else
    return 0;
#endif
}

#endif
