/* One infoplane at a time in a run directory: the commands that write into DIR (train, run,
 * analyze) take DIR's lock before they touch anything in it. The lock is an open-file-description
 * lock on DIR/.lock, which holds the holder's pid for the message of whoever is refused; the
 * kernel drops the lock when the holder dies (even by SIGKILL), so a lock is never stale. */
#ifndef IP_DIRLOCK_H
#define IP_DIRLOCK_H

typedef struct ip_dir_lock ip_dir_lock; /* opaque */

/* Takes DIR's lock without waiting; with `create`, DIR is made first (mkdir -p) when missing,
 * else a missing DIR is an error. Taking a lock this process already holds succeeds and counts
 * (`run` holds it while `train` takes it too).
 * On success *lock is the caller's, to release with ip_dir_lock_release. When another process
 * holds it: IP_ERR_IO and "DIR is in use by another infoplane (pid N)", and nothing in DIR was
 * changed (the lock file aside, when the refused process created it). */
int ip_dir_lock_take(const char *dir, int create, ip_dir_lock **lock);

/* Whether another holder has DIR's lock, without taking it or writing anything: 1 (with *pid the
 * holder's pid when its lock file tells, else 0) or 0 when DIR is free or was never locked. For
 * reports (`infoplane sweep --status`); a writer still takes the lock itself. A lock this process
 * holds counts as held too. */
int ip_dir_lock_probe(const char *dir, long *pid);

/* Releases one count of the lock (the last one lets other processes in); NULL is ignored. */
void ip_dir_lock_release(ip_dir_lock *lock);

#endif
