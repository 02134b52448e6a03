/* `infoplane train CONFIG.yaml [--out DIR] [--set key=value ...] [--resume]`: trains and
 * records into DIR/run.h5; progress on stderr, one `final:` summary line on stdout. Stopped by
 * Ctrl-C or SIGTERM, it says which epochs the run holds and the command that continues it. */
#include "commands.h"
#include "run_args.h"
#include "steps.h"

#include "core/interrupt.h"
#include "core/status.h"
#include "train/train.h"

#include <stdio.h>
#include <unistd.h>

int cmd_train(int argc, char **argv)
{
    cli_run_args a;
    ip_config cfg;
    int load_status = cli_load_run_config(argc, argv, 1, &a, &cfg);
    if (load_status != 0) return load_status;
    ip_train_options opt = {.out_dir = a.out_dir, .resume = a.resume, .progress = isatty(2), .quiet = a.quiet};
    ip_epoch_metrics m = {0};
    ip_interrupt_install(); /* Ctrl-C, SIGTERM: stop at the next batch, say where, exit 130 / 143 */
    int rc = ip_train(&cfg, &opt, &m), status = 0;
    if (rc == IP_ERR_INTERRUPTED) {
        char resume[8192];
        cli_resume_command(&a, "train", resume, sizeof resume);
        cli_error("%s", ip_error_message());
        fprintf(stderr, "infoplane: continue it with:\n  %s\n", resume);
        status = cli_interrupt_status();
    } else if (rc != IP_OK) {
        status = cli_error("%s", ip_error_message());
    } else {
        cli_print_final(&m);
        fprintf(stderr, "infoplane: run written to %s/run.h5\n", a.out_dir);
    }
    ip_config_free(&cfg);
    cli_run_args_free(&a);
    return status;
}
