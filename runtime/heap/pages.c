/* pages.c — the mirrored heap's page-run allocator and its arena.
 *
 * Runs of whole pages come from bins of free runs (exact page counts up to MAX_BIN_PAGES, one
 * first-fit list above), else from the never-used top of the arena (the bump pointer), whose pages
 * are still zero in native and mirror alike. A freed run of at least RELEASE_BYTES goes back to the
 * kernel with MADV_DONTNEED — in native memory and in its mirror, so both read as zero and the mirror
 * stays exact. Runs are not coalesced: spans keep their class forever and large runs are reused by
 * size, which keeps this file small at the cost of fragmentation in long-running programs with very
 * varied large sizes.
 */
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>

#include "../internal.h"
#include "heap_internal.h"

#define MAX_BIN_PAGES 256
#define RELEASE_BYTES (256UL << 10)
/* The protected domain covers the arena up to the bump pointer, grown in steps of this size. */
#define DOMAIN_STEP (64UL << 20)

struct heap_arena _mirror_heap_arena = {.domain_handle = -1};

static struct {
    heap_lock lock;
    void *bins[MAX_BIN_PAGES + 1]; /* free runs of exactly i pages, linked through their first word */
    void *big;                     /* free runs of more than MAX_BIN_PAGES pages, first fit */
    uintptr_t domain_end;          /* end of the arena range registered in the protected domain */
} pages;

void _mirror_heap_lock(heap_lock *lock)
{
    /* Spin briefly, then yield: with more threads than cores the holder may be descheduled, and
     * spinning for its whole time slice would waste ours. */
    unsigned spins = 0;
    while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
            if (++spins < 64)
                __builtin_ia32_pause();
            else
                sched_yield();
        }
}

void _mirror_heap_unlock(heap_lock *lock)
{
    __atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

static void *reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Called with pages.lock held, or before any other thread can allocate. */
static bool create_arena(void)
{
    void *base = reserve(ARENA_BYTES);
    void *map = reserve(ARENA_PAGES * sizeof(uint32_t));
    if (!base || !map) {
        _mirror_report("mirrored heap: cannot reserve %lu GiB of address space for the arena (%s); "
                       "check `ulimit -v`", ARENA_BYTES >> 30, base ? "page map" : "arena");
        return false;
    }
    /* Fresh anonymous memory reads as zero; so must its mirror, which may hold a previous mapping's
     * bytes at these addresses. */
    madvise((void *)_mirror_of(base), ARENA_BYTES, MADV_DONTNEED);
    madvise((void *)_mirror_of(map), ARENA_PAGES * sizeof(uint32_t), MADV_DONTNEED);
    _mirror_domain_add((uintptr_t)map, (uintptr_t)map + ARENA_PAGES * sizeof(uint32_t), MIRROR_REGION_HEAP_META,
                       "heap page map");
    _mirror_heap_arena.page_map = map;
    _mirror_heap_arena.bump = (uintptr_t)base;
    pages.domain_end = (uintptr_t)base + DOMAIN_STEP;
    _mirror_heap_arena.domain_handle =
        _mirror_domain_add((uintptr_t)base, pages.domain_end, MIRROR_REGION_HEAP, "heap");
    __atomic_store_n(&_mirror_heap_arena.base, (uintptr_t)base, __ATOMIC_RELEASE);
    return true;
}

bool _mirror_heap_ensure_arena(void)
{
    if (__atomic_load_n(&_mirror_heap_arena.base, __ATOMIC_ACQUIRE))
        return true;
    _mirror_heap_lock(&pages.lock);
    bool ok = _mirror_heap_arena.base != 0 || create_arena();
    _mirror_heap_unlock(&pages.lock);
    return ok;
}

static void set_run(void *run, uint32_t entry)
{
    _mirror_heap_arena.page_map[_mirror_heap_page_index(run)] = entry;
}

size_t _mirror_heap_run_pages(const void *run)
{
    return PM_PAYLOAD(_mirror_heap_arena.page_map[_mirror_heap_page_index(run)]);
}

static void push_free(void *run, size_t n)
{
    set_run(run, PM_FREE | (uint32_t)n);
    void **head = n <= MAX_BIN_PAGES ? &pages.bins[n] : &pages.big;
    *(void **)run = *head;
    *head = run;
}

static void *take_big(size_t n)
{
    for (void **link = &pages.big; *link; link = (void **)*link) {
        void *run = *link;
        size_t have = _mirror_heap_run_pages(run);
        if (have < n)
            continue;
        *link = *(void **)run;
        if (have > n)
            push_free((char *)run + n * HEAP_PAGE, have - n);
        return run;
    }
    return NULL;
}

static void *take_fresh(size_t n)
{
    uintptr_t run = _mirror_heap_arena.bump;
    if (n > (_mirror_heap_arena.base + ARENA_BYTES - run) / HEAP_PAGE)
        return NULL;
    _mirror_heap_arena.bump = run + n * HEAP_PAGE;
    if (_mirror_heap_arena.bump > pages.domain_end) {
        pages.domain_end = (_mirror_heap_arena.bump + DOMAIN_STEP - 1) & ~(DOMAIN_STEP - 1);
        _mirror_domain_resize(_mirror_heap_arena.domain_handle, pages.domain_end);
    }
    return (void *)run;
}

void *_mirror_heap_pages_alloc(size_t n, bool *fresh)
{
    if (!_mirror_heap_ensure_arena())
        return NULL;
    _mirror_heap_lock(&pages.lock);
    void *run = NULL;
    *fresh = false;
    if (n <= MAX_BIN_PAGES && pages.bins[n]) {
        run = pages.bins[n];
        pages.bins[n] = *(void **)run;
    } else if (n > MAX_BIN_PAGES) {
        run = take_big(n);
    }
    if (!run && (run = take_fresh(n)))
        *fresh = true;
    if (run)
        set_run(run, PM_LARGE | (uint32_t)n); /* the caller re-marks spans as PM_SMALL */
    _mirror_heap_unlock(&pages.lock);
    if (!run)
        errno = ENOMEM;
    return run;
}

void _mirror_heap_pages_free(void *run)
{
    size_t n = _mirror_heap_run_pages(run);
    if (n * HEAP_PAGE >= RELEASE_BYTES) {
        madvise(run, n * HEAP_PAGE, MADV_DONTNEED);
        madvise((void *)_mirror_of(run), n * HEAP_PAGE, MADV_DONTNEED);
    }
    _mirror_heap_lock(&pages.lock);
    push_free(run, n);
    _mirror_heap_unlock(&pages.lock);
}

void _mirror_heap_pages_prefork(void)
{
    _mirror_heap_lock(&pages.lock);
}

void _mirror_heap_pages_postfork(void)
{
    _mirror_heap_unlock(&pages.lock);
}
