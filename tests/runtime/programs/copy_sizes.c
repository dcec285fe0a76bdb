/* runtime/copy.c through the pass: memcpy and memmove of every size up to 200 bytes (the registers
 * path up to 64, libc above), at every shift from -9 to 9 bytes within one buffer (overlapping both
 * ways) and between buffers. Each result is compared with a byte loop the optimiser cannot turn into a
 * copy, and the mirror with native (mirror_diff). Prints the number of mismatches, then "done". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"

#define SIZE 512

static void fill(unsigned char *p, unsigned seed)
{
    for (int i = 0; i < SIZE; i++)
        p[i] = (unsigned char)(seed * 31 + i * 7);
}

int main(void)
{
    unsigned char *buffer = malloc(SIZE), *other = malloc(SIZE), *expect = malloc(SIZE);
    volatile unsigned char *slow = expect;
    int mismatches = 0;
    for (size_t n = 0; n <= 200; n++) {
        for (int shift = -9; shift <= 9; shift++) {
            size_t from = 150, to = (size_t)(150 + shift);
            fill(buffer, (unsigned)n);
            fill(expect, (unsigned)n);
            unsigned char tmp[SIZE];
            for (size_t i = 0; i < n; i++)
                tmp[i] = slow[from + i];
            for (size_t i = 0; i < n; i++)
                slow[to + i] = tmp[i];
            memmove(buffer + to, buffer + from, n);
            mismatches += memcmp(buffer, expect, SIZE) != 0;
            fill(other, (unsigned)n + 1);
            memcpy(other + to, buffer + from, n);
            mismatches += memcmp(other + to, buffer + from, n) != 0;
        }
        mismatches += mirror_diff(buffer, SIZE) != 0;
        mismatches += mirror_diff(other, SIZE) != 0;
    }
    printf("%d mismatches\ndone\n", mismatches);
    return 0;
}
