/* What the CPU can do, asked once at run time (for kernels built in two widths). */
#ifndef IP_CPU_H
#define IP_CPU_H

/* 1 when the CPU has AVX2. A benign race on first use: every thread computes the same answer. */
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

#endif
