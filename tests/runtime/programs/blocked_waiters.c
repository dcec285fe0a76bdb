/* Threads blocked inside libc when the audit runs: in pthread_cond_wait, in pthread_mutex_lock on a
 * mutex main holds, in sem_wait, in pthread_rwlock_wrlock on a lock main reads and in
 * pthread_barrier_wait. libc has already written each object (a waiter sequence, a waiters flag) and
 * the waiter syncs it only when it returns, which it never does: the audit must sync what blocked
 * threads hold first (Redis's bio threads sit in pthread_cond_wait when the server exits, and the
 * audit at exit used to report their condition variables and mutexes as divergent).
 * Prints "audit=<divergent bytes>"; exits with the threads still blocked. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mirror.h"

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static sem_t tokens;
static pthread_barrier_t meeting;
static int queued;

static void *cond_waiter(void *unused)
{
    pthread_mutex_lock(&queue_lock);
    while (!queued)
        pthread_cond_wait(&queue_nonempty, &queue_lock);
    pthread_mutex_unlock(&queue_lock);
    return unused;
}

static void *mutex_waiter(void *unused)
{
    pthread_mutex_lock(&held);
    return unused;
}

static void *sem_waiter(void *unused)
{
    sem_wait(&tokens);
    return unused;
}

static void *rwlock_waiter(void *unused)
{
    pthread_rwlock_wrlock(&table);
    return unused;
}

static void *barrier_waiter(void *unused)
{
    pthread_barrier_wait(&meeting);
    return unused;
}

int main(void)
{
    sem_init(&tokens, 0, 0);
    pthread_barrier_init(&meeting, NULL, 3);
    pthread_mutex_lock(&held);
    pthread_rwlock_rdlock(&table);
    void *(*waiters[])(void *) = {cond_waiter, cond_waiter, mutex_waiter, sem_waiter, rwlock_waiter, barrier_waiter};
    for (size_t i = 0; i < sizeof waiters / sizeof *waiters; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, waiters[i], NULL) != 0)
            return perror("pthread_create"), 2;
    }
    usleep(300 * 1000); /* every waiter is asleep in the kernel by now */
    printf("audit=%zu\n", mirror_audit());
    fflush(stdout);
    _exit(0);
}
