/* coverage.c — how much memory the protected domain holds: the resident bytes of its pages and of their
 * mirror (measured at exit, before the audit reads protected pages and changes what is resident), and
 * the share of the process's resident writable memory it covers (coverage_interval_ms: sampled by a
 * runtime thread, and once more at exit). Each sample also raises protected_resident_peak_bytes: a
 * program that frees its memory before it exits has little resident at exit.
 */
#define _GNU_SOURCE
#include <time.h>

#include "base/thread.h"
#include "domain/domain.h"

/* ---- Residency ----------------------------------------------------------------------------------------- */

/* The pages of the protected domain, sorted and merged: entries cut from one segment share pages,
 * which must be counted once. `whole`: only pages the entries cover entirely (together: the SIGBUS
 * handler restores no other page), else every page they touch. Returns how many ranges were written
 * to out. */
static size_t protected_pages(struct _mirror_range *out, size_t capacity, bool whole)
{
    size_t count = 0;
    struct _mirror_region region;
    int cursor = 0;
    while (count < capacity && _mirror_domain_next(&cursor, &region)) {
        struct _mirror_range r = {region.start, region.end};
        if (!whole)
            r = (struct _mirror_range){_mirror_page_down(region.start), _mirror_page_up(region.end)};
        size_t j = count++;
        for (; j > 0 && out[j - 1].start > r.start; j--)
            out[j] = out[j - 1];
        out[j] = r;
    }
    size_t merged = 0;
    for (size_t i = 0; i < count; i++) {
        if (merged > 0 && out[i].start <= out[merged - 1].end) {
            if (out[i].end > out[merged - 1].end)
                out[merged - 1].end = out[i].end;
        } else {
            out[merged++] = out[i];
        }
    }
    if (!whole)
        return merged;
    size_t kept = 0;
    for (size_t i = 0; i < merged; i++) {
        struct _mirror_range r = {_mirror_page_up(out[i].start), _mirror_page_down(out[i].end)};
        if (r.start < r.end)
            out[kept++] = r;
    }
    return kept;
}

static uint64_t resident_bytes(uintptr_t start, uintptr_t end)
{
    return _mirror_resident_pages(start, end) * MIRROR_PAGE_SIZE;
}

void _mirror_measure_residency(void)
{
    struct _mirror_range ranges[MIRROR_DOMAIN_CAPACITY];
    size_t count = protected_pages(ranges, MIRROR_DOMAIN_CAPACITY, false);
    uint64_t native = 0, mirror = 0;
    for (size_t i = 0; i < count; i++) {
        native += resident_bytes(ranges[i].start, ranges[i].end);
        mirror += resident_bytes((uintptr_t)_mirror_of((void *)ranges[i].start),
                                 (uintptr_t)_mirror_of((void *)ranges[i].end));
    }
    _mirror_stat_set(MIRROR_STAT_protected_resident_bytes, native);
    _mirror_stat_max(MIRROR_STAT_protected_resident_peak_bytes, native);
    _mirror_stat_set(MIRROR_STAT_mirror_resident_bytes, mirror);
}

/* ---- Coverage ------------------------------------------------------------------------------------------ */

/* coverage_interval_ms: how much of the process's resident writable memory the protected domain holds,
 * sampled by a runtime thread (whose own stack is not counted) and once more at exit. */
static struct _mirror_range coverage_stack MIRROR_RT_STATE;

/* Resident pages of the writable mappings, and how many of them lie in `ranges` (sorted, merged), from
 * one mincore pass per mapping: counted separately, pages the program touched in between made the
 * second count larger than the first. Protected pages of writable mappings only: RELRO data is
 * protected but read-only. */
struct coverage_count {
    const struct _mirror_range *ranges;
    size_t count, next; /* ranges[next] is the first that may hold the next page */
    uint64_t resident, protected;
};

static void count_coverage(uintptr_t page, void *context)
{
    struct coverage_count *c = context;
    while (c->next < c->count && c->ranges[c->next].end <= page)
        c->next++;
    c->resident += 1;
    c->protected += c->next < c->count && c->ranges[c->next].start <= page;
}

void _mirror_sample_coverage(void)
{
    struct _mirror_range ranges[MIRROR_DOMAIN_CAPACITY]; /* 16 KiB of stack: the sampler and the exit handler may overlap */
    struct coverage_count c = {ranges, protected_pages(ranges, MIRROR_DOMAIN_CAPACITY, true), 0, 0, 0};
    struct _mirror_maps maps;
    struct _mirror_mapping map;
    if (!_mirror_maps_open(&maps))
        return;
    while (_mirror_maps_next(&maps, &map)) /* in address order: c.next only moves forward */
        if (_mirror_is_writable_memory(&map) && !(map.start == coverage_stack.start && map.end == coverage_stack.end))
            _mirror_each_resident_page(map.start, map.end, count_coverage, &c);
    _mirror_maps_close(&maps);
    _mirror_stat_add(MIRROR_STAT_coverage_samples, 1);
    _mirror_stat_add(MIRROR_STAT_coverage_resident_pages, c.resident);
    _mirror_stat_add(MIRROR_STAT_coverage_protected_pages, c.protected);
    _mirror_stat_max(MIRROR_STAT_protected_resident_peak_bytes, c.protected * MIRROR_PAGE_SIZE);
}

static void *coverage_sampler(void *unused)
{
    (void)unused;
    struct _mirror_mapping stack;
    if (_mirror_maps_find((uintptr_t)&stack, &stack))
        coverage_stack = (struct _mirror_range){stack.start, stack.end};
    struct timespec interval = {
        .tv_sec = _mirror_flags.coverage_interval_ms / 1000,
        .tv_nsec = (long)(_mirror_flags.coverage_interval_ms % 1000) * 1000000L,
    };
    for (;;) {
        nanosleep(&interval, NULL);
        _mirror_sample_coverage();
    }
    return NULL;
}

/* Started once libc is up, like the injector. */
__attribute__((constructor)) static void coverage_start(void)
{
    if (_mirror_flags.coverage_interval_ms <= 0)
        return;
    _mirror_start_daemon(coverage_sampler, 0);
}
