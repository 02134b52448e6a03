/* infoplane's entry point: dispatches to one function per command (see commands.h). */
#include "commands.h"
#include "core/version.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name, *usage;
    int (*run)(int, char **);
} commands[] = {
    {"run", "run CONFIG.yaml [--out DIR] [--set key=value ...]   train + record, analyze, plot", cmd_run},
    {"train", "train CONFIG.yaml [--out DIR] [--set key=value ...] [--resume]", cmd_train},
    {"analyze", "analyze RUN.h5 [--estimator logdet,binning,kde,renyi,ksg] [parameters] [--units bits|nats]",
     cmd_analyze},
    {"plot", "plot RUN_DIR [RUN_DIR ...] [--format png|pdf|svg] [--estimator NAME] [--out DIR]", cmd_plot},
    {"entropy", "entropy DATA [--estimator NAME] [parameters]          prints H in nats", cmd_entropy},
    {"mi", "mi DATA_A DATA_B [--estimator NAME] [parameters]      prints I in nats\n"
           "  infoplane mi SAMPLES.csv DIM_X DIM_Y [...]                      the same, bmi's convention",
     cmd_mi},
    {"info", "info RUN.h5                                           what a run holds", cmd_info},
    {"sweep", "sweep SWEEP.yaml [-j N] [--out DIR] [--status] [--collect] [--threshold T]\n"
              "                                                        a grid of runs over seeds, aggregated",
     cmd_sweep},
};

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("infoplane: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static void usage(FILE *f)
{
    fprintf(f, "infoplane %s: information-plane experiments on neural networks\n\nusage:\n", IP_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) fprintf(f, "  infoplane %s\n", commands[i].usage);
    fputs("\nDATA is a CSV file (one sample per row) or FILE.h5:/dataset. Estimator parameters: logdet\n"
          "--mode cov|pearson --beta B; binning --bins N --range layer|unit|LO:HI|width --width W; kde\n"
          "--noise VAR; renyi --alpha A --sigma S|auto; ksg --k K (`infoplane analyze --help`). See README.md.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("infoplane %s\n", IP_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "infoplane: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
