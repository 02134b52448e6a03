/* Checked allocation: failures set the error message with the call site. */
#ifndef IP_MEM_H
#define IP_MEM_H
#include <stddef.h>

void *ip_malloc_at(size_t size, const char *file, int line);
void *ip_calloc_at(size_t n, size_t size, const char *file, int line);
/* 64-byte aligned, for BLAS buffers; release with free(). */
void *ip_aligned_alloc_at(size_t size, const char *file, int line);

#define ip_malloc(size) ip_malloc_at((size), __FILE__, __LINE__)
#define ip_calloc(n, size) ip_calloc_at((n), (size), __FILE__, __LINE__)
#define ip_aligned_alloc(size) ip_aligned_alloc_at((size), __FILE__, __LINE__)

#endif
