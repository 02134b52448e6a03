/* The kernel level (cpu.h): what the CPU supports, asked once, and the IP_KERNELS switch, read
 * once under pthread_once so that its note is printed once whichever thread asks first. */
#include "cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static const char *const level_names[IP_KERNELS_N_LEVELS] = {"reference", "avx2", "avx512"};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int best_level;    /* set by init */
static int current_level; /* read and written atomically: ip_cpu_set_level may change it */

const char *ip_cpu_level_name(ip_kernel_level level)
{
    return (unsigned)level < IP_KERNELS_N_LEVELS ? level_names[level] : "?";
}

static int detect_best(void)
{
#if IP_CPU_X86_KERNELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return IP_KERNELS_AVX512;
    if (__builtin_cpu_supports("x86-64-v3")) return IP_KERNELS_AVX2;
#endif
    return IP_KERNELS_REFERENCE;
}

static void init(void)
{
    best_level = detect_best();
    int level = best_level;
    const char *want = getenv("IP_KERNELS");
    if (want && *want) {
        int asked = -1;
        for (int i = 0; i < IP_KERNELS_N_LEVELS; i++)
            if (strcmp(want, level_names[i]) == 0) asked = i;
        if (asked < 0)
            fprintf(stderr, "infoplane: note: IP_KERNELS=%s is not reference, avx2 or avx512; using %s\n", want,
                    level_names[best_level]);
        else if (asked > best_level)
            fprintf(stderr, "infoplane: note: IP_KERNELS=%s: this CPU cannot run it; using %s\n", want,
                    level_names[best_level]);
        else
            level = asked;
    }
    __atomic_store_n(&current_level, level, __ATOMIC_RELEASE);
}

ip_kernel_level ip_cpu_level(void)
{
    pthread_once(&once, init);
    return (ip_kernel_level)__atomic_load_n(&current_level, __ATOMIC_ACQUIRE);
}

ip_kernel_level ip_cpu_best_level(void)
{
    pthread_once(&once, init);
    return (ip_kernel_level)best_level;
}

int ip_cpu_supports_level(ip_kernel_level level)
{
    return (unsigned)level < IP_KERNELS_N_LEVELS && (int)level <= (int)ip_cpu_best_level();
}

int ip_cpu_set_level(ip_kernel_level level)
{
    if (!ip_cpu_supports_level(level))
        return ip_fail(IP_ERR, "kernels: level %s (%d) is not supported here (best: %s)", ip_cpu_level_name(level),
                       (int)level, ip_cpu_level_name(ip_cpu_best_level()));
    __atomic_store_n(&current_level, (int)level, __ATOMIC_RELEASE);
    return IP_OK;
}
