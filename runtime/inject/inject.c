/* inject.c — losing pages on purpose, through the same signal path as a real memory error.
 *
 * Injection replaces a page by a MAP_SHARED mapping of an empty memfd: the page's content is gone and
 * the next access raises a genuine SIGBUS (BUS_ADRERR, the access is past the end of the file), the way
 * a poisoned page raises BUS_MCEERR_AR. The page is entered in the lost-page table (recovery/lost.c)
 * first, so the handler can tell an injected loss from an ordinary BUS_ADRERR.
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

#include "inject/inject.h"
#include "base/thread.h"
#include "base/sys.h"
#include "mirror.h"

static struct {
    int memfd;         /* the empty file every injected page maps; -1 until first use */
    uint64_t rng;      /* xorshift state for the injector */
} inject MIRROR_RT_STATE = {.memfd = -1};

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
    if (!_mirror_lost_enter(page, name, prot))
        return -1;
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
    return !_mirror_lost_unrepaired(page) && !_mirror_lost_unrepaired(other);
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
    return has_mirror ? may_lose(page) : !_mirror_lost_unrepaired(page);
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
__attribute__((constructor)) static void inject_start(void)
{
    if (_mirror_flags.inject_count <= 0)
        return;
    inject.rng = (uint64_t)_mirror_flags.inject_seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    _mirror_start_daemon(injector, 0);
}
