/* sync.c — pthread and semaphore objects that live in program memory.
 *
 * A mutex, condition variable, rwlock, spinlock, barrier, once-flag or semaphore in a global or a
 * heap block is written by libc on every operation, while other threads operate on the same words.
 * A plain copy native → mirror could then land after a newer value and leave the mirror stale, so
 * each wrapper syncs the object word by word with the converging loop of _mirror_wrote_atomic
 * (common.c): since every thread that changes the object syncs it afterwards, the mirror
 * equals native once the operations are over. Blocking calls sync after they return, so the words a
 * waiter changes on wake-up are covered by the waiter's own sync. pthread_create's thread id and
 * pthread_key_create's key go through the same loop (the new thread may already be running); attribute
 * objects are synced word by word too, which costs nothing noticeable on calls this rare.
 *
 * A thread blocked inside a call has changed the object already (a condition variable's waiter
 * sequence, a mutex's waiters flag) and syncs it only when it returns. The blocking calls therefore
 * list their objects in a table of blocked waits while they are inside libc, and the audit syncs
 * those first (_mirror_sync_blocked): they are the state the program is in, not a divergence. The
 * calls that may not block (mutex, rwlock and semaphore acquisition) try the non-blocking form
 * first and only list themselves when it fails. A runtime thread syncs the listed objects every few
 * milliseconds (below): a page lost while a thread is blocked on an object in it comes back with the
 * object as it was at most that long ago. (Lost within that window, it may still come back stale: a
 * timed waiter recovers, an untimed one may miss its wake-up.)
 * Not covered: a thread cancelled inside pthread_cond_wait (its cleanup re-locks the mutex without
 * returning here) and process-shared objects written by another process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <semaphore.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/thread.h"
#include "libc/wrap.h"

/* Call, sync *object word by word, return the call's result (errno untouched: the sync keeps it). */
#define SYNCS(object, call)                                                                               \
    do {                                                                                                  \
        __typeof__(call) result_ = (call);                                                                \
        _mirror_wrote_atomic((const void *)(object), sizeof *(object));                                                 \
        return result_;                                                                                   \
    } while (0)

#define SYNCS2(first, second, call)                                                                       \
    do {                                                                                                  \
        __typeof__(call) result_ = (call);                                                                \
        _mirror_wrote_atomic(first, sizeof *(first));                                                     \
        _mirror_wrote_atomic(second, sizeof *(second));                                                   \
        return result_;                                                                                   \
    } while (0)

/* ---- Blocked waits ------------------------------------------------------------------------------------ */

#define BLOCKED_SLOTS 256

static struct blocked {
    const void *first; /* NULL: free */
    size_t first_size;
    const void *second;
    size_t second_size;
} blocked[BLOCKED_SLOTS] MIRROR_RT_STATE;

static int blocked_active MIRROR_RT_STATE; /* slots in use; the syncer sleeps on it while it is 0 */
static __thread int blocked_hint; /* where this thread looks first: threads spread over the table */

static void start_syncer(void);

/* List the objects of a call about to block; returns the slot, or -1 when the table is full. */
static int enter_blocked(const void *first, size_t first_size, const void *second, size_t second_size)
{
    if (!blocked_hint)
        blocked_hint = (int)(((uintptr_t)&blocked_hint >> 12) % BLOCKED_SLOTS) + 1;
    for (int i = 0; i < BLOCKED_SLOTS; i++) {
        int slot = (blocked_hint - 1 + i) % BLOCKED_SLOTS;
        const void *expected = NULL;
        if (__atomic_load_n(&blocked[slot].first, __ATOMIC_RELAXED) == NULL &&
            __atomic_compare_exchange_n(&blocked[slot].first, &expected, (const void *)1, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            blocked[slot].first_size = first_size;
            blocked[slot].second = second;
            blocked[slot].second_size = second_size;
            __atomic_store_n(&blocked[slot].first, first, __ATOMIC_RELEASE);
            if (__atomic_fetch_add(&blocked_active, 1, __ATOMIC_ACQ_REL) == 0) {
                int saved = errno;
                syscall(SYS_futex, &blocked_active, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); /* the syncer */
                errno = saved;
            }
            start_syncer();
            return slot;
        }
    }
    return -1;
}

static void leave_blocked(int slot)
{
    if (slot >= 0) {
        __atomic_store_n(&blocked[slot].first, NULL, __ATOMIC_RELEASE);
        __atomic_fetch_sub(&blocked_active, 1, __ATOMIC_RELEASE);
    }
}

/* Sync the objects of every listed wait (only those in the protected domain: `domain_only`). A slot
 * freed and taken again while it is read is skipped: its fields may belong to two different waits. */
static void sync_blocked(bool domain_only)
{
    for (int i = 0; i < BLOCKED_SLOTS; i++) {
        const void *first = __atomic_load_n(&blocked[i].first, __ATOMIC_ACQUIRE);
        if (first == NULL || first == (const void *)1)
            continue;
        size_t first_size = blocked[i].first_size, second_size = blocked[i].second_size;
        const void *second = blocked[i].second;
        if (__atomic_load_n(&blocked[i].first, __ATOMIC_ACQUIRE) != first)
            continue;
        struct _mirror_region region;
        if (!domain_only || _mirror_domain_lookup((uintptr_t)first, &region))
            _mirror_wrote_atomic(first, first_size);
        if (second && (!domain_only || _mirror_domain_lookup((uintptr_t)second, &region)))
            _mirror_wrote_atomic(second, second_size);
    }
}

void _mirror_sync_blocked(void)
{
    sync_blocked(false);
}

/* ---- The blocked-wait syncer ---------------------------------------------------------------------------
 *
 * A thread waits inside libc for as long as it waits -- Redis's background threads sit in
 * pthread_cond_wait for the whole life of the server -- and the mirror of its objects lags what libc
 * wrote on the way in (the mutex released inside pthread_cond_wait, the waiter sequence). A page
 * rebuilt from that mirror brought the mutex back locked, and the next thread to lock it waited for
 * ever (Redis's tests/unit/type suite hung that way under injection). So a runtime thread, started
 * with the first wait, syncs the listed objects every SYNCER_INTERVAL_MS: the window in which a loss
 * brings back a stale object shrinks from the whole wait to that interval. Only objects in the
 * protected domain are synced: a waiter's stack may be unmapped by the time the syncer reads it, the
 * domain's memory is not. */
#define SYNCER_INTERVAL_MS 5

static int syncer_started MIRROR_RT_STATE;

static void *blocked_syncer(void *unused)
{
    (void)unused;
    struct timespec interval = {0, SYNCER_INTERVAL_MS * 1000000L};
    for (;;) {
        /* Nothing waits: sleep until a wait is listed instead of waking 200 times a second. */
        while (__atomic_load_n(&blocked_active, __ATOMIC_ACQUIRE) == 0)
            syscall(SYS_futex, &blocked_active, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        nanosleep(&interval, NULL);
        sync_blocked(true);
    }
    return NULL;
}

static void syncer_forget(void)
{
    /* The child of a fork has no syncer, and none of the waits listed: their threads were not copied. */
    for (int i = 0; i < BLOCKED_SLOTS; i++)
        blocked[i].first = NULL;
    blocked_active = 0;
    syncer_started = 0;
}

static void start_syncer(void)
{
    int expected = 0;
    if (__atomic_load_n(&syncer_started, __ATOMIC_RELAXED) ||
        !__atomic_compare_exchange_n(&syncer_started, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return;
    static int atfork_done MIRROR_RT_STATE;
    if (!atfork_done++)
        pthread_atfork(NULL, NULL, syncer_forget);
    int saved = errno;
    if (_mirror_start_daemon(blocked_syncer, 64 * 1024) != 0)
        __atomic_store_n(&syncer_started, 0, __ATOMIC_RELAXED);
    errno = saved;
}

/* A call that blocks: listed while inside libc, then synced like SYNCS/SYNCS2. */
#define BLOCKS2(first, second, call)                                                                      \
    do {                                                                                                  \
        int slot_ = enter_blocked(first, sizeof *(first), second, (second) ? sizeof *(second) : 0);       \
        __typeof__(call) result_ = (call);                                                                \
        leave_blocked(slot_);                                                                             \
        _mirror_wrote_atomic(first, sizeof *(first));                                                     \
        if (second)                                                                                       \
            _mirror_wrote_atomic(second, sizeof *(second));                                               \
        return result_;                                                                                   \
    } while (0)

#define BLOCKS(object, call) BLOCKS2(object, (__typeof__(object))NULL, call)

/* An acquisition: the non-blocking form first (0 when it got it); only a wait is listed. */
#define ACQUIRES(object, try_call, call)                                                                  \
    do {                                                                                                  \
        int errno_ = errno;                                                                               \
        if ((try_call) == 0) {                                                                            \
            _mirror_wrote_atomic(object, sizeof *(object));                                               \
            return 0;                                                                                     \
        }                                                                                                 \
        errno = errno_; /* sem_trywait's EAGAIN */                                                        \
        BLOCKS(object, call);                                                                             \
    } while (0)

/* ---- Mutexes ------------------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    SYNCS(m, pthread_mutex_init(m, attr));
}

MIRROR_WRAPPER int __mirror_pthread_mutex_destroy(pthread_mutex_t *m)
{
    SYNCS(m, pthread_mutex_destroy(m));
}

MIRROR_WRAPPER int __mirror_pthread_mutex_lock(pthread_mutex_t *m)
{
    ACQUIRES(m, pthread_mutex_trylock(m), pthread_mutex_lock(m));
}

MIRROR_WRAPPER int __mirror_pthread_mutex_trylock(pthread_mutex_t *m)
{
    SYNCS(m, pthread_mutex_trylock(m));
}

MIRROR_WRAPPER int __mirror_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    ACQUIRES(m, pthread_mutex_trylock(m), pthread_mutex_timedlock(m, abstime));
}

MIRROR_WRAPPER int __mirror_pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                                    const struct timespec *abstime)
{
    ACQUIRES(m, pthread_mutex_trylock(m), pthread_mutex_clocklock(m, clock, abstime));
}

MIRROR_WRAPPER int __mirror_pthread_mutex_unlock(pthread_mutex_t *m)
{
    SYNCS(m, pthread_mutex_unlock(m));
}

MIRROR_WRAPPER int __mirror_pthread_mutex_consistent(pthread_mutex_t *m)
{
    SYNCS(m, pthread_mutex_consistent(m));
}

/* ---- Condition variables ------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
    SYNCS(c, pthread_cond_init(c, attr));
}

MIRROR_WRAPPER int __mirror_pthread_cond_destroy(pthread_cond_t *c)
{
    SYNCS(c, pthread_cond_destroy(c));
}

MIRROR_WRAPPER int __mirror_pthread_cond_signal(pthread_cond_t *c)
{
    SYNCS(c, pthread_cond_signal(c));
}

MIRROR_WRAPPER int __mirror_pthread_cond_broadcast(pthread_cond_t *c)
{
    SYNCS(c, pthread_cond_broadcast(c));
}

MIRROR_WRAPPER int __mirror_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    BLOCKS2(c, m, pthread_cond_wait(c, m));
}

MIRROR_WRAPPER int __mirror_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                                   const struct timespec *abstime)
{
    BLOCKS2(c, m, pthread_cond_timedwait(c, m, abstime));
}

MIRROR_WRAPPER int __mirror_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                                   const struct timespec *abstime)
{
    BLOCKS2(c, m, pthread_cond_clockwait(c, m, clock, abstime));
}

/* ---- Read-write locks ---------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
    SYNCS(l, pthread_rwlock_init(l, attr));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    SYNCS(l, pthread_rwlock_destroy(l));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    ACQUIRES(l, pthread_rwlock_tryrdlock(l), pthread_rwlock_rdlock(l));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    SYNCS(l, pthread_rwlock_tryrdlock(l));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    ACQUIRES(l, pthread_rwlock_tryrdlock(l), pthread_rwlock_timedrdlock(l, abstime));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                                       const struct timespec *abstime)
{
    ACQUIRES(l, pthread_rwlock_tryrdlock(l), pthread_rwlock_clockrdlock(l, clock, abstime));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    ACQUIRES(l, pthread_rwlock_trywrlock(l), pthread_rwlock_wrlock(l));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    SYNCS(l, pthread_rwlock_trywrlock(l));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    ACQUIRES(l, pthread_rwlock_trywrlock(l), pthread_rwlock_timedwrlock(l, abstime));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                                       const struct timespec *abstime)
{
    ACQUIRES(l, pthread_rwlock_trywrlock(l), pthread_rwlock_clockwrlock(l, clock, abstime));
}

MIRROR_WRAPPER int __mirror_pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    SYNCS(l, pthread_rwlock_unlock(l));
}

/* ---- Spinlocks, barriers, once ------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
    SYNCS(s, pthread_spin_init(s, pshared));
}

MIRROR_WRAPPER int __mirror_pthread_spin_destroy(pthread_spinlock_t *s)
{
    SYNCS(s, pthread_spin_destroy(s));
}

MIRROR_WRAPPER int __mirror_pthread_spin_lock(pthread_spinlock_t *s)
{
    SYNCS(s, pthread_spin_lock(s));
}

MIRROR_WRAPPER int __mirror_pthread_spin_trylock(pthread_spinlock_t *s)
{
    SYNCS(s, pthread_spin_trylock(s));
}

MIRROR_WRAPPER int __mirror_pthread_spin_unlock(pthread_spinlock_t *s)
{
    SYNCS(s, pthread_spin_unlock(s));
}

MIRROR_WRAPPER int __mirror_pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
                                                 unsigned int count)
{
    SYNCS(b, pthread_barrier_init(b, attr, count));
}

MIRROR_WRAPPER int __mirror_pthread_barrier_destroy(pthread_barrier_t *b)
{
    SYNCS(b, pthread_barrier_destroy(b));
}

MIRROR_WRAPPER int __mirror_pthread_barrier_wait(pthread_barrier_t *b)
{
    BLOCKS(b, pthread_barrier_wait(b));
}

/* The init routine (instrumented) runs inside and mirrors its own stores. */
MIRROR_WRAPPER int __mirror_pthread_once(pthread_once_t *once, void (*init)(void))
{
    SYNCS(once, pthread_once(once, init));
}

/* ---- Semaphores ---------------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_sem_init(sem_t *s, int pshared, unsigned int value)
{
    SYNCS(s, sem_init(s, pshared, value));
}

MIRROR_WRAPPER int __mirror_sem_destroy(sem_t *s)
{
    SYNCS(s, sem_destroy(s));
}

MIRROR_WRAPPER int __mirror_sem_wait(sem_t *s)
{
    ACQUIRES(s, sem_trywait(s), sem_wait(s));
}

MIRROR_WRAPPER int __mirror_sem_trywait(sem_t *s)
{
    SYNCS(s, sem_trywait(s));
}

MIRROR_WRAPPER int __mirror_sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    ACQUIRES(s, sem_trywait(s), sem_timedwait(s, abstime));
}

MIRROR_WRAPPER int __mirror_sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    ACQUIRES(s, sem_trywait(s), sem_clockwait(s, clock, abstime));
}

MIRROR_WRAPPER int __mirror_sem_post(sem_t *s)
{
    SYNCS(s, sem_post(s));
}

MIRROR_WRAPPER int __mirror_sem_getvalue(sem_t *s, int *value)
{
    int result = sem_getvalue(s, value);
    if (result == 0)
        _mirror_wrote(value, sizeof *value);
    return result;
}

/* ---- Threads and keys ---------------------------------------------------------------------------------- */

/* The new thread may already run (and read *thread) when pthread_create returns. */
/* Threads of instrumented code start with an alternate signal stack of the runtime's, so that losing
 * a page of their own stack can still be reported (recovery/signal.c), and with the program's view of
 * SIGBUS in the mask (libc/signal.c). */
struct thread_start {
    void *(*start)(void *);
    void *arg;
    bool blocks_sigbus; /* the creating thread's view of its mask (libc/signal.c) */
};

static void *start_with_signal_stack(void *p)
{
    struct thread_start start = *(struct thread_start *)p;
    free(p); /* libc's allocator: the runtime is not routed */
    _mirror_set_program_blocks_sigbus(start.blocks_sigbus);
    if (_mirror_flags.handle_sigbus)
        _mirror_signal_thread_init();
    return start.start(start.arg);
}

MIRROR_WRAPPER int __mirror_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                                           void *(*start)(void *), void *arg)
{
    struct thread_start *trampoline = malloc(sizeof *trampoline);
    if (trampoline == NULL)
        return EAGAIN;
    trampoline->start = start;
    trampoline->arg = arg;
    trampoline->blocks_sigbus = _mirror_program_blocks_sigbus();
    int result = pthread_create(thread, attr, start_with_signal_stack, trampoline);
    if (result == 0)
        _mirror_wrote_atomic(thread, sizeof *thread);
    else
        free(trampoline);
    return result;
}

MIRROR_WRAPPER int __mirror_pthread_join(pthread_t thread, void **value)
{
    int result = pthread_join(thread, value);
    if (result == 0 && value != NULL)
        _mirror_wrote(value, sizeof *value);
    return result;
}

MIRROR_WRAPPER int __mirror_pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    int result = pthread_key_create(key, destructor);
    if (result == 0)
        _mirror_wrote_atomic(key, sizeof *key);
    return result;
}

/* ---- Attribute objects --------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_pthread_attr_init(pthread_attr_t *a)
{
    SYNCS(a, pthread_attr_init(a));
}

MIRROR_WRAPPER int __mirror_pthread_attr_destroy(pthread_attr_t *a)
{
    SYNCS(a, pthread_attr_destroy(a));
}

MIRROR_WRAPPER int __mirror_pthread_attr_setdetachstate(pthread_attr_t *a, int state)
{
    SYNCS(a, pthread_attr_setdetachstate(a, state));
}

MIRROR_WRAPPER int __mirror_pthread_attr_setstacksize(pthread_attr_t *a, size_t size)
{
    SYNCS(a, pthread_attr_setstacksize(a, size));
}

MIRROR_WRAPPER int __mirror_pthread_attr_setguardsize(pthread_attr_t *a, size_t size)
{
    SYNCS(a, pthread_attr_setguardsize(a, size));
}

MIRROR_WRAPPER int __mirror_pthread_mutexattr_init(pthread_mutexattr_t *a)
{
    SYNCS(a, pthread_mutexattr_init(a));
}

MIRROR_WRAPPER int __mirror_pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
    SYNCS(a, pthread_mutexattr_settype(a, type));
}

MIRROR_WRAPPER int __mirror_pthread_mutexattr_setpshared(pthread_mutexattr_t *a, int pshared)
{
    SYNCS(a, pthread_mutexattr_setpshared(a, pshared));
}

MIRROR_WRAPPER int __mirror_pthread_mutexattr_setrobust(pthread_mutexattr_t *a, int robust)
{
    SYNCS(a, pthread_mutexattr_setrobust(a, robust));
}

MIRROR_WRAPPER int __mirror_pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
    SYNCS(a, pthread_mutexattr_destroy(a));
}

MIRROR_WRAPPER int __mirror_pthread_condattr_init(pthread_condattr_t *a)
{
    SYNCS(a, pthread_condattr_init(a));
}

MIRROR_WRAPPER int __mirror_pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock)
{
    SYNCS(a, pthread_condattr_setclock(a, clock));
}

MIRROR_WRAPPER int __mirror_pthread_condattr_setpshared(pthread_condattr_t *a, int pshared)
{
    SYNCS(a, pthread_condattr_setpshared(a, pshared));
}

MIRROR_WRAPPER int __mirror_pthread_condattr_destroy(pthread_condattr_t *a)
{
    SYNCS(a, pthread_condattr_destroy(a));
}

MIRROR_WRAPPER int __mirror_pthread_rwlockattr_init(pthread_rwlockattr_t *a)
{
    SYNCS(a, pthread_rwlockattr_init(a));
}

MIRROR_WRAPPER int __mirror_pthread_rwlockattr_setkind_np(pthread_rwlockattr_t *a, int kind)
{
    SYNCS(a, pthread_rwlockattr_setkind_np(a, kind));
}

MIRROR_WRAPPER int __mirror_pthread_rwlockattr_destroy(pthread_rwlockattr_t *a)
{
    SYNCS(a, pthread_rwlockattr_destroy(a));
}
