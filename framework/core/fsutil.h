/* Small file-system helpers: mkdir -p, whole-file read, and atomic whole-file write
 * (temp file + rename, so no half-written file is ever visible under the name). */
#ifndef IP_FSUTIL_H
#define IP_FSUTIL_H
#include <stddef.h>

int ip_mkdir_p(const char *path);
int ip_path_exists(const char *path);
/* Reads the whole file into a malloc'd, NUL-terminated buffer owned by the caller. */
int ip_read_file(const char *path, char **data, size_t *len);
int ip_write_file_atomic(const char *path, const void *data, size_t len);

#endif
