/* Allocation wrappers that report where an allocation failed. */
#include "mem.h"
#include "status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *ip_malloc_at(size_t size, const char *file, int line)
{
    void *p = malloc(size ? size : 1);
    if (!p) ip_fail(IP_ERR_NOMEM, "out of memory allocating %zu bytes at %s:%d", size, file, line);
    return p;
}

void *ip_calloc_at(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) ip_fail(IP_ERR_NOMEM, "out of memory allocating %zu x %zu bytes at %s:%d", n, size, file, line);
    return p;
}

void *ip_aligned_alloc_at(size_t size, const char *file, int line)
{
    void *p = NULL;
    if (size > SIZE_MAX - 64) { /* the rounding below would wrap to a small block */
        ip_fail(IP_ERR_NOMEM, "out of memory allocating %zu aligned bytes at %s:%d", size, file, line);
        return NULL;
    }
    size_t rounded = (size + 63) / 64 * 64;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) {
        ip_fail(IP_ERR_NOMEM, "out of memory allocating %zu aligned bytes at %s:%d", size, file, line);
        return NULL;
    }
    memset(p, 0, rounded ? rounded : 64);
    return p;
}
