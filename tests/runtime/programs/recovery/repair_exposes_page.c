/* While the SIGBUS handler rebuilds a page, other threads see it half-built: repair_native (signal.c)
 * first maps a fresh zero page over the lost one (MAP_FIXED, read-write) and only then copies the
 * mirror into it. A thread that touches the page in between takes no fault -- the page is mapped --
 * and reads zeros (or a partial copy); a store it makes there is overwritten by the copy, so native
 * loses it while the mirror keeps it. Nothing is reported: the program computes with wrong data.
 *
 * Deterministic here: the repair is made long (a memory error reported for a 2 MiB page: SIGBUS
 * BUS_MCEERR_AO, si_addr_lsb 21, queued by the thread to itself with rt_tgsigqueueinfo, as the kernel
 * does for a huge page) while three other threads, kept on other CPUs than the repairing one, keep
 * reading the protected heap block, block after block until a reader has been caught in the window
 * (the first block on an idle machine, a few more under load). With 4 KiB pages lost by injection the
 * same window is hit now and then, mostly on a loaded machine (tests/runtime/programs/recovery/
 * threads_same_page.c then reports bad_reads > 0).
 *
 * Fixed; tests/runtime/test_recovery.py runs this as a regression test.
 * Build: .venv/bin/mirror-cc -O2 -pthread repair_exposes_page.c -Iruntime/include -o repair_exposes_page
 * Run (before the fix): ./repair_exposes_page   -> "repairs=1 reads=... zero_reads=<many> bad_reads=<many> ...", exit 1
 * Expected: zero_reads=0 (every read returns the block's bytes), exit 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "mirror.h"

#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO 5
#endif
#define HUGE (2UL << 20)

enum { BLOCKS = 64, READERS = 3 };

static unsigned char *g_block;
static int g_current = -1; /* the block being read (and repaired) */
static int g_reading[READERS] = {-1, -1, -1}; /* the block each reader has started a pass over */
static int g_stop;
static long g_reads, g_zero, g_bad;

static void *reader(void *arg)
{
    int id = (int)(long)arg;
    while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        int k = __atomic_load_n(&g_current, __ATOMIC_ACQUIRE);
        if (k < 0)
            continue;
        __atomic_store_n(&g_reading[id], k, __ATOMIC_RELEASE);
        const volatile unsigned char *block = g_block + k * HUGE;
        long reads = 0, zero = 0, bad = 0;
        for (size_t i = 0; i < HUGE; i += 256, reads++) {
            unsigned char v = block[i];
            zero += v == 0;
            bad += v != 0xA5;
        }
        __atomic_fetch_add(&g_reads, reads, __ATOMIC_RELAXED);
        __atomic_fetch_add(&g_zero, zero, __ATOMIC_RELAXED);
        __atomic_fetch_add(&g_bad, bad, __ATOMIC_RELEASE);
    }
    return NULL;
}

int main(void)
{
    g_block = aligned_alloc(HUGE, BLOCKS * HUGE); /* the mirrored heap: protected, 2 MiB aligned */
    memset(g_block, 0xA5, BLOCKS * HUGE);
    /* The repairing thread on one CPU, the readers on the others (when there are others), so that the
     * scheduler cannot keep them from running side by side. */
    cpu_set_t all, mine, theirs;
    CPU_ZERO(&mine);
    CPU_ZERO(&theirs);
    if (sched_getaffinity(0, sizeof all, &all) == 0 && CPU_COUNT(&all) >= 2) {
        int first = -1;
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &all)) {
                if (first < 0)
                    CPU_SET(first = c, &mine);
                else
                    CPU_SET(c, &theirs);
            }
        sched_setaffinity(0, sizeof mine, &mine);
    }
    pthread_t t[READERS];
    for (long i = 0; i < READERS; i++) {
        pthread_create(&t[i], NULL, reader, (void *)i);
        if (CPU_COUNT(&theirs))
            pthread_setaffinity_np(t[i], sizeof theirs, &theirs);
    }
    int repairs = 0;
    /* One repair per block, while the reader is reading that block; stop once it has seen the window. */
    for (int k = 0; k < BLOCKS && __atomic_load_n(&g_bad, __ATOMIC_ACQUIRE) == 0; k++, repairs++) {
        __atomic_store_n(&g_current, k, __ATOMIC_RELEASE);
        for (int i = 0; i < READERS; i++)
            while (__atomic_load_n(&g_reading[i], __ATOMIC_ACQUIRE) != k)
                sched_yield();
        siginfo_t info;
        memset(&info, 0, sizeof info);
        info.si_signo = SIGBUS;
        info.si_code = BUS_MCEERR_AO;
        info.si_addr = g_block + k * HUGE + 100;
        info.si_addr_lsb = 21;
        syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGBUS, &info); /* the repair runs here */
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], NULL);
    size_t after = 0;
    for (size_t i = 0; i < BLOCKS * HUGE; i++)
        after += g_block[i] != 0xA5;
    printf("repairs=%d reads=%ld zero_reads=%ld bad_reads=%ld bad_bytes_after=%zu\n", repairs, g_reads, g_zero,
           g_bad, after);
    return g_bad != 0;
}
