/* alloc.c — the mirrored heap's public entry points: malloc & co. for instrumented code.
 *
 * Small requests (up to SMALL_MAX) are served from per-thread caches of free objects, one singly
 * linked list per size class, refilled from and flushed to a central list per class under that class's
 * lock; a central list that runs dry carves a new span (a run of pages) into objects. Large requests
 * get a page run of their own. Pointers that do not belong to the arena were allocated by libc
 * (getline, asprintf, libc's strdup, ...) and are handed back to libc: instrumented code can free
 * what libc allocated, and realloc moves such a block into the mirrored heap.
 *
 * This file is compiled by mirror-cc: every store below, including the free-list links and the thread
 * caches, is mirrored.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"
#include "heap_internal.h"

/* Objects a thread cache moves to or from the central list at once, and the most it keeps. */
#define BATCH_BYTES 8192UL
#define MAX_BATCH 64

/* The central list of a class holds whole batches -- chains of exactly batch[c] objects linked through
 * their first word, stacked through the second word of their first object -- which move to and from
 * thread caches in one step, and loose objects (a thread's leftovers when it exits). Walking a chain
 * of objects nobody touched lately misses the cache at every link: refill and flush walked a batch
 * each, a tenth of Lua's allocation benchmark. */
struct size_class {
    heap_lock lock;
    void *batches;  /* full batches */
    void *free;     /* loose free objects, linked through their first word */
    char *carve;    /* the uncut rest of the newest span */
    char *carve_end;
};

struct thread_cache {
    void *head[NUM_CLASSES];  /* freed objects, linked through their first word */
    uint32_t count[NUM_CLASSES];
    char *bump[NUM_CLASSES];  /* never-used objects of a span, handed out in address order: */
    char *bump_end[NUM_CLASSES]; /* no link words to write before the program writes them */
    bool registered;          /* the thread-exit destructor is installed */
};

static struct size_class classes[NUM_CLASSES];
static __thread struct thread_cache cache;

/* Set up once, under setup_lock (not pthread_once: libc would write the once-flag unmirrored). */
static heap_lock setup_lock;
static bool set_up;
static pthread_key_t cache_key;
static uint16_t batch[NUM_CLASSES]; /* objects moved per refill/flush */



/* ---- thread caches ------------------------------------------------------------------------------ */

/* Move the thread cache's newest batch[c] objects (recently freed: in the cache) to the central list
 * as one batch. */
static void flush_batch(unsigned c)
{
    struct thread_cache *tc = &cache;
    void *first = tc->head[c], *last = first;
    for (uint32_t i = 1; i < batch[c]; i++)
        last = *(void **)last;
    tc->head[c] = *(void **)last;
    tc->count[c] -= batch[c];
    *(void **)last = NULL;
    struct size_class *sc = &classes[c];
    _mirror_heap_lock(&sc->lock);
    ((void **)first)[1] = sc->batches;
    sc->batches = first;
    _mirror_heap_unlock(&sc->lock);
}

/* Give every object of the thread cache back as loose objects (the thread is exiting). */
static void flush_all(unsigned c)
{
    struct thread_cache *tc = &cache;
    void *first = tc->head[c];
    if (!first)
        return;
    void *tail = first;
    while (*(void **)tail)
        tail = *(void **)tail;
    tc->head[c] = NULL;
    tc->count[c] = 0;
    struct size_class *sc = &classes[c];
    _mirror_heap_lock(&sc->lock);
    *(void **)tail = sc->free;
    sc->free = first;
    _mirror_heap_unlock(&sc->lock);
}

static void thread_exit(void *unused)
{
    (void)unused;
    struct thread_cache *tc = &cache;
    for (unsigned c = 1; c < NUM_CLASSES; c++) {
        /* The unused rest of a bump range goes back as free objects. */
        size_t size = class_size(c);
        for (char *obj = tc->bump[c]; obj && obj < tc->bump_end[c]; obj += size) {
            *(void **)obj = tc->head[c];
            tc->head[c] = obj;
            tc->count[c]++;
        }
        tc->bump[c] = tc->bump_end[c] = NULL;
        flush_all(c);
    }
}

static void prefork(void)
{
    for (unsigned c = 1; c < NUM_CLASSES; c++)
        _mirror_heap_lock(&classes[c].lock);
    _mirror_heap_pages_prefork();
}

static void postfork(void)
{
    _mirror_heap_pages_postfork();
    for (unsigned c = 1; c < NUM_CLASSES; c++)
        _mirror_heap_unlock(&classes[c].lock);
}

static void set_up_heap(void)
{
    _mirror_heap_lock(&setup_lock);
    if (!set_up) {
        for (unsigned c = 1; c < NUM_CLASSES; c++) {
            size_t n = BATCH_BYTES / class_size(c);
            batch[c] = n < 2 ? 2 : n > MAX_BATCH ? MAX_BATCH : (uint16_t)n;
        }
        pthread_key_t key; /* libc writes the key: into a local, then copied by a mirrored store */
        pthread_key_create(&key, thread_exit);
        cache_key = key;
        pthread_atfork(prefork, postfork, postfork);
        __atomic_store_n(&set_up, true, __ATOMIC_RELEASE);
    }
    _mirror_heap_unlock(&setup_lock);
}

static void register_thread(void)
{
    if (!__atomic_load_n(&set_up, __ATOMIC_ACQUIRE))
        set_up_heap();
    pthread_setspecific(cache_key, &cache);
    cache.registered = true;
}

/* A new span for class c: a run of pages cut lazily by `carve`. Called with the class lock held. */
static bool new_span(struct size_class *sc, unsigned c)
{
    size_t size = class_size(c);
    size_t pages = (size * 8 + HEAP_PAGE - 1) / HEAP_PAGE;
    if (pages < 16)
        pages = 16;
    bool fresh;
    char *run = _mirror_heap_pages_alloc(pages, &fresh);
    if (!run)
        return false;
    size_t first = _mirror_heap_page_index(run);
    for (size_t i = 0; i < pages; i++)
        _mirror_heap_arena.page_map[first + i] = PM_SMALL | c;
    sc->carve = run;
    sc->carve_end = run + (pages * HEAP_PAGE / size) * size;
    return true;
}

/* The thread cache of class c is empty: take a batch of freed objects from the central list, or
 * else a range of never-used objects from the class's newest span. */
static void *refill(unsigned c)
{
    struct thread_cache *tc = &cache;
    if (!tc->registered)
        register_thread();
    struct size_class *sc = &classes[c];
    size_t size = class_size(c);
    unsigned want = batch[c];
    void *head = NULL;
    unsigned got = 0;
    char *bump = NULL, *bump_end = NULL;
    _mirror_heap_lock(&sc->lock);
    if (sc->batches) {
        head = sc->batches;
        sc->batches = ((void **)head)[1];
        got = want;
    } else if (sc->free) {
        head = sc->free;
        void *last = head;
        for (got = 1; got < want && *(void **)last; got++)
            last = *(void **)last;
        sc->free = *(void **)last;
        *(void **)last = NULL;
    } else if (sc->carve != sc->carve_end || new_span(sc, c)) {
        size_t room = (size_t)(sc->carve_end - sc->carve) / size;
        bump = sc->carve;
        bump_end = bump + (room < want ? room : want) * size;
        sc->carve = bump_end;
    }
    _mirror_heap_unlock(&sc->lock);
    if (head) {
        tc->head[c] = *(void **)head;
        tc->count[c] = got - 1;
        return head;
    }
    if (!bump) {
        errno = ENOMEM;
        return NULL;
    }
    tc->bump[c] = bump + size;
    tc->bump_end[c] = bump_end;
    return bump;
}

static inline void *small_alloc(unsigned c)
{
    struct thread_cache *tc = &cache;
    void *p = tc->head[c];
    if (__builtin_expect(p != NULL, 1)) {
        tc->head[c] = *(void **)p;
        tc->count[c]--;
        return p;
    }
    char *b = tc->bump[c];
    if (b != tc->bump_end[c]) {
        tc->bump[c] = b + class_size(c);
        return b;
    }
    return refill(c);
}

static inline void small_free(void *p, unsigned c)
{
    struct thread_cache *tc = &cache;
    if (__builtin_expect(!tc->registered, 0))
        register_thread(); /* a thread that frees before it ever allocates */
    *(void **)p = tc->head[c];
    tc->head[c] = p;
    if (__builtin_expect(++tc->count[c] > 2u * batch[c], 0))
        flush_batch(c);
}

/* ---- large allocations -------------------------------------------------------------------------- */

static void *large_alloc(size_t n, bool *fresh)
{
    if (n > ARENA_BYTES) {
        errno = ENOMEM;
        return NULL;
    }
    return _mirror_heap_pages_alloc((n + HEAP_PAGE - 1) / HEAP_PAGE, fresh);
}

/* ---- the API ------------------------------------------------------------------------------------ */

void *__mirror_malloc(size_t n)
{
    if (__builtin_expect(n <= SMALL_MAX, 1))
        return small_alloc(class_of(n));
    bool fresh;
    return large_alloc(n, &fresh);
}

size_t __mirror_malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (!_mirror_heap_owns(p))
        return malloc_usable_size(p);
    uint32_t entry = _mirror_heap_arena.page_map[_mirror_heap_page_index(p)];
    if ((entry & PM_KIND_MASK) == PM_SMALL)
        return class_size(PM_PAYLOAD(entry));
    return PM_PAYLOAD(entry) * HEAP_PAGE;
}

void __mirror_free(void *p)
{
    if (!p)
        return;
    if (!_mirror_heap_owns(p)) {
        free(p); /* allocated by libc */
        return;
    }
    uint32_t entry = _mirror_heap_arena.page_map[_mirror_heap_page_index(p)];
    if ((entry & PM_KIND_MASK) == PM_SMALL)
        small_free(p, PM_PAYLOAD(entry));
    else
        _mirror_heap_pages_free(p);
}

void *__mirror_calloc(size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    if (n <= SMALL_MAX) {
        void *p = small_alloc(class_of(n));
        if (p)
            memset(p, 0, n);
        return p;
    }
    bool fresh;
    void *p = large_alloc(n, &fresh);
    if (p && !fresh) /* fresh pages are zero in native and mirror already */
        memset(p, 0, n);
    return p;
}

void *__mirror_realloc(void *p, size_t n)
{
    if (!p)
        return __mirror_malloc(n);
    if (n == 0) {
        __mirror_free(p);
        return NULL;
    }
    bool ours = _mirror_heap_owns(p);
    if (!ours && _mirror_state.annotated)
        return realloc(p, n); /* -fmirror-mode=annotated: what libc allocated stays libc's */
    size_t have = __mirror_malloc_usable_size(p);
    if (ours && n <= have && n > have / 2)
        return p;
    /* A block that grows gets half as much again: a string grown a few bytes at a time would otherwise
     * be copied at every size class (four per doubling) and then at every page boundary, where glibc
     * often grows the block in place. */
    size_t want = n > have && ours && n < SIZE_MAX / 2 ? n + n / 2 : n;
    void *q = __mirror_malloc(want);
    if (!q)
        return NULL;
    memcpy(q, p, n < have ? n : have);
    __mirror_free(p);
    return q;
}

void *__mirror_reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return __mirror_realloc(p, n);
}

static void *aligned(size_t alignment, size_t n)
{
    if (alignment <= 16)
        return __mirror_malloc(n);
    if (n <= SMALL_MAX && alignment <= HEAP_PAGE) {
        /* Spans start page-aligned and power-of-two classes up to a page divide it, so their objects
         * are size-aligned. (A class of 8 KiB objects in a span that is only page-aligned is not.) */
        size_t size = n < alignment ? alignment : n;
        size_t pow2 = size <= 16 ? 16 : 1UL << (64 - __builtin_clzl(size - 1));
        if (pow2 <= SMALL_MAX)
            return small_alloc(class_of(pow2));
    }
    if (alignment <= HEAP_PAGE) {
        bool fresh;
        return large_alloc(n, &fresh);
    }
    if (n > ARENA_BYTES || alignment > ARENA_BYTES) {
        errno = ENOMEM;
        return NULL;
    }
    return _mirror_heap_pages_alloc_aligned((n + HEAP_PAGE - 1) / HEAP_PAGE, alignment);
}

static bool valid_alignment(size_t alignment)
{
    return alignment != 0 && (alignment & (alignment - 1)) == 0;
}

int __mirror_posix_memalign(void **out, size_t alignment, size_t n)
{
    if (!valid_alignment(alignment) || alignment % sizeof(void *))
        return EINVAL;
    void *p = aligned(alignment, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *__mirror_aligned_alloc(size_t alignment, size_t n)
{
    if (!valid_alignment(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned(alignment, n);
}

void *__mirror_memalign(size_t alignment, size_t n)
{
    if (!valid_alignment(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned(alignment, n);
}

void *__mirror_valloc(size_t n)
{
    return aligned(HEAP_PAGE, n);
}

void *__mirror_pvalloc(size_t n)
{
    return aligned(HEAP_PAGE, (n + HEAP_PAGE - 1) & ~(HEAP_PAGE - 1));
}

char *__mirror_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = __mirror_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *__mirror_strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *p = __mirror_malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
