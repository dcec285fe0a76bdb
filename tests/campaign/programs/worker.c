/* A deterministic worker for campaign tests: about half a second of rounds over 2 MiB of heap and a
 * 256 KiB global array, every page touched each round; prints a checksum.
 *
 *   worker            the data lives in the protected domain (heap, globals)
 *   worker mmap       it also keeps 16 MiB in an anonymous mapping of its own, outside the protected
 *                     domain (mirror-cc mirrors its stores, but nothing registers it), read each round
 *   worker clock      prints the time too: an output that is not deterministic
 *   worker rounds=N   N rounds instead of 25 (any of the above may come first): 15 take ~0.3 s
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define HEAP_BYTES (2u << 20)
#define MAPPED_BYTES (16u << 20)
#define ROUNDS 25

static unsigned table[64 * 1024];

int main(int argc, char **argv)
{
    int use_mmap = argc > 1 && strcmp(argv[1], "mmap") == 0;
    unsigned rounds = ROUNDS;
    for (int a = 1; a < argc; a++)
        if (strncmp(argv[a], "rounds=", 7) == 0)
            rounds = (unsigned)strtoul(argv[a] + 7, NULL, 10);
    unsigned char *heap = malloc(HEAP_BYTES);
    unsigned char *mapped = NULL;
    if (!heap)
        return 2;
    if (use_mmap) {
        mapped = mmap(NULL, MAPPED_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapped == MAP_FAILED)
            return 2;
        memset(mapped, 7, MAPPED_BYTES);
    }
    unsigned long sum = 0;
    for (unsigned round = 0; round < rounds; round++) {
        for (unsigned i = 0; i < HEAP_BYTES; i += 64)
            heap[i] = (unsigned char)(heap[i] + i + round);
        for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
            table[i] = table[i] * 31 + i + round;
        for (unsigned i = 0; use_mmap && i < MAPPED_BYTES; i += 4096)
            sum += mapped[i];
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    for (unsigned i = 0; i < HEAP_BYTES; i += 64)
        sum = sum * 7 + heap[i];
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
        sum = sum * 3 + table[i];
    printf("checksum %lu\n", sum);
    if (argc > 1 && strcmp(argv[1], "clock") == 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        printf("at %ld.%09ld\n", (long)now.tv_sec, now.tv_nsec);
    }
    return 0;
}
