/* stats.c — the runtime's statistics, and what it does at exit: print_stats, audit_at_exit, stats_json.
 *
 * The counters are a table (stats.inc): each has an index, a key in the stats_json object and in the
 * print_stats line, in table order, so a new statistic is one line there. Counters are updated with
 * relaxed atomic adds (the SIGBUS handler will count recoveries); the residency figures are measured at
 * exit, first: the audit that follows reads protected pages and must not change what was measured.
 *
 * stats_json is replaced atomically (written to <path>.tmp.<pid>, then renamed), so a reader never sees
 * half an object. A forked child that exits writes <path>.<pid> instead of overwriting its parent's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "thread.h"

static const char *const stat_names[MIRROR_STAT_COUNT] = {
#define MIRROR_STAT(name, help) #name,
#include "stats.inc"
#undef MIRROR_STAT
};

static struct {
    uint64_t counters[MIRROR_STAT_COUNT];
    int initial_pid; /* the process that started; its forked children write <stats_json>.<pid> */
} stats MIRROR_RT_STATE;

void _mirror_stat_add(enum _mirror_stat stat, uint64_t amount)
{
    __atomic_fetch_add(&stats.counters[stat], amount, __ATOMIC_RELAXED);
}

static void stat_set(enum _mirror_stat stat, uint64_t value)
{
    __atomic_store_n(&stats.counters[stat], value, __ATOMIC_RELAXED);
}

static uint64_t stat_get(enum _mirror_stat stat)
{
    return __atomic_load_n(&stats.counters[stat], __ATOMIC_RELAXED);
}

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

static void measure_residency(void)
{
    struct _mirror_range ranges[MIRROR_DOMAIN_CAPACITY];
    size_t count = protected_pages(ranges, MIRROR_DOMAIN_CAPACITY, false);
    uint64_t native = 0, mirror = 0;
    for (size_t i = 0; i < count; i++) {
        native += resident_bytes(ranges[i].start, ranges[i].end);
        mirror += resident_bytes((uintptr_t)_mirror_of((void *)ranges[i].start),
                                 (uintptr_t)_mirror_of((void *)ranges[i].end));
    }
    stat_set(MIRROR_STAT_protected_resident_bytes, native);
    stat_set(MIRROR_STAT_mirror_resident_bytes, mirror);
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

static void sample_coverage(void)
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
        sample_coverage();
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

/* ---- Output -------------------------------------------------------------------------------------------- */

static void print_stats(void)
{
    char line[400];
    size_t len = _mirror_format(line, sizeof line, "stats:");
    for (int i = 0; i < MIRROR_STAT_COUNT; i++)
        len += _mirror_format(line + len, sizeof line - len, " %s=%llu", stat_names[i],
                              (unsigned long long)stat_get(i));
    _mirror_report("%s", line);
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t written = write(fd, data, len);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        data += written;
        len -= (size_t)written;
    }
    return true;
}

static void write_stats_json(const char *requested_path)
{
    char path[4200], temporary[4300], json[4096];
    int pid = getpid();
    const char *pid_mark = strstr(requested_path, "%p");
    if (pid_mark) { /* one file per process: a service's test suite starts many */
        char prefix[4096];
        size_t n = (size_t)(pid_mark - requested_path);
        n = n < sizeof prefix ? n : sizeof prefix - 1;
        memcpy(prefix, requested_path, n);
        prefix[n] = '\0';
        _mirror_format(path, sizeof path, "%s%d%s", prefix, pid, pid_mark + 2);
    } else if (pid == stats.initial_pid)
        _mirror_format(path, sizeof path, "%s", requested_path);
    else
        _mirror_format(path, sizeof path, "%s.%d", requested_path, pid);
    _mirror_format(temporary, sizeof temporary, "%s.tmp.%d", path, pid);

    size_t len = _mirror_format(json, sizeof json, "{");
    for (int i = 0; i < MIRROR_STAT_COUNT; i++)
        len += _mirror_format(json + len, sizeof json - len, "%s\"%s\": %llu", i ? ", " : "", stat_names[i],
                              (unsigned long long)stat_get(i));
    len += _mirror_format(json + len, sizeof json - len, "}\n");

    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool written = fd >= 0 && write_all(fd, json, len);
    int error = errno;
    if (fd >= 0 && close(fd) != 0 && written) {
        written = false;
        error = errno;
    }
    if (written && rename(temporary, path) == 0)
        return;
    error = written ? errno : error;
    if (fd >= 0)
        unlink(temporary);
    _mirror_report("cannot write stats_json %s (errno %d); check that its directory exists and is writable",
                   path, error);
}

/* ---- At exit ------------------------------------------------------------------------------------------- */

static void at_exit(void)
{
    measure_residency();
    if (_mirror_flags.coverage_interval_ms > 0)
        sample_coverage();
    struct _mirror_audit_result audit = _mirror_audit_run(_mirror_flags.audit_at_exit);
    stat_set(MIRROR_STAT_audit_divergent_bytes, audit.divergent_bytes);
    if (_mirror_flags.audit_at_exit)
        _mirror_report("audit at exit: %zu divergent bytes in %zu runs (%zu resident protected pages in %zu "
                       "ranges checked)",
                       audit.divergent_bytes, audit.runs, audit.pages_checked, audit.ranges);
    if (_mirror_flags.print_stats)
        print_stats();
    if (_mirror_flags.stats_json != NULL)
        write_stats_json(_mirror_flags.stats_json);
}

void _mirror_exit_init(void)
{
    if (!_mirror_flags.print_stats && !_mirror_flags.audit_at_exit && _mirror_flags.stats_json == NULL &&
        _mirror_flags.coverage_interval_ms == 0)
        return;
    stats.initial_pid = getpid();
    /* Registered before any handler of the program, so it runs after them all (atexit runs in reverse). */
    if (atexit(at_exit) != 0)
        _mirror_fatal("cannot register the exit handler for print_stats/audit_at_exit/stats_json");
}
