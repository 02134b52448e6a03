/* Arguments shared by `infoplane train` and `infoplane run`:
 * CONFIG.yaml [--out DIR] [--set key=value ...] [--resume] [--quiet]. */
#ifndef IP_RUN_ARGS_H
#define IP_RUN_ARGS_H

#include "config/config.h"

typedef struct {
    const char *config_path;
    char out_dir[IP_PATH_LEN];
    int n_sets;
    char **sets;   /* points into argv; the array itself is owned (free) */
    int resume, quiet;
    int online;    /* `run --online`: the same as --set analysis.online=true (the last of sets) */
} cli_run_args;

/* Parses argv (argv[0] is the command name). Prints the problem and returns non-zero on bad
 * usage. Default --out: runs/<config file name without .yaml>. */
int cli_parse_run_args(int argc, char **argv, cli_run_args *a, int allow_resume);
void cli_run_args_free(cli_run_args *a);

/* The command line that continues this run after an interruption: "infoplane COMMAND CONFIG
 * --out DIR [--set KEY=VALUE ...] [--quiet] --resume", each argument quoted for a POSIX shell where
 * it needs to be, into out (cap bytes). */
void cli_resume_command(const cli_run_args *a, const char *command, char *out, size_t cap);

/* Parses argv as above and loads the config it names with its --set overrides. Returns 0, or
 * the exit status after printing the problem (nothing is then left to free). On success the
 * caller frees both with cli_run_args_free and ip_config_free. */
int cli_load_run_config(int argc, char **argv, int allow_resume, cli_run_args *a, ip_config *cfg);

#endif
