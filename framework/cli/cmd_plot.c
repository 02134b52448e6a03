/* Placeholder for 'infoplane plot' until its module lands: says so and fails. */
#include "commands.h"

int cmd_plot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'plot' is not available in this build yet");
}
