/* Running a sweep's runs (sweep.h): each run is `infoplane run` in a child process of its own,
 * so a run that fails, crashes or is killed never takes the others down, and the state of every
 * run can be told from its directory alone: sweep.done (written atomically once the child
 * exited 0), the run directory's lock (held while a process works in it), sweep.failed. A sweep
 * killed outright leaves no sweep.done for the runs it was running: they are resumed (or started
 * again when they had not written run.h5 yet) by the next invocation, never counted complete. */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/dirlock.h"
#include "core/fsutil.h"
#include "core/interrupt.h"
#include "core/mem.h"
#include "core/status.h"

const char *const ip_sweep_state_names[] = {"waiting", "running", "done", "failed", NULL};

#define BUSY_TRIES 20       /* a run directory locked by another process: asked again every */
#define BUSY_WAIT 0.5       /* BUSY_WAIT s, BUSY_TRIES times (a just-killed sweep's runs are ending) */
#define HEARTBEAT 30.0      /* a progress line at least this often, in seconds */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void run_path(const ip_sweep_plan *p, int i, const char *file, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s%s%s", p->dir, p->runs[i].name, file ? "/" : "", file ? file : "");
}

/* The whole of a small file, malloc'd (the caller frees it), or NULL when it cannot be read. */
static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    if (!ip_is_file(path) || ip_read_file(path, &text, &len) != IP_OK) {
        ip_error_clear();
        return NULL;
    }
    return text;
}

/* A run's --set values, one a line: what sweep.args and sweep.done hold, train.threads aside
 * when the sweep chooses it (a run keeps the thread count it started with). malloc'd: the caller
 * frees it; NULL when out of memory. */
static char *identity(const ip_sweep_plan *p, int i)
{
    size_t n = 1;
    const ip_sweep_run *r = &p->runs[i];
    for (int k = 0; k < r->n_sets; k++) n += strlen(r->sets[k]) + 1;
    char *s = ip_malloc(n);
    if (!s) return NULL;
    s[0] = '\0';
    for (int k = 0; k < r->n_sets; k++) strcat(strcat(s, r->sets[k]), "\n");
    return s;
}

/* text without its "train.threads=N" line when the sweep picks threads (in place); that line,
 * when there is one, is copied into threads (cap bytes, "" otherwise). */
static void split_threads(const ip_sweep_plan *p, char *text, char *threads, size_t cap)
{
    threads[0] = '\0';
    if (!p->auto_threads) return;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (!strncmp(line, "train.threads=", 14)) {
            snprintf(threads, cap, "%.*s", (int)(end ? len - 1 : len), line);
            memmove(line, line + len, strlen(line + len) + 1);
        } else {
            line += len;
        }
    }
}

void ip_sweep_state_of(const ip_sweep_plan *p, int i, ip_sweep_run_state *st)
{
    char path[IP_PATH_LEN + 2 * IP_SWEEP_NAME_LEN], threads[64];
    memset(st, 0, sizeof *st);
    run_path(p, i, "sweep.done", path, sizeof path);
    char *done = slurp(path), *want = identity(p, i);
    if (done && want) {
        split_threads(p, done, threads, sizeof threads);
        if (!strcmp(done, want)) {
            st->state = IP_SWEEP_DONE;
        } else {
            st->state = IP_SWEEP_FAILED;
            snprintf(st->why, sizeof st->why, "completed with other --set values than the sweep file gives now "
                                              "(see %.300s): remove the directory to run it again", path);
        }
    }
    free(done);
    free(want);
    if (st->state != IP_SWEEP_WAITING) return;
    run_path(p, i, NULL, path, sizeof path);
    if (ip_dir_lock_probe(path, &st->pid)) {
        st->state = IP_SWEEP_RUNNING;
        return;
    }
    run_path(p, i, "sweep.failed", path, sizeof path);
    char *failed = slurp(path);
    if (failed) {
        st->state = IP_SWEEP_FAILED;
        failed[strcspn(failed, "\n")] = '\0';
        snprintf(st->why, sizeof st->why, "%s", failed);
        free(failed);
        return;
    }
    run_path(p, i, "run.h5", path, sizeof path);
    st->started = ip_path_exists(path);
    run_path(p, i, "sweep.args", path, sizeof path);
    st->started |= ip_path_exists(path);
}

int ip_sweep_print_status(const ip_sweep_plan *p, FILE *f)
{
    int count[4] = {0, 0, 0, 0};
    for (int i = 0; i < p->n_runs; i++) {
        ip_sweep_run_state st;
        ip_sweep_state_of(p, i, &st);
        count[st.state]++;
        fprintf(f, "%-8s %s", ip_sweep_state_names[st.state], p->runs[i].name);
        if (st.state == IP_SWEEP_RUNNING && st.pid > 0) fprintf(f, " (pid %ld)", st.pid);
        if (st.state == IP_SWEEP_WAITING && st.started) fprintf(f, " (started before: resumes)");
        if (st.state == IP_SWEEP_FAILED) fprintf(f, ": %s", st.why);
        fputc('\n', f);
    }
    long pid;
    int sweeping = ip_dir_lock_probe(p->dir, &pid);
    fprintf(f, "%s: %d runs: %d done, %d running, %d failed, %d waiting", p->dir, p->n_runs, count[IP_SWEEP_DONE],
            count[IP_SWEEP_RUNNING], count[IP_SWEEP_FAILED], count[IP_SWEEP_WAITING]);
    if (sweeping) fprintf(f, "; a sweep is running here (pid %ld)", pid);
    fputc('\n', f);
    return count[IP_SWEEP_FAILED];
}

/* ---- running ---- */

typedef struct {
    int run;
    pid_t pid;
    double t0;
} slot;

typedef struct {
    const ip_sweep_plan *p;
    const ip_sweep_options *o;
    ip_sweep_summary *sum;
    char threads[32];    /* "train.threads=N" for runs that start now ("" when the file sets it) */
    int running, waiting;
    double t0, last_line;
} sched;

static void progress(sched *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(sched *s, const char *fmt, ...)
{
    s->last_line = now();
    if (s->o->quiet) return;
    char what[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sweep: [%d/%d done, %d running, %d failed, %d waiting, %.1f s] %s\n",
            s->sum->done + s->sum->skipped, s->p->n_runs, s->running, s->sum->failed, s->waiting, now() - s->t0,
            what);
}

/* " WORD" for the log's copy of the command: as it is when plain, else in single quotes. */
static void shell_word(FILE *f, const char *w)
{
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+./=,:@%") == strlen(w)) {
        fprintf(f, " %s", w);
        return;
    }
    fputs(" '", f);
    for (; *w; w++)
        if (*w == '\'') fputs("'\\''", f);
        else fputc(*w, f);
    fputc('\'', f);
}

/* The child: its own process group (a Ctrl-C reaches the sweep, which passes one SIGTERM on),
 * SIGTERM when the sweep dies, even by SIGKILL (the run then stops at its next safe point and is
 * resumed later); stdin from /dev/null, stdout and stderr to the log. Only async-signal-safe
 * calls between fork and exec. */
static void child(const char *exe, char *const *argv, int log_fd, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127); /* the sweep died before the line above */
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(exe, argv);
    static const char msg[] = "infoplane sweep: cannot start the run (execv failed)\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
}

/* Start run i: its sweep.args (the thread count it began with, if it did), its log, its child. */
static int launch(sched *s, int i, slot *sl)
{
    const ip_sweep_plan *p = s->p;
    const ip_sweep_run *r = &p->runs[i];
    char dir[IP_PATH_LEN + IP_SWEEP_NAME_LEN], path[IP_PATH_LEN + 2 * IP_SWEEP_NAME_LEN], threads[64];
    char log[IP_PATH_LEN + 2 * IP_SWEEP_NAME_LEN];
    int rc = IP_OK, log_fd = -1;
    char *args = NULL, **argv = NULL;
    run_path(p, i, NULL, dir, sizeof dir);
    if ((rc = ip_mkdir_p(dir)) != IP_OK) return rc;
    run_path(p, i, "sweep.args", path, sizeof path);
    char *before = slurp(path);
    if (before) split_threads(p, before, threads, sizeof threads);
    free(before);
    if (!before || !threads[0]) snprintf(threads, sizeof threads, "%s", s->threads);
    char *id = identity(p, i);
    size_t n = id ? strlen(id) + strlen(threads) + 2 : 0;
    if (!id || !(args = ip_malloc(n))) {
        free(id);
        return IP_ERR_NOMEM;
    }
    snprintf(args, n, "%s%s%s", id, threads, threads[0] ? "\n" : "");
    free(id);
    if ((rc = ip_write_file_atomic(path, args, strlen(args))) != IP_OK) goto out;
    run_path(p, i, "sweep.done", path, sizeof path);
    unlink(path); /* stale: made with other values (the child decides whether it resumes them) */
    run_path(p, i, "sweep.failed", path, sizeof path);
    unlink(path);

    /* argv: EXE run BASE --out DIR --quiet [--resume] (--set S)..., all built before fork */
    int argc = 0;
    if (!(argv = ip_calloc((size_t)(2 * r->n_sets + 12), sizeof *argv))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    run_path(p, i, "run.h5", path, sizeof path);
    int resume = ip_path_exists(path);
    argv[argc++] = "infoplane";
    argv[argc++] = "run";
    argv[argc++] = (char *)p->spec.base;
    argv[argc++] = "--out";
    argv[argc++] = dir;
    argv[argc++] = "--quiet";
    if (resume) argv[argc++] = "--resume";
    for (int k = 0; k < r->n_sets; k++) argv[argc++] = "--set", argv[argc++] = r->sets[k];
    if (threads[0]) argv[argc++] = "--set", argv[argc++] = threads;

    snprintf(log, sizeof log, "%s/logs/%s.log", p->dir, r->name);
    if ((log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        rc = ip_fail(IP_ERR_IO, "%s: cannot open: %s", log, strerror(errno));
        goto out;
    }
    FILE *lf = fdopen(dup(log_fd), "a");
    if (lf) {
        time_t t = time(NULL);
        char when[64];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
        fprintf(lf, "=== %s: infoplane sweep %s: %s\n===", when, p->spec.path, resume ? "resuming" : "starting");
        for (int k = 0; k < argc; k++) shell_word(lf, argv[k]);
        fputc('\n', lf);
        fclose(lf);
    }
    fflush(NULL); /* nothing buffered twice through fork */
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) child(s->o->exe, argv, log_fd, parent);
    if (pid < 0) {
        rc = ip_fail(IP_ERR, "cannot start %s: fork: %s", r->name, strerror(errno));
        goto out;
    }
    sl->run = i;
    sl->pid = pid;
    sl->t0 = now();
    progress(s, "%s %s", resume ? "resuming" : "started", r->name);
out:
    if (log_fd >= 0) close(log_fd);
    free(argv);
    free(args);
    return rc;
}

/* The last line of the run's log that says something, for the failure line. */
static void last_line(const char *log, char *out, size_t cap)
{
    out[0] = '\0';
    char *text = slurp(log);
    if (!text) return;
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = '\0';
    char *start = strrchr(text, '\n');
    snprintf(out, cap, "%s", start ? start + 1 : text);
    free(text);
}

/* A child ended: mark its run done or failed (a run stopped by our SIGTERM is neither: it resumes). */
static void finished(sched *s, const slot *sl, int status)
{
    const ip_sweep_plan *p = s->p;
    const char *name = p->runs[sl->run].name;
    char path[IP_PATH_LEN + 2 * IP_SWEEP_NAME_LEN], log[IP_PATH_LEN + 2 * IP_SWEEP_NAME_LEN];
    snprintf(log, sizeof log, "%s/logs/%s.log", p->dir, name);
    int not_recorded = 0;
    s->running--;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        run_path(p, sl->run, "sweep.args", path, sizeof path);
        char *args = slurp(path);
        run_path(p, sl->run, "sweep.done", path, sizeof path);
        int rc = args ? ip_write_file_atomic(path, args, strlen(args)) : ip_fail(IP_ERR_IO, "%s: lost", path);
        free(args);
        if (rc == IP_OK) {
            s->sum->done++;
            progress(s, "done %s (%.1f s)", name, now() - sl->t0);
            return;
        }
        not_recorded = 1; /* complete, but not recorded as such: a failure to report */
    }
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0, code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (!not_recorded && s->sum->stopped && (sig == SIGTERM || code == 128 + SIGTERM)) {
        progress(s, "stopped %s; it resumes on the next invocation", name);
        return;
    }
    char why[1600], last[400];
    if (not_recorded) snprintf(why, sizeof why, "completed but %s", ip_error_message());
    else if (sig) snprintf(why, sizeof why, "killed by signal %d; log: %s", sig, log);
    else snprintf(why, sizeof why, "exit status %d; log: %s", code, log);
    run_path(p, sl->run, "sweep.failed", path, sizeof path);
    char text[1700];
    snprintf(text, sizeof text, "%s\n", why);
    ip_write_file_atomic(path, text, strlen(text)); /* the log says it all if even this fails */
    s->sum->failed++;
    last_line(log, last, sizeof last);
    progress(s, "FAILED %s: %s%s%s", name, why, last[0] ? "\n    " : "", last);
}

static int cores_available(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int ip_sweep_execute(const ip_sweep_plan *p, const ip_sweep_options *o, ip_sweep_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    ip_dir_lock *lock = NULL;
    int rc = IP_OK, only = -1;
    if (o->only) { /* one run, beside others of the same sweep (a Slurm array task): no sweep lock */
        for (int i = 0; i < p->n_runs && only < 0; i++)
            if (!strcmp(p->runs[i].name, o->only)) only = i;
        if (only < 0) return ip_fail(IP_ERR, "%s: no run named '%s' in the sweep file (was it changed since the "
                                             "job was submitted?)", p->spec.path, o->only);
    } else if ((rc = ip_dir_lock_take(p->dir, 1, &lock)) != IP_OK) {
        ip_error_prefix("the sweep directory");
        return rc;
    }
    char logs[IP_PATH_LEN + 8];
    snprintf(logs, sizeof logs, "%s/logs", p->dir);
    int jobs = o->jobs > 0 ? o->jobs : 1, cores = o->cores > 0 ? o->cores : cores_available();
    sched s = {.p = p, .o = o, .sum = sum, .t0 = now()};
    s.last_line = s.t0;
    sum->threads = p->auto_threads ? (cores / jobs > 1 ? cores / jobs : 1) : 0;
    if (p->auto_threads) snprintf(s.threads, sizeof s.threads, "train.threads=%d", sum->threads);
    int *todo = ip_calloc((size_t)p->n_runs, sizeof *todo), n_todo = 0;
    int *tries = ip_calloc((size_t)p->n_runs, sizeof *tries);
    double *not_before = ip_calloc((size_t)p->n_runs, sizeof *not_before);
    slot *slots = ip_calloc((size_t)jobs, sizeof *slots);
    if (!todo || !tries || !not_before || !slots) rc = IP_ERR_NOMEM;
    if (!rc) rc = ip_mkdir_p(logs);
    for (int i = 0; i < p->n_runs && !rc; i++) {
        if (only >= 0 && i != only) continue;
        ip_sweep_run_state st;
        ip_sweep_state_of(p, i, &st);
        if (st.state == IP_SWEEP_DONE) sum->skipped++;
        else todo[n_todo++] = i;
    }
    if (rc) goto out;
    s.waiting = n_todo;
    if (!o->quiet && only >= 0) {
        fprintf(stderr, "sweep: %s: run %s, one of %d, in %s", p->spec.path, p->runs[only].name, p->n_runs, p->dir);
        if (p->auto_threads) fprintf(stderr, ", train.threads=%d (%d cores)", sum->threads, cores);
        fprintf(stderr, "%s\n", sum->skipped ? "; complete already" : "");
    } else if (!o->quiet) {
        fprintf(stderr, "sweep: %s: %d runs (%d grid point%s x %d seed%s) in %s; %d at a time", p->spec.path,
                p->n_runs, p->n_points, p->n_points == 1 ? "" : "s", p->n_runs / p->n_points,
                p->n_runs / p->n_points == 1 ? "" : "s", p->dir, jobs);
        if (p->auto_threads) fprintf(stderr, ", train.threads=%d each (%d cores)", sum->threads, cores);
        fputc('\n', stderr);
        if (sum->skipped)
            fprintf(stderr, "sweep: %d run%s complete already and %s skipped\n", sum->skipped,
                    sum->skipped == 1 ? " is" : "s are", sum->skipped == 1 ? "is" : "are");
    }
    int next = 0, signalled = 0;
    while (s.running > 0 || (next < n_todo && !sum->stopped)) {
        int acted = 0;
        if (!sum->stopped && ip_interrupt_pending()) {
            sum->stopped = ip_interrupt_pending();
            if (!o->quiet)
                fprintf(stderr, "sweep: stopping (%s): no new runs; the %d running are asked to stop\n",
                        ip_interrupt_name(sum->stopped), s.running);
        }
        if (sum->stopped && !signalled) { /* one SIGTERM each: a second would end a run at once */
            for (int j = 0; j < jobs; j++)
                if (slots[j].pid > 0) kill(slots[j].pid, SIGTERM);
            signalled = 1;
        }
        /* start runs while there is room; a run locked by another process waits its turn */
        for (int j = 0; j < jobs && !sum->stopped && next < n_todo; j++) {
            if (slots[j].pid > 0) continue;
            int k = next, i = todo[k];
            if (not_before[i] > now()) break;
            char dir[IP_PATH_LEN + IP_SWEEP_NAME_LEN];
            long holder;
            run_path(p, i, NULL, dir, sizeof dir);
            if (ip_dir_lock_probe(dir, &holder)) {
                if (++tries[i] < BUSY_TRIES) {
                    not_before[i] = now() + BUSY_WAIT;
                    break;
                }
                sum->busy++;
                s.waiting--;
                next++;
                progress(&s, "skipped %s: in use by another process (pid %ld)", p->runs[i].name, holder);
                continue;
            }
            s.waiting--;
            s.running++;
            next++;
            if ((rc = launch(&s, i, &slots[j])) != IP_OK) {
                s.running--;
                sum->failed++;
                progress(&s, "FAILED %s: %s", p->runs[i].name, ip_error_message());
                rc = IP_OK;
            }
            acted = 1;
        }
        for (int j = 0; j < jobs; j++) {
            int status;
            if (slots[j].pid <= 0) continue;
            pid_t got = waitpid(slots[j].pid, &status, WNOHANG);
            if (got == slots[j].pid || (got < 0 && errno == ECHILD)) {
                if (got < 0) status = 0xff00; /* lost to someone else's wait: counted as failed */
                finished(&s, &slots[j], status);
                slots[j].pid = 0;
                acted = 1;
            }
        }
        if (now() - s.last_line >= HEARTBEAT) progress(&s, "working");
        if (!acted) {
            struct timespec ts = {0, 50000000}; /* 50 ms: the runs take seconds to hours */
            nanosleep(&ts, NULL);
        }
    }
    sum->seconds = now() - s.t0;
out:
    free(todo);
    free(tries);
    free(not_before);
    free(slots);
    ip_dir_lock_release(lock);
    return rc;
}
