/* The file driver infoplane writes runs through: HDF5's POSIX driver (sec2) redone in a few
 * calls, with one difference -- the superblock reaches the disk without HDF5's "open for
 * writing" mark, so a writer killed at any moment leaves a file every HDF5 tool opens as it is.
 *
 * Why: HDF5 1.10 sets two bits in the superblock (v3 "file consistency flags": write access,
 * SWMR write access) when it opens a file for writing and clears them when it closes it. While
 * they are set, every plain open refuses the file ("file is already open for write (may use
 * <h5clear file> ...)"); a process killed with SIGKILL never clears them, so h5py, h5dump and
 * every other reader refused a killed run until `h5clear -s`. Closing the file between epochs
 * would only shorten that window, and a small run's writer thread is busy nearly all the time.
 * The bits' job -- keeping a second writer out -- is done by infoplane's own locks (the run
 * directory's lock, and the OFD lock run_take_lock holds on the file), which the kernel drops
 * when the process dies. HDF5 itself keeps its bits in memory and behaves as before; only the
 * copy on disk is written cleared, with the superblock's checksum recomputed.
 *
 * Second difference: before a superblock that records a larger end of file is written, the file
 * is extended to it (HDF5 extends it right after, in its truncate call; a kill in between left a
 * file HDF5 refused as "truncated"). Everything else is sec2's: pread/pwrite at the address, zeros
 * past the end of the file, flock for HDF5's own file locking, the descriptor for
 * H5Fget_vfd_handle (the direct-I/O path, run_rows.c), the same feature flags (SWMR included). */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct {
    H5FD_t pub;     /* HDF5's part of every driver's file: must come first */
    int fd;
    haddr_t eoa;    /* end of the allocated space, as HDF5 sets it */
    haddr_t eof;    /* the file's size, as far as this driver knows */
    dev_t dev;
    ino_t ino;      /* which file, for cmp */
} vfd_file;

/* The largest address an off_t reaches (sec2's limit). */
#define VFD_MAXADDR (((haddr_t)1 << (8 * sizeof(off_t) - 1)) - 1)

/* An error on HDF5's stack. "errno = ..., error message = '...'" is sec2's wording, which
 * h5_detail (run_h5.c) looks for to report the OS error. */
static herr_t vfd_error(hid_t minor, const char *what, int e)
{
    H5Epush2(H5E_DEFAULT, __FILE__, "run_vfd", __LINE__, H5E_ERR_CLS, H5E_VFL, minor,
             "%s, errno = %d, error message = '%s'", what, e, strerror(e));
    return -1;
}

/* ---------------------------------------------------------------- the superblock */

/* Bob Jenkins' lookup3 hash (hashlittle), the checksum of HDF5's metadata with initval 0
 * (HDF5's H5_checksum_lookup3, which is not part of its public API). */
#define ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))
static uint32_t lookup3(const unsigned char *k, size_t length)
{
    uint32_t a, b, c;
    a = b = c = 0xdeadbeefu + (uint32_t)length;
    while (length > 12) {
        a += k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24;
        b += k[4] | (uint32_t)k[5] << 8 | (uint32_t)k[6] << 16 | (uint32_t)k[7] << 24;
        c += k[8] | (uint32_t)k[9] << 8 | (uint32_t)k[10] << 16 | (uint32_t)k[11] << 24;
        a -= c, a ^= ROT(c, 4), c += b;
        b -= a, b ^= ROT(a, 6), a += c;
        c -= b, c ^= ROT(b, 8), b += a;
        a -= c, a ^= ROT(c, 16), c += b;
        b -= a, b ^= ROT(a, 19), a += c;
        c -= b, c ^= ROT(b, 4), b += a;
        length -= 12, k += 12;
    }
    if (length == 0) return c;
    /* The last 1..12 bytes, zero-padded: the same sums as lookup3's switch. */
    unsigned char t[12] = {0};
    memcpy(t, k, length);
    a += t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    b += t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
    c += t[8] | (uint32_t)t[9] << 8 | (uint32_t)t[10] << 16 | (uint32_t)t[11] << 24;
    c ^= b, c -= ROT(b, 14);
    a ^= c, a -= ROT(c, 11);
    b ^= a, b -= ROT(a, 25);
    c ^= b, c -= ROT(b, 16);
    a ^= c, a -= ROT(c, 4);
    b ^= a, b -= ROT(a, 14);
    c ^= b, c -= ROT(b, 24);
    return c;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* The superblock of format version 2 or 3 (file format spec, "Superblock"): signature (8),
 * version, sizes of offsets and lengths, file consistency flags (1 each), then base address,
 * superblock extension address, end-of-file address and root object header address (an
 * offset each), then its checksum (4). Returns its size when buf (a write at address 0) starts
 * with one, else 0. */
static size_t superblock_size(const unsigned char *buf, size_t n)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (n < 12 || memcmp(buf, sig, 8) != 0 || buf[8] < 2) return 0;
    size_t sz = 12 + 4 * (size_t)buf[9] + 4;
    return buf[9] >= 2 && buf[9] <= 8 && n >= sz ? sz : 0;
}

/* ---------------------------------------------------------------- the driver's calls */

/* The vfd_file returned is HDF5's until it calls vfd_close, which frees it. */
static H5FD_t *vfd_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)fapl;
    if (!name || !*name || maxaddr == 0 || maxaddr == HADDR_UNDEF || maxaddr > VFD_MAXADDR) {
        H5Epush2(H5E_DEFAULT, __FILE__, "run_vfd", __LINE__, H5E_ERR_CLS, H5E_ARGS, H5E_BADVALUE, "bad file name or size");
        return NULL;
    }
    int o = (flags & H5F_ACC_RDWR ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    if (flags & H5F_ACC_TRUNC) o |= O_TRUNC;
    if (flags & H5F_ACC_CREAT) o |= O_CREAT;
    if (flags & H5F_ACC_EXCL) o |= O_EXCL;
    int fd = open(name, o, 0666);
    if (fd < 0) {
        vfd_error(H5E_CANTOPENFILE, "unable to open file", errno);
        return NULL;
    }
    struct stat st;
    vfd_file *f = NULL;
    if (fstat(fd, &st) != 0 || !(f = calloc(1, sizeof *f))) {
        vfd_error(H5E_CANTOPENFILE, "unable to open file", f ? errno : ENOMEM);
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->eof = (haddr_t)st.st_size;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return &f->pub;
}

static herr_t vfd_close(H5FD_t *file)
{
    vfd_file *f = (vfd_file *)file;
    int rc = close(f->fd);
    int e = errno;
    free(f);
    return rc == 0 ? 0 : vfd_error(H5E_CANTCLOSEFILE, "unable to close file", e);
}

static int vfd_cmp(const H5FD_t *a, const H5FD_t *b)
{
    const vfd_file *x = (const vfd_file *)a, *y = (const vfd_file *)b;
    if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
    return 0;
}

static herr_t vfd_query(const H5FD_t *file, unsigned long *flags)
{
    (void)file;
    /* sec2's: metadata and small raw data aggregated, the metadata accumulator, data sieving, a
     * POSIX descriptor behind H5Fget_vfd_handle, SWMR, and files the default driver reads. */
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_POSIX_COMPAT_HANDLE | H5FD_FEAT_SUPPORTS_SWMR_IO |
             H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
    return 0;
}

static haddr_t vfd_get_eoa(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const vfd_file *)file)->eoa;
}

static herr_t vfd_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((vfd_file *)file)->eoa = addr;
    return 0;
}

static haddr_t vfd_get_eof(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const vfd_file *)file)->eof;
}

static herr_t vfd_get_handle(H5FD_t *file, hid_t fapl, void **handle)
{
    (void)fapl;
    *handle = &((vfd_file *)file)->fd;
    return 0;
}

static herr_t vfd_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void *buf)
{
    (void)type, (void)dxpl;
    vfd_file *f = (vfd_file *)file;
    char *p = buf;
    if (addr == HADDR_UNDEF || addr > VFD_MAXADDR || size > VFD_MAXADDR - addr)
        return vfd_error(H5E_OVERFLOW, "addr overflow", EINVAL);
    while (size > 0) {
        ssize_t n = pread(f->fd, p, size, (off_t)addr);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return vfd_error(H5E_READERROR, "file read failed", errno);
        if (n == 0) { /* past the end of the file: zeros, as sec2 */
            memset(p, 0, size);
            break;
        }
        p += n, addr += (haddr_t)n, size -= (size_t)n;
    }
    return 0;
}

/* Writes n bytes (two pieces: a and then b) at addr in one system call, so that a kill cannot
 * land between them within a page. */
static int pwrite2(int fd, const void *a, size_t na, const void *b, size_t nb, haddr_t addr)
{
    struct iovec iov[2] = {{(void *)a, na}, {(void *)b, nb}};
    int cnt = nb ? 2 : 1;
    while (iov[0].iov_len + iov[1].iov_len > 0) {
        ssize_t n = pwritev(fd, iov, cnt, (off_t)addr);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return -1;
        }
        addr += (haddr_t)n;
        for (int i = 0; i < cnt; i++) {
            size_t take = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + take, iov[i].iov_len -= take, n -= (ssize_t)take;
        }
    }
    return 0;
}

static herr_t vfd_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, const void *buf)
{
    (void)type, (void)dxpl;
    vfd_file *f = (vfd_file *)file;
    if (addr == HADDR_UNDEF || addr > VFD_MAXADDR || size > VFD_MAXADDR - addr)
        return vfd_error(H5E_OVERFLOW, "addr overflow", EINVAL);
    const unsigned char *p = buf;
    size_t sb = addr == f->pub.base_addr ? superblock_size(p, size) : 0;
    unsigned char head[12 + 4 * 8 + 4];
    if (sb) {
        /* The file reaches the end this superblock records before the superblock says so. */
        int o = p[9];
        haddr_t end = (haddr_t)get_le(p + 12, o) + (haddr_t)get_le(p + 12 + 2 * o, o);
        if (end > f->eof && end <= VFD_MAXADDR) {
            if (ftruncate(f->fd, (off_t)end) != 0) return vfd_error(H5E_WRITEERROR, "file write failed", errno);
            f->eof = end;
        }
        memcpy(head, p, sb);
        head[11] = 0; /* the file consistency flags: not open for writing */
        uint32_t ck = lookup3(head, sb - 4);
        for (int i = 0; i < 4; i++) head[sb - 4 + (size_t)i] = (unsigned char)(ck >> (8 * i));
    }
    if (pwrite2(f->fd, sb ? head : p, sb ? sb : size, p + sb, sb ? size - sb : 0, addr) != 0)
        return vfd_error(H5E_WRITEERROR, "file write failed", errno);
    if (addr + size > f->eof) f->eof = addr + size;
    return 0;
}

static herr_t vfd_truncate(H5FD_t *file, hid_t dxpl, hbool_t closing)
{
    (void)dxpl, (void)closing;
    vfd_file *f = (vfd_file *)file;
    if (f->eoa != f->eof) {
        if (ftruncate(f->fd, (off_t)f->eoa) != 0) return vfd_error(H5E_SEEKERROR, "unable to extend file properly", errno);
        f->eof = f->eoa;
    }
    return 0;
}

/* HDF5's own file locking (flock, as sec2); where the file system has none, HDF5 goes on. */
static herr_t vfd_lock(H5FD_t *file, hbool_t rw)
{
    if (flock(((vfd_file *)file)->fd, (rw ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 || errno == ENOSYS) return 0;
    return vfd_error(H5E_CANTLOCKFILE, "unable to lock file", errno);
}

static herr_t vfd_unlock(H5FD_t *file)
{
    if (flock(((vfd_file *)file)->fd, LOCK_UN) == 0 || errno == ENOSYS) return 0;
    return vfd_error(H5E_CANTUNLOCKFILE, "unable to unlock file", errno);
}

static const H5FD_class_t vfd_class = {
    .name = "infoplane_sec2",
    .maxaddr = VFD_MAXADDR,
    .fc_degree = H5F_CLOSE_WEAK,
    .open = vfd_open,
    .close = vfd_close,
    .cmp = vfd_cmp,
    .query = vfd_query,
    .get_eoa = vfd_get_eoa,
    .set_eoa = vfd_set_eoa,
    .get_eof = vfd_get_eof,
    .get_handle = vfd_get_handle,
    .read = vfd_read,
    .write = vfd_write,
    .truncate = vfd_truncate,
    .lock = vfd_lock,
    .unlock = vfd_unlock,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

hid_t run_vfd_id(void)
{
    static hid_t id = H5I_INVALID_HID;
    if (id < 0 || H5Iis_valid(id) <= 0) id = H5FDregister(&vfd_class);
    return id;
}
