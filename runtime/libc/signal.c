/* signal.c — sigaction, signal, sigprocmask and pthread_sigmask: SIGBUS stays the runtime's.
 *
 * The runtime's handler (recovery/signal.c) must see every SIGBUS first, so a program installing its
 * own SIGBUS handler only records it there: the handler passes on what it cannot repair (a SIGBUS that
 * is not a memory error, such as an access past the end of a truncated file mapping) exactly as the
 * program asked. Every other signal goes to libc. The previous action, which libc or the record fills
 * in, is mirrored like any out-parameter.
 *
 * SIGBUS is also never blocked. A memory error on a thread that blocks SIGBUS kills the process: the
 * kernel forces a synchronous SIGBUS through by resetting it to the default action. QEMU blocks it in
 * its main thread (util/main-loop.c reads it through a signalfd), creates every thread with all signals
 * blocked, and handlers often run with sa_mask full. So the mask wrappers take SIGBUS out of every mask
 * they set and put it back into the old masks they report, as the program believes it to be in this
 * thread, and sigaction takes it out of every handler's sa_mask. A signalfd or sigwait for SIGBUS then
 * never sees one: the runtime's handler gets it and repairs the page, or passes it on to the handler
 * the program recorded; a new thread inherits the program's view (libc/sync.c, pthread_create). What is
 * not kept: the sa_mask that sigaction reports back lacks SIGBUS. Masks
 * set inside libc itself (posix_spawn, the masks saved by sigsetjmp, swapcontext's) are libc's own.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "libc/wrap.h"

/* Whether the program believes SIGBUS blocked in this thread. initial-exec: the runtime is linked into
 * the executable (no __tls_get_addr call). */
static __thread bool program_blocks_sigbus __attribute__((tls_model("initial-exec")));

bool _mirror_program_blocks_sigbus(void)
{
    return program_blocks_sigbus;
}

void _mirror_set_program_blocks_sigbus(bool blocked)
{
    program_blocks_sigbus = blocked;
}

static bool keeps_sigbus(void)
{
    return _mirror_flags.handle_sigbus;
}

/* set, or a copy of it without SIGBUS in *copy. */
static const sigset_t *without_sigbus(const sigset_t *set, sigset_t *copy)
{
    if (set == NULL || !keeps_sigbus() || sigismember(set, SIGBUS) != 1)
        return set;
    *copy = *set;
    sigdelset(copy, SIGBUS);
    return copy;
}

/* After a successful mask call: the program's view of SIGBUS, before (into *old) and after. */
static void mask_changed(int how, bool set_has_sigbus, bool given, sigset_t *old, bool was_blocked)
{
    if (old != NULL) {
        if (keeps_sigbus() && was_blocked)
            sigaddset(old, SIGBUS);
        _mirror_wrote(old, sizeof *old);
    }
    if (!given || !keeps_sigbus())
        return;
    if (how == SIG_SETMASK)
        program_blocks_sigbus = set_has_sigbus;
    else if (set_has_sigbus)
        program_blocks_sigbus = how == SIG_BLOCK;
}

MIRROR_WRAPPER int __mirror_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    bool has = set != NULL && sigismember(set, SIGBUS) == 1, was = program_blocks_sigbus; /* set may be old */
    sigset_t copy;
    int result = sigprocmask(how, without_sigbus(set, &copy), old);
    if (result == 0)
        mask_changed(how, has, set != NULL, old, was);
    return result;
}

/* Returns an error number. */
MIRROR_WRAPPER int __mirror_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    bool has = set != NULL && sigismember(set, SIGBUS) == 1, was = program_blocks_sigbus;
    sigset_t copy;
    int result = pthread_sigmask(how, without_sigbus(set, &copy), old);
    if (result == 0)
        mask_changed(how, has, set != NULL, old, was);
    return result;
}

MIRROR_WRAPPER int __mirror_sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
    if (sig == SIGBUS && _mirror_sigbus_program_action(act, oldact)) {
        if (oldact)
            _mirror_wrote(oldact, sizeof *oldact);
        return 0;
    }
    struct sigaction unblocking;
    if (act != NULL && keeps_sigbus() && sigismember(&act->sa_mask, SIGBUS) == 1) {
        unblocking = *act; /* a handler running with SIGBUS blocked could not survive a memory error */
        sigdelset(&unblocking.sa_mask, SIGBUS);
        act = &unblocking;
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
