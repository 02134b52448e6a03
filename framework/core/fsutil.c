/* mkdir -p, whole-file read, path tests and writing through a temporary plus a rename, with
 * messages that name the path. */
#include "fsutil.h"
#include "mem.h"
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ip_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int ip_mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return ip_fail(IP_ERR_IO, "%s: invalid directory name", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return ip_fail(IP_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return ip_fail(IP_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
    if (!ip_is_dir(buf)) return ip_fail(IP_ERR_IO, "%s: exists and is not a directory", buf);
    return IP_OK;
}

int ip_expect_not_dir(const char *path, const char *what)
{
    if (!ip_is_dir(path)) return IP_OK;
    return ip_fail(IP_ERR_IO, "%s: is a directory, expected %s", path, what);
}

int ip_expect_not_file(const char *path, const char *key, const char *what)
{
    if (!ip_path_exists(path) || ip_is_dir(path)) return IP_OK;
    return ip_fail(IP_ERR_IO, "%s = %s: is a file, expected %s", key, path, what);
}

int ip_read_file(const char *path, char **data, size_t *len)
{
    *data = NULL;
    int rc = ip_expect_not_dir(path, "a file");
    if (rc != IP_OK) return rc;
    FILE *f = fopen(path, "rb");
    if (!f) return ip_fail(IP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = ip_malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return IP_ERR_NOMEM;
    }
    for (;;) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) {
            free(buf);
            fclose(f);
            return ip_fail(IP_ERR_NOMEM, "%s: out of memory reading the file", path);
        }
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return ip_fail(IP_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    if (len) *len = n;
    return IP_OK;
}

int ip_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ip_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ip_atomic_open(ip_atomic_file *a, const char *path)
{
    a->f = NULL;
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path ||
        snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof a->tmp)
        return ip_fail(IP_ERR_IO, "%s: path too long", path);
    a->f = fopen(a->tmp, "w");
    if (!a->f) return ip_fail(IP_ERR_IO, "%s: cannot create: %s", a->tmp, strerror(errno));
    return IP_OK;
}

int ip_atomic_commit(ip_atomic_file *a)
{
    FILE *f = a->f;
    a->f = NULL;
    if (!f) return ip_fail(IP_ERR_IO, "%s: not open for writing", a->path);
    /* No fsync: the rename already hides partial files from a killed process, which is the
     * failure we guard against; fsync per epoch would dominate short epochs. */
    int err = fflush(f) != 0 ? errno : 0, earlier = ferror(f);
    if (fclose(f) != 0 && !err) err = errno;
    if (err || earlier) {
        unlink(a->tmp);
        if (err) return ip_fail(IP_ERR_IO, "%s: write failed: %s", a->path, strerror(err));
        return ip_fail(IP_ERR_IO, "%s: write failed", a->path);
    }
    return ip_publish_file(a->tmp, a->path);
}

void ip_atomic_abandon(ip_atomic_file *a)
{
    if (!a->f) return;
    fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}

int ip_publish_file(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return ip_fail(IP_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(e));
    }
    return IP_OK;
}

int ip_write_file_atomic(const char *path, const void *data, size_t len)
{
    ip_atomic_file a;
    int rc = ip_atomic_open(&a, path);
    if (rc != IP_OK) return rc;
    if (len > 0 && fwrite(data, 1, len, a.f) != len) {
        int e = errno;
        ip_atomic_abandon(&a);
        return ip_fail(IP_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return ip_atomic_commit(&a);
}
