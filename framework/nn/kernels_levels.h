/* One kernel body compiled once per kernel level (core/cpu.h), and the dispatch between the
 * builds. Internal to the kernel files (kernels_*.c).
 *
 * IP_KERNEL_LEVELS(NAME, T2, T512, ARGS, PASS), for a static inline always_inline
 * void NAME_body(ARGS) written in portable C (GCC vector extensions allowed), defines
 *   NAME_ref     the body built for the build's baseline (the reference level),
 *   NAME_avx2    built with __attribute__((target(T2))), NAME_avx512 with target(T512),
 *   NAME_level   calling the build of the current level, ip_cpu_level() (a cached read).
 * ARGS is the parameter list and PASS the same names as arguments, each given as a macro so that
 * their commas pass through. The body's vector types are lowered once per build: a 64-byte vector
 * is one AVX-512 register, two AVX ones or four SSE ones. Without the x86 builds (core/cpu.h)
 * only NAME_ref exists and NAME_level calls it. */
#ifndef IP_KERNELS_LEVELS_H
#define IP_KERNELS_LEVELS_H

#include "../core/cpu.h"

#define IP_KERNEL_BODY static inline __attribute__((always_inline))

#if IP_CPU_X86_KERNELS
#define IP_KERNEL_LEVELS(NAME, T2, T512, ARGS, PASS)                                                  \
    static void NAME##_ref(ARGS) { NAME##_body(PASS); }                                               \
    __attribute__((target(T2))) static void NAME##_avx2(ARGS) { NAME##_body(PASS); }                  \
    __attribute__((target(T512))) static void NAME##_avx512(ARGS) { NAME##_body(PASS); }              \
    static void NAME##_level(ARGS)                                                                    \
    {                                                                                                 \
        switch (ip_cpu_level()) {                                                                     \
        case IP_KERNELS_AVX512: NAME##_avx512(PASS); return;                                          \
        case IP_KERNELS_AVX2: NAME##_avx2(PASS); return;                                              \
        default: NAME##_ref(PASS); return;                                                            \
        }                                                                                             \
    }
#else
#define IP_KERNEL_LEVELS(NAME, T2, T512, ARGS, PASS)                                                  \
    static void NAME##_ref(ARGS) { NAME##_body(PASS); }                                               \
    static void NAME##_level(ARGS) { NAME##_ref(PASS); }
#endif

#endif
