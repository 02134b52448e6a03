/* Placeholder for 'infoplane analyze' until its module lands: says so and fails. */
#include "commands.h"

int cmd_analyze(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("'analyze' is not available in this build yet");
}
