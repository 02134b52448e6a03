/* The information plane as text (plot/plot_text.c, the live view of `run` on a terminal): points
 * land in the cells their values say, the labels and ticks are there, each layer's newest point is
 * the one highlighted, NaN rows are skipped, and empty input, one point and a small buffer work. */
#include "testutil.h"

#include "plot/plot.h"

#define W 20
#define H 6
#define LINES (H + 5) /* title, y name, grid, axis, x ticks, legend */

static char out[8192];

/* Line i (0-based) of out, without its newline, into line. */
static void line_at(int i, char *line, size_t cap)
{
    const char *s = out;
    for (int k = 0; k < i; k++) {
        s = strchr(s, '\n');
        if (!s) fail_msg("no line %d in:\n%s", i, out);
        s++;
    }
    size_t n = strcspn(s, "\n");
    if (n >= cap) n = cap - 1;
    memcpy(line, s, n);
    line[n] = '\0';
}

/* The character of grid cell (row from the top, column). */
static char cell_at(int row, int col)
{
    char line[512];
    line_at(2 + row, line, sizeof line);
    const char *bar = strchr(line, '|');
    if (!bar || (int)strlen(bar + 1) != W) fail_msg("grid row %d malformed: '%s'", row, line);
    return bar[1 + col];
}

static int render(const double *rows, int n, int ansi)
{
    ip_plot_text_options o = {.width = W, .height = H, .title = "TITLE epoch 7", .unit = "bits", .ansi = ansi};
    return ip_plot_text_plane(out, sizeof out, rows, n, 4, &o);
}

static void test_points_land_where_expected(void **state)
{
    (void)state;
    /* epoch, layer, I(X;T), I(T;Y): the corners and the centre of [0, 10] x [0, 2] */
    const double rows[] = {0, 1, 0, 0, 0, 2, 10, 2, 5, 1, 10, 0, 5, 2, 0, 2, 9, 3, 5, 1};
    assert_int_equal(render(rows, 5, 0), LINES);
    assert_int_equal(cell_at(H - 1, 0), '1');     /* (0, 0): bottom left */
    assert_int_equal(cell_at(0, W - 1), '2');     /* (10, 2): top right */
    assert_int_equal(cell_at(H - 1, W - 1), '1'); /* (10, 0): bottom right */
    assert_int_equal(cell_at(0, 0), '2');         /* (0, 2): top left */
    /* (5, 1): column round(0.5 * 19) = 10, row round(0.5 * 5) = 3 from the bottom = 2 from the top */
    assert_int_equal(cell_at(2, 10), '3');
    int marks = 0;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) marks += cell_at(r, c) != ' ';
    assert_int_equal(marks, 5);

    char line[512];
    line_at(0, line, sizeof line);
    assert_string_equal(line, "TITLE epoch 7");
    line_at(1, line, sizeof line);
    assert_non_null(strstr(line, "I(T;Y) [bits]"));
    line_at(2, line, sizeof line);
    assert_non_null(strstr(line, "2 |"));     /* the top tick: the largest I(T;Y) */
    line_at(2 + H - 1, line, sizeof line);
    assert_non_null(strstr(line, "0 |"));     /* the bottom tick */
    line_at(2 + H, line, sizeof line);
    assert_non_null(strstr(line, "+--------------------"));
    line_at(3 + H, line, sizeof line);
    char first[512];
    line_at(2, first, sizeof first);
    int col0 = (int)(strchr(first, '|') - first) + 1;
    assert_int_equal(line[col0], '0');          /* x minimum under the first column */
    assert_string_equal(line + col0 + W - 2, "10"); /* x maximum ending at the last */
    assert_non_null(strstr(line, "5"));          /* the middle */
    line_at(4 + H, line, sizeof line);
    assert_non_null(strstr(line, "I(X;T) [bits]"));
    assert_non_null(strstr(line, "1..3 = layers"));
    assert_null(strchr(out, '\033')); /* plain text without ansi */
}

static void test_newest_point_highlighted(void **state)
{
    (void)state;
    /* layer 1 moves right over three epochs (listed out of order); layer 2 stays */
    const double rows[] = {0, 1, 0, 0, 20, 1, 10, 1, 10, 1, 5, 0.5, 0, 2, 0, 1, 20, 2, 0, 1};
    assert_int_equal(render(rows, 5, 1), LINES);
    /* exactly one highlighted cell per layer: layer 1's epoch-20 point at the top right, layer 2's */
    int n = 0;
    for (const char *s = strstr(out, "\033[1;7m"); s; s = strstr(s + 1, "\033[1;7m")) n++;
    assert_int_equal(n, 2);
    char line[512];
    line_at(2, line, sizeof line);
    /* the top row: layer 2's newest at the left, layer 1's at the right, both highlighted */
    assert_non_null(strstr(line, "|\033[1;7m2\033[0m"));
    assert_non_null(strstr(line, "\033[1;7m1\033[0m"));
    assert_string_equal(line + strlen(line) - strlen("\033[1;7m1\033[0m"), "\033[1;7m1\033[0m");
    assert_non_null(strstr(out, "newest points highlighted"));
}

static void test_nan_skipped_and_later_on_top(void **state)
{
    (void)state;
    const double rows[] = {0, 1, NAN, 1, 1, 1, 1, NAN, 2, 1, 0, 0, 3, 1, 4, 2, 3, 2, 4, 2, 4, 0, 1e300 * 1e300, 1};
    assert_int_equal(render(rows, 6, 0), LINES);
    /* only the two finite points; the NaN/infinite ones changed neither the ranges nor the grid */
    assert_int_equal(cell_at(H - 1, 0), '1');
    assert_int_equal(cell_at(0, W - 1), '2'); /* layer 2's point drawn over layer 1's at (4, 2) */
    int marks = 0;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) marks += cell_at(r, c) != ' ';
    assert_int_equal(marks, 2);
}

static void test_empty_and_one_point(void **state)
{
    (void)state;
    assert_int_equal(render(NULL, 0, 1), LINES);
    assert_non_null(strstr(out, "no analysed epoch yet"));
    assert_null(strchr(out, '\033'));
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) assert_int_equal(cell_at(r, c), ' ');

    const double one[] = {3, 1, 2.5, 0.75};
    assert_int_equal(render(one, 1, 0), LINES);
    /* a zero span becomes a unit one around the point: x on [2, 3], y on [0.25, 1.25]; the point in
     * the middle cell (column round(9.5) = 10, row round(2.5) = 3 from the bottom) */
    assert_int_equal(cell_at(H - 1 - 3, 10), '1');
    assert_non_null(strstr(out, "1 = layer 1"));
    assert_non_null(strstr(out, "1.25 |"));
}

static void test_limits(void **state)
{
    (void)state;
    const double rows[] = {0, 1, 0, 0, 1, 1, 1, 1};
    char small[64];
    ip_plot_text_options o = {.width = W, .height = H};
    assert_int_equal(ip_plot_text_plane(small, sizeof small, rows, 2, 4, &o), -1);
    assert_string_equal(small, "");
    o.width = 3;
    assert_int_equal(ip_plot_text_plane(out, sizeof out, rows, 2, 4, &o), -1);
    o.width = W;
    assert_int_equal(ip_plot_text_plane(out, sizeof out, rows, 2, 3, &o), -1); /* stride < 4 */
    /* wider rows (the results' extra columns) and the default size */
    const double wide[] = {0, 1, 0, 0, 99, 5, 2, 1, 1, 99};
    assert_int_equal(ip_plot_text_plane(out, sizeof out, wide, 2, 5, NULL), 16 + 4); /* no title line */
    assert_non_null(strstr(out, "1..2 = layers"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_land_where_expected), cmocka_unit_test(test_newest_point_highlighted),
        cmocka_unit_test(test_nan_skipped_and_later_on_top), cmocka_unit_test(test_empty_and_one_point),
        cmocka_unit_test(test_limits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
