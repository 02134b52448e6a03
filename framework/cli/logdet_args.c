/* Parsing of --mode and --beta for the estimator commands (see logdet_args.h). */
#include "logdet_args.h"
#include "commands.h"

#include "core/status.h"
#include "estimate/logdet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_logdet_option(int argc, char **argv, int *i, ip_logdet_mode *mode, double *beta)
{
    if (*i + 1 >= argc) return 0;
    if (!strcmp(argv[*i], "--mode")) {
        if (ip_logdet_mode_parse(argv[++*i], mode) != IP_OK) {
            cli_error("--mode: %s", ip_error_message());
            return -1;
        }
        return 1;
    }
    if (!strcmp(argv[*i], "--beta")) {
        char *end;
        const char *v = argv[++*i];
        *beta = strtod(v, &end);
        if (*end || end == v || !(*beta > 0) || !isfinite(*beta)) {
            cli_error("--beta must be a positive number, got '%s'", v);
            return -1;
        }
        return 1;
    }
    return 0;
}
