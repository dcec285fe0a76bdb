/* The statistics count what is resident, and the audit does not change it: a 64 MiB .bss array read
 * (so its native pages map the zero page) but never written has no resident mirror page, before or
 * after an audit. */
#include <stdio.h>
#include <sys/mman.h>

#include "mirror.h"
#include "base/layout.h"

#define BIG (64UL << 20)

static char big[BIG] __attribute__((aligned(4096)));
static unsigned char vector[BIG / 4096];
long written[4096];

static size_t mirror_resident_pages(void)
{
    void *mirror = (void *)((unsigned long)big + (unsigned long)MIRROR_DELTA);
    if (mincore(mirror, BIG, vector) != 0)
        return (size_t)-1;
    size_t n = 0;
    for (size_t i = 0; i < BIG / 4096; i++)
        n += vector[i] & 1;
    return n;
}

int main(void)
{
    long sum = 0;
    for (size_t i = 0; i < BIG; i += 4096)
        sum += ((volatile char *)big)[i];
    for (int i = 0; i < 4096; i++)
        written[i] = i;
    printf("sum=%ld big_mirror_resident_before=%zu\n", sum, mirror_resident_pages());
    printf("audit=%zu\n", mirror_audit());
    printf("big_mirror_resident_after=%zu\n", mirror_resident_pages());
    return 0;
}
