/* Name tables of enums. Each enum's owning module keeps exactly one NULL-terminated table of
 * its names, indexed by the enum's values; these helpers look names up in such a table, so
 * the config loader, the run description and the messages all use the same words. */
#ifndef IP_NAMES_H
#define IP_NAMES_H

#include <stddef.h>

/* The index of s in names, or -1 when it is not there. */
int ip_name_find(const char *const *names, const char *s);

/* names[v], or "unknown" when v is outside the table. */
const char *ip_name_of(const char *const *names, int v);

/* "a, b, c" into buf (size bytes, always terminated; cut at a name that does not fit). Returns buf. */
const char *ip_names_join(char *buf, size_t size, const char *const *names);

#endif
