/* Small file-system helpers: mkdir -p, whole-file read, what a path is, and the one way files
 * are written (a temporary beside the target, then a rename, so no half-written file is ever
 * visible under the name). */
#ifndef IP_FSUTIL_H
#define IP_FSUTIL_H
#include <stddef.h>
#include <stdio.h>

int ip_mkdir_p(const char *path);
int ip_path_exists(const char *path);
/* Reads the whole file into a malloc'd, NUL-terminated buffer owned by the caller. A directory is
 * refused as one ("PATH: is a directory, expected a file"). */
int ip_read_file(const char *path, char **data, size_t *len);

/* ---- what a path is (symbolic links followed); 0 also when it cannot be examined ---- */
int ip_is_file(const char *path); /* a regular file */
int ip_is_dir(const char *path);  /* a directory */

/* For messages that say what a path is instead of what failed on it: IP_OK when `path` is not a
 * directory (a missing path is left to whoever opens it), else IP_ERR_IO with "PATH: is a
 * directory, expected WHAT" (what: "a CSV file", "an IDX file", ...). */
int ip_expect_not_dir(const char *path, const char *what);
/* The other way round: IP_OK unless `path` exists and is not a directory, then IP_ERR_IO with
 * "KEY = PATH: is a file, expected WHAT" (key: the config key or option that gave the path). */
int ip_expect_not_file(const char *path, const char *key, const char *what);

/* ---- writing through a temporary: every file infoplane writes goes through these ---- */
typedef struct {
    char path[4096], tmp[4128];
    FILE *f; /* write with stdio; NULL when nothing is open */
} ip_atomic_file;

/* Create PATH.tmp.PID for writing and open it in a->f; PATH itself is untouched until
 * ip_atomic_commit. Fails naming the temporary when it cannot be created. */
int ip_atomic_open(ip_atomic_file *a, const char *path);
/* Close a->f, check that every write reached the file, and rename it over PATH. On failure the
 * temporary is removed and PATH keeps its old contents. a->f is NULL afterwards either way. */
int ip_atomic_commit(ip_atomic_file *a);
/* Close and remove the temporary (nothing happens when nothing is open). */
void ip_atomic_abandon(ip_atomic_file *a);
/* Rename the finished temporary `tmp` (written by us or another program, e.g. gnuplot) over
 * `path`; on failure tmp is removed and the message names both. */
int ip_publish_file(const char *tmp, const char *path);
/* The whole of data as PATH, through ip_atomic_open / ip_atomic_commit. */
int ip_write_file_atomic(const char *path, const void *data, size_t len);

#endif
