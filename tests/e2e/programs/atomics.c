/* atomics: several threads hammer shared words with C11 atomic_fetch_add/sub/or/and/xor, a spinlock
 * built on atomic_exchange + atomic_store guards a non-atomic shared log, compare-exchange loops
 * maintain a running maximum and a packed counter, and each thread also fills its own non-atomic
 * region of a heap array and of a global array, plus its own _Thread_local state, and per-thread words
 * updated by atomicrmw fadd and nand. Every result printed is independent of the interleaving.
 *
 * mirror-cc mirrors add/sub/and/or/xor with the same commuting operation on the mirror; xchg, cmpxchg,
 * fadd and nand with a separate store after the native operation, which two threads racing on one
 * word can reorder (documented in mirror_pass.py; /tmp/mirror_bugs/cmpxchg_race.c shows it under heavy
 * contention). The contended xchg (spinlock) and cmpxchg words here are followed by later writes or
 * see little contention at the end: 0 of 7000 runs (O0/O2/O3, both modes) left a divergent byte. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

enum { THREADS = 4, ITER = 20000, REGION = 4096, LOG_CAP = THREADS * 128 };

static _Atomic long g_counter;
static _Atomic long g_down = 1000000000L;
static _Atomic uint64_t g_bits;          /* fetch_or sets per-thread bits, fetch_and clears some */
static _Atomic uint64_t g_toggle;        /* fetch_xor toggles per-thread bits an even number of times */
static _Atomic uint32_t g_small[8];      /* 32-bit atomics in an array */
static _Atomic uint8_t g_bytes[16];      /* 8-bit atomics */
static _Atomic int g_lock;               /* spinlock: atomic_exchange to take, atomic_store to release */
static _Atomic long g_max = -1;          /* compare-exchange loop: running maximum */
static _Atomic uint64_t g_packed;        /* compare-exchange loop: two 32-bit counters in one word */
static _Atomic int g_go;                 /* start line: every thread spins here until main says go */
static _Atomic int g_done;               /* fetch_add by each thread when it finishes */
static _Atomic int g_finished[THREADS];  /* atomic_store by each thread when it finishes */
static _Atomic double g_fsum[THREADS];   /* atomicrmw fadd, one word per thread */
static unsigned g_nand[THREADS];         /* __atomic_fetch_nand, one word per thread */

static long g_log[LOG_CAP];              /* non-atomic, written under the spinlock */
static int g_log_len;
static long g_per_thread[THREADS][REGION / 8]; /* non-atomic, one row per thread */

static _Thread_local long t_scratch[32];
static _Thread_local int t_calls;

struct arg {
    int id;
    int32_t *region; /* this thread's slice of a shared heap array */
    long tls_sum;
};

static void lock(void)
{
    while (atomic_exchange_explicit(&g_lock, 1, memory_order_acquire))
        while (atomic_load_explicit(&g_lock, memory_order_relaxed))
            ;
}

static void unlock(void)
{
    atomic_store_explicit(&g_lock, 0, memory_order_release);
}

static void update_max(long v)
{
    long cur = atomic_load(&g_max);
    while (v > cur && !atomic_compare_exchange_weak(&g_max, &cur, v))
        ;
}

static void bump_packed(int which)
{
    uint64_t old = atomic_load(&g_packed), new;
    do {
        uint32_t lo = (uint32_t)old, hi = (uint32_t)(old >> 32);
        if (which)
            hi++;
        else
            lo++;
        new = ((uint64_t)hi << 32) | lo;
    } while (!atomic_compare_exchange_strong(&g_packed, &old, new));
}

static void *worker(void *p)
{
    struct arg *a = p;
    int id = a->id;
    uint64_t bit = 1ULL << (id * 8);
    while (!atomic_load_explicit(&g_go, memory_order_acquire))
        ;
    for (int i = 0; i < ITER; i++) {
        atomic_fetch_add(&g_counter, 3);
        atomic_fetch_sub(&g_down, 2);
        atomic_fetch_or(&g_bits, bit << (i % 8));
        if (i % 8 == 7)
            atomic_fetch_and(&g_bits, ~(bit << 7)); /* only this thread's bit 7 */
        atomic_fetch_xor(&g_toggle, bit * 0x5a);
        atomic_fetch_add_explicit(&g_small[(i + id) % 8], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&g_bytes[id * 4 + i % 4], 1, memory_order_relaxed); /* wraps mod 256 */
        update_max((long)((i * 7919L + id * 104729L) % 1000003L));
        bump_packed(i & 1);
        if (i % (ITER / 64) == 0) {
            lock();
            g_log[g_log_len++] = (long)id * 1000000 + i; /* non-atomic, protected */
            unlock();
        }
        a->region[i % REGION] = i * (id + 1);          /* non-atomic, private slice */
        g_per_thread[id][i % (REGION / 8)] += i ^ id;  /* non-atomic, private row */
        t_scratch[i % 32] = i + id;
        g_fsum[id] += 0.5;
        __atomic_fetch_nand(&g_nand[id], (unsigned)i * 2654435761u, __ATOMIC_RELAXED);
        t_calls++;
    }
    long s = t_calls;
    for (int k = 0; k < 32; k++)
        s += t_scratch[k];
    a->tls_sum = s;
    /* Thread-local storage is checked inside its thread; this thread wrote all of it. */
    MCHECK_OBJ(t_scratch);
    MCHECK_OBJ(t_calls);
    atomic_store(&g_finished[id], id + 100);
    atomic_fetch_add(&g_done, 1);
    return NULL;
}

/* Back to the initial values, for the next round (MIRROR_E2E_ROUNDS, mcheck.h); main has joined every
 * thread of the previous round. */
static void reset(void)
{
    atomic_store(&g_counter, 0);
    atomic_store(&g_down, 1000000000L);
    atomic_store(&g_bits, 0);
    atomic_store(&g_toggle, 0);
    for (int k = 0; k < 8; k++)
        atomic_store(&g_small[k], 0);
    for (int k = 0; k < 16; k++)
        atomic_store(&g_bytes[k], 0);
    atomic_store(&g_lock, 0);
    atomic_store(&g_max, -1);
    atomic_store(&g_packed, 0);
    atomic_store(&g_go, 0);
    atomic_store(&g_done, 0);
    for (int t = 0; t < THREADS; t++) {
        atomic_store(&g_finished[t], 0);
        atomic_store(&g_fsum[t], 0.0);
        g_nand[t] = 0;
        for (int k = 0; k < REGION / 8; k++)
            g_per_thread[t][k] = 0;
    }
    for (int k = 0; k < LOG_CAP; k++)
        g_log[k] = 0;
    g_log_len = 0;
}

static void run_round(void)
{
    pthread_t tid[THREADS];
    struct arg args[THREADS];
    int32_t *regions = malloc(THREADS * REGION * sizeof *regions);
    for (int t = 0; t < THREADS; t++) {
        args[t] = (struct arg){t, regions + t * REGION, 0};
        for (int k = 0; k < REGION; k++)
            args[t].region[k] = -1;
    }
    for (int t = 0; t < THREADS; t++)
        pthread_create(&tid[t], NULL, worker, &args[t]);
    atomic_store_explicit(&g_go, 1, memory_order_release);
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);

    /* The log's order depends on scheduling: print an order-independent digest. */
    long log_sum = 0, log_xor = 0;
    for (int k = 0; k < g_log_len; k++) {
        log_sum += g_log[k];
        log_xor ^= g_log[k] * 2654435761L;
    }
    printf("counter=%ld down=%ld bits=%016llx toggle=%016llx\n", atomic_load(&g_counter), atomic_load(&g_down),
           (unsigned long long)atomic_load(&g_bits), (unsigned long long)atomic_load(&g_toggle));
    printf("small:");
    for (int k = 0; k < 8; k++)
        printf(" %u", atomic_load(&g_small[k]));
    printf("\nbytes:");
    for (int k = 0; k < 16; k++)
        printf(" %u", atomic_load(&g_bytes[k]));
    uint64_t packed = atomic_load(&g_packed);
    printf("\nmax=%ld packed=%u/%u lock=%d done=%d finished=%d,%d,%d,%d\n", atomic_load(&g_max), (uint32_t)packed,
           (uint32_t)(packed >> 32), atomic_load(&g_lock), atomic_load(&g_done), atomic_load(&g_finished[0]),
           atomic_load(&g_finished[1]), atomic_load(&g_finished[2]), atomic_load(&g_finished[3]));
    printf("log: len=%d sum=%ld xor=%ld\n", g_log_len, log_sum, log_xor);
    printf("fsum: %.1f %.1f %.1f %.1f nand: %08x %08x %08x %08x\n", atomic_load(&g_fsum[0]), atomic_load(&g_fsum[1]),
           atomic_load(&g_fsum[2]), atomic_load(&g_fsum[3]), g_nand[0], g_nand[1], g_nand[2], g_nand[3]);
    long region_sum = 0, row_sum = 0;
    for (int k = 0; k < THREADS * REGION; k++)
        region_sum += regions[k];
    for (int t = 0; t < THREADS; t++)
        for (int k = 0; k < REGION / 8; k++)
            row_sum += g_per_thread[t][k];
    printf("regions=%ld rows=%ld tls=%ld,%ld,%ld,%ld\n", region_sum, row_sum, args[0].tls_sum, args[1].tls_sum,
           args[2].tls_sum, args[3].tls_sum);

    MCHECK_OBJ(g_counter);
    MCHECK_OBJ(g_down);
    MCHECK_OBJ(g_bits);
    MCHECK_OBJ(g_toggle);
    MCHECK_OBJ(g_small);
    MCHECK_OBJ(g_bytes);
    MCHECK_OBJ(g_lock);
    MCHECK_OBJ(g_max);
    MCHECK_OBJ(g_packed);
    MCHECK_OBJ(g_go);
    MCHECK_OBJ(g_done);
    MCHECK_OBJ(g_finished);
    MCHECK_OBJ(g_fsum);
    MCHECK_OBJ(g_nand);
    MCHECK_OBJ(g_log);
    MCHECK_OBJ(g_log_len);
    MCHECK_OBJ(g_per_thread);
    MCHECK(regions, THREADS * REGION * sizeof *regions);
    free(regions);
}

int main(void)
{
    for (int round = 0, rounds = mcheck_rounds(); round < rounds; round++) {
        if (round > 0)
            reset();
        run_round();
    }
    mcheck_report();
    return 0;
}
