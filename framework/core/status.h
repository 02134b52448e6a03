/* Status codes and the one error message buffer of the library.
 * Library functions return IP_OK (0) or a negative code and, on failure, leave a
 * human-readable message (file, place, what was expected) in ip_error_message(). */
#ifndef IP_STATUS_H
#define IP_STATUS_H

enum {
    IP_OK = 0,
    IP_ERR = -1,        /* generic failure; the message says what */
    IP_ERR_IO = -2,     /* a file could not be opened, read or written */
    IP_ERR_FORMAT = -3, /* a file or value is malformed */
    IP_ERR_NOMEM = -4,  /* out of memory */
    IP_ERR_NUMERIC = -5, /* NaN/Inf or a matrix that is not positive definite */
    IP_ERR_INTERRUPTED = -6 /* stopped at a safe point on request (core/interrupt.h); the message
                             * says what is complete */
};

/* Set the message (printf-style) and return `code`, so callers can write
 * `return ip_fail(IP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));` */
int ip_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message set by ip_fail in this thread ("" when none). */
const char *ip_error_message(void);

/* Prefix the current message with "prefix: " (for adding context on the way up). */
void ip_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void ip_error_clear(void);

#endif
