/* Compress and decompress a heap buffer with libz, round after round, and print a checksum of every
 * result: a byte restored stale anywhere in the program's heap shows up as a different checksum.
 *
 * benchmarks/vendor_options.py builds it against the system's (uninstrumented) libz in the ways a
 * program can live with a library it cannot rebuild: as is; -DZLIB_SYNCED_REPLACE with
 * examples/vendor_sync/zlib_synced.h (mirror_sync after each call); -DOUTSIDE_DOMAIN (the buffers libz
 * writes are mapped by the program itself, outside the protected domain). */
#ifdef OUTSIDE_DOMAIN
#include <sys/mman.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
int main(void) {
    unsigned long n = 4u << 20;
    unsigned long cap = compressBound(n);
#ifdef OUTSIDE_DOMAIN
    unsigned char *src = malloc(n);
    unsigned char *back = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *packed = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (back == MAP_FAILED || packed == MAP_FAILED) return 4;
#else
    unsigned char *src = malloc(n), *back = malloc(n);
    unsigned char *packed = malloc(cap);
#endif
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
