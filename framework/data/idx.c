/* Reading IDX files (MNIST's format) and whole files through zlib, which reads gzip and plain
 * files alike. Everything here checks the file against its own header, so a truncated download
 * or a mismatched pair is reported with the file's name instead of training on garbage. */
#include "dataset.h"

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A header that claims more than this is corrupt, not a data set we could hold anyway. */
#define IDX_MAX_BYTES ((size_t)1 << 34)
/* gzread takes an unsigned length; read in chunks so a truncated stream reports a byte count
 * close to the truth (zlib drops the count of a chunk that fails). */
#define GZ_CHUNK ((size_t)1 << 16)

/* zlib's message without the "PATH: " it puts in front, since ours names the file already. */
static const char *gz_message(gzFile gz, const char *path, int *err)
{
    const char *msg = gzerror(gz, err);
    size_t n = strlen(path);
    if (!strncmp(msg, path, n) && msg[n] == ':' && msg[n + 1] == ' ') msg += n + 2;
    return msg;
}

/* Reads up to len bytes into buf, stopping at end of data. *got is the number read. Returns
 * IP_OK, or IP_ERR_FORMAT when zlib reports corrupt compressed data (message names path). */
static int gz_read_upto(gzFile gz, const char *path, uint8_t *buf, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        size_t want = len - *got < GZ_CHUNK ? len - *got : GZ_CHUNK;
        int r = gzread(gz, buf + *got, (unsigned)want);
        if (r < 0) {
            int err;
            const char *msg = gz_message(gz, path, &err);
            if (err == Z_ERRNO) return ip_fail(IP_ERR_IO, "%s: read error after %zu bytes: %s", path, *got, msg);
            return ip_fail(IP_ERR_FORMAT, "%s: corrupt gzip data after %zu bytes: %s", path, *got, msg);
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    return IP_OK;
}

/* Reads up to `total` bytes into a new buffer (*data, malloc'd, owned by the caller, also on a
 * short read), which grows with the data actually there: a 20-byte file whose header announces
 * 1 GB costs a megabyte, not a gigabyte, before "truncated" is said. */
static int read_payload(gzFile gz, const char *path, size_t total, uint8_t **data, size_t *got)
{
    size_t cap = total < ((size_t)1 << 20) ? total : (size_t)1 << 20;
    uint8_t *buf = ip_malloc(cap);
    *got = 0;
    *data = NULL;
    if (!buf) return IP_ERR_NOMEM;
    for (;;) {
        size_t more;
        int rc = gz_read_upto(gz, path, buf + *got, cap - *got, &more);
        *got += more;
        if (rc < 0 || *got < cap || cap == total) {
            *data = buf;
            return rc;
        }
        size_t grown = cap > total / 2 ? total : 2 * cap;
        uint8_t *bigger = realloc(buf, grown);
        if (!bigger) {
            free(buf);
            return ip_fail(IP_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, grown);
        }
        buf = bigger;
        cap = grown;
    }
}

/* After a short read: why did the stream stop? A gzip stream cut short says so through gzerror. */
static const char *gz_short_reason(gzFile gz)
{
    int err = Z_OK;
    gzerror(gz, &err);
    return err == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int ip_idx_read(ip_idx *idx, const char *path, int expect_ndim, const char *what)
{
    int rc = IP_OK;
    uint8_t head[4 + 4 * 4];
    size_t got = 0;
    memset(idx, 0, sizeof *idx);

    if ((rc = ip_expect_not_dir(path, "a data file (IDX, gzip or not)")) != IP_OK) return rc;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        rc = ip_fail(IP_ERR_IO, "%s: cannot open: %s", path, errno ? strerror(errno) : "zlib could not open it");
        goto out;
    }
    if ((rc = gz_read_upto(gz, path, head, 4, &got)) < 0) goto out;
    if (got < 4) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: truncated: expected a 4-byte IDX magic number, got %zu bytes%s", path,
                     got, gz_short_reason(gz));
        goto out;
    }
    uint32_t magic = be32(head);
    int type = head[2], ndim = head[3];
    if (head[0] != 0 || head[1] != 0 || ndim < 1 || ndim > 4) {
        rc = ip_fail(IP_ERR_FORMAT,
                     "%s: not an IDX file: magic number 0x%08x (expected 0x0000080N, N = 1..4 dimensions)", path,
                     (unsigned)magic);
        goto out;
    }
    if (type != 0x08) {
        rc = ip_fail(IP_ERR_FORMAT,
                     "%s: IDX data type 0x%02x (magic 0x%08x) is not supported: only unsigned bytes (0x08)", path,
                     (unsigned)type, (unsigned)magic);
        goto out;
    }
    if (expect_ndim > 0 && ndim != expect_ndim) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: expected %s with %d dimension%s (magic 0x%08x), got %d (magic 0x%08x)",
                     path, what, expect_ndim, expect_ndim == 1 ? "" : "s", 0x800u | (unsigned)expect_ndim, ndim, (unsigned)magic);
        goto out;
    }
    if ((rc = gz_read_upto(gz, path, head + 4, 4 * (size_t)ndim, &got)) < 0) goto out;
    if (got < 4 * (size_t)ndim) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: truncated: expected %d bytes of IDX header, got %zu%s", path, 4 + 4 * ndim,
                     4 + got, gz_short_reason(gz));
        goto out;
    }

    /* Sizes: positive, and a total we can hold (the product is checked before it can overflow). */
    size_t total = 1;
    for (int i = 0; i < ndim; i++) {
        uint32_t v = be32(head + 4 + 4 * i);
        if (v == 0 || v > INT_MAX) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: IDX size %d is %u (expected 1..%d)", path, i, (unsigned)v, INT_MAX);
            goto out;
        }
        if (total > IDX_MAX_BYTES / v) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: IDX header announces more than %zu bytes of %s", path, IDX_MAX_BYTES,
                         what);
            goto out;
        }
        total *= v;
        idx->dims[i] = (int)v;
    }
    idx->ndim = ndim;
    idx->item_size = total / (size_t)idx->dims[0];

    if ((rc = read_payload(gz, path, total, &idx->data, &got)) < 0) goto out;
    if (got < total) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: truncated: expected %zu bytes of %s, got %zu%s", path, total, what, got,
                     gz_short_reason(gz));
        goto out;
    }
    /* Exactly what the header announced: more data means the header and the payload disagree,
     * and reading to the end makes zlib verify the gzip trailer (CRC and length). */
    uint8_t extra;
    if ((rc = gz_read_upto(gz, path, &extra, 1, &got)) < 0) goto out;
    if (got != 0) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: longer than its IDX header says: more than %zu bytes of %s", path, total,
                     what);
        goto out;
    }
    int zerr = Z_OK;
    const char *zmsg = gz_message(gz, path, &zerr);
    if (zerr != Z_OK) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: damaged gzip stream after all %zu bytes of %s: %s", path, total, what, zmsg);
        goto out;
    }

out:
    if (gz) gzclose(gz);
    if (rc < 0) ip_idx_free(idx);
    return rc;
}

void ip_idx_free(ip_idx *idx)
{
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

int ip_read_all_gz(const char *path, uint8_t **data, size_t *len)
{
    int rc = IP_OK;
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = NULL;
    *data = NULL;
    *len = 0;

    if ((rc = ip_expect_not_dir(path, "a data file (IDX, gzip or not)")) != IP_OK) return rc;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        rc = ip_fail(IP_ERR_IO, "%s: cannot open: %s", path, errno ? strerror(errno) : "zlib could not open it");
        goto out;
    }
    if (!(buf = ip_malloc(cap))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        size_t got;
        if ((rc = gz_read_upto(gz, path, buf + n, cap - n, &got)) < 0) goto out;
        n += got;
        if (n < cap) break; /* end of data */
        if (cap > IDX_MAX_BYTES / 2) {
            rc = ip_fail(IP_ERR_FORMAT, "%s: larger than %zu bytes", path, IDX_MAX_BYTES);
            goto out;
        }
        uint8_t *bigger = realloc(buf, cap * 2); /* libc: mem.h has no realloc; failure reported here */
        if (!bigger) {
            rc = ip_fail(IP_ERR_NOMEM, "%s: out of memory growing a read buffer to %zu bytes", path, cap * 2);
            goto out;
        }
        buf = bigger;
        cap *= 2;
    }
    int zerr = Z_OK;
    const char *zmsg = gz_message(gz, path, &zerr);
    if (zerr != Z_OK) {
        rc = ip_fail(IP_ERR_FORMAT, "%s: truncated or damaged gzip stream after %zu bytes: %s", path, n, zmsg);
        goto out;
    }
    *data = buf;
    *len = n;
    buf = NULL;

out:
    if (gz) gzclose(gz);
    free(buf);
    return rc;
}
