/* Placeholder for 'infoplane entropy' until its module lands: says so and fails. */
#include "commands.h"

int cmd_entropy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'entropy' is not available in this build yet");
}
