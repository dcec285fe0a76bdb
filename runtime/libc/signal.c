/* signal.c — sigaction and signal: SIGBUS stays the runtime's.
 *
 * The runtime's handler (recovery/signal.c) must see every SIGBUS first, so a program installing its
 * own SIGBUS handler only records it there: the handler passes on what it cannot repair (a SIGBUS that
 * is not a memory error, such as an access past the end of a truncated file mapping) exactly as the
 * program asked. Every other signal goes to libc. The previous action, which libc or the record fills
 * in, is mirrored like any out-parameter.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>

#include "libc/wrap.h"

MIRROR_WRAPPER int __mirror_sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
    if (sig == SIGBUS && _mirror_sigbus_program_action(act, oldact)) {
        if (oldact)
            _mirror_wrote(oldact, sizeof *oldact);
        return 0;
    }
    int result = sigaction(sig, act, oldact);
    if (result == 0 && oldact)
        _mirror_wrote(oldact, sizeof *oldact);
    return result;
}

MIRROR_WRAPPER sighandler_t __mirror_signal(int sig, sighandler_t handler)
{
    if (sig != SIGBUS)
        return signal(sig, handler);
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    act.sa_flags = SA_RESTART; /* signal()'s BSD semantics, as glibc gives them */
    if (!_mirror_sigbus_program_action(&act, &old))
        return signal(sig, handler);
    /* A previous SA_SIGINFO handler is reported through the same union member, as the kernel does. */
    return old.sa_handler;
}
