/* How much memory this machine has, sizes that saturate instead of wrapping, and byte counts in
 * words: what the trainer and the generators need to refuse a run that cannot fit before they
 * allocate anything large (train/train_plan.c). */
#ifndef IP_SYSMEM_H
#define IP_SYSMEM_H

#include <stddef.h>
#include <stdint.h>

/* Physical memory in bytes (sysconf _SC_PHYS_PAGES x _SC_PAGESIZE); 0 when it cannot be told. */
double ip_physical_memory(void);

/* "512 MB", "7.2 GB", "94 GB", "1.5 TB" (decimal units) into buf; returns buf. */
const char *ip_format_bytes(double bytes, char *buf, size_t cap);

/* a * b and a + b, or SIZE_MAX when the result does not fit: a size that overflowed stays
 * larger than any machine instead of wrapping to a small one. */
static inline size_t ip_size_mul(size_t a, size_t b)
{
    size_t r;
    return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
static inline size_t ip_size_add(size_t a, size_t b)
{
    size_t r;
    return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

#endif
