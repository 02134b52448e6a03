/* The run directory's lock (see dirlock.h): DIR/.lock, locked with an open-file-description
 * lock (F_OFD_SETLK; flock where the file system has no OFD locks) and holding the holder's pid.
 * The file itself stays when released: removing it would let a third process lock a new
 * .lock while a second still waits on the unlinked one. */
#include "dirlock.h"

#include "fsutil.h"
#include "mem.h"
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_NAME ".lock"

/* The locks this process holds. OFD locks belong to an open file description, so a second
 * open() of .lock in this process would be refused like another process; a process that
 * already holds DIR's lock counts instead (`run` holds it while `train` and `analyze` take it). */
struct ip_dir_lock {
    struct ip_dir_lock *next;
    dev_t dev;
    ino_t ino;  /* the directory */
    int fd;     /* DIR/.lock, locked */
    int count;  /* takes not yet released */
};

static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static ip_dir_lock *held;

/* 0: locked; 1: another process holds it; -1: error (errno set). */
static int try_lock(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return 0;
    if (errno == EAGAIN || errno == EACCES) return 1;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    /* No OFD locks on this file system: flock has the same ownership (the open file). */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
    return errno == EWOULDBLOCK ? 1 : -1;
}

/* The holder's pid from its lock file, or 0 when unknown. The holder writes it right after
 * locking: a refused process that read the file in between waits a little for it. */
static long holder_pid(int fd)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            long pid = strtol(buf, NULL, 10);
            if (pid > 0) return pid;
        }
        struct timespec ts = {0, 2000000}; /* 2 ms, 200 ms in all */
        nanosleep(&ts, NULL);
    }
    return 0;
}

int ip_dir_lock_take(const char *dir, int create, ip_dir_lock **lock)
{
    char path[4096];
    struct stat st;
    int rc = IP_OK, fd = -1;
    *lock = NULL;
    if (snprintf(path, sizeof path, "%s/%s", dir, LOCK_NAME) >= (int)sizeof path)
        return ip_fail(IP_ERR_IO, "%s: path too long", dir);
    if (create && (rc = ip_mkdir_p(dir)) != IP_OK) return rc;
    if (stat(dir, &st) != 0)
        return ip_fail(IP_ERR_IO, "%s: %s", dir, errno == ENOENT ? "no such directory" : strerror(errno));
    pthread_mutex_lock(&held_mu);
    for (ip_dir_lock *l = held; l; l = l->next)
        if (l->dev == st.st_dev && l->ino == st.st_ino) {
            l->count++;
            *lock = l;
            goto out;
        }
    /* CLOEXEC: a program we start (gnuplot) must not keep the directory locked. */
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        rc = ip_fail(IP_ERR_IO, "%s: cannot create the lock file: %s", path, strerror(errno));
        goto out;
    }
    int got = try_lock(fd);
    if (got == 1) {
        long pid = holder_pid(fd);
        char who[32] = "unknown";
        if (pid > 0) snprintf(who, sizeof who, "%ld", pid);
        rc = ip_fail(IP_ERR_IO, "%s is in use by another infoplane (pid %s)", dir, who);
        goto out;
    }
    if (got < 0 && errno != EINVAL && errno != ENOSYS && errno != ENOLCK) {
        rc = ip_fail(IP_ERR_IO, "%s: cannot lock: %s", path, strerror(errno));
        goto out;
    }
    /* (got < 0 with no locks on this file system at all: go on unlocked, as HDF5 does.) */
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        /* Only the refused processes' message loses the pid; the lock holds all the same. */
    }
    ip_dir_lock *l = ip_calloc(1, sizeof *l);
    if (!l) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    l->fd = fd;
    l->count = 1;
    l->next = held;
    held = l;
    *lock = l;
    fd = -1;
out:
    pthread_mutex_unlock(&held_mu);
    if (fd >= 0) close(fd);
    return rc;
}

void ip_dir_lock_release(ip_dir_lock *lock)
{
    if (!lock) return;
    pthread_mutex_lock(&held_mu);
    if (--lock->count == 0) {
        for (ip_dir_lock **p = &held; *p; p = &(*p)->next)
            if (*p == lock) {
                *p = lock->next;
                break;
            }
        close(lock->fd); /* the kernel releases the lock with its last descriptor */
        free(lock);
    }
    pthread_mutex_unlock(&held_mu);
}

int ip_dir_lock_probe(const char *dir, long *pid)
{
    char path[4096];
    *pid = 0;
    if (snprintf(path, sizeof path, "%s/%s", dir, LOCK_NAME) >= (int)sizeof path) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0; /* no lock file: nobody ever locked DIR */
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int held_by_other;
    if (fcntl(fd, F_OFD_GETLK, &fl) == 0) {
        held_by_other = fl.l_type != F_UNLCK;
    } else if (flock(fd, LOCK_SH | LOCK_NB) == 0) { /* no OFD locks here: the flock fallback */
        flock(fd, LOCK_UN);
        held_by_other = 0;
    } else {
        held_by_other = errno == EWOULDBLOCK;
    }
    if (held_by_other) *pid = holder_pid(fd);
    close(fd);
    return held_by_other;
}
