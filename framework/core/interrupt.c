/* The stop request behind ip_interrupt_pending (see interrupt.h): a flag set by the handler,
 * read by the loops. Only async-signal-safe calls in the handler (write, signal, raise). */
#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t pending;

static void on_signal(int sig)
{
    if (pending) { /* asked twice: stop now, by the signal itself */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    pending = sig;
    static const char msg[] = "\ninfoplane: stopping at the next safe point (send it again to stop at once)\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) { /* nothing to do about it here */
    }
}

void ip_interrupt_install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART; /* reads and writes in progress (HDF5, CSV) carry on */
        sigaction(sigs[i], &sa, NULL);
    }
}

int ip_interrupt_pending(void) { return pending; }

const char *ip_interrupt_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT (Ctrl-C)";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
    }
}
