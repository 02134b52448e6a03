/* `infoplane train CONFIG.yaml [--out DIR] [--set key=value ...] [--resume]`: trains and
 * records into DIR/run.h5; progress on stderr, one `final:` summary line on stdout. */
#include "commands.h"
#include "run_args.h"
#include "steps.h"

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
    int rc = ip_train(&cfg, &opt, &m);
    ip_config_free(&cfg);
    cli_run_args_free(&a);
    if (rc != IP_OK) return cli_error("%s", ip_error_message());
    cli_print_final(&m);
    fprintf(stderr, "infoplane: run written to %s/run.h5\n", a.out_dir);
    return 0;
}
