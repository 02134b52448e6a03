/* Placeholder for 'infoplane run' until its module lands: says so and fails. */
#include "commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'run' is not available in this build yet");
}
