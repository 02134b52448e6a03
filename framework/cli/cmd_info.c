/* Placeholder for 'infoplane info' until its module lands: says so and fails. */
#include "commands.h"

int cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'info' is not available in this build yet");
}
