/* The mirrored heap's page runs (runtime/heap/pages.c) are reused across sizes: freed neighbours
 * merge, a request takes part of a larger free run, and the pages of freed large blocks serve later
 * spans of small objects. (Reused by exact page count only, SQLite's one-off large blocks stayed
 * resident and unused.) The test runs it with audit_at_exit=1: every free-list link and page-map tag
 * written here stays exact in the mirror. Prints one line per failed check, then a summary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096UL

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

/* Hide a pointer from the optimiser, which may drop a malloc/free pair whose block is unused. */
static char *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

int main(void)
{
    /* Three large blocks in a row from the arena's top, then a fence that keeps them off the top. */
    char *a = opaque(malloc(10 * PAGE)), *b = opaque(malloc(20 * PAGE)), *c = opaque(malloc(30 * PAGE));
    char *fence = opaque(malloc(5 * PAGE));
    memset(a, 1, 10 * PAGE);
    memset(b, 2, 20 * PAGE);
    memset(c, 3, 30 * PAGE);
    check(b == a + 10 * PAGE && c == b + 20 * PAGE, "three large blocks taken in a row from the top");

    /* Freed in an order that merges on both sides: c, then a, then b joins them into one run. */
    free(c);
    free(a);
    free(b);
    char *whole = opaque(malloc(60 * PAGE));
    check(whole == a, "a block of all three sizes reuses their merged run");
    memset(whole, 4, 60 * PAGE);
    free(whole);

    /* A smaller request takes the front of the free run; the rest serves the next one. */
    char *front = opaque(malloc(25 * PAGE)), *rest = opaque(malloc(35 * PAGE));
    check(front == a && rest == a + 25 * PAGE, "a free run split between two smaller blocks");
    free(front);
    free(rest);

    /* Forty one-off large blocks of distinct sizes, freed; then small objects of one class: their
     * spans come from the freed pages, not from the top of the arena. */
    char *blocks[40];
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < 40; i++) {
        size_t n = 40000 + (size_t)i * 5000;
        blocks[i] = opaque(malloc(n));
        memset(blocks[i], i, n);
        if ((uintptr_t)blocks[i] < lo)
            lo = (uintptr_t)blocks[i];
        if ((uintptr_t)blocks[i] + n > hi)
            hi = (uintptr_t)blocks[i] + n;
    }
    char *fence2 = opaque(malloc(5 * PAGE));
    for (int i = 0; i < 40; i++)
        free(blocks[i]);
    int inside = 0;
    enum { SMALL = 800 }; /* 3.7 MB of objects in 5.5 MB of freed blocks */
    static char *small[SMALL];
    for (int i = 0; i < SMALL; i++) {
        small[i] = opaque(malloc(4368));
        memset(small[i], 5, 4368);
        inside += (uintptr_t)small[i] >= lo && (uintptr_t)small[i] < hi;
    }
    printf("small objects in freed large blocks: %d of %d\n", inside, SMALL);
    /* (A span of the class already started elsewhere may serve the first few.) */
    check(inside >= SMALL - 16, "small objects' spans reuse freed large blocks");

    /* Above a page, alignment over-allocates and gives back what it did not use. */
    char *aligned = opaque(aligned_alloc(64 * 1024, 100 * 1024));
    check(((uintptr_t)aligned & (64 * 1024 - 1)) == 0, "aligned_alloc(64 KiB) is aligned");
    memset(aligned, 6, 100 * 1024);

    for (int i = 0; i < SMALL; i++)
        free(small[i]);
    free(aligned);
    free(fence);
    free(fence2);
    printf("%d failures\n", failures);
    return failures != 0;
}
