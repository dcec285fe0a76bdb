/* recovery_latency.c — time from a memory error to resumed execution, per 4 KiB page.
 *
 * Each round loses one resident heap page (mirror_inject_error: the next access raises a genuine
 * SIGBUS) and times the first read of it: the fault, the kernel's signal delivery, the runtime's
 * handler (remap a fresh page, copy the mirror back), the return and the re-executed read.
 * The runtime keeps SPARES pre-faulted pages for a process's first repairs (runtime/recovery/signal.c,
 * SPARE_PAGES); later repairs map their page in the handler. Prints the median, 10th and 90th
 * percentile in microseconds of the repairs after the spares, and the median of the first SPARES. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mirror.h"

enum { PAGES = 512, ROUNDS = 2000, SPARES = 16 /* = SPARE_PAGES */ };

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    char *heap = aligned_alloc(4096, PAGES * 4096UL);
    memset(heap, 0x5A, PAGES * 4096UL);
    static double us[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        volatile char *page = heap + (r % PAGES) * 4096UL;
        if (mirror_inject_error((void *)page) != 0) {
            perror("mirror_inject_error");
            return 1;
        }
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        char c = page[100];
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (c != 0x5A) {
            fprintf(stderr, "round %d: page came back wrong\n", r);
            return 1;
        }
        us[r] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
    }
    qsort(us, SPARES, sizeof us[0], by_value);
    double *later = us + SPARES;
    int n = ROUNDS - SPARES;
    qsort(later, (size_t)n, sizeof us[0], by_value);
    printf("rounds %d median_us %.2f p10_us %.2f p90_us %.2f spare_rounds %d spare_median_us %.2f\n", n,
           later[n / 2], later[n / 10], later[n * 9 / 10], SPARES, us[SPARES / 2]);
    return 0;
}
