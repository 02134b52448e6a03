/* The thread-local error message behind ip_fail() and ip_error_message(). */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char error_buffer[2048];

int ip_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_buffer, sizeof error_buffer, fmt, ap);
    va_end(ap);
    return code;
}

const char *ip_error_message(void) { return error_buffer; }

void ip_error_prefix(const char *fmt, ...)
{
    char prefix[1024], old[sizeof error_buffer];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, error_buffer, sizeof old);
    /* The end of a long message gives way to the prefix (both fit in the buffer). */
    int room = (int)sizeof error_buffer - (int)strlen(prefix) - 3;
    snprintf(error_buffer, sizeof error_buffer, "%s: %.*s", prefix, room > 0 ? room : 0, old);
}

void ip_error_clear(void) { error_buffer[0] = '\0'; }
