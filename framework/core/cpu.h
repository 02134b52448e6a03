/* Which build of the hand-tuned kernels runs (framework/nn/kernels_*.c): the reference path that
 * every build has, or the AVX2 or AVX-512 one. One level for the whole process, asked once.
 *
 * The switch: the environment variable IP_KERNELS = reference | avx2 | avx512, read at the first
 * call of ip_cpu_level(). Unset or empty: the best level the CPU runs. A level the CPU cannot run,
 * or an unknown name, falls back to the best level the CPU runs, with a one-time note on stderr
 * (library code does not exit, and a run on another machine should still run). Tests force a
 * level in-process with ip_cpu_set_level.
 *
 * Levels, as the CPU must support them (GCC's names for the x86-64 micro-architecture levels):
 *   reference  the portable C path (GCC vector extensions where a kernel is written on vectors:
 *              4 lanes of SSE2 or NEON), the only one off x86-64/GCC;
 *   avx2       x86-64-v3: AVX2, FMA, BMI1/2, ...;
 *   avx512     x86-64-v4: AVX-512 F, BW, CD, DQ, VL (valgrind cannot run it and its CPUID hides it).
 * What each kernel family promises across levels (same bits or not) is said in its file and in
 * docs/kernels.md. BLAS (OpenBLAS) picks its own kernels and does not follow this switch. */
#ifndef IP_CPU_H
#define IP_CPU_H

/* 1 where the kernels' AVX2/AVX-512 builds are compiled in (GCC on x86-64; clang lacks some of
 * the vector-extension forms they use). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IP_CPU_X86_KERNELS 1
#else
#define IP_CPU_X86_KERNELS 0
#endif

typedef enum {
    IP_KERNELS_REFERENCE = 0,
    IP_KERNELS_AVX2 = 1,
    IP_KERNELS_AVX512 = 2,
} ip_kernel_level;

#define IP_KERNELS_N_LEVELS 3

/* The level the kernels run at: IP_KERNELS, else the best the CPU supports, unless a test
 * forced another (ip_cpu_set_level). Thread-safe; cheap after the first call. */
ip_kernel_level ip_cpu_level(void);

/* The best level this CPU (and build) supports, whatever IP_KERNELS says. */
ip_kernel_level ip_cpu_best_level(void);

/* 1 when this CPU and build can run `level`, else 0. */
int ip_cpu_supports_level(ip_kernel_level level);

/* Forces the level for the rest of the process (or until the next call): IP_OK, or an error
 * status with a message (ip_fail) when the CPU cannot run it, the level then unchanged. For tests
 * and benchmarks; not to be called while kernels run on other threads. */
int ip_cpu_set_level(ip_kernel_level level);

/* "reference", "avx2" or "avx512" (the IP_KERNELS values); "?" for anything else. */
const char *ip_cpu_level_name(ip_kernel_level level);

#endif
