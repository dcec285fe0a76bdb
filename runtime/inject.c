/* inject.c — losing pages on purpose, through the same signal path as a real memory error, and the
 * table of lost pages that the SIGBUS handler shares with it.
 *
 * Injection replaces a page by a MAP_SHARED mapping of an empty memfd: the page's content is gone and
 * the next access raises a genuine SIGBUS (BUS_ADRERR, the access is past the end of the file), the way
 * a poisoned page raises BUS_MCEERR_AR. The page is entered in the lost-page table first, so the
 * handler can tell an injected loss from an ordinary BUS_ADRERR (a truncated file of the program's).
 *
 * The table also keeps several threads from repairing one page twice: the first to fault claims it
 * (LOST -> REPAIRING), the others wait until it is REPAIRED and simply retry their access. A page
 * repaired within the last STRAGGLER_NS is taken as a straggler's late signal, not a new loss.
 *
 * With inject_count > 0 a runtime thread loses inject_count pages of inject_target, one every
 * inject_interval_ms (pseudo-random, seeded by inject_seed), among the resident pages of the protected
 * domain (heap, globals) or their mirror (mirror), or anywhere in the process's private writable memory
 * (anywhere: what `mirrorpass campaign --target anywhere` measures). inject_log names each lost page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "thread.h"
#include "sys.h"
#include "mirror.h"

#define LOST_TABLE_SIZE 256
#define STRAGGLER_NS (200UL * 1000 * 1000)

enum { SLOT_EMPTY, SLOT_LOST, SLOT_REPAIRING, SLOT_REPAIRED };

struct lost_page {
    uintptr_t page;
    int state;
    uint64_t repaired_at_ns;
    char name[96]; /* injected pages: what the page belonged to, before the memfd replaced it */
    int prot;      /* injected pages: its protection then (RELRO pages are read-only) */
};

static struct {
    struct lost_page table[LOST_TABLE_SIZE];
    int memfd;         /* the empty file every injected page maps; -1 until first use */
    uint64_t rng;      /* xorshift state for the injector */
} inject MIRROR_RT_STATE = {.memfd = -1};

static uint64_t now_ns(void)
{
    struct timespec ts;
    _mirror_sys_clock_gettime(CLOCK_MONOTONIC, &ts); /* raw: the signal path calls this */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the lost-page table (async-signal-safe, lock-free) ------------------------------------------------ */

static struct lost_page *find(uintptr_t page)
{
    for (int i = 0; i < LOST_TABLE_SIZE; i++)
        if (__atomic_load_n(&inject.table[i].page, __ATOMIC_ACQUIRE) == page &&
            __atomic_load_n(&inject.table[i].state, __ATOMIC_ACQUIRE) != SLOT_EMPTY)
            return &inject.table[i];
    return NULL;
}

/* Enter page in state `state`; reuses the oldest repaired slot when the table is full. */
static struct lost_page *enter(uintptr_t page, int state)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < LOST_TABLE_SIZE; i++) {
            struct lost_page *slot = &inject.table[i];
            int expected = pass == 0 ? SLOT_EMPTY : SLOT_REPAIRED;
            if (__atomic_compare_exchange_n(&slot->state, &expected, SLOT_REPAIRING, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                __atomic_store_n(&slot->page, page, __ATOMIC_RELEASE);
                __atomic_store_n(&slot->state, state, __ATOMIC_RELEASE);
                return slot;
            }
        }
    errno = ENOSPC;
    return NULL;
}

/* Lost and not yet rebuilt (LOST or REPAIRING). */
static bool unrepaired(uintptr_t page)
{
    struct lost_page *slot = find(page);
    int state = slot ? __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) : SLOT_EMPTY;
    return state == SLOT_LOST || state == SLOT_REPAIRING;
}

/* Enter page as LOST. A page lost before and repaired since takes its old slot back (its REPAIRED
 * state would otherwise make the handler take the new fault for a straggler's and retry forever);
 * a page that is lost right now cannot be lost again (NULL, EBUSY). Otherwise an empty slot, or the
 * oldest repaired one when the table is full (NULL, ENOSPC, when every slot holds a lost page). */
static struct lost_page *enter_lost(uintptr_t page)
{
    struct lost_page *mine = find(page);
    if (mine) {
        int expected = SLOT_REPAIRED;
        if (__atomic_load_n(&mine->page, __ATOMIC_ACQUIRE) == page &&
            __atomic_compare_exchange_n(&mine->state, &expected, SLOT_LOST, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return mine;
        errno = EBUSY;
        return NULL;
    }
    return enter(page, SLOT_LOST);
}

enum _mirror_claim _mirror_lost_claim(uintptr_t page, bool memory_error_code)
{
    for (;;) {
        struct lost_page *slot = find(page);
        if (!slot) {
            if (!memory_error_code)
                return MIRROR_CLAIM_NOT_LOST; /* an ordinary BUS_ADRERR of the program's */
            enter(page, SLOT_REPAIRING);      /* a real memory error (table full: repair anyway) */
            return MIRROR_CLAIM_REPAIR;
        }
        int state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
        if (state == SLOT_REPAIRING) {
            _mirror_sys_sched_yield(); /* another thread is copying it back */
            continue;
        }
        bool again = state == SLOT_REPAIRED && memory_error_code && now_ns() - slot->repaired_at_ns > STRAGGLER_NS;
        if (state == SLOT_LOST || again) {
            if (__atomic_compare_exchange_n(&slot->state, &state, SLOT_REPAIRING, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED))
                return MIRROR_CLAIM_REPAIR;
            continue;
        }
        return MIRROR_CLAIM_DONE; /* repaired a moment ago: a straggler's signal; retry the access */
    }
}

const char *_mirror_lost_name(uintptr_t page)
{
    struct lost_page *slot = find(page);
    return slot && slot->name[0] ? slot->name : NULL;
}

int _mirror_lost_prot(uintptr_t page)
{
    struct lost_page *slot = find(page);
    return slot && slot->name[0] ? slot->prot : -1;
}

void _mirror_lost_done(uintptr_t page)
{
    struct lost_page *slot = find(page);
    if (slot) {
        slot->repaired_at_ns = now_ns();
        __atomic_store_n(&slot->state, SLOT_REPAIRED, __ATOMIC_RELEASE);
    }
}

/* ---- injection ----------------------------------------------------------------------------------------- */

/* Lose `page`: enter it in the table, then map the empty file over it. Outside the application windows
 * and their mirror only with `anywhere` (inject_target=anywhere: the program is expected to die of it,
 * after the handler's report). */
static int lose_page(uintptr_t page, bool anywhere)
{
    int fd = __atomic_load_n(&inject.memfd, __ATOMIC_ACQUIRE);
    if (fd < 0) {
        int created = memfd_create("mirrorpass-lost-page", MFD_CLOEXEC);
        if (created < 0)
            return -1;
        int expected = -1;
        if (!__atomic_compare_exchange_n(&inject.memfd, &expected, created, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            close(created);
            created = expected;
        }
        fd = created;
    }
    char name[96];
    int prot = -1;
    _mirror_mapping_info(page, name, sizeof name, &prot);
    uintptr_t native_of_mirror = page - (uintptr_t)MIRROR_DELTA;
    bool application = _mirror_in_app_window(page, page + MIRROR_PAGE_SIZE);
    bool mirror = _mirror_in_app_window(native_of_mirror, native_of_mirror + MIRROR_PAGE_SIZE);
    if (prot < 0 || (!application && !mirror && !anywhere)) {
        errno = EINVAL; /* not mapped, or neither application memory nor its mirror */
        return -1;
    }
    struct lost_page *slot = enter_lost(page);
    if (!slot)
        return -1;
    memcpy(slot->name, name, sizeof name);
    slot->prot = prot;
    bool lost;
    if (strcmp(_mirror_flags.inject_method, "hwpoison") == 0)
        /* The kernel poisons the page: SIGBUS BUS_MCEERR_AO now (early kill), BUS_MCEERR_AR at a touch. */
        lost = madvise((void *)page, MIRROR_PAGE_SIZE, MADV_HWPOISON) == 0;
    else
        lost = mmap((void *)page, MIRROR_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) !=
               MAP_FAILED;
    if (!lost) {
        int error = errno;
        _mirror_lost_done(page); /* nothing was lost: the slot must not make the page look lost */
        errno = error;
        return -1;
    }
    _mirror_stat_add(MIRROR_STAT_injected, 1);
    return 0;
}

int mirror_inject_error(void *addr)
{
    return lose_page((uintptr_t)addr & ~(MIRROR_PAGE_SIZE - 1), false);
}

/* ---- the injector thread ------------------------------------------------------------------------------- */

/* A page the injector may lose: neither it nor its other copy is lost right now (losing both copies of
 * a page is what no mirror survives; mirror_inject_error lets a test do it on purpose). */
static bool may_lose(uintptr_t page)
{
    uintptr_t other = _mirror_in_mirror_window(page) ? page - (uintptr_t)MIRROR_DELTA : (uintptr_t)_mirror_of((void *)page);
    return !unrepaired(page) && !unrepaired(other);
}

/* inject_target=anywhere: any page but the runtime's own state (the lost-page table itself lives
 * there) and the injector thread's stack, neither of which is the program's memory. */
static struct _mirror_range spared_stack MIRROR_RT_STATE;

static bool may_lose_anywhere(uintptr_t page)
{
    uintptr_t state = _mirror_page_down((uintptr_t)__start_mirror_rt_state);
    uintptr_t state_end = _mirror_page_up((uintptr_t)__stop_mirror_rt_state);
    if ((page >= state && page < state_end) || (page >= spared_stack.start && page < spared_stack.end))
        return false;
    bool has_mirror = _mirror_in_app_window(page, page + MIRROR_PAGE_SIZE) || _mirror_in_mirror_window(page);
    return has_mirror ? may_lose(page) : !unrepaired(page);
}

enum { PICK_HEAP = 1, PICK_GLOBALS = 2 };

/* Add the pages wholly inside protected entries of the wanted kinds -- or their mirror pages -- that
 * may be lost to the sampler. */
static void sample_domain(struct _mirror_sampler *s, int kinds, bool mirror_side)
{
    uintptr_t delta = mirror_side ? (uintptr_t)MIRROR_DELTA : 0;
    struct _mirror_region r;
    for (int cursor = 0; _mirror_domain_next(&cursor, &r);) {
        bool heap = r.kind == MIRROR_REGION_HEAP || r.kind == MIRROR_REGION_HEAP_META;
        if (kinds & (heap ? PICK_HEAP : PICK_GLOBALS))
            _mirror_sample_resident(s, _mirror_page_up(r.start) + delta, _mirror_page_down(r.end) + delta, may_lose);
    }
}

/* Every resident page of the private writable mappings; of the mirror area, the mirror pages of the
 * protected domain (the rest of it is an empty reservation). */
static void sample_anywhere(struct _mirror_sampler *s)
{
    struct _mirror_maps maps;
    struct _mirror_mapping map;
    if (_mirror_maps_open(&maps)) {
        while (_mirror_maps_next(&maps, &map))
            if (_mirror_is_writable_memory(&map))
                _mirror_sample_resident(s, map.start, map.end, may_lose_anywhere);
        _mirror_maps_close(&maps);
    }
    sample_domain(s, PICK_HEAP | PICK_GLOBALS, true);
}

static uintptr_t pick_target(void)
{
    struct _mirror_sampler s = {.rng = &inject.rng};
    const char *target = _mirror_flags.inject_target;
    if (strcmp(target, "heap") == 0)
        sample_domain(&s, PICK_HEAP, false);
    else if (strcmp(target, "globals") == 0)
        sample_domain(&s, PICK_GLOBALS, false);
    else if (strcmp(target, "mirror") == 0)
        sample_domain(&s, PICK_HEAP | PICK_GLOBALS, true);
    else if (strcmp(target, "anywhere") == 0)
        sample_anywhere(&s);
    else /* any: native or mirror side, one in three from the mirror */
        sample_domain(&s, PICK_HEAP | PICK_GLOBALS, _mirror_random(&inject.rng) % 3 == 0);
    return s.choice;
}

static void *injector(void *unused)
{
    (void)unused;
    struct _mirror_mapping stack;
    if (_mirror_maps_find((uintptr_t)&stack, &stack))
        spared_stack = (struct _mirror_range){stack.start, stack.end};
    struct timespec interval = {
        .tv_sec = _mirror_flags.inject_interval_ms / 1000,
        .tv_nsec = (long)(_mirror_flags.inject_interval_ms % 1000) * 1000000L,
    };
    bool anywhere = strcmp(_mirror_flags.inject_target, "anywhere") == 0;
    int done = 0;
    for (int misses = 0; done < _mirror_flags.inject_count && misses < 1000;) {
        nanosleep(&interval, NULL);
        uintptr_t page = pick_target();
        long before = -1;
        int log = -1;
        if (page) {
            char name[96];
            _mirror_mapping_name(page, name, sizeof name);
            log = _mirror_inject_log_begin(_mirror_flags.inject_log, page, name, &before);
        }
        bool lost = page && lose_page(page, anywhere) == 0;
        _mirror_inject_log_end(log, before, lost);
        if (lost) {
            done++;
            misses = 0;
            if (_mirror_flags.verbosity >= 1)
                _mirror_report("injected a memory error at 0x%lx (%d of %d)", (unsigned long)page, done,
                               _mirror_flags.inject_count);
        } else {
            misses++;
        }
    }
    return NULL;
}

/* Start the injector once libc is fully up: a constructor, not preinit (no threads that early). */
__attribute__((constructor)) void _mirror_inject_start(void)
{
    if (_mirror_flags.inject_count <= 0)
        return;
    inject.rng = (uint64_t)_mirror_flags.inject_seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    _mirror_start_daemon(injector, 0);
}
