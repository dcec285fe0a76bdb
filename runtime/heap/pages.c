/* pages.c — the mirrored heap's page-run allocator and its arena.
 *
 * The arena's pages below the bump pointer are tiled by runs: spans (every page tagged PM_SMALL),
 * large allocations and free runs (first and last page tagged with the run's length). A freed run
 * merges with its free neighbours, and a request takes the smallest free run that fits (bins of exact
 * page counts up to MAX_BIN_PAGES, one first-fit list above), splitting off the rest: the pages of a
 * freed large block serve later spans and blocks of other sizes. (Reused by exact size only, the
 * forty-odd one-off blocks of 32-256 KiB that SQLite's speedtest1 frees stayed resident, unused:
 * 4.8 MiB, twice with the mirror.) Only when nothing fits does a request take the never-used top of the
 * arena (the bump pointer), whose pages are still zero in native and mirror alike. A freed run of at
 * least RELEASE_BYTES goes back to the kernel with MADV_DONTNEED -- in native memory and in its
 * mirror, so both read as zero and the mirror stays exact. Spans keep their class forever.
 */
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>

#include "heap/heap.h"
#include "heap_internal.h"

#define MAX_BIN_PAGES 256
#define RELEASE_BYTES (256UL << 10)
/* The protected domain covers the arena up to the bump pointer, grown in steps of this size. */
#define DOMAIN_STEP (64UL << 20)

struct heap_arena _mirror_heap_arena = {.domain_handle = -1};

/* A free run's first page starts with its links in the list of its length. */
struct free_run {
    struct free_run *next, *prev;
};

static struct {
    heap_lock lock;
    struct free_run *bins[MAX_BIN_PAGES + 1]; /* free runs of exactly i pages */
    uint64_t nonempty[(MAX_BIN_PAGES + 64) / 64]; /* bit i: bins[i] is not empty */
    struct free_run *big;                         /* free runs of more than MAX_BIN_PAGES pages */
    uintptr_t domain_end; /* end of the arena range registered in the protected domain */
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

/* ---- runs: tags and free lists (called with pages.lock held) ----------------------------------- */

/* Tag a run's first and last page: those are what size queries and neighbours' merges read. */
static void tag_run(uintptr_t run, size_t n, uint32_t kind)
{
    uint32_t *map = _mirror_heap_arena.page_map;
    size_t first = _mirror_heap_page_index((void *)run);
    map[first] = kind | (uint32_t)n;
    map[first + n - 1] = kind | (uint32_t)n;
}

size_t _mirror_heap_run_pages(const void *run)
{
    return PM_PAYLOAD(_mirror_heap_arena.page_map[_mirror_heap_page_index(run)]);
}

static struct free_run **list_of(size_t n)
{
    return n <= MAX_BIN_PAGES ? &pages.bins[n] : &pages.big;
}

static void push_free(uintptr_t run, size_t n)
{
    tag_run(run, n, PM_FREE);
    struct free_run *r = (struct free_run *)run, **head = list_of(n);
    r->next = *head;
    r->prev = NULL;
    if (*head)
        (*head)->prev = r;
    *head = r;
    if (n <= MAX_BIN_PAGES)
        pages.nonempty[n / 64] |= 1UL << (n % 64);
}

static void unlink_free(struct free_run *r, size_t n)
{
    struct free_run **head = list_of(n);
    if (r->prev)
        r->prev->next = r->next;
    else
        *head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    if (n <= MAX_BIN_PAGES && !*head)
        pages.nonempty[n / 64] &= ~(1UL << (n % 64));
}

/* The smallest free run of at least n pages, unlinked, or NULL; *have gets its length. */
static struct free_run *take_fit(size_t n, size_t *have)
{
    for (size_t i = n <= MAX_BIN_PAGES ? n : MAX_BIN_PAGES + 1; i <= MAX_BIN_PAGES;) {
        uint64_t bits = pages.nonempty[i / 64] >> (i % 64);
        if (!bits) {
            i = (i / 64 + 1) * 64;
            continue;
        }
        i += (size_t)__builtin_ctzl(bits);
        struct free_run *r = pages.bins[i];
        unlink_free(r, i);
        *have = i;
        return r;
    }
    for (struct free_run *r = pages.big; r; r = r->next) {
        size_t len = _mirror_heap_run_pages(r);
        if (len >= n) {
            unlink_free(r, len);
            *have = len;
            return r;
        }
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

/* A run of n pages tagged PM_LARGE, from the free runs or else the top of the arena. */
static void *take_run(size_t n, bool *fresh)
{
    size_t have;
    void *run = take_fit(n, &have);
    *fresh = false;
    if (run) {
        if (have > n)
            push_free((uintptr_t)run + n * HEAP_PAGE, have - n);
    } else if ((run = take_fresh(n))) {
        *fresh = true;
    } else {
        return NULL;
    }
    tag_run((uintptr_t)run, n, PM_LARGE); /* spans are re-tagged PM_SMALL on every page by alloc.c */
    return run;
}

/* Free a run of n pages, merged with the free runs on either side. */
static void give_back(uintptr_t run, size_t n)
{
    uint32_t *map = _mirror_heap_arena.page_map;
    size_t first = _mirror_heap_page_index((void *)run);
    uintptr_t end = run + n * HEAP_PAGE;
    if (end < _mirror_heap_arena.bump && (map[first + n] & PM_KIND_MASK) == PM_FREE) {
        size_t next = PM_PAYLOAD(map[first + n]);
        unlink_free((struct free_run *)end, next);
        n += next;
    }
    if (run > _mirror_heap_arena.base && (map[first - 1] & PM_KIND_MASK) == PM_FREE) {
        size_t prev = PM_PAYLOAD(map[first - 1]);
        run -= prev * HEAP_PAGE;
        unlink_free((struct free_run *)run, prev);
        n += prev;
    }
    push_free(run, n);
}

/* ---- the interface ----------------------------------------------------------------------------- */

void *_mirror_heap_pages_alloc(size_t n, bool *fresh)
{
    if (!_mirror_heap_ensure_arena())
        return NULL;
    _mirror_heap_lock(&pages.lock);
    void *run = take_run(n, fresh);
    _mirror_heap_unlock(&pages.lock);
    if (!run)
        errno = ENOMEM;
    return run;
}

void *_mirror_heap_pages_alloc_aligned(size_t n, size_t alignment)
{
    if (!_mirror_heap_ensure_arena())
        return NULL;
    size_t extra = alignment / HEAP_PAGE - 1;
    bool fresh;
    _mirror_heap_lock(&pages.lock);
    uintptr_t run = (uintptr_t)take_run(n + extra, &fresh), aligned = 0;
    if (run) {
        /* The pages before the aligned address and after its n pages go back. */
        aligned = (run + alignment - 1) & ~(alignment - 1);
        size_t head = (aligned - run) / HEAP_PAGE, tail = extra - head;
        tag_run(aligned, n, PM_LARGE); /* first: the merges below read its tags */
        if (head)
            give_back(run, head);
        if (tail)
            give_back(aligned + n * HEAP_PAGE, tail);
    }
    _mirror_heap_unlock(&pages.lock);
    if (!run)
        errno = ENOMEM;
    return (void *)aligned;
}

void _mirror_heap_pages_free(void *run)
{
    size_t n = _mirror_heap_run_pages(run);
    if (n * HEAP_PAGE >= RELEASE_BYTES) {
        madvise(run, n * HEAP_PAGE, MADV_DONTNEED);
        madvise((void *)_mirror_of(run), n * HEAP_PAGE, MADV_DONTNEED);
    }
    _mirror_heap_lock(&pages.lock);
    give_back((uintptr_t)run, n);
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
