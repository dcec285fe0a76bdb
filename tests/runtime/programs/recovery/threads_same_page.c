/* Several threads touch one lost page at the same moment: one repairs it, the others wait and retry;
 * every thread goes on with the right bytes, and the page counts as recovered once.
 *
 * ./threads_same_page   (ROUNDS rounds: a fresh page is lost each round, then THREADS threads read and
 *                        write it together)
 * stdout: rounds=<n> threads=<n> bad_reads=<n> bad_pages=<n> */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "mirror.h"

enum { THREADS = 6, ROUNDS = 40, PAGE_BYTES = 4096 };

static unsigned char *g_pages;
static int g_go;      /* round number + 1 once that round's page is lost */
static int g_arrived; /* threads done with the current round */
static long g_bad_reads;

static unsigned char expected(int round, int i)
{
    return (unsigned char)(round * 13 + i * 7 + 1);
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    for (int round = 0; round < ROUNDS; round++) {
        while (__atomic_load_n(&g_go, __ATOMIC_ACQUIRE) <= round)
            ;
        unsigned char *page = g_pages + (size_t)round * PAGE_BYTES;
        long bad = 0;
        /* Half the threads read first, half write first: loads and stores fault alike. */
        if (id % 2)
            page[1024 + id] = (unsigned char)(0xA0 + id);
        for (int i = 0; i < 1024; i += 1 + id)
            bad += page[i] != expected(round, i);
        if (!(id % 2))
            page[1024 + id] = (unsigned char)(0xA0 + id);
        __atomic_fetch_add(&g_bad_reads, bad, __ATOMIC_RELAXED);
        __atomic_fetch_add(&g_arrived, 1, __ATOMIC_ACQ_REL);
    }
    return NULL;
}

int main(void)
{
    g_pages = aligned_alloc(PAGE_BYTES, (size_t)ROUNDS * PAGE_BYTES);
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < PAGE_BYTES; i++)
            g_pages[(size_t)round * PAGE_BYTES + i] = expected(round, i);
    pthread_t threads[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&threads[t], NULL, worker, (void *)t);
    for (int round = 0; round < ROUNDS; round++) {
        if (mirror_inject_error(g_pages + (size_t)round * PAGE_BYTES) != 0)
            return perror("mirror_inject_error"), 2;
        __atomic_store_n(&g_go, round + 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&g_arrived, __ATOMIC_ACQUIRE) < (round + 1) * THREADS)
            ;
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    int bad_pages = 0;
    for (int round = 0; round < ROUNDS; round++) {
        const unsigned char *page = g_pages + (size_t)round * PAGE_BYTES;
        int bad = 0;
        for (int i = 0; i < PAGE_BYTES; i++) {
            int t = i - 1024;
            unsigned char want = t >= 0 && t < THREADS ? (unsigned char)(0xA0 + t) : expected(round, i);
            bad |= page[i] != want;
        }
        bad_pages += bad;
    }
    printf("rounds=%d threads=%d bad_reads=%ld bad_pages=%d\n", ROUNDS, THREADS, g_bad_reads, bad_pages);
    free(g_pages);
    return 0;
}
