/* Seeding must not make zero pages resident in the mirror: neither a large .bss array nor the zero
 * pages of a mostly-zero initialized array (.data). Counted with mincore on the mirror itself. */
#include <stdio.h>
#include <sys/mman.h>

#include "mirror_test.h"

#define BIG_BSS_SIZE (64UL << 20)
#define SPARSE_PAGES 64

static char big_bss[BIG_BSS_SIZE] __attribute__((aligned(4096)));
/* In .data because of the one non-zero byte; every page but the first is zero. */
char sparse_data[SPARSE_PAGES * 4096] __attribute__((aligned(4096))) = {1};

static unsigned char residency[BIG_BSS_SIZE / 4096];

static size_t resident_pages(const void *start, size_t len)
{
    if (mincore((void *)start, len, residency) != 0) {
        perror("mincore");
        return (size_t)-1;
    }
    size_t count = 0;
    for (size_t i = 0; i < (len + 4095) / 4096; i++)
        count += residency[i] & 1;
    return count;
}

int main(void)
{
    /* Before any read of the mirror: reading maps the zero page, which mincore counts. */
    printf("big_bss_mirror_resident=%zu\n", resident_pages(mirror_address(big_bss), BIG_BSS_SIZE));
    printf("sparse_data_mirror_resident=%zu\n",
           resident_pages(mirror_address(sparse_data), sizeof sparse_data));
    printf("big_bss_native_resident=%zu\n", resident_pages(big_bss, BIG_BSS_SIZE));
    printf("sparse_data_diff=%zu\n", mirror_diff(sparse_data, sizeof sparse_data));
    return 0;
}
