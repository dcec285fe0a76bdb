/* thread.h — the runtime's own background threads (injector, coverage sampler, blocked-wait syncer).
 *
 * They start detached and with every signal blocked except the synchronous fault signals: a signal the
 * program directs at the process (SIGTERM awaited with sigwait or a signalfd, SIGINT, SIGCHLD, a timer's
 * SIGALRM) must go to one of the program's threads, which is where the program expects it, never to a
 * thread it does not know about. SIGBUS stays deliverable, so a page a runtime thread touches after it
 * was lost is still repaired.
 */
#ifndef MIRROR_THREAD_H
#define MIRROR_THREAD_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

/* Start fn(NULL) on a detached thread (stack_bytes 0: the default size). Returns pthread_create's result. */
static inline int _mirror_start_daemon(void *(*fn)(void *), size_t stack_bytes)
{
    sigset_t all, saved;
    sigfillset(&all);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (stack_bytes)
        pthread_attr_setstacksize(&attr, stack_bytes);
    /* The new thread inherits the creator's mask: block around the creation, then restore. */
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pthread_t thread;
    int result = pthread_create(&thread, &attr, fn, NULL);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    pthread_attr_destroy(&attr);
    return result;
}

#endif
