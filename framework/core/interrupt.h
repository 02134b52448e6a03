/* Ctrl-C (SIGINT) and SIGTERM as a request to stop at the next safe point rather than at once.
 * The long commands (train, run, analyze, plot) install the handler; the library's loops ask
 * ip_interrupt_pending() at their safe points (training: before every batch, the partial epoch
 * being dropped; analysis: between recorded epochs; plotting: between figures) and return
 * IP_ERR_INTERRUPTED with a message saying what is complete. A second signal ends the process at
 * once, the default way (what a run file survives, like SIGKILL). Without the handler installed
 * (the library used on its own, the tests) nothing is ever pending. */
#ifndef IP_INTERRUPT_H
#define IP_INTERRUPT_H

/* Catch SIGINT and SIGTERM (each unless it was ignored when the process started, as under nohup
 * or in a script's background job, which keeps ignoring it). The first one is noted, with a line on
 * stderr; a second one of either kind kills the process by that signal. */
void ip_interrupt_install(void);

/* 0, or the signal that asked to stop (SIGINT, SIGTERM). */
int ip_interrupt_pending(void);

/* "SIGINT (Ctrl-C)", "SIGTERM", ... for messages. */
const char *ip_interrupt_name(int sig);

#endif
