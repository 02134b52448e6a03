/* Lookups in NULL-terminated name tables (see names.h). */
#include "names.h"

#include <stdio.h>
#include <string.h>

int ip_name_find(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

const char *ip_name_of(const char *const *names, int v)
{
    if (v < 0) return "unknown";
    for (int i = 0; names[i]; i++)
        if (i == v) return names[i];
    return "unknown";
}

const char *ip_names_join(char *buf, size_t size, const char *const *names)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; names[i]; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= size - used) {
            buf[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    return buf;
}
