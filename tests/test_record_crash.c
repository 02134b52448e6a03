/* Runs killed with SIGKILL at random moments -- while appending epochs, while replacing the
 * analysis tables -- open with every HDF5 tool as they are (no h5clear first), hold every
 * committed epoch and complete tables, and resume to the same bytes as an uninterrupted run; a
 * file an older infoplane left marked "open for writing" is repaired by the first open; layer
 * datasets of another type than float32, and /epochs out of order, are refused on open. */
#include "toy_run.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

/* HDF5's own tools open path as it is: h5dump -H reads every object header (a plain open, not
 * SWMR read mode, which would tolerate what h5py and h5dump do not). */
static int plain_open(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "h5dump -H '%s' >/dev/null 2>&1", path);
    return system(cmd) == 0;
}

/* h5py (the python3 that has it) runs `code` with p bound to path; the test fails without h5py. */
static void h5py_edit(const char *path, const char *code)
{
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import h5py, numpy as np; p = '%s'; %s\" 2>&1", path, code);
    if (system(cmd) != 0) fail_msg("/usr/bin/python3 with h5py (python3-h5py) failed: %s", cmd);
}

/* ---- appending epochs ---- */

/* The child appends epochs for ever (creating or resuming the run); the parent kills it with
 * SIGKILL at a random moment, then checks that the file opens and resumes. ~20 rounds. */
static void child_loop(const char *path, int ready_fd)
{
    ip_run *run = NULL;
    toy_epoch t;
    toy_alloc(&t, N_SAMPLES, UNITS);
    int start = 0, last;
    int64_t step;
    if (access(path, F_OK) == 0) {
        if (ip_run_open_resume(&run, path, t.params, N_PARAMS, t.m, t.v, N_OPT, &step, t.rng, &last) != IP_OK) {
            fprintf(stderr, "child: %s\n", ip_error_message());
            _exit(3);
        }
        start = last + 1;
    } else if (toy_create(&run, path, 1) != IP_OK) {
        fprintf(stderr, "child: %s\n", ip_error_message());
        _exit(4);
    }
    for (int e = start;; e++) {
        if (toy_append(run, &t, e) != IP_OK) {
            fprintf(stderr, "child: %s\n", ip_error_message());
            _exit(5);
        }
        if (e == start && write(ready_fd, "r", 1) != 1) _exit(6); /* tell the parent we are under way */
    }
}

static void test_sigkill(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "killed.h5");
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    int rounds = ip_test_slow_env() ? 8 : 20, prev_last = -1;
    for (int round = 0; round < rounds; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_loop(path, fds[1]);
        }
        close(fds[1]);
        /* Round 0 kills during creation; the others once the child appends, at a random
         * moment within the next few epochs (each takes ~1-3 ms here). */
        int us = rand() % 3000;
        char c;
        if (round > 0) {
            if (read(fds[0], &c, 1) != 1) fail_msg("round %d: the child died before appending", round);
            us = rand() % (ip_test_slow_env() ? 40000 : 15000);
        }
        usleep((useconds_t)us);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        close(fds[0]);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("round %d (seed %u): the child ended by itself (status %d) before the kill", round, seed, status);
        if (getenv("IP_TEST_DEBUG")) fprintf(stderr, "round %d: %d us, published %d\n", round, us, access(path, F_OK) == 0);
        if (access(path, F_OK) != 0) continue; /* killed before epoch 0 was complete: nothing published */
        /* HDF5 opens it as it is, no h5clear first (h5dump -H opens it plainly, not in SWMR mode). */
        if (!plain_open(path)) fail_msg("round %d (seed %u, %d us): h5dump -H refuses the killed run", round, seed, us);
        ip_run *run = NULL;
        ip_run_description d;
        if (ip_run_open_read(&run, path, 0) != IP_OK)
            fail_msg("round %d (seed %u, %d us): %s", round, seed, us, ip_error_message());
        assert_int_equal(ip_run_describe(run, &d), IP_OK);
        assert_true(d.last_epoch >= prev_last);
        prev_last = d.last_epoch;
        ip_run_describe_free(&d);
        ip_run_close(run);
        check_run(path, -1);
    }
    if (access(path, F_OK) != 0) skip(); /* every round killed before publishing: nothing to resume */
    /* Finish the run to epoch prev_last + 3 and check everything against the toy functions. */
    ip_run *run = NULL;
    toy_epoch t;
    int64_t step;
    int last;
    toy_alloc(&t, N_SAMPLES, UNITS);
    if (ip_run_open_resume(&run, path, t.params, N_PARAMS, t.m, t.v, N_OPT, &step, t.rng, &last) != IP_OK)
        fail_msg("resume (seed %u): %s", seed, ip_error_message());
    toy_epoch want;
    toy_alloc(&want, N_SAMPLES, UNITS);
    toy_fill(&want, last, N_SAMPLES, UNITS);
    assert_memory_equal(t.params, want.params, sizeof want.params);
    assert_memory_equal(t.rng, want.rng, sizeof want.rng);
    assert_int_equal(step, 100 * last);
    for (int e = last + 1; e <= last + 3; e++) assert_int_equal(toy_append(run, &t, e), IP_OK);
    assert_int_equal(ip_run_close(run), IP_OK);
    check_run(path, last + 3);
    toy_free(&t);
    toy_free(&want);
}

/* ---- the analysis tables ---- */

#define T_ROWS 64
#define T_ATTRS 10 /* more than 8: stored densely, as `analyze` writes them */

/* Writes est/layers (T_ROWS x 3) and est/pairs (T_ROWS / 2 x 2), every value v, with T_ATTRS
 * string attributes each, in one writable session. */
static int write_tables(const char *path, int v)
{
    static double data[T_ROWS * 3];
    static const char *cols[3] = {"a", "b", "c"};
    const char *keys[T_ATTRS], *vals[T_ATTRS];
    char kbuf[T_ATTRS][16], vbuf[32];
    for (int i = 0; i < T_ROWS * 3; i++) data[i] = v;
    snprintf(vbuf, sizeof vbuf, "%d", v);
    for (int i = 0; i < T_ATTRS; i++) {
        snprintf(kbuf[i], sizeof kbuf[i], "key%d", i);
        keys[i] = kbuf[i];
        vals[i] = vbuf;
    }
    ip_run *run = NULL;
    int rc = ip_run_open_read(&run, path, 1);
    if (rc == IP_OK) rc = ip_run_write_table(run, "est/layers", T_ROWS, 3, cols, data, T_ATTRS, keys, vals);
    if (rc == IP_OK) rc = ip_run_write_table(run, "est/pairs", T_ROWS / 2, 2, cols, data, T_ATTRS, keys, vals);
    int rc2 = ip_run_close(run);
    return rc != IP_OK ? rc : rc2;
}

/* The version v both tables hold (they must agree, and every value and attribute with them). */
static int read_tables(const char *path)
{
    ip_run *run = NULL;
    if (ip_run_open_read(&run, path, 0) != IP_OK) fail_msg("%s", ip_error_message());
    int v = -1;
    const char *names[2] = {"est/layers", "est/pairs"};
    for (int t = 0; t < 2; t++) {
        int rows, cols;
        double *data;
        char **cn, *attr;
        if (ip_run_read_table(run, names[t], &rows, &cols, &data, &cn) != IP_OK)
            fail_msg("%s: table %s: %s", path, names[t], ip_error_message());
        assert_int_equal(rows, t ? T_ROWS / 2 : T_ROWS);
        if (t == 0) v = (int)data[0];
        for (int i = 0; i < rows * cols; i++)
            if (data[i] != v) fail_msg("%s: %s[%d] = %g, expected %d", path, names[t], i, data[i], v);
        assert_int_equal(ip_run_read_table_attr(run, names[t], "key9", &attr), IP_OK);
        assert_int_equal(atoi(attr), v);
        free(attr);
        free(data);
        ip_run_strings_free(cn, cols);
    }
    assert_int_equal(ip_run_close(run), IP_OK);
    return v;
}

/* A child replaces the tables session after session (an `analyze` rerun again and again); the
 * parent kills it at a random moment. Afterwards the file opens plainly and holds one
 * session's tables whole: the previous ones or the new ones, never a mixture, never none (the
 * root group's link to /analysis is replaced in one block write). */
static void test_sigkill_tables(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "tables.h5");
    assert_int_equal(toy_write(path, 6, 0), IP_OK);
    if (write_tables(path, 1) != IP_OK) fail_msg("%s", ip_error_message());
    assert_int_equal(read_tables(path), 1);
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    int rounds = ip_test_slow_env() ? 8 : 40, prev = 1, moved = 0;
    for (int round = 0; round < rounds; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            for (int v = prev + 1;; v++) {
                if (write_tables(path, v) != IP_OK) {
                    fprintf(stderr, "child: %s\n", ip_error_message());
                    _exit(3);
                }
                if (v == prev + 1 && write(fds[1], "r", 1) != 1) _exit(4);
            }
        }
        close(fds[1]);
        char c;
        int us = rand() % (ip_test_slow_env() ? 60000 : 20000);
        if (round % 2 == 0 && read(fds[0], &c, 1) != 1) fail_msg("round %d: the child failed", round);
        usleep((useconds_t)us); /* odd rounds: from the start, through opening and copying */
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        close(fds[0]);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("round %d (seed %u): the child ended by itself (status %d)", round, seed, status);
        if (!plain_open(path)) fail_msg("round %d (seed %u, %d us): h5dump -H refuses the file", round, seed, us);
        int v = read_tables(path);
        if (v < prev) fail_msg("round %d (seed %u): tables of session %d after session %d", round, seed, v, prev);
        moved += v > prev;
        prev = v;
        check_run(path, 6);
    }
    if (moved < rounds / 4) fail_msg("only %d of %d rounds committed new tables (seed %u)", moved, rounds, seed);
}

/* ---- files an older infoplane left, and files edited by hand ---- */

/* A SWMR writer killed while it had the file open, as infoplane before its own file driver left
 * every killed run (h5py here): "open for writing" in the superblock, which h5py and h5dump
 * refuse. Any infoplane open -- a read-only one too -- clears it first (before, a read-only open
 * just read in SWMR mode and left the mark). */
static void test_repairs_marked_file(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "marked.h5");
    assert_int_equal(toy_write(path, 4, 0), IP_OK);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import h5py, os; f = h5py.File('%s', 'a', libver='latest'); "
                              "f.swmr_mode = True; f.flush(); os.kill(os.getpid(), 9)\" >/dev/null 2>&1", path);
    if (system(cmd) == 0) fail_msg("the h5py writer was not killed: %s", cmd);
    if (plain_open(path)) fail_msg("%s: the killed h5py writer left no mark; nothing to repair", path);
    check_run(path, 4);
    if (!plain_open(path)) fail_msg("%s: still marked after infoplane opened it", path);
}

/* A layer stored as another type than float32, and /epochs not strictly ascending, are refused
 * when the run is opened, with a message naming the file and the dataset (before, HDF5 converted
 * the type and the rows were taken for the wrong epochs, without a word). */
static void test_refuses_bad_layout(void **state)
{
    (void)state;
    char path[300], code[600];
    ip_run *run = NULL;
    const char *types[] = {"int8", "float64", "uint16"};
    for (int i = 0; i < 3; i++) {
        path_in(path, sizeof path, types[i]);
        strcat(path, ".h5");
        assert_int_equal(toy_write(path, 4, 0), IP_OK);
        snprintf(code, sizeof code,
                 "f = h5py.File(p, 'r+'); d = f['layers/layer2']; x = d[()]; a = dict(d.attrs); "
                 "del f['layers/layer2']; n = f['layers'].create_dataset('layer2', data=x.astype('%s'), "
                 "maxshape=(None,) + x.shape[1:], chunks=(1,) + x.shape[1:]); n.attrs.update(a)",
                 types[i]);
        h5py_edit(path, code);
        assert_int_not_equal(ip_run_open_read(&run, path, 0), IP_OK);
        assert_null(run);
        const char *m = ip_error_message();
        if (!strstr(m, path) || !strstr(m, "/layers/layer2") || !strstr(m, types[i]) || !strstr(m, "float32"))
            fail_msg("message: %s", m);
    }
    /* Recorded epochs 0 1 2 4: swapped, then repeated. */
    const char *orders[] = {"[0, 2, 1, 4]", "[0, 1, 1, 4]"};
    for (int i = 0; i < 2; i++) {
        path_in(path, sizeof path, i ? "repeated.h5" : "swapped.h5");
        assert_int_equal(toy_write(path, 4, 0), IP_OK);
        snprintf(code, sizeof code, "f = h5py.File(p, 'r+'); f['epochs'][:4] = np.array(%s)", orders[i]);
        h5py_edit(path, code);
        assert_int_not_equal(ip_run_open_read(&run, path, 0), IP_OK);
        const char *m = ip_error_message();
        if (!strstr(m, path) || !strstr(m, "/epochs") || !strstr(m, "not strictly ascending")) fail_msg("message: %s", m);
    }
    /* The same edits that keep the layout valid are accepted: a float32 layer rewritten by h5py. */
    path_in(path, sizeof path, "rewritten.h5");
    assert_int_equal(toy_write(path, 4, 0), IP_OK);
    h5py_edit(path, "f = h5py.File(p, 'r+'); d = f['layers/layer2']; x = d[()]; a = dict(d.attrs); "
                    "del f['layers/layer2']; n = f['layers'].create_dataset('layer2', data=x, maxshape=(None,) + "
                    "x.shape[1:], chunks=(1,) + x.shape[1:]); n.attrs.update(a)");
    check_run(path, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sigkill, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_sigkill_tables, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_repairs_marked_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refuses_bad_layout, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
