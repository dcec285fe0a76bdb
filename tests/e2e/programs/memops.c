/* memops: memcpy, memset and memmove with constant sizes (inlined as moves) and variable sizes (calls),
 * overlapping memmove in both directions, and large sizes (8 MiB heap blocks that malloc maps with
 * mmap, a 1 MiB global). Also __builtin_memcpy_inline / __builtin_memset_inline and copy loops the
 * optimiser turns into memcpy/memset itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcheck.h"

static uint8_t g_big[1 << 20];     /* zero-initialised, 1 MiB */
static uint8_t g_small[300] = {1, 2, 3};
static char g_text[64] = "the quick brown fox jumps over the lazy dog";

/* Sizes the optimiser cannot see through. */
static volatile size_t v_sizes[] = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255,
                                    256, 257, 1000, 4095, 4096, 4097, 65536, 100003};

static uint64_t fold(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 131 + seed);
}

__attribute__((noinline)) static void copy_loop(uint8_t *restrict dst, const uint8_t *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++) /* becomes a memcpy call at -O2 */
        dst[i] = src[i];
}

__attribute__((noinline)) static void zero_loop(uint32_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) /* becomes a memset call at -O2 */
        p[i] = 0;
}

/* The initial values of the globals with initialisers, saved before the first round and put back
 * before each further round (MIRROR_E2E_ROUNDS, mcheck.h). */
static uint8_t g_small_initial[sizeof g_small];
static char g_text_initial[sizeof g_text];

static void run_round(void)
{
    enum { WORK = 300000 }; /* the variable-size pass below ends near 250500 */
    uint8_t *src = malloc(WORK);
    uint8_t *dst = malloc(WORK);
    fill_pattern(src, WORK, 7);
    fill_pattern(dst, WORK, 99);

    /* Constant sizes: each a separate inlined copy or set. */
#define COPY_CONST(n, off)                                                                                   \
    do {                                                                                                     \
        memcpy(dst + (off), src + (off) + 3, (n));                                                           \
        memset(dst + (off) + (n), (int)((n) & 0xff), (n) / 2 + 1);                                           \
    } while (0)
    COPY_CONST(1, 0);
    COPY_CONST(2, 10);
    COPY_CONST(3, 20);
    COPY_CONST(4, 30);
    COPY_CONST(7, 40);
    COPY_CONST(8, 60);
    COPY_CONST(15, 80);
    COPY_CONST(16, 120);
    COPY_CONST(31, 160);
    COPY_CONST(32, 220);
    COPY_CONST(33, 300);
    COPY_CONST(64, 400);
    COPY_CONST(100, 500);
    COPY_CONST(256, 700);
    COPY_CONST(4096, 1200);
    __builtin_memcpy_inline(dst + 9000, src + 1, 48);
    __builtin_memset_inline(dst + 9100, 0xab, 24);

    /* Variable sizes. */
    size_t off = 10000;
    for (size_t k = 0; k < sizeof v_sizes / sizeof v_sizes[0]; k++) {
        size_t n = v_sizes[k];
        memcpy(dst + off, src + (k * 17) % 1000, n);
        off += n;
        memset(dst + off, (int)k, n / 3);
        off += n / 3;
    }

    /* Overlapping memmove: forwards and backwards, constant and variable distances. */
    memmove(dst + 1, dst, 4000);
    memmove(dst + 5000, dst + 5003, 3000);
    memmove(dst + 20000, dst + 20000 - 7, 1000);
    for (size_t k = 1; k < 12; k++) {
        size_t n = v_sizes[k + 10];
        memmove(dst + 30000 + k, dst + 30000 + 2 * k, n);
        memmove(dst + 40000 + 3 * k, dst + 40000 + k, n);
    }
    memmove(dst + 100, dst + 100, 50); /* same place */

    copy_loop(dst + 150000, src, 4321);
    uint32_t *words = malloc(5000 * sizeof *words);
    for (size_t i = 0; i < 5000; i++)
        words[i] = (uint32_t)i * 2654435761u;
    zero_loop(words + 17, 3000);

    /* Large: 8 MiB blocks (mmap'd by malloc), a 1 MiB global. */
    size_t large = (size_t)8 << 20;
    uint8_t *big1 = malloc(large);
    uint8_t *big2 = malloc(large);
    fill_pattern(big1, large, 3);
    memset(big2, 0x5c, large);
    memcpy(big2 + 4096, big1, large - 8192);
    memmove(big2 + 1, big2, large - 1);
    memset(g_big, 0x11, sizeof g_big / 2);
    memcpy(g_big + 12345, big1 + 777, 500000);
    memmove(g_big + 1000, g_big, 300000);

    /* Globals with initial values. */
    memcpy(g_small + 100, g_small, 50);
    memset(g_small + 200, 0xff, 33);
    memmove(g_text + 4, g_text, 20);
    memcpy(g_text + 40, "0123456789", 11);

    printf("dst: %016llx\n", (unsigned long long)fold(dst, WORK));
    printf("words: %016llx\n", (unsigned long long)fold(words, 5000 * sizeof *words));
    printf("big1: %016llx big2: %016llx\n", (unsigned long long)fold(big1, large),
           (unsigned long long)fold(big2, large));
    printf("g_big: %016llx g_small: %016llx\n", (unsigned long long)fold(g_big, sizeof g_big),
           (unsigned long long)fold(g_small, sizeof g_small));
    printf("g_text: %s\n", g_text);

    MCHECK(src, WORK);
    MCHECK(dst, WORK);
    MCHECK(words, 5000 * sizeof *words);
    MCHECK(big1, large);
    MCHECK(big2, large);
    MCHECK_OBJ(g_big);
    MCHECK_OBJ(g_small);
    MCHECK_OBJ(g_text);
    free(src);
    free(dst);
    free(words);
    free(big1);
    free(big2);
}

int main(void)
{
    memcpy(g_small_initial, g_small, sizeof g_small);
    memcpy(g_text_initial, g_text, sizeof g_text);
    for (int round = 0, rounds = mcheck_rounds(); round < rounds; round++) {
        if (round > 0) {
            memset(g_big, 0, sizeof g_big);
            memcpy(g_small, g_small_initial, sizeof g_small);
            memcpy(g_text, g_text_initial, sizeof g_text);
        }
        run_round();
    }
    mcheck_report();
    return 0;
}
