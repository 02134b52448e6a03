/* Parsing of the arguments `train` and `run` share (see run_args.h). */
#include "run_args.h"
#include "commands.h"

#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void default_out_dir(char *out, size_t n, const char *config_path)
{
    const char *base = strrchr(config_path, '/');
    base = base ? base + 1 : config_path;
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".yaml")) len -= 5;
    else if (len > 4 && !strcmp(base + len - 4, ".yml")) len -= 4;
    snprintf(out, n, "runs/%.*s", (int)len, base);
}

int cli_parse_run_args(int argc, char **argv, cli_run_args *a, int allow_resume)
{
    memset(a, 0, sizeof *a);
    a->sets = calloc((size_t)argc + 1, sizeof(char *)); /* + analysis.online=true */
    if (!a->sets) return cli_error("out of memory");
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--out") || !strcmp(arg, "-o")) {
            if (++i >= argc) return cli_error("%s: --out needs a directory", argv[0]);
            snprintf(a->out_dir, sizeof a->out_dir, "%s", argv[i]);
        } else if (!strncmp(arg, "--out=", 6)) {
            snprintf(a->out_dir, sizeof a->out_dir, "%s", arg + 6);
        } else if (!strcmp(arg, "--set")) {
            if (++i >= argc) return cli_error("%s: --set needs key=value", argv[0]);
            a->sets[a->n_sets++] = argv[i];
        } else if (!strncmp(arg, "--set=", 6)) {
            a->sets[a->n_sets++] = (char *)arg + 6;
        } else if (allow_resume && !strcmp(arg, "--resume")) {
            a->resume = 1;
        } else if (!strcmp(arg, "--online") && !strcmp(argv[0], "run")) {
            a->online = 1;
        } else if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q")) {
            a->quiet = 1;
        } else if (arg[0] == '-' && arg[1]) {
            return cli_error("%s: unknown option '%s'", argv[0], arg);
        } else if (!a->config_path) {
            a->config_path = arg;
        } else {
            return cli_error("%s: unexpected argument '%s' (one CONFIG.yaml is expected)", argv[0], arg);
        }
    }
    if (!a->config_path)
        return cli_error("usage: infoplane %s CONFIG.yaml [--out DIR] [--set key=value ...]%s%s", argv[0],
                         allow_resume ? " [--resume]" : "", !strcmp(argv[0], "run") ? " [--online]" : "");
    if (!a->out_dir[0]) default_out_dir(a->out_dir, sizeof a->out_dir, a->config_path);
    if (a->online) a->sets[a->n_sets++] = (char *)"analysis.online=true";
    return 0;
}

/* Appends text to out (cap bytes) at *n; what does not fit is left out, out stays terminated. */
static void put(char *out, size_t cap, size_t *n, const char *text, size_t len)
{
    if (*n + len < cap) {
        memcpy(out + *n, text, len);
        out[*n + len] = '\0';
    }
    *n += len;
}

/* " WORD": s as it is when it holds only characters no shell treats specially, else in single
 * quotes (a quote inside written '\''). */
static void shell_word(char *out, size_t cap, size_t *n, const char *s)
{
    int plain = *s != '\0';
    for (const char *c = s; *c && plain; c++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+./=,:@%", *c) != NULL;
    put(out, cap, n, plain ? " " : " '", plain ? 1 : 2);
    for (const char *c = s; *c; c++) put(out, cap, n, *c == '\'' && !plain ? "'\\''" : c, *c == '\'' && !plain ? 4 : 1);
    if (!plain) put(out, cap, n, "'", 1);
}

void cli_resume_command(const cli_run_args *a, const char *command, char *out, size_t cap)
{
    size_t n = 0;
    if (cap) out[0] = '\0';
    put(out, cap, &n, "infoplane ", 10);
    put(out, cap, &n, command, strlen(command));
    shell_word(out, cap, &n, a->config_path);
    shell_word(out, cap, &n, "--out");
    shell_word(out, cap, &n, a->out_dir);
    for (int i = 0; i < a->n_sets - (a->online ? 1 : 0); i++) {
        shell_word(out, cap, &n, "--set");
        shell_word(out, cap, &n, a->sets[i]);
    }
    if (a->online) shell_word(out, cap, &n, "--online");
    if (a->quiet) shell_word(out, cap, &n, "--quiet");
    shell_word(out, cap, &n, "--resume");
}

void cli_run_args_free(cli_run_args *a)
{
    free(a->sets);
    a->sets = NULL;
}

int cli_load_run_config(int argc, char **argv, int allow_resume, cli_run_args *a, ip_config *cfg)
{
    if (cli_parse_run_args(argc, argv, a, allow_resume) != 0) {
        cli_run_args_free(a);
        return 2;
    }
    if (ip_config_load(cfg, a->config_path, a->n_sets, a->sets) != IP_OK) {
        cli_run_args_free(a);
        return cli_error("%s", ip_error_message());
    }
    return 0;
}
