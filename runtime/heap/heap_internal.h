/* heap_internal.h — the mirrored heap's shared definitions.
 *
 * The heap serves every allocation of instrumented code (mirror-cc routes malloc & co. to the
 * __mirror_ functions). It is compiled by mirror-cc itself (see runtime/Makefile), so every write it
 * makes — free-list links, the page map, span bookkeeping — is mirrored like any program store, and a
 * lost heap page, metadata included, can be rebuilt from the mirror.
 *
 * Layout: one arena reserved at first use (ARENA_BYTES of address space, MAP_NORESERVE: only touched
 * pages cost memory) inside the mmap application window. Pages are handed out in runs by pages.c;
 * a run is a span cut into objects of one size class, one large allocation or free. The page map (one
 * 32-bit entry per arena page, itself a MAP_NORESERVE mapping) says which: on every page of a span, on
 * the first and last page of other runs (pages.c). Invariant: a pointer belongs to this heap iff it
 * lies in [arena.base, arena.base + ARENA_BYTES); everything else came from libc and goes back to libc.
 */
#ifndef MIRROR_HEAP_INTERNAL_H
#define MIRROR_HEAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_PAGE 4096UL
#define ARENA_BYTES (64UL << 30) /* 64 GiB of address space */
#define ARENA_PAGES (ARENA_BYTES / HEAP_PAGE)

/* Size classes: 16-byte steps up to 256, then eight classes per doubling up to 32 KiB, so a request
 * wastes at most 1/8 of itself (a power of two plus a small header, common in C programs -- SQLite's
 * 4096 + 8-byte page buffers -- wasted 1/4 with four classes per doubling). Class 0 is unused;
 * SMALL_MAX is the largest class size. Larger requests are page runs of their own. */
#define CLASSES_PER_DOUBLING 8
#define NUM_CLASSES (17 + 7 * CLASSES_PER_DOUBLING)
#define SMALL_MAX 32768UL

/* The class of a request of n <= SMALL_MAX bytes, and a class's object size. (Also read by
 * benchmarks/workloads/alloc_peaks.c, which maps another allocator's requests onto these classes.) */
static inline unsigned class_of(size_t n)
{
    if (n <= 256)
        return n ? (unsigned)((n + 15) >> 4) : 1;
    unsigned k = 63 - (unsigned)__builtin_clzl(n - 1); /* n in (2^k, 2^(k+1)], k >= 8 */
    unsigned sub = (unsigned)((n - 1 - (1UL << k)) >> (k - 3)); /* eighths of 2^k */
    return 17 + (k - 8) * CLASSES_PER_DOUBLING + sub;
}

static inline size_t class_size(unsigned c)
{
    if (c <= 16)
        return (size_t)c << 4;
    unsigned k = 8 + (c - 17) / CLASSES_PER_DOUBLING, sub = (c - 17) % CLASSES_PER_DOUBLING;
    return (1UL << k) + (size_t)(sub + 1) * (1UL << (k - 3));
}

/* Page map entry: kind in the top bits, payload below. */
#define PM_KIND_MASK 0xC0000000u
#define PM_SMALL 0x40000000u /* payload: size class of the span this page belongs to */
#define PM_LARGE 0x80000000u /* first page of a large allocation; payload: its page count */
#define PM_FREE 0xC0000000u  /* first page of a free run; payload: its page count */
#define PM_PAYLOAD(e) ((e) & ~PM_KIND_MASK)

struct heap_arena {
    uintptr_t base;     /* 0 until the first allocation */
    uintptr_t bump;     /* pages below bump have been handed out at least once */
    uint32_t *page_map; /* ARENA_PAGES entries */
    int domain_handle;  /* the arena's entry in the protected domain */
};

extern struct heap_arena _mirror_heap_arena;

/* A test-and-set spinlock written by instrumented atomics, so its mirror stays exact: the pass
 * follows the exchange and the release store with __mirror_sync_atomic (a libc mutex would be written
 * by uninstrumented code). A ticket lock, whose adds would commute on the mirror without that call,
 * convoys badly with more threads than cores: 4x slower here with 4 threads on 2 cores. */
typedef struct {
    int locked;
} heap_lock;

void _mirror_heap_lock(heap_lock *lock);
void _mirror_heap_unlock(heap_lock *lock);

/* pages.c: runs of pages. */
bool _mirror_heap_ensure_arena(void);
void *_mirror_heap_pages_alloc(size_t pages, bool *fresh); /* fresh: never used, still zero */
void *_mirror_heap_pages_alloc_aligned(size_t pages, size_t alignment); /* alignment > HEAP_PAGE */
void _mirror_heap_pages_free(void *run);
size_t _mirror_heap_run_pages(const void *run);
void _mirror_heap_pages_prefork(void);
void _mirror_heap_pages_postfork(void);

static inline bool _mirror_heap_owns(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return _mirror_heap_arena.base != 0 && a - _mirror_heap_arena.base < ARENA_BYTES;
}

static inline size_t _mirror_heap_page_index(const void *p)
{
    return ((uintptr_t)p - _mirror_heap_arena.base) / HEAP_PAGE;
}

#endif
