/* Placeholder for 'infoplane sweep' until its module lands: says so and fails. */
#include "commands.h"

int cmd_sweep(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'sweep' is not available in this build yet");
}
