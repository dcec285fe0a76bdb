/* seed.c — copying memory that was written without mirror stores (by the loader, the kernel, or libc
 * before start-up) into its mirror, so that native == mirror holds when it enters the protected domain.
 * Start-up seeds the executable's data with it, libraries.c each instrumented library's.
 */
#include <string.h>
#include <sys/mman.h>

#include "domain/domain.h"

static bool page_is_zero(const unsigned char *page)
{
    const uint64_t *word = (const uint64_t *)page;
    for (size_t i = 0; i < MIRROR_PAGE_SIZE / sizeof *word; i++)
        if (word[i] != 0)
            return false;
    return true;
}

/* Copy the pages of [start, end) that hold data into the mirror, which is all zero so far. A zero page
 * needs no copy, and copying it would make its mirror resident for nothing.
 * file_backed: the pages map the executable file (.data). Not being resident says nothing about their
 * content then: the data is read from the file on the first touch, so they must be read. Otherwise
 * they are anonymous (.bss), and a page that was never touched is zero: mincore tells which were, so a
 * large .bss is not faulted in. (An anonymous page already swapped out would also look untouched; at
 * pre-init time the loader has barely written any, so the risk is accepted.) */
void _mirror_seed_pages(uintptr_t start, uintptr_t end, bool file_backed)
{
    enum { BATCH_PAGES = 256 };
    unsigned char resident[BATCH_PAGES];
    for (uintptr_t batch = start; batch < end; batch += BATCH_PAGES * MIRROR_PAGE_SIZE) {
        size_t pages = (end - batch) / MIRROR_PAGE_SIZE;
        if (pages > BATCH_PAGES)
            pages = BATCH_PAGES;
        /* If mincore fails, fall back to reading every page: slower, never wrong. */
        bool known = !file_backed && mincore((void *)batch, pages * MIRROR_PAGE_SIZE, resident) == 0;
        for (size_t i = 0; i < pages; i++) {
            const unsigned char *page = (const unsigned char *)(batch + i * MIRROR_PAGE_SIZE);
            if (known && !(resident[i] & 1))
                continue;
            if (page_is_zero(page))
                continue;
            memcpy(_mirror_of(page), page, MIRROR_PAGE_SIZE);
        }
    }
}
