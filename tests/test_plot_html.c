/* The run page (index.html) in a real browser: headless Chromium must render it to a
 * screenshot, and every figure on it must load (the page's small script counts loaded and
 * broken images into <body data-images-*>; a deliberately broken image proves the count
 * notices). Chromium is required: Debian package `chromium`. */
#include "testutil.h"
#include "test_plot_util.h"

#include "core/status.h"
#include "plot/plot.h"

static const char *chromium(void)
{
    static char path[512];
    const char *env = getenv("IP_CHROMIUM");
    if (env && *env) return env;
    const char *names[] = {"chromium", "chromium-browser", "google-chrome"};
    for (int i = 0; i < 3; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", names[i]);
        if (system(cmd) == 0) {
            snprintf(path, sizeof path, "%s", names[i]);
            return path;
        }
    }
    fail_msg("headless Chromium is needed to check index.html: install it with "
             "'apt-get install -y chromium' (or set IP_CHROMIUM)");
    return NULL;
}

/* Run Chromium headless on file://page with `action` ("--screenshot=F" or "--dump-dom"),
 * stdout to out_file. The flags keep it offline and quiet; a fresh profile per run. */
static void run_chromium(const char *action, const char *page, const char *out_file)
{
    char profile[] = "/tmp/ip-test-chromium-XXXXXX";
    if (!mkdtemp(profile)) fail_msg("mkdtemp failed");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --disable-extensions "
             "--disable-dev-shm-usage --user-data-dir=%s --window-size=1200,1600 --virtual-time-budget=4000 "
             "%s 'file://%s' > '%s' 2>/dev/null",
             chromium(), profile, action, page, out_file);
    int rc = system(cmd);
    rm_tree(profile);
    if (rc != 0) fail_msg("chromium failed (status %d): %s", rc, cmd);
}

static void test_index_html_in_chromium(void **state)
{
    (void)state;
    const char *fx[] = {"tanh_seed1"};
    char *dir = scratch_with(fx, 1), run[512], page[600], p[700];
    snprintf(run, sizeof run, "%s/tanh_seed1", dir);
    ip_plot_options o;
    ip_plot_options_default(&o);
    o.estimators = "logdet";
    o.max_frames = 8;
    if (ip_test_valgrind()) o.figures = IP_FIG_PLANE | IP_FIG_CURVES | IP_FIG_HTML;
    int rc = ip_plot_run(run, &o, NULL);
    if (rc) fail_msg("%s", ip_error_message());
    snprintf(page, sizeof page, "%s/index.html", run);

    /* 1. the page renders */
    snprintf(p, sizeof p, "%s/shot.png", dir);
    char action[800];
    snprintf(action, sizeof action, "--screenshot=%s", p);
    run_chromium(action, page, "/dev/null");
    assert_png(p, 1200, 1600);

    /* 2. every image loads: a copy of the page with one extra image that cannot load, so the
     * same run shows the counter works (broken = 1) and the real figures all loaded. */
    long n = 0;
    char *html = (char *)slurp(page, &n);
    assert_non_null(html);
    int n_img = 0;
    for (char *s = strstr(html, "<img "); s; s = strstr(s + 1, "<img ")) n_img++;
    assert_true(n_img >= (ip_test_valgrind() ? 2 : 6)); /* figures incl. the GIF */
    char *body = strstr(html, "<body>");
    assert_non_null(body);
    char check[700];
    snprintf(check, sizeof check, "%s/check.html", run);
    FILE *f = fopen(check, "w");
    assert_non_null(f);
    fwrite(html, 1, (size_t)(body - html) + 6, f);
    fputs("<img src=\"figures/no-such-figure.png\" alt=\"deliberately missing\">", f);
    fputs(body + 6, f);
    fclose(f);
    free(html);
    char dom[700];
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    run_chromium("--dump-dom", check, dom);
    char *d = (char *)slurp(dom, NULL);
    assert_non_null(d);
    char want[128];
    snprintf(want, sizeof want, "data-images-loaded=\"%d\" data-images-broken=\"1\"", n_img);
    if (!strstr(d, want)) {
        char *b = strstr(d, "<body");
        fail_msg("expected <body %s>, got: %.200s", want, b ? b : d);
    }
    free(d);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_index_html_in_chromium)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
