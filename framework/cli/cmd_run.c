/* `infoplane run CONFIG.yaml [--out DIR] [--set key=value ...]`: the whole pipeline,
 * train (which records) -> analyze (the configured estimators) -> plot, in one go. Each step
 * calls its typed entry point with options filled from the config (ip_train, then cli_analyze
 * and cli_plot of steps.h, which the analyze and plot commands use too), so it behaves exactly
 * as running the three commands one after the other with the config's settings. Stopped by Ctrl-C
 * or SIGTERM in any step, it says what is complete and the command that finishes the run. */
#include "commands.h"
#include "estimate/compression.h"
#include "online.h"
#include "run_args.h"
#include "steps.h"

#include "core/dirlock.h"
#include "core/interrupt.h"
#include "core/status.h"
#include "train/train.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* After a stop asked for by a signal: how to finish the run (`run --resume` goes on from what is
 * complete), and the exit status for the signal. */
static int stopped(const char *resume, const char *what_it_does)
{
    fprintf(stderr, "infoplane: finish it with%s:\n  %s\n", what_it_does, resume);
    return cli_interrupt_status();
}

int cmd_run(int argc, char **argv)
{
    cli_run_args a;
    ip_config cfg;
    int load_status = cli_load_run_config(argc, argv, 1, &a, &cfg);
    if (load_status != 0) return load_status;
    int status = 1, rc;
    cli_online *online = NULL;
    /* Held from training to the last figure, so no other infoplane writes into DIR in between
     * (train and analyze take it again: the same process may). */
    ip_dir_lock *dir_lock = NULL;
    if (ip_dir_lock_take(a.out_dir, !a.resume, &dir_lock) != IP_OK) {
        cli_error("%s", ip_error_message());
        goto out;
    }
    ip_train_options opt = {.out_dir = a.out_dir, .resume = a.resume, .progress = isatty(2), .quiet = a.quiet};
    /* analysis.online: the analysis runs as training records (online.h), and its step is skipped. */
    ip_train_hook hook;
    if (cfg.analysis.online) {
        if (cli_online_create(&online, &cfg, &hook) != IP_OK) {
            cli_error("%s: analysis: %s", cfg.source, ip_error_message());
            goto out;
        }
        opt.on_record = &hook;
        /* What the run shows meanwhile (live.h): the plane as text above the progress bar on a
         * terminal, and DIR/index.html reloading itself until the report below replaces it. */
        ip_plot_options live_popt;
        ip_plot_options_default(&live_popt);
        live_popt.width = cfg.plot.width;
        live_popt.height = cfg.plot.height;
        if (cli_online_live(online, &hook, opt.progress && !a.quiet, 1, &live_popt) != IP_OK) {
            cli_error("%s", ip_error_message());
            goto out;
        }
    }
    ip_epoch_metrics m = {0};
    char resume[8192];
    cli_resume_command(&a, "run", resume, sizeof resume);
    ip_interrupt_install(); /* Ctrl-C, SIGTERM: stop at the next safe point of any step, exit 130 / 143 */
    if (!a.quiet)
        fprintf(stderr, "infoplane: [1/3] training %s into %s%s\n", a.config_path, a.out_dir,
                online ? ", analysing while training" : "");
    if ((rc = ip_train(&cfg, &opt, &m)) != IP_OK) {
        cli_error("%s", ip_error_message());
        if (rc == IP_ERR_INTERRUPTED) status = stopped(resume, "");
        goto out;
    }
    if (ip_interrupt_pending()) {
        cli_error("%s/run.h5: training is complete (epochs 0 to %d); stopped by %s before the analysis", a.out_dir,
                  m.epoch, ip_interrupt_name(ip_interrupt_pending()));
        status = stopped(resume, " (training is complete: this only analyses and plots)");
        goto out;
    }

    char run_path[IP_PATH_LEN + 16], estimators[IP_NAME_LEN * 8 + 8] = "";
    snprintf(run_path, sizeof run_path, "%s/run.h5", a.out_dir);
    for (int i = 0; i < cfg.analysis.n_estimators; i++) {
        if (i) strcat(estimators, ",");
        strcat(estimators, cfg.analysis.estimators[i]);
    }
    ip_estimator settings[IP_EST_MAX_SETTINGS];
    int n_settings = 0;
    if (ip_estimator_choice_expand(&cfg.analysis.params, settings, &n_settings) != IP_OK) { /* checked at load */
        cli_error("%s: analysis: %s", cfg.source, ip_error_message());
        goto out;
    }
    ip_analyze_options aopt = {
        .n_settings = n_settings,
        .settings = settings,
        .bits = cfg.analysis.bits,
        .progress = a.quiet ? 0 : isatty(2) ? 1 : 2,
    };
    if (online) {
        if (!a.quiet) fprintf(stderr, "infoplane: [2/3] analysed while training (%s)\n", estimators);
        cli_online_report(online);
    } else {
        if (!a.quiet) fprintf(stderr, "infoplane: [2/3] analyzing %s (%s)\n", run_path, estimators);
    }
    if (!online && (rc = cli_analyze(run_path, &aopt)) != 0) {
        if (ip_interrupt_pending())
            status = stopped(resume, " (training is complete: this only analyses and plots)");
        goto out;
    }

    ip_plot_options popt;
    ip_plot_options_default(&popt);
    popt.compression_threshold = IP_COMPRESSION_THRESHOLD;
    if (cli_plot_format("plot.format", cfg.plot.format, &popt.format)) goto out;
    popt.width = cfg.plot.width;
    popt.height = cfg.plot.height;
    if (!cfg.plot.animation) popt.figures &= ~(unsigned)IP_FIG_ANIMATION; /* plot.animation: false */
    const char *runs[] = {a.out_dir};
    if (!a.quiet) fprintf(stderr, "infoplane: [3/3] plotting into %s/figures\n", a.out_dir);
    if (cli_plot(1, runs, &popt) != 0) {
        if (ip_interrupt_pending())
            status = stopped(resume, " (training and analysis are complete: this analyses again and plots)");
        goto out;
    }

    cli_print_final(&m);
    fprintf(stderr, "infoplane: information plane: %s/figures/plane_%s.%s\n", a.out_dir,
            cfg.analysis.estimators[0], cfg.plot.format);
    fprintf(stderr, "infoplane: report: %s/index.html\n", a.out_dir);
    status = 0;
out:
    cli_online_free(online);
    ip_dir_lock_release(dir_lock);
    ip_config_free(&cfg);
    cli_run_args_free(&a);
    return status;
}
