/* Regression: contended compare-exchange must leave mirror == native once the threads are done.
 * The first version mirrored cmpxchg by storing `success ? new : loaded` to the mirror after the
 * native operation; racing threads then left the loser's value in the mirror in about half the runs
 * (max=799999 natively, "2 or 3 divergent bytes"). Now the runtime's __mirror_sync_atomic copies
 * native to mirror until stable. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <mirror.h>

static _Atomic long g_max;
static _Atomic int go;

static void *worker(void *arg)
{
    long id = (long)arg;
    while (!go)
        ;
    for (long i = 0; i < 200000; i++) {
        long v = i * 4 + id, cur = atomic_load(&g_max);
        while (v > cur && !atomic_compare_exchange_weak(&g_max, &cur, v))
            ;
    }
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    go = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("max=%ld cas: %zu divergent bytes\n", atomic_load(&g_max), mirror_diff(&g_max, sizeof g_max));
    return 0;
}
