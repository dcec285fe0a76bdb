/* A page holding a mutex and a condition variable is lost while a thread waits on them (untimed).
 *
 * The waiter locks the mutex (the wrapper syncs the mirror: locked), then pthread_cond_wait releases it
 * inside libc. Before the blocked-wait syncer, the mirror still said "locked": the rebuilt page brought
 * the mutex back locked, main's pthread_mutex_lock waited for ever, and so did the waiter.
 * stdout: "page=0x..." then "woke" when the waiter got its signal. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "mirror.h"
#include "recovery/recovery_test.h"

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int ready, go;
} shared __attribute__((aligned(4096))) = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static void *waiter(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&shared.lock);
    shared.ready = 1;
    while (!shared.go)
        pthread_cond_wait(&shared.wake, &shared.lock);
    pthread_mutex_unlock(&shared.lock);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t thread;
    pthread_create(&thread, NULL, waiter, NULL);
    for (;;) { /* until the waiter is inside pthread_cond_wait (it holds the mutex until then) */
        pthread_mutex_lock(&shared.lock);
        int ready = shared.ready;
        pthread_mutex_unlock(&shared.lock);
        if (ready)
            break;
        usleep(1000);
    }
    struct timespec settle = {0, 50 * 1000 * 1000}; /* the waiter is blocked for a while now */
    nanosleep(&settle, NULL);
    printf("page=%#lx\n", (unsigned long)page_of(&shared));
    if (mirror_inject_error(&shared) != 0)
        return perror("mirror_inject_error"), 2;
    pthread_mutex_lock(&shared.lock);
    shared.go = 1;
    pthread_cond_signal(&shared.wake);
    pthread_mutex_unlock(&shared.lock);
    pthread_join(thread, NULL);
    puts("woke");
    return 0;
}
