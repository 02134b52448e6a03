/* Tests of core/csv (the one CSV reader and writer) and core/fsutil's writing through a
 * temporary: tables with and without header, every error naming file, line and field, the
 * writer's exact bytes, its refusals, and that a failed or abandoned write leaves the old file. */
#include "testutil.h"

#include <dirent.h>

#include "core/csv.h"
#include "core/fsutil.h"
#include "core/status.h"

static char dir[] = "/tmp/ip_test_csv_XXXXXX";

static const char *in_dir(const char *name)
{
    static char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* How many names in dir contain "tmp" (temporaries left behind). */
static int temporaries(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, "tmp") != NULL;
    closedir(d);
    return n;
}

static void expect_error(int rc, const char *part)
{
    assert_int_not_equal(rc, IP_OK);
    if (!strstr(ip_error_message(), part)) fail_msg("expected '%s' in: %s", part, ip_error_message());
}

static void test_read_with_header(void **state)
{
    (void)state;
    ip_test_write_text(dir, "t.csv", "epoch, name ,value\r\n\n0,a,1.5\r\n  \n2,b , -3e-1\n");
    ip_csv t;
    assert_int_equal(ip_csv_read(&t, in_dir("t.csv"), IP_CSV_HEADER), IP_OK);
    assert_int_equal(t.n_cols, 3);
    assert_int_equal(t.n_rows, 2);
    assert_string_equal(t.header[1], "name");
    assert_int_equal(ip_csv_column(&t, "value"), 2);
    assert_int_equal(ip_csv_column(&t, "missing"), -1);
    assert_string_equal(ip_csv_cell(&t, 1, 1), "b");
    assert_int_equal(t.line[0], 3);
    assert_int_equal(t.line[1], 5);
    double v;
    assert_int_equal(ip_csv_number(&t, 1, 2, &v), IP_OK);
    assert_true(v == -0.3);
    expect_error(ip_csv_number(&t, 1, 1, &v), "t.csv: line 5, field 2 (name): 'b' is not a number");
    ip_csv_free(&t);
}

static void test_read_errors(void **state)
{
    (void)state;
    ip_csv t;
    ip_test_write_text(dir, "short.csv", "a,b,c\n1,2,3\n4,5\n");
    expect_error(ip_csv_read(&t, in_dir("short.csv"), IP_CSV_HEADER), "short.csv: line 3 has 2 fields, but the header has 3");
    expect_error(ip_csv_read(&t, in_dir("short.csv"), 0), "short.csv: line 3 has 2 fields, but the first row has 3");
    ip_test_write_text(dir, "blank.csv", " \n\n");
    expect_error(ip_csv_read(&t, in_dir("blank.csv"), IP_CSV_HEADER), "blank.csv: empty file");
    assert_int_equal(ip_csv_read(&t, in_dir("blank.csv"), 0), IP_OK); /* no rows is a table */
    assert_int_equal(t.n_rows, 0);
    ip_csv_free(&t);
    expect_error(ip_csv_read(&t, in_dir("nonexistent.csv"), 0), "nonexistent.csv: cannot open");
    FILE *f = fopen(in_dir("nul.csv"), "wb");
    assert_non_null(f);
    fwrite("1,2\n\0,3\n", 1, 8, f);
    fclose(f);
    expect_error(ip_csv_read(&t, in_dir("nul.csv"), 0), "nul.csv: not a text file");
    ip_csv_free(&t); /* safe after a failure */
}

static void test_matrix_round_trip(void **state)
{
    (void)state;
    const double a[6] = {1.0 / 3, -2e-300, 12345678.9, 0.1, -0.0, 6.02214076e23};
    assert_int_equal(ip_csv_write_matrix(in_dir("m.csv"), a, 2, 3, 3), IP_OK);
    double *b = NULL;
    int rows, cols;
    assert_int_equal(ip_csv_read_matrix(in_dir("m.csv"), &b, &rows, &cols), IP_OK);
    assert_int_equal(rows, 2);
    assert_int_equal(cols, 3);
    assert_memory_equal(a, b, sizeof a); /* 17 digits: the same doubles, bit for bit */
    free(b);
    char text[256];
    ip_test_slurp(in_dir("m.csv"), text, sizeof text);
    assert_string_equal(text, "0.33333333333333331,-2.0000000000000001e-300,12345678.9\n"
                              "0.10000000000000001,-0,6.0221407599999999e+23\n");
    ip_test_write_text(dir, "nan.csv", "1,2\n3,inf\n");
    expect_error(ip_csv_read_matrix(in_dir("nan.csv"), &b, &rows, &cols), "nan.csv: line 2, field 2: not a finite number");
    ip_test_write_text(dir, "empty.csv", "");
    expect_error(ip_csv_read_matrix(in_dir("empty.csv"), &b, &rows, &cols), "empty.csv: no data");
    assert_int_equal(temporaries(), 0);
}

static void test_writer(void **state)
{
    (void)state;
    const char *cols[] = {"name", "epoch", "value"};
    ip_csv_writer w;
    ip_test_write_text(dir, "w.csv", "old\n");
    assert_int_equal(ip_csv_writer_open(&w, in_dir("w.csv"), 3, cols), IP_OK);
    ip_csv_put_text(&w, "logdet"), ip_csv_put_int(&w, 7), ip_csv_put_real(&w, 0.1, 12);
    ip_csv_put_text(&w, "x"), ip_csv_put_int(&w, -1), ip_csv_put_real(&w, 1.0 / 3, 17);
    char text[256];
    ip_test_slurp(in_dir("w.csv"), text, sizeof text);
    assert_string_equal(text, "old\n"); /* nothing visible before the commit */
    assert_int_equal(ip_csv_writer_commit(&w), IP_OK);
    ip_test_slurp(in_dir("w.csv"), text, sizeof text);
    assert_string_equal(text, "name,epoch,value\nlogdet,7,0.1\nx,-1,0.33333333333333331\n");

    /* rows copied from a table read back come out as they went in */
    ip_csv t;
    assert_int_equal(ip_csv_read(&t, in_dir("w.csv"), IP_CSV_HEADER), IP_OK);
    assert_int_equal(ip_csv_writer_open(&w, in_dir("copy.csv"), 3, (const char *const *)t.header), IP_OK);
    for (int r = 0; r < t.n_rows; r++) ip_csv_put_row(&w, &t, r);
    assert_int_equal(ip_csv_writer_commit(&w), IP_OK);
    ip_csv_free(&t);
    char copy[256];
    ip_test_slurp(in_dir("copy.csv"), copy, sizeof copy);
    assert_string_equal(copy, text);

    /* an incomplete row or a field with a comma is refused, and the old file stays */
    assert_int_equal(ip_csv_writer_open(&w, in_dir("w.csv"), 3, cols), IP_OK);
    ip_csv_put_text(&w, "a"), ip_csv_put_int(&w, 1);
    expect_error(ip_csv_writer_commit(&w), "w.csv: row 1 is incomplete");
    assert_int_equal(ip_csv_writer_open(&w, in_dir("w.csv"), 3, cols), IP_OK);
    ip_csv_put_text(&w, "a,b"), ip_csv_put_int(&w, 1), ip_csv_put_int(&w, 2);
    expect_error(ip_csv_writer_commit(&w), "w.csv: a field holds a comma");
    assert_int_equal(ip_csv_writer_open(&w, in_dir("w.csv"), 3, cols), IP_OK);
    ip_csv_put_text(&w, "a"), ip_csv_put_int(&w, 1), ip_csv_put_int(&w, 2);
    ip_csv_writer_abandon(&w);
    ip_csv_writer_abandon(&w); /* twice is harmless */
    ip_test_slurp(in_dir("w.csv"), copy, sizeof copy);
    assert_string_equal(copy, text);
    assert_int_equal(temporaries(), 0);
}

/* Setting names: the fewest digits that read back exactly, no exponent where the integer part fits. */
static void test_number_text(void **state)
{
    (void)state;
    char b[32];
    static const double v[] = {0.1, 3000, 1200, 120000, 1e-5, 0.07, 1.01, 1.0 / 3, 2.5e20, -0.25, 0, 100.5};
    static const char *const want[] = {"0.1", "3000", "1200", "120000", "1e-05", "0.07", "1.01",
                                       "0.3333333333333333", "2.5e+20", "-0.25", "0", "100.5"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_string_equal(ip_number_text(b, sizeof b, v[i]), want[i]);
        assert_true(strtod(b, NULL) == v[i]);
    }
}

static void test_atomic_file(void **state)
{
    (void)state;
    assert_int_equal(ip_write_file_atomic(in_dir("a.txt"), "hello\n", 6), IP_OK);
    assert_true(ip_is_file(in_dir("a.txt")));
    assert_false(ip_is_dir(in_dir("a.txt")));
    assert_true(ip_is_dir(dir));
    assert_false(ip_is_file(dir));
    assert_false(ip_is_file(in_dir("none")));
    assert_false(ip_is_dir(in_dir("none")));
    /* a target that cannot be replaced (a directory): the error names it, no temporary stays */
    assert_int_equal(ip_mkdir_p(in_dir("sub/dir")), IP_OK);
    expect_error(ip_write_file_atomic(in_dir("sub/dir"), "x", 1), "sub/dir: cannot rename");
    expect_error(ip_write_file_atomic(in_dir("missing/x.txt"), "x", 1), "missing/x.txt.tmp");
    assert_int_equal(temporaries(), 0);
    char text[64];
    ip_test_slurp(in_dir("a.txt"), text, sizeof text);
    assert_string_equal(text, "hello\n");
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_with_header), cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_matrix_round_trip), cmocka_unit_test(test_writer),
        cmocka_unit_test(test_atomic_file), cmocka_unit_test(test_number_text),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return failed;
}
