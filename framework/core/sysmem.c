/* The machine's physical memory and byte counts in words (see sysmem.h). */
#include "sysmem.h"

#include <stdio.h>
#include <unistd.h>

double ip_physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0;
    return (double)pages * (double)page;
}

const char *ip_format_bytes(double bytes, char *buf, size_t cap)
{
    static const char *const unit[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB"};
    int u = 0;
    double v = bytes;
    while (v >= 1000 && u < 7) v /= 1000, u++;
    if (u == 0) snprintf(buf, cap, "%.0f bytes", v);
    else snprintf(buf, cap, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
    return buf;
}
