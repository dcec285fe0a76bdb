/* Most of this process's resident writable memory is a 32 MiB anonymous mapping of its own, outside
 * the protected domain (mirror-cc mirrors its stores, but nothing registers it): what
 * inject_target=anywhere and coverage_interval_ms see. A 1 MiB heap block is the protected part.
 *
 * stdout: "region=0x...-0x..." first (write(2): stdout's buffer may be lost), "done" at the end if the
 * process got there. The mapping is read every 10 ms for about 400 ms, so a lost page of it is touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BYTES (32u << 20)
#define HEAP_BYTES (1u << 20)

int main(void)
{
    unsigned char *region = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return 2;
    memset(region, 1, BYTES);
    unsigned char *heap = malloc(HEAP_BYTES); /* protected: the mirrored heap */
    memset(heap, 2, HEAP_BYTES);
    char line[80];
    int n = snprintf(line, sizeof line, "region=%p-%p\n", (void *)region, (void *)(region + BYTES));
    write(1, line, (size_t)n);
    unsigned long sum = 0;
    for (int round = 0; round < 40; round++) {
        for (unsigned i = 0; i < BYTES; i += 4096)
            sum += region[i];
        sum += heap[round * 4096];
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    n = snprintf(line, sizeof line, "done %lu\n", sum);
    write(1, line, (size_t)n);
    return 0;
}
