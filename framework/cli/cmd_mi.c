/* Placeholder for 'infoplane mi' until its module lands: says so and fails. */
#include "commands.h"

int cmd_mi(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'mi' is not available in this build yet");
}
