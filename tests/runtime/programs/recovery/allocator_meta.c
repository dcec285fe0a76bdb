/* Losing the pages that hold the mirrored heap's own bookkeeping: the free lists that thread through
 * freed objects, the free runs of large blocks (linked through their first word), the page map, and
 * the globals with the central free lists and the bins. Then the program goes on allocating and
 * freeing, and must compute what it computes without any loss.
 *
 * ./allocator_meta none|inject
 * stdout: checksum=... live=... (identical for both modes)
 * stderr: "lost <what> 0x<page>" for each page lost, "phase: reuse" before the allocator runs on,
 *         "phase: sweep" before every lost page is read once more, "phase: end". */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "domain/domain.h"
#include "mirror.h"
#include "recovery/recovery_test.h"

enum { SMALL = 20000, SMALL_SIZE = 48, LARGE = 8, LARGE_SIZE = 64 * 1024, MAX_LOST = 512 };

static unsigned char *small[SMALL];
static unsigned char *large[LARGE];
static unsigned char *freed_small[SMALL], *freed_large[LARGE];
static uintptr_t lost[MAX_LOST];
static int nlost;
static int inject;

static void lose(const char *what, const void *p)
{
    uintptr_t page = page_of(p);
    for (int i = 0; i < nlost; i++)
        if (lost[i] == page)
            return;
    if (!inject || nlost == MAX_LOST)
        return;
    if (mirror_inject_error((void *)page) != 0) {
        perror("mirror_inject_error");
        exit(2);
    }
    lost[nlost++] = page;
    fprintf(stderr, "lost %s %#lx\n", what, (unsigned long)page);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31 + i);
}

static uint64_t sum(const unsigned char *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* Every resident page of the protected ranges of one kind (the heap's page map, the globals). */
static void lose_region_kind(enum _mirror_region_kind kind, const char *what)
{
    struct _mirror_region r;
    for (int cursor = 0; _mirror_domain_next(&cursor, &r);) {
        if (r.kind != kind)
            continue;
        for (uintptr_t page = _mirror_page_up(r.start); page + PAGE <= r.end; page += PAGE) {
            unsigned char resident = 0;
            if (mincore((void *)page, PAGE, &resident) == 0 && (resident & 1))
                lose(what, (void *)page);
        }
    }
}

int main(int argc, char **argv)
{
    inject = argc == 2 && strcmp(argv[1], "inject") == 0;
    uint64_t h = 0xcbf29ce484222325ULL;

    for (int i = 0; i < SMALL; i++) {
        small[i] = malloc(SMALL_SIZE);
        fill(small[i], SMALL_SIZE, (unsigned)i);
    }
    for (int i = 0; i < LARGE; i++) {
        large[i] = malloc(LARGE_SIZE);
        fill(large[i], LARGE_SIZE, (unsigned)i + 7);
    }
    /* Free every other small object (they now link the thread cache's and the central free lists) and
     * every other large block (free runs in the bins, linked through their first word). */
    for (int i = 1; i < SMALL; i += 2) {
        freed_small[i] = small[i];
        free(small[i]);
        small[i] = NULL;
    }
    for (int i = 1; i < LARGE; i += 2) {
        freed_large[i] = large[i];
        free(large[i]);
        large[i] = NULL;
    }
    for (int i = 1; i < SMALL; i += 2 * 97) /* the page of every 97th freed object */
        lose("freed-object", freed_small[i]);
    for (int i = 1; i < LARGE; i += 2)
        lose("free-run", freed_large[i]);
    lose_region_kind(MIRROR_REGION_HEAP_META, "page-map");
    lose_region_kind(MIRROR_REGION_GLOBALS, "globals");
    fprintf(stderr, "phase: reuse\n");

    /* The allocator runs on: the freed objects and runs come back (their links are read), blocks are
     * freed (the page map is read), more are allocated, in the same order in both modes. */
    for (int i = 1; i < SMALL; i += 2) {
        small[i] = malloc(SMALL_SIZE);
        fill(small[i], SMALL_SIZE, (unsigned)i * 3);
    }
    for (int i = 1; i < LARGE; i += 2) {
        large[i] = malloc(LARGE_SIZE);
        fill(large[i], LARGE_SIZE, (unsigned)i * 5);
    }
    for (int round = 0; round < 4; round++) {
        for (int i = round; i < SMALL; i += 3) {
            h = sum(small[i], SMALL_SIZE, h);
            free(small[i]);
            small[i] = malloc(SMALL_SIZE + (size_t)round * 16 % 48);
            fill(small[i], SMALL_SIZE, (unsigned)(i + round));
        }
        for (int i = round % 2; i < LARGE; i += 2) {
            h = sum(large[i], LARGE_SIZE, h);
            free(large[i]);
            large[i] = malloc(LARGE_SIZE);
            fill(large[i], LARGE_SIZE, (unsigned)(i * round + 1));
        }
    }
    long live = 0;
    for (int i = 0; i < SMALL; i++) {
        h = sum(small[i], SMALL_SIZE, h);
        live += small[i] != NULL;
    }
    for (int i = 0; i < LARGE; i++)
        h = sum(large[i], LARGE_SIZE, h);

    /* Pages nobody touched since they were lost (a bin the program never used again) are read now,
     * so each comes back or the process dies. */
    fprintf(stderr, "phase: sweep\n");
    for (int i = 0; i < nlost; i++)
        (void)*(volatile unsigned char *)lost[i];
    fprintf(stderr, "phase: end\n");
    printf("checksum=%016llx live=%ld\n", (unsigned long long)h, live);
    fprintf(stderr, "lost_pages=%d audit=%zu\n", nlost, mirror_audit());
    for (int i = 0; i < SMALL; i++)
        free(small[i]);
    for (int i = 0; i < LARGE; i++)
        free(large[i]);
    return 0;
}
