/* A sweep handed to Slurm as one array job (sweep.h, docs/cluster.md). The sweep directory stays
 * the single source of truth: each array task is `infoplane sweep SWEEP --out DIR --slurm-task
 * NAME`, the local scheduler (sweep_exec.c) limited to that one run, so it builds the run's
 * command line, writes sweep.args, and marks the run sweep.done (atomically) or sweep.failed
 * exactly as a local sweep does; --status and --collect read the same files from any node.
 *
 *   DIR/slurm/array-N.sh      the Nth submission's sbatch script
 *   DIR/slurm/array-N.points  its task i runs the run named on line i+1
 *   DIR/slurm/jobs            "JOBID N" per submission: what the next --slurm asks squeue about
 *   DIR/slurm/logs/JOB_I.out  each task's stdout and stderr (the run's own log: DIR/logs/NAME.log) */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/mem.h"
#include "core/status.h"

#define MAX_JOBS 4096 /* submissions remembered in DIR/slurm/jobs */

int ip_sweep_slurm_available(void)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    char dir[PATH_MAX], file[PATH_MAX + 16];
    for (const char *s = path; *s;) {
        size_t n = strcspn(s, ":");
        snprintf(dir, sizeof dir, "%.*s", (int)(n < sizeof dir - 1 ? n : sizeof dir - 1), s);
        snprintf(file, sizeof file, "%s/sbatch", n ? dir : ".");
        if (access(file, X_OK) == 0) return 1;
        s += n + (s[n] == ':');
    }
    return 0;
}

/* Run argv (looked up on PATH) with stdin from /dev/null; its stdout and stderr together into out
 * (cap bytes, NUL-terminated, the rest dropped). Returns the exit status, or -1 when it could not
 * run (the message set). */
static int capture(char *const argv[], char *out, size_t cap)
{
    int fds[2];
    out[0] = '\0';
    if (pipe(fds) < 0) return ip_fail(IP_ERR_IO, "%s: pipe: %s", argv[0], strerror(errno)), -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return ip_fail(IP_ERR, "%s: fork: %s", argv[0], strerror(errno)), -1;
    }
    size_t len = 0;
    char drop[4096];
    for (;;) {
        ssize_t got = len + 1 < cap ? read(fds[0], out + len, cap - 1 - len) : read(fds[0], drop, sizeof drop);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        if (len + 1 < cap) len += (size_t)got;
    }
    out[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return ip_fail(IP_ERR, "%s: waitpid: %s", argv[0], strerror(errno)), -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !out[0])
        return ip_fail(IP_ERR, "%s: cannot be run (not on PATH?)", argv[0]), -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the jobs submitted before ---- */

typedef struct {
    long job;
    int n; /* its array-N files */
} job_rec;

/* DIR/slurm/jobs: returns how many (at most cap), 0 when there is none. */
static int read_jobs(const ip_sweep_plan *p, job_rec *jobs, int cap)
{
    char path[IP_PATH_LEN + 32], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/slurm/jobs", p->dir);
    if (!ip_is_file(path) || ip_read_file(path, &text, &len) != IP_OK) {
        ip_error_clear();
        return 0;
    }
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < cap; line = strtok(NULL, "\n")) {
        long job;
        int k;
        if (sscanf(line, "%ld %d", &job, &k) == 2 && job > 0 && k > 0) jobs[n++] = (job_rec){job, k};
    }
    free(text);
    return n;
}

/* The run names of array-N.points, malloc'd text with one name a line (NULL when unreadable). */
static char *read_points(const ip_sweep_plan *p, int n)
{
    char path[IP_PATH_LEN + 64], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/slurm/array-%d.points", p->dir, n);
    if (!ip_is_file(path) || ip_read_file(path, &text, &len) != IP_OK) {
        ip_error_clear();
        return NULL;
    }
    return text;
}

/* The name on line idx+1 of points, into out ("" when there is no such line). */
static void point_at(const char *points, long idx, char *out, size_t cap)
{
    out[0] = '\0';
    const char *line = points;
    for (long i = 0; line && i < idx; i++) {
        line = strchr(line, '\n');
        if (line) line++;
    }
    if (line && *line) snprintf(out, cap, "%.*s", (int)strcspn(line, "\n"), line);
}

/* queued[i] = 1 for each run queued or running under a recorded job, from squeue (one line per
 * array task with -r: "JOB_INDEX"). Returns IP_OK, or an error when squeue cannot answer (then
 * nothing is submitted: a run must not be queued twice). */
static int mark_queued(const ip_sweep_plan *p, char *queued, int *n_queued)
{
    *n_queued = 0;
    job_rec *jobs = ip_calloc(MAX_JOBS, sizeof *jobs);
    if (!jobs) return IP_ERR_NOMEM;
    int n_jobs = read_jobs(p, jobs, MAX_JOBS), rc = IP_OK;
    if (n_jobs == 0) {
        free(jobs);
        return IP_OK;
    }
    size_t cap = 1 << 22;
    char *out = ip_malloc(cap);
    char *argv[] = {"squeue", "--noheader", "--array", "--me", "--format=%i", NULL};
    int status = out ? capture(argv, out, cap) : (rc = IP_ERR_NOMEM, 0);
    if (!rc && status != 0) {
        out[strcspn(out, "\n")] = '\0';
        rc = status < 0 ? IP_ERR : ip_fail(IP_ERR, "squeue failed (exit status %d: %.300s); nothing submitted, so "
                                                   "that no run is queued twice: try again when Slurm answers", status, out);
    }
    for (char *line = rc ? NULL : strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        long job, idx;
        char name[IP_SWEEP_NAME_LEN];
        if (sscanf(line, " %ld_%ld", &job, &idx) != 2) continue;
        for (int j = 0; j < n_jobs; j++) {
            if (jobs[j].job != job) continue;
            char *points = read_points(p, jobs[j].n);
            if (points) point_at(points, idx, name, sizeof name);
            for (int i = 0; points && i < p->n_runs; i++)
                if (!queued[i] && !strcmp(p->runs[i].name, name)) queued[i] = 1, (*n_queued)++;
            free(points);
        }
    }
    free(out);
    free(jobs);
    return rc;
}

void ip_sweep_slurm_status(const ip_sweep_plan *p, FILE *f)
{
    job_rec jobs[8];
    int n = read_jobs(p, jobs, 8);
    if (n == 0) return;
    fprintf(f, "%s: on Slurm: job%s", p->dir, n == 1 ? "" : "s");
    for (int j = 0; j < n; j++) fprintf(f, " %ld", jobs[j].job);
    fprintf(f, "%s (`squeue --me` shows what is queued; runs queued and not started show as waiting)\n",
            n == 8 ? " ..." : "");
}

/* ---- the script ---- */

/* A path or value safe on an #SBATCH line and in a --output pattern: no blank, quote, '%', '#'. */
static int sbatch_safe(const char *s)
{
    return s && *s && !strpbrk(s, " \t\n\r'\"\\%#$`");
}

static void put_word(FILE *f, const char *w)
{
    fputc('\'', f);
    for (; *w; w++)
        if (*w == '\'') fputs("'\\''", f);
        else fputc(*w, f);
    fputc('\'', f);
}

static int write_script(const ip_sweep_plan *p, const ip_sweep_slurm_options *o, const char *path, const char *points,
                        const char *dir, const char *sweep, const char *cwd, int n_tasks, const char *logs)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return IP_ERR_NOMEM;
    const char *base = strrchr(p->spec.path, '/');
    base = base ? base + 1 : p->spec.path;
    fprintf(f, "#!/bin/bash\n"
               "# Written by `infoplane sweep %s --slurm` (docs/cluster.md): one array task per run\n"
               "# of the sweep not complete when it was submitted; task i runs the run named on line\n"
               "# i+1 of %s.\n", p->spec.path, points);
    fprintf(f, "#SBATCH --job-name=infoplane-%.*s\n", (int)strcspn(base, "."), base);
    fprintf(f, "#SBATCH --array=0-%d", n_tasks - 1);
    if (o->max_running > 0) fprintf(f, "%%%d", o->max_running);
    fprintf(f, "\n#SBATCH --output=%s/%%A_%%a.out\n#SBATCH --chdir=%s\n", logs, cwd);
    fprintf(f, "#SBATCH --cpus-per-task=%d\n", o->cpus > 0 ? o->cpus : 1);
    if (o->partition) fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    if (o->time) fprintf(f, "#SBATCH --time=%s\n", o->time);
    if (o->mem) fprintf(f, "#SBATCH --mem=%s\n", o->mem);
    for (int i = 0; i < p->spec.n_slurm_options; i++) fprintf(f, "#SBATCH %s\n", p->spec.slurm_options[i]);
    fprintf(f, "set -eu\n"
               "name=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" ");
    put_word(f, points);
    fprintf(f, ")\n"
               "# The local scheduler for this one run: it runs `infoplane run` of the run (with\n"
               "# --resume when it has a run.h5), logs to %s/logs/$name.log and writes the run's\n"
               "# sweep.done (atomically) when it exits 0, its sweep.failed when it fails.\n"
               "exec ", dir);
    put_word(f, o->exe);
    fputs(" sweep ", f);
    put_word(f, sweep);
    fputs(" --out ", f);
    put_word(f, dir);
    fputs(" --slurm-task \"$name\"\n", f);
    if (fclose(f) != 0) {
        free(text);
        return IP_ERR_NOMEM;
    }
    int rc = ip_write_file_atomic(path, text, len);
    if (!rc && chmod(path, 0755) != 0) rc = ip_fail(IP_ERR_IO, "%s: chmod: %s", path, strerror(errno));
    free(text);
    return rc;
}

int ip_sweep_slurm_submit(const ip_sweep_plan *p, const ip_sweep_slurm_options *o, ip_sweep_slurm_result *r)
{
    memset(r, 0, sizeof *r);
    char dir[PATH_MAX], sweep[PATH_MAX], cwd[PATH_MAX], sdir[PATH_MAX + 16], logs[PATH_MAX + 32];
    int rc = ip_mkdir_p(p->dir);
    if (rc) return rc;
    if (!realpath(p->dir, dir) || !realpath(p->spec.path, sweep) || !getcwd(cwd, sizeof cwd))
        return ip_fail(IP_ERR_IO, "%s: cannot resolve the sweep's paths: %s", p->dir, strerror(errno));
    const char *bad = !sbatch_safe(dir) ? dir : !sbatch_safe(cwd) ? cwd : NULL;
    if (bad)
        return ip_fail(IP_ERR, "%s: a path for sbatch must have no blanks, quotes or '%%#$\\`' (it goes into "
                               "#SBATCH lines); use another --out or directory", bad);
    if ((o->partition && !sbatch_safe(o->partition)) || (o->time && !sbatch_safe(o->time)) ||
        (o->mem && !sbatch_safe(o->mem)))
        return ip_fail(IP_ERR, "--partition, --time and --mem take one word each, without blanks or quotes");
    snprintf(sdir, sizeof sdir, "%s/slurm", dir);
    snprintf(logs, sizeof logs, "%s/logs", sdir);
    if ((rc = ip_mkdir_p(logs)) != IP_OK) return rc;
    snprintf(logs, sizeof logs, "%s/logs", dir);
    if ((rc = ip_mkdir_p(logs)) != IP_OK) return rc;
    snprintf(logs, sizeof logs, "%s/logs", sdir);
    snprintf(r->logs, sizeof r->logs, "%s", logs);

    /* what to submit: neither complete, nor running here, nor queued or running under a job */
    char *queued = ip_calloc((size_t)p->n_runs, 1);
    int *todo = ip_calloc((size_t)p->n_runs, sizeof *todo), n_todo = 0;
    job_rec *jobs = ip_calloc(MAX_JOBS, sizeof *jobs);
    char *names = NULL, *out = NULL;
    size_t names_len = 0;
    if (!queued || !todo || !jobs) rc = IP_ERR_NOMEM;
    if (!rc) rc = mark_queued(p, queued, &r->queued);
    for (int i = 0; i < p->n_runs && !rc; i++) {
        ip_sweep_run_state st;
        ip_sweep_state_of(p, i, &st);
        if (st.state == IP_SWEEP_DONE) r->done++;
        else if (st.state == IP_SWEEP_RUNNING && !queued[i]) queued[i] = 1, r->queued++;
        else if (!queued[i]) todo[n_todo++] = i;
    }
    if (rc || n_todo == 0) goto out;

    int n = read_jobs(p, jobs, MAX_JOBS);
    int next = n ? jobs[n - 1].n + 1 : 1;
    snprintf(r->points, sizeof r->points, "%s/array-%d.points", sdir, next);
    snprintf(r->script, sizeof r->script, "%s/array-%d.sh", sdir, next);
    FILE *f = open_memstream(&names, &names_len);
    if (!f) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    for (int k = 0; k < n_todo; k++) fprintf(f, "%s\n", p->runs[todo[k]].name);
    if (fclose(f) != 0) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    if ((rc = ip_write_file_atomic(r->points, names, names_len)) != IP_OK) goto out;
    if ((rc = write_script(p, o, r->script, r->points, dir, sweep, cwd, n_todo, logs)) != IP_OK) goto out;

    size_t cap = 1 << 16;
    if (!(out = ip_malloc(cap))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    char *argv[] = {"sbatch", "--parsable", r->script, NULL};
    int status = capture(argv, out, cap);
    if (status != 0) {
        size_t l = strlen(out);
        while (l && out[l - 1] == '\n') out[--l] = '\0';
        rc = status < 0 ? IP_ERR : ip_fail(IP_ERR, "sbatch %s failed (exit status %d): %.600s", r->script, status, out);
        goto out;
    }
    /* --parsable: "JOBID" or "JOBID;CLUSTER" on a line of its own (warnings may come before) */
    for (char *line = strtok(out, "\n"); line && !r->job; line = strtok(NULL, "\n")) {
        char *end;
        long job = strtol(line, &end, 10);
        if (end != line && (*end == '\0' || *end == ';') && job > 0) r->job = job;
    }
    if (!r->job) {
        rc = ip_fail(IP_ERR, "sbatch %s: no job id in its answer", r->script);
        goto out;
    }
    r->submitted = n_todo;
    char path[PATH_MAX + 32], line[64];
    snprintf(path, sizeof path, "%s/jobs", sdir);
    snprintf(line, sizeof line, "%ld %d\n", r->job, next);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        rc = ip_fail(IP_ERR_IO, "%s: cannot record job %ld: %s (the job is submitted)", path, r->job, strerror(errno));
    if (fd >= 0) close(fd);
out:
    free(out);
    free(names);
    free(jobs);
    free(todo);
    free(queued);
    return rc;
}
