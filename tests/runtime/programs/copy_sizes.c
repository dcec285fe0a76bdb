/* runtime/mirror/copy.c through the pass: memcpy and memmove of every size up to 200 bytes and of a few sizes
 * up to 12,000 (the registers path up to 64, libc or 4 KiB chunks through the stack above), within one
 * buffer at shifts that overlap both ways and between two buffers. After each copy the result is
 * compared with a byte loop the optimiser cannot turn into a copy, and the mirror with native
 * (mirror_diff). Prints the number of mismatches, then "done". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"

#define SIZE 32768
#define AT 12000

static unsigned char *buffer, *other, *expect;
static int mismatches;

static void fill(unsigned char *p, unsigned seed)
{
    for (int i = 0; i < SIZE; i++)
        p[i] = (unsigned char)(seed * 31 + i * 7);
}

static void check(const unsigned char *p, const char *what, size_t n, long shift)
{
    if (memcmp(p, expect, SIZE) != 0 || mirror_diff(p, SIZE) != 0) {
        if (mismatches++ < 10)
            printf("%s n=%zu shift=%ld: native %s, mirror_diff %zu\n", what, n, shift,
                   memcmp(p, expect, SIZE) ? "wrong" : "right", mirror_diff(p, SIZE));
    }
}

static void one(size_t n, long shift)
{
    size_t from = AT, to = (size_t)((long)AT + shift);
    volatile unsigned char *slow = expect;
    static unsigned char tmp[SIZE];
    /* memmove within one buffer */
    fill(buffer, (unsigned)n);
    fill(expect, (unsigned)n);
    for (size_t i = 0; i < n; i++)
        tmp[i] = slow[from + i];
    for (size_t i = 0; i < n; i++)
        slow[to + i] = tmp[i];
    memmove(buffer + to, buffer + from, n);
    check(buffer, "memmove", n, shift);
    /* memmove and memcpy between two buffers */
    fill(other, (unsigned)n + 1);
    fill(expect, (unsigned)n + 1);
    for (size_t i = 0; i < n; i++)
        slow[to + i] = tmp[i];
    memmove(other + to, buffer + to, n);
    check(other, "memmove between buffers", n, shift);
    fill(other, (unsigned)n + 1);
    memcpy(other + to, buffer + to, n);
    check(other, "memcpy", n, shift);
}

int main(void)
{
    buffer = malloc(SIZE), other = malloc(SIZE), expect = malloc(SIZE);
    for (size_t n = 0; n <= 200; n++)
        for (long shift = -9; shift <= 9; shift++)
            one(n, shift);
    size_t large[] = {1000, 4095, 4096, 4097, 5000, 9000, 12000};
    long shifts[] = {-5000, -4096, -100, -1, 1, 100, 4096, 5000};
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
        for (size_t j = 0; j < sizeof shifts / sizeof shifts[0]; j++)
            one(large[i], shifts[j]);
    printf("%d mismatches\ndone\n", mismatches);
    return 0;
}
