/* `infoplane run CONFIG.yaml [--out DIR] [--set key=value ...]`: the whole pipeline,
 * train (which records) -> analyze (the configured estimators) -> plot, in one go.
 * It composes the three commands through their own entry points, so it behaves exactly
 * as running them one after the other. */
#include "commands.h"
#include "run_args.h"

#include "core/status.h"
#include "train/train.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_run(int argc, char **argv)
{
    cli_run_args a;
    ip_config cfg;
    int load_status = cli_load_run_config(argc, argv, 1, &a, &cfg);
    if (load_status != 0) return load_status;
    int status = 1;
    ip_train_options opt = {.out_dir = a.out_dir, .resume = a.resume, .progress = isatty(2), .quiet = a.quiet};
    ip_epoch_metrics m = {0};
    if (!a.quiet) fprintf(stderr, "infoplane: [1/3] training %s into %s\n", a.config_path, a.out_dir);
    if (ip_train(&cfg, &opt, &m) != IP_OK) {
        cli_error("%s", ip_error_message());
        goto out;
    }

    char run_path[IP_PATH_LEN + 16], beta[64], estimators[IP_NAME_LEN * 8 + 8] = "";
    snprintf(run_path, sizeof run_path, "%s/run.h5", a.out_dir);
    for (int i = 0; i < cfg.analysis.n_estimators; i++) {
        if (i) strcat(estimators, ",");
        strcat(estimators, cfg.analysis.estimators[i]);
    }
    if (cfg.analysis.beta > 0) snprintf(beta, sizeof beta, "%.17g", cfg.analysis.beta);
    else snprintf(beta, sizeof beta, "auto");
    char *analyze_argv[] = {"analyze",  run_path, "--estimator", estimators, "--mode",
                            cfg.analysis.mode == IP_MODE_PEARSON ? "pearson" : "cov",
                            "--beta",   beta,     "--units",     cfg.analysis.bits ? "bits" : "nats",
                            a.quiet ? "--quiet" : NULL, NULL};
    if (!a.quiet) fprintf(stderr, "infoplane: [2/3] analyzing %s (%s)\n", run_path, estimators);
    if (cmd_analyze(a.quiet ? 11 : 10, analyze_argv) != 0) goto out;

    char *plot_argv[] = {"plot", a.out_dir, "--format", cfg.plot.format, NULL};
    if (!a.quiet) fprintf(stderr, "infoplane: [3/3] plotting into %s/figures\n", a.out_dir);
    if (cmd_plot(4, plot_argv) != 0) goto out;

    printf("final: epoch=%d train_loss=%.6f train_acc=%.4f test_loss=%.6f test_acc=%.4f\n", m.epoch,
           m.train_loss, m.train_acc, m.test_loss, m.test_acc);
    fprintf(stderr, "infoplane: information plane: %s/figures/plane_%s.%s\n", a.out_dir,
            cfg.analysis.estimators[0], cfg.plot.format);
    fprintf(stderr, "infoplane: report: %s/index.html\n", a.out_dir);
    status = 0;
out:
    ip_config_free(&cfg);
    cli_run_args_free(&a);
    return status;
}
