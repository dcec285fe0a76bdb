/* Compress and decompress a heap buffer with libz, round after round, and print a checksum of every
 * result: a byte restored stale anywhere in the program's heap shows up as a different checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
int main(void) {
    unsigned long n = 4u << 20;
    unsigned char *src = malloc(n), *back = malloc(n);
    unsigned long cap = compressBound(n);
    unsigned char *packed = malloc(cap);
    unsigned long sum = 0;
    for (int round = 0; round < 12; round++) {
        for (unsigned long i = 0; i < n; i++) src[i] = (unsigned char)((i * 2654435761u >> (round % 7)) % 61 + 'A');
        unsigned long out = cap, got = n;
        if (compress2(packed, &out, src, n, 6) != Z_OK) return 2;
        if (uncompress(back, &got, packed, out) != Z_OK || got != n || memcmp(back, src, n)) return 3;
        sum = crc32(sum, packed, out);
        sum = crc32(sum, back, got);
    }
    printf("%08lx\n", sum);
    return 0;
}
