/* The mirror store's effect on the load after it, per address: a microbenchmark of the mirror delta.
 *
 *   alias_probe ADDRESSES SEED DELTA...      (DELTA in hex, e.g. -0x500000000000)
 *
 * For each delta and each of ADDRESSES random cache lines (half in a 64 MiB mmap'd arena, where the
 * heap lives, half on this thread's stack), it times a loop of
 *     store p; store p+DELTA; load p        (the mirrored shape: native store, mirror store, a read)
 * against the same loop without the mirror store, each the best of TRIALS trials of ITERATIONS
 * iterations (an address slower than 3x the delta's median is timed RETRIALS times more, so that a
 * preemption on a busy machine does not pass for a slow address), and prints one line per address
 * and delta: "delta address heap|stack ns_mirror ns_plain". The mirror of each
 * region is a private anonymous mapping at region+DELTA (MAP_FIXED_NOREPLACE), so any delta whose
 * mirror lands in free user address space can be measured, not only the shipped one.
 *
 * Why per address: AMD's L1D way predictor (the "uTag", a hash of linear-address bits 12-27) gives a
 * line and its mirror the same tag when the delta's bits 12-27 fold to zero; the two then evict each
 * other's prediction and about a quarter of addresses take 13-17 ns per iteration instead of 0.3.
 * A loop over one address, or one that merely does twice the stores, never shows that cliff.
 * Intel's 4K aliasing (a load held behind a store equal in bits 0-11) costs a few cycles instead.
 *
 * The loops are inline assembly, so the compiler cannot merge, drop or reorder the three accesses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define ARENA_BYTES (64ul << 20)
#define STACK_BYTES (1ul << 20)
#define ITERATIONS 20000
#define TRIALS 5
#define RETRIALS 20 /* an address that looked slow is timed again this often: an interrupt is not a cliff */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* store p; store p+delta; load p -- ITERATIONS times; the load feeds the next store. */
static double time_mirrored(volatile uint64_t *p, long delta)
{
    uint64_t value = 1;
    long n = ITERATIONS;
    double start = now_ns();
    __asm__ volatile("1:\n\t"
                     "mov %0, (%1)\n\t"
                     "mov %0, (%1,%2)\n\t"
                     "mov (%1), %0\n\t"
                     "inc %0\n\t"
                     "dec %3\n\t"
                     "jnz 1b"
                     : "+r"(value), "+r"(p), "+r"(delta), "+r"(n)
                     :
                     : "memory", "cc");
    return (now_ns() - start) / ITERATIONS;
}

/* store p; load p -- the same loop without the mirror store. */
static double time_plain(volatile uint64_t *p)
{
    uint64_t value = 1;
    long n = ITERATIONS;
    double start = now_ns();
    __asm__ volatile("1:\n\t"
                     "mov %0, (%1)\n\t"
                     "mov (%1), %0\n\t"
                     "inc %0\n\t"
                     "dec %2\n\t"
                     "jnz 1b"
                     : "+r"(value), "+r"(p), "+r"(n)
                     :
                     : "memory", "cc");
    return (now_ns() - start) / ITERATIONS;
}

static double best(double a, double b) { return a < b ? a : b; }

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct mapping {
    void *start;
    size_t length;
};

/* Map the mirror of [start, start+bytes) at start+delta; false (with a message) if that space is taken. */
static int map_mirror(uintptr_t start, size_t bytes, long delta, struct mapping *out)
{
    uintptr_t page = (start + (uintptr_t)delta) & ~(uintptr_t)4095;
    size_t length = ((start + bytes + (uintptr_t)delta + 4095) & ~(uintptr_t)4095) - page;
    void *got = mmap((void *)page, length, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (got == MAP_FAILED || got != (void *)page) {
        fprintf(stderr, "alias_probe: cannot map the mirror at 0x%lx for delta %s0x%lx: %s\n",
                (unsigned long)page, delta < 0 ? "-" : "", (unsigned long)(delta < 0 ? -delta : delta),
                got == MAP_FAILED ? strerror(errno) : "placed elsewhere");
        if (got != MAP_FAILED)
            munmap(got, length);
        return 0;
    }
    *out = (struct mapping){got, length};
    return 1;
}

static uint64_t rng_state;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: alias_probe ADDRESSES SEED DELTA...\n");
        return 2;
    }
    int addresses = atoi(argv[1]);
    rng_state = strtoull(argv[2], NULL, 0) * 0x9E3779B97F4A7C15ull + 1;
    unsigned char *arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED) {
        perror("alias_probe: mmap");
        return 1;
    }
    memset(arena, 1, ARENA_BYTES);
    static volatile unsigned char *stack_base;
    volatile unsigned char stack[STACK_BYTES];
    memset((void *)stack, 1, sizeof stack);
    stack_base = stack;

    uintptr_t *lines = calloc((size_t)addresses, sizeof *lines);
    double *mirrored = calloc((size_t)addresses, sizeof *mirrored);
    double *plain = calloc((size_t)addresses, sizeof *plain);
    double *sorted = calloc((size_t)addresses, sizeof *sorted);
    if (addresses < 1 || !lines || !mirrored || !plain || !sorted) {
        fprintf(stderr, "alias_probe: ADDRESSES must be a positive number\n");
        return 2;
    }
    for (int i = 0; i < addresses; i++) {
        if (i % 2 == 0)
            lines[i] = (uintptr_t)arena + (next_random() % (ARENA_BYTES / 64)) * 64;
        else
            lines[i] = (uintptr_t)stack_base + (next_random() % (STACK_BYTES / 64)) * 64;
    }
    for (int d = 3; d < argc; d++) {
        long delta = strtol(argv[d], NULL, 0);
        struct mapping heap_mirror, stack_mirror;
        if (!map_mirror((uintptr_t)arena, ARENA_BYTES, delta, &heap_mirror) ||
            !map_mirror((uintptr_t)stack_base, STACK_BYTES, delta, &stack_mirror))
            return 1;
        for (int i = 0; i < addresses; i++) {
            volatile uint64_t *p = (volatile uint64_t *)lines[i];
            mirrored[i] = plain[i] = 1e30;
            for (int t = 0; t < TRIALS; t++) {
                mirrored[i] = best(mirrored[i], time_mirrored(p, delta));
                plain[i] = best(plain[i], time_plain(p));
            }
        }
        memcpy(sorted, mirrored, (size_t)addresses * sizeof *sorted);
        qsort(sorted, (size_t)addresses, sizeof *sorted, by_value);
        double median = sorted[addresses / 2];
        /* A second pass over the addresses that looked slow, after all the others: a cliff of the
         * address (a way-predictor conflict) is there again, a preemption or a passing state is not. */
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < addresses; i++)
                for (int t = 0; t < RETRIALS && mirrored[i] > 3 * median; t++)
                    mirrored[i] = best(mirrored[i], time_mirrored((volatile uint64_t *)lines[i], delta));
        for (int i = 0; i < addresses; i++)
            printf("%s 0x%lx %s %.3f %.3f\n", argv[d], (unsigned long)lines[i], i % 2 ? "stack" : "heap",
                   mirrored[i], plain[i]);
        munmap(heap_mirror.start, heap_mirror.length);
        munmap(stack_mirror.start, stack_mirror.length);
    }
    return 0;
}
