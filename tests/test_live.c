/* What `infoplane run --online` shows while it trains (cli/live.c, plot/plot_live.c):
 *   - on a terminal (a pseudo-terminal made by util-linux `script`), the information plane as
 *     text above the progress bar: axis names, the layers' digits, highlighted newest points,
 *     redrawn with cursor movements; with --quiet, or when stderr is a file, no escape code at all
 *     (the second checked on the run of the report test);
 *   - DIR/index.html during the run reloads itself and every figure it names is on disk under
 *     that name, as headless Chromium sees it (every image loads); after the run the report has
 *     no refresh and the live figures are gone; a run stopped by SIGTERM leaves a page that no
 *     longer reloads, showing its last live figure.
 * `script` (util-linux) and Chromium are looked for; a test whose program is missing reports
 * itself skipped. */
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <time.h>

#include "test_run_util.h"

/* Small and quick: the Tishby network on 300 analysis samples, LogDet, SVG figures. */
#define TINY                                                                                                    \
    "configs/demo_tishby.yaml --set record.samples=300 --set record.test_samples=0 --set plot.format=svg "      \
    "--set analysis.estimators=[logdet] --set train.threads=2 --online"

static int have(const char *program)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", program);
    return system(cmd) == 0;
}

static char *slurp_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* `infoplane ARGS` under `script` on a 100 x 40 pseudo-terminal; its terminal output into out. */
static int run_in_pty(const char *args, char **out)
{
    char path[1300], cmd[6000];
    snprintf(path, sizeof path, "%s/pty.out", run_dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && script -qfec \"stty cols 100 rows 40; exec %s %s\" /dev/null < /dev/null > '%s' 2>&1",
             run_repo, ip_test_cli(), args, path);
    int st = system(cmd);
    *out = slurp_text(path);
    if (!*out) fail_msg("no output from: %s", cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_live_view_in_a_terminal(void **state)
{
    (void)state;
    if (!have("script")) skip(); /* util-linux */
    char *out = NULL, args[2000];
    snprintf(args, sizeof args, "run " TINY " --set train.epochs=40 --out %s/pty", run_dir);
    int rc = run_in_pty(args, &out);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    expect_text(out, "Information plane, logdet (cov, beta = ");
    expect_text(out, "I(T;Y) [bits]");
    expect_text(out, "I(X;T) [bits]");
    expect_text(out, "1..6 = layers, newest points highlighted");
    expect_text(out, "\033[1;7m6\033[0m"); /* the output layer's newest point, highlighted */
    expect_text(out, "\033[1;7m1\033[0m"); /* the first layer's */
    expect_text(out, "\033[2K");           /* lines cleared and redrawn ... */
    expect_text(out, "A\033[2K");          /* ... after moving the cursor up */
    expect_text(out, "epoch 40/40");
    /* the last view drawn holds every layer's digit on its grid, and the last epoch */
    const char *last = out, *p;
    while ((p = strstr(last + 1, "Information plane, logdet"))) last = p;
    expect_text(last, "epoch 40 (");
    for (char d = '1'; d <= '6'; d++) {
        char mark[2] = {d, 0};
        const char *grid = strstr(last, " |");
        if (!grid || !strstr(grid, mark)) fail_msg("no layer %c in the last view:\n%s", d, last);
    }
    free(out);

    /* --quiet on a terminal: nothing drawn, no escape code */
    snprintf(args, sizeof args, "run " TINY " --set train.epochs=5 --quiet --out %s/pty_quiet", run_dir);
    rc = run_in_pty(args, &out);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    if (strchr(out, '\033')) fail_msg("escape codes with --quiet:\n%s", out);
    free(out);
}

/* ---- the refreshing report ---- */

static const char *chromium(void)
{
    const char *env = getenv("IP_CHROMIUM");
    if (env && *env) return env;
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", NULL};
    for (int i = 0; names[i]; i++)
        if (have(names[i])) return names[i];
    return NULL;
}

/* The page as Chromium builds it (its script has counted the images that loaded); NULL when
 * Chromium failed. */
static char *dump_dom(const char *page)
{
    char profile[] = "/tmp/ip-test-chromium-XXXXXX", out[1300], cmd[4096];
    if (!mkdtemp(profile)) fail_msg("mkdtemp failed");
    snprintf(out, sizeof out, "%s/dom.html", run_dir);
    snprintf(cmd, sizeof cmd,
             "%s --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
             "--disable-component-update --disable-sync --disable-extensions --disable-dev-shm-usage "
             "--user-data-dir=%s --dump-dom 'file://%s' > '%s' 2>/dev/null; rm -rf '%s'",
             chromium(), profile, page, out, profile);
    if (system(cmd) != 0) return NULL;
    return slurp_text(out);
}

/* The run directory's live figures (figures/live/plane_logdet.vN.png) */
static int live_figures(const char *dir)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/figures/live", dir);
    DIR *d = opendir(p);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".v") && strstr(e->d_name, ".png") && !strstr(e->d_name, "partial");
    closedir(d);
    return n;
}

/* Waits until the run's page names a live figure; returns the page's text. */
static char *wait_live_page(const char *dir, int seconds)
{
    char page[1400];
    snprintf(page, sizeof page, "%s/index.html", dir);
    for (int i = 0; i < seconds * 20; i++) {
        char *html = slurp_text(page);
        if (html && strstr(html, "figures/live/plane_logdet.v")) return html;
        free(html);
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    fail_msg("%s never named a live figure", page);
    return NULL;
}

/* Every <img src="..."> of html exists in dir; returns how many. */
static int images_on_disk(const char *html, const char *dir)
{
    int n = 0;
    for (const char *s = strstr(html, "<img src=\""); s; s = strstr(s + 1, "<img src=\"")) {
        char src[512], p[2000];
        sscanf(s + 10, "%511[^\"]", src);
        snprintf(p, sizeof p, "%s/%s", dir, src);
        if (!ip_test_is_dir(dir) || access(p, R_OK) != 0) fail_msg("the page names %s, which is not on disk", src);
        n++;
    }
    return n;
}

static pid_t start_slow(const char *name, const char *dir, int epochs)
{
    char cmd[4000];
    snprintf(cmd, sizeof cmd, "IP_ONLINE_TEST_DELAY_MS=150 exec %s run " TINY " --set train.epochs=%d --out %s",
             ip_test_cli(), epochs, dir);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return run_spawn(name, argv);
}

static void test_refreshing_report_in_chromium(void **state)
{
    (void)state;
    if (!chromium()) skip();
    char dir[1300], page[1400];
    snprintf(dir, sizeof dir, "%s/report", run_dir);
    snprintf(page, sizeof page, "%s/index.html", dir);
    pid_t pid = start_slow("report", dir, 40);
    char *html = wait_live_page(dir, 60);
    expect_text(html, "<meta http-equiv=\"refresh\" content=\"3\">");
    free(html);

    /* What the browser shows during the run: every image it names loads, i.e. is on disk under
     * the versioned name the page gave it at that moment. The run is held still meanwhile
     * (SIGSTOP), so it cannot end and put its report in place while Chromium loads the page. */
    kill(pid, SIGSTOP);
    char *dom = dump_dom(page);
    kill(pid, SIGCONT);
    if (!dom) fail_msg("chromium --dump-dom failed on %s", page);
    expect_text(dom, "http-equiv=\"refresh\"");
    expect_text(dom, "src=\"figures/live/plane_logdet.v");
    if (!strstr(dom, "data-images-loaded=\"1\" data-images-broken=\"0\"")) {
        char *b = strstr(dom, "<body");
        fail_msg("the live figure did not load in Chromium: %.300s", b ? b : dom);
    }
    assert_int_equal(images_on_disk(dom, dir), 1);
    free(dom);
    int status = run_finish(pid);
    char err[1 << 14], p[1400];
    snprintf(p, sizeof p, "%s/report.err", run_dir);
    ip_test_slurp(p, err, sizeof err);
    if (status != 0) fail_msg("exit %d:\n%s", status, err);
    /* stderr was a file: plain progress lines, no live view, no escape code */
    expect_text(err, "epoch 40/40");
    if (strchr(err, '\033') || strstr(err, "I(T;Y)")) fail_msg("a live view without a terminal:\n%s", err);

    /* The run's report: no refresh, its own figures, the live ones gone. */
    html = slurp_text(page);
    assert_non_null(html);
    if (strstr(html, "http-equiv=\"refresh\"") || strstr(html, "figures/live/")) fail_msg("the final page still reloads:\n%.600s", html);
    expect_text(html, "figures/plane_logdet.svg");
    assert_true(images_on_disk(html, dir) >= 3);
    free(html);
    assert_int_equal(live_figures(dir), 0);
}

static void test_stopped_run_keeps_a_still_page(void **state)
{
    (void)state;
    char dir[1300], page[1400];
    snprintf(dir, sizeof dir, "%s/stopped", run_dir);
    snprintf(page, sizeof page, "%s/index.html", dir);
    pid_t pid = start_slow("stopped", dir, 400);
    free(wait_live_page(dir, 60));
    kill(pid, SIGTERM);
    assert_int_equal(run_finish(pid), 143);
    char *html = slurp_text(page);
    assert_non_null(html);
    if (strstr(html, "http-equiv=\"refresh\"")) fail_msg("a stopped run's page still reloads:\n%.600s", html);
    expect_text(html, "This run ended before its report was made");
    assert_int_equal(images_on_disk(html, dir), 1); /* the last live figure stays */
    free(html);
}

int main(void)
{
    (void)run_cli; /* of the shared helpers, this file spawns its runs itself */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_view_in_a_terminal),
        cmocka_unit_test(test_refreshing_report_in_chromium),
        cmocka_unit_test(test_stopped_run_keeps_a_still_page),
    };
    return cmocka_run_group_tests(tests, run_setup, run_teardown);
}
