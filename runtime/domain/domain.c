/* domain.c — the protected domain: the registry of address ranges whose pages can be rebuilt from the
 * mirror, plus mirror_register/mirror_unregister, through which a program adds its own regions.
 *
 * Writers (start-up, the heap, mirror_register) are rare and take a spinlock. Readers are the SIGBUS
 * handler, the audit and the statistics; the handler may interrupt a writer on its own thread, so
 * readers take no lock and never wait for a writer. The registry is a fixed static array of slots, each
 * guarded by a sequence number (a seqlock whose reader gives up on a slot instead of spinning):
 *
 *   - A slot is published once: its fields are written, then `used` (the high-water mark) is raised with
 *     a release store. Readers scan [0, used) only.
 *   - Reusing a removed slot: sequence becomes odd, the fields are rewritten, sequence becomes even
 *     again (release). A reader that sees an odd sequence skips the slot: it is being filled and was dead
 *     before, so "not in the domain" is the true answer. A reader whose two reads of the sequence differ
 *     read a mix of old and new fields and reads the slot again (a writer on another thread made
 *     progress, so this ends).
 *   - Remove and resize are each one atomic store (live = false; end = new_end), outside the seqlock: a
 *     reader sees the old or the new value, and both describe a consistent entry. So an entry being
 *     grown or removed never vanishes from a reader's view in between.
 * Every field is read and written with __atomic builtins, so there is no data race even in C's terms.
 * All of it lives in mirror_rt_state: the runtime's own stores are not mirrored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "domain/domain.h"
#include "mirror.h"

struct slot {
    unsigned sequence; /* odd while the slot is being (re)filled */
    bool live;
    uintptr_t start;
    uintptr_t end;
    enum _mirror_region_kind kind;
    const char *name;
};

static struct {
    int lock;      /* writers only: 0 free, 1 held */
    int used;      /* slots [0, used) have been published at least once */
    struct slot slots[MIRROR_DOMAIN_CAPACITY];
} domain MIRROR_RT_STATE;

/* ---- Writers ------------------------------------------------------------------------------------------- */

static void lock_writers(void)
{
    while (__atomic_exchange_n(&domain.lock, 1, __ATOMIC_ACQUIRE) != 0)
        sched_yield();
}

static void unlock_writers(void)
{
    __atomic_store_n(&domain.lock, 0, __ATOMIC_RELEASE);
}

/* fork() while another thread holds the lock would leave it held forever in the child. */
void _mirror_domain_init(void)
{
    pthread_atfork(lock_writers, unlock_writers, unlock_writers);
}

static void fill(struct slot *s, uintptr_t start, uintptr_t end, enum _mirror_region_kind kind,
                 const char *name)
{
    __atomic_store_n(&s->start, start, __ATOMIC_RELAXED);
    __atomic_store_n(&s->end, end, __ATOMIC_RELAXED);
    __atomic_store_n(&s->kind, kind, __ATOMIC_RELAXED);
    __atomic_store_n(&s->name, name, __ATOMIC_RELAXED);
    __atomic_store_n(&s->live, true, __ATOMIC_RELAXED);
}

const char *_mirror_region_kind_name(enum _mirror_region_kind kind)
{
    switch (kind) {
    case MIRROR_REGION_GLOBALS:
        return "globals";
    case MIRROR_REGION_HEAP:
        return "heap";
    case MIRROR_REGION_HEAP_META:
        return "heap metadata";
    case MIRROR_REGION_REGISTERED:
        return "registered";
    }
    return "unknown";
}

int _mirror_domain_add(uintptr_t start, uintptr_t end, enum _mirror_region_kind kind, const char *name)
{
    if (start >= end || !_mirror_in_app_window(start, end)) {
        _mirror_verbose(1, "domain: not adding %p-%p (%s): not a range inside an application window",
                        (void *)start, (void *)end, name);
        return -1;
    }
    lock_writers();
    int handle = -1;
    int used = domain.used;
    for (int i = 0; i < used && handle < 0; i++)
        if (!__atomic_load_n(&domain.slots[i].live, __ATOMIC_RELAXED))
            handle = i;
    if (handle >= 0) {
        struct slot *s = &domain.slots[handle];
        unsigned sequence = s->sequence; /* only writers change it, and we hold the lock */
        __atomic_store_n(&s->sequence, sequence + 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        fill(s, start, end, kind, name);
        __atomic_store_n(&s->sequence, sequence + 2, __ATOMIC_RELEASE);
    } else if (used < MIRROR_DOMAIN_CAPACITY) {
        handle = used;
        fill(&domain.slots[handle], start, end, kind, name);
        __atomic_store_n(&domain.used, used + 1, __ATOMIC_RELEASE);
    }
    unlock_writers();
    if (handle < 0)
        _mirror_report("domain: cannot protect %p-%p (%s): all %d entries are in use (raise "
                       "MIRROR_DOMAIN_CAPACITY in runtime/base/base.h)",
                       (void *)start, (void *)end, name, MIRROR_DOMAIN_CAPACITY);
    else
        _mirror_verbose(2, "domain: protecting %p-%p (%zu bytes, %s \"%s\") as entry %d", (void *)start,
                        (void *)end, (size_t)(end - start), _mirror_region_kind_name(kind), name, handle);
    return handle;
}

static struct slot *live_slot(int handle, const char *caller)
{
    if (handle < 0 || handle >= __atomic_load_n(&domain.used, __ATOMIC_ACQUIRE) ||
        !__atomic_load_n(&domain.slots[handle].live, __ATOMIC_ACQUIRE))
        _mirror_fatal("%s(%d): no such protected range (a handle from _mirror_domain_add, not yet "
                      "removed, is needed)",
                      caller, handle);
    return &domain.slots[handle];
}

void _mirror_domain_resize(int handle, uintptr_t new_end)
{
    struct slot *s = live_slot(handle, "_mirror_domain_resize");
    uintptr_t start = __atomic_load_n(&s->start, __ATOMIC_RELAXED);
    if (new_end <= start || !_mirror_in_app_window(start, new_end))
        _mirror_fatal("_mirror_domain_resize(%d, %p): the range would be %p-%p, which is empty or leaves "
                      "the application window",
                      handle, (void *)new_end, (void *)start, (void *)new_end);
    __atomic_store_n(&s->end, new_end, __ATOMIC_RELEASE);
    _mirror_verbose(3, "domain: entry %d now ends at %p", handle, (void *)new_end);
}

void _mirror_domain_remove(int handle)
{
    lock_writers();
    struct slot *s = live_slot(handle, "_mirror_domain_remove");
    __atomic_store_n(&s->live, false, __ATOMIC_RELEASE);
    uintptr_t start = s->start, end = s->end;
    const char *name = s->name;
    unlock_writers();
    _mirror_verbose(2, "domain: entry %d (%p-%p, %s) removed", handle, (void *)start, (void *)end, name);
}

/* ---- Readers: lock-free, async-signal-safe ------------------------------------------------------------- */

/* A consistent copy of slot i, or false when it is dead or being refilled. */
static bool read_slot(int i, struct _mirror_region *out)
{
    const struct slot *s = &domain.slots[i];
    for (;;) {
        unsigned before = __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE);
        if (before & 1)
            return false;
        bool live = __atomic_load_n(&s->live, __ATOMIC_RELAXED);
        out->start = __atomic_load_n(&s->start, __ATOMIC_RELAXED);
        out->end = __atomic_load_n(&s->end, __ATOMIC_RELAXED);
        out->kind = __atomic_load_n(&s->kind, __ATOMIC_RELAXED);
        out->name = __atomic_load_n(&s->name, __ATOMIC_RELAXED);
        out->handle = i;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&s->sequence, __ATOMIC_RELAXED) == before)
            return live;
    }
}

bool _mirror_domain_next(int *cursor, struct _mirror_region *out)
{
    int used = __atomic_load_n(&domain.used, __ATOMIC_ACQUIRE);
    while (*cursor < used) {
        int i = (*cursor)++;
        if (read_slot(i, out))
            return true;
    }
    return false;
}

bool _mirror_domain_lookup(uintptr_t addr, struct _mirror_region *out)
{
    int cursor = 0;
    while (_mirror_domain_next(&cursor, out))
        if (addr >= out->start && addr < out->end)
            return true;
    return false;
}

/* ---- The public API ------------------------------------------------------------------------------------ */

#define REGISTERED_NAME "mirror_register"

/* Make the mirror of [start, end) equal to native, writing only pages that differ: a page nobody
 * touched reads as the zero page on both sides and stays free. */
static void sync_differing_pages(uintptr_t start, uintptr_t end)
{
    for (uintptr_t page = _mirror_page_down(start); page < end; page += MIRROR_PAGE_SIZE) {
        uintptr_t from = page > start ? page : start;
        uintptr_t to = page + MIRROR_PAGE_SIZE < end ? page + MIRROR_PAGE_SIZE : end;
        if (memcmp((const void *)from, _mirror_of((const void *)from), to - from) != 0)
            memcpy(_mirror_of((const void *)from), (const void *)from, to - from);
    }
}

int mirror_register(void *p, size_t n)
{
    uintptr_t start = (uintptr_t)p;
    uintptr_t end = start + n;
    if (n == 0 || end < start || !_mirror_in_app_window(start, end)) {
        _mirror_verbose(1, "mirror_register(%p, %zu): not a range inside an application window", p, n);
        errno = EINVAL;
        return -1;
    }
    /* An overlap would be audited and counted twice. (Two threads registering overlapping regions at
     * once can both pass this check: registering is the program's own bookkeeping, not a hot path.) */
    struct _mirror_region region;
    int cursor = 0;
    while (_mirror_domain_next(&cursor, &region))
        if (start < region.end && region.start < end) {
            _mirror_verbose(1, "mirror_register(%p, %zu): overlaps the protected range %p-%p (%s)", p, n,
                            (void *)region.start, (void *)region.end, _mirror_region_kind_name(region.kind));
            errno = EEXIST;
            return -1;
        }
    sync_differing_pages(start, end);
    if (_mirror_domain_add(start, end, MIRROR_REGION_REGISTERED, REGISTERED_NAME) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int mirror_unregister(void *p)
{
    struct _mirror_region region;
    int cursor = 0;
    while (_mirror_domain_next(&cursor, &region))
        if (region.kind == MIRROR_REGION_REGISTERED && region.start == (uintptr_t)p) {
            _mirror_domain_remove(region.handle);
            return 0;
        }
    _mirror_verbose(1, "mirror_unregister(%p): no region registered at this address", p);
    errno = ENOENT;
    return -1;
}
