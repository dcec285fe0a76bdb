/* zeroed_alloc: Conway's game of life with a fresh zeroed grid per generation, allocated by the
 * common helper zalloc() = malloc + memset(p, 0, n), and a zeroed histogram per generation.
 *
 * At -O1 and above LLVM folds malloc + memset(0) into calloc, so the memset never reaches the mirror
 * pass and glibc's calloc clears reused chunks without a mirror: see the known-bug table in
 * test_programs.py (/tmp/mirror_bugs/malloc_memset_calloc_fold.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcheck.h"

enum { W = 61, H = 47, GENS = 60 };

__attribute__((noinline)) static void *zalloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

static int alive(const uint8_t *g, int x, int y)
{
    x = (x + W) % W;
    y = (y + H) % H;
    return g[y * W + x];
}

int main(void)
{
    uint8_t *grid = zalloc(W * H);
    uint64_t s = 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < W * H; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        if (s % 3 == 0)
            grid[i] = 1;
    }
    long pops[GENS];
    for (int gen = 0; gen < GENS; gen++) {
        uint8_t *next = zalloc(W * H);
        unsigned *hist = zalloc(9 * sizeof *hist);
        long pop = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int n = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        if (dx || dy)
                            n += alive(grid, x + dx, y + dy);
                hist[n]++;
                if (n == 3 || (n == 2 && grid[y * W + x])) {
                    next[y * W + x] = 1;
                    pop++;
                }
            }
        pops[gen] = pop * 100 + hist[3];
        MCHECK(grid, W * H);
        MCHECK(hist, 9 * sizeof *hist);
        free(grid);
        free(hist);
        grid = next;
    }
    for (int gen = 0; gen < GENS; gen += 6)
        printf("gen %2d: population %ld, cells with 3 neighbours %ld\n", gen, pops[gen] / 100, pops[gen] % 100);
    MCHECK(grid, W * H);
    mcheck_report();
    free(grid);
    return 0;
}
