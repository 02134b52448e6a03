/* One function per infoplane command (cmd_NAME.c). Each parses its own arguments
 * (argv[0] is the command name), prints errors to stderr and returns the exit status. */
#ifndef IP_COMMANDS_H
#define IP_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_entropy(int argc, char **argv);
int cmd_mi(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

/* Print "infoplane: MESSAGE" to stderr (for the library's ip_error_message()) and return 1. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
