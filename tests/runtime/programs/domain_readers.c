/* Readers never wait for writers and never see a torn entry. One entry stays in the domain throughout;
 * a writer thread adds, grows and removes others as fast as it can; reader threads look the stable entry
 * up in a loop, and a timer signal interrupts the writer (and readers) to look it up from the handler —
 * which would deadlock if lookups took the writers' lock, and fail if they skipped a live entry. Every
 * lookup must find the stable entry with exactly its bounds and name, and every churning entry a reader
 * sees must be one the writer wrote whole: one or two pages long (torn fields of consecutive entries,
 * which start 3 pages apart, would not be). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "domain/domain.h"

#define PAGE 4096UL
#define CHURN_ROUNDS 200000
#define READERS 2

static uintptr_t stable_start, stable_end;
static volatile int done;
static unsigned long bad, handler_lookups;

static void check_stable(void)
{
    struct _mirror_region region;
    uintptr_t probe = stable_start + PAGE + 8;
    if (!_mirror_domain_lookup(probe, &region) || region.start != stable_start || region.end != stable_end ||
        region.kind != MIRROR_REGION_REGISTERED || strcmp(region.name, "stable") != 0)
        __atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
}

static void check_churn(void)
{
    struct _mirror_region region;
    for (int cursor = 0; _mirror_domain_next(&cursor, &region);) {
        if (region.name == NULL || strcmp(region.name, "churn") != 0)
            continue;
        uintptr_t length = region.end - region.start;
        if (region.kind != MIRROR_REGION_HEAP || (length != PAGE && length != 2 * PAGE) ||
            region.start % PAGE != 0)
            __atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    check_stable();
    check_churn();
    __atomic_fetch_add(&handler_lookups, 1, __ATOMIC_RELAXED);
}

static void *reader(void *arg)
{
    (void)arg;
    while (!done) {
        check_stable();
        check_churn();
    }
    return NULL;
}

int main(void)
{
    char *area = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return 2;
    uintptr_t base = (uintptr_t)area;
    /* Start the stable entry after a slot that the churn removes and refills, so slots before it move. */
    stable_start = base + 32 * PAGE;
    stable_end = base + 40 * PAGE;
    if (_mirror_domain_add(stable_start, stable_end, MIRROR_REGION_REGISTERED, "stable") < 0)
        return 3;

    struct sigaction action = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {.it_interval = {0, 200}, .it_value = {0, 200}};
    setitimer(ITIMER_REAL, &timer, NULL);

    pthread_t readers[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&readers[i], NULL, reader, NULL);
    for (int round = 0; round < CHURN_ROUNDS; round++) {
        uintptr_t start = base + (uintptr_t)(round % 8) * 3 * PAGE;
        int handle = _mirror_domain_add(start, start + PAGE, MIRROR_REGION_HEAP, "churn");
        _mirror_domain_resize(handle, start + 2 * PAGE);
        _mirror_domain_remove(handle);
    }
    done = 1;
    for (int i = 0; i < READERS; i++)
        pthread_join(readers[i], NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("bad=%lu handler_lookups_nonzero=%d\n", bad, handler_lookups > 0);
    return 0;
}
