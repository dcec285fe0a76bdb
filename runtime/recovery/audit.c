/* audit.c — proof that the protected domain can be restored: native == mirror on every resident page.
 *
 * A page is rebuilt from its mirror only inside the protected domain; if the mirror there is stale, the
 * rebuild silently undoes writes. The audit compares every resident page of every protected range with
 * its mirror and reports each divergent run with what it belongs to (the global's symbol, the heap, a
 * registered region), so the write that bypassed the mirror can be found. Pages that are not resident
 * (mincore) are skipped: an untouched page was never written, and reading a swapped-out one back would
 * cost more than an audit should.
 *
 * The audit reads the mirror without changing what it costs: reading a mirror page nobody wrote would
 * map the zero page there, which mincore then counts as resident. So a native page that is all zero
 * is compared with a non-resident mirror page without reading it, when /proc/self/pagemap says that page
 * is not swapped out either (then it is the untouched zero page).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "recovery/recovery.h"
#include "mirror.h"

/* Divergent bytes separated by fewer equal bytes than this belong to one run: a struct whose fields
 * were written behind the mirror's back is one line, not one per field. */
#define RUN_GAP 8

#define BATCH_PAGES 256

struct run {
    uintptr_t start, last; /* first and last divergent byte */
    size_t bytes;
    struct _mirror_region region;
};

struct audit {
    bool report;
    bool run_open;
    struct run run;
    int pagemap_fd; /* -1: unknown, so mirror pages are always read */
    struct _mirror_audit_result result;
};

/* ---- Describing a run ---------------------------------------------------------------------------------- */

/* "g", "g+8" */
static void name_global(char *out, size_t capacity, uintptr_t addr, const struct _mirror_symbol *symbol)
{
    if (addr == symbol->start)
        _mirror_format(out, capacity, "%s", symbol->name);
    else
        _mirror_format(out, capacity, "%s+%zu", symbol->name, (size_t)(addr - symbol->start));
}

static void describe_globals(char *out, size_t capacity, const struct run *run)
{
    struct _mirror_symbol first, last;
    _mirror_symbolize(run->start, &first);
    _mirror_symbolize(run->last, &last);
    if (first.name == NULL) {
        _mirror_format(out, capacity, "globals, no symbol (section %s)", first.section ? first.section : "?");
        return;
    }
    char from[160], to[160];
    name_global(from, sizeof from, run->start, &first);
    if (last.name != NULL && last.start == first.start) {
        _mirror_format(out, capacity, "global %s (size %zu)", from, first.size);
        return;
    }
    if (last.name != NULL)
        name_global(to, sizeof to, run->last, &last);
    else
        _mirror_format(to, sizeof to, "no symbol");
    _mirror_format(out, capacity, "globals %s .. %s", from, to);
}

static void report_run(const struct run *run)
{
    char what[400];
    const struct _mirror_region *region = &run->region;
    switch (region->kind) {
    case MIRROR_REGION_GLOBALS:
        describe_globals(what, sizeof what, run);
        break;
    case MIRROR_REGION_HEAP:
    case MIRROR_REGION_HEAP_META:
        if (region->name != NULL && strcmp(region->name, _mirror_region_kind_name(region->kind)) != 0)
            _mirror_format(what, sizeof what, "%s (%s)", _mirror_region_kind_name(region->kind),
                           region->name);
        else
            _mirror_format(what, sizeof what, "%s", _mirror_region_kind_name(region->kind));
        break;
    case MIRROR_REGION_REGISTERED:
        _mirror_format(what, sizeof what, "registered region %p-%p at +%zu", (void *)region->start,
                       (void *)region->end, (size_t)(run->start - region->start));
        break;
    }
    _mirror_report("audit: %p-%p: %zu divergent bytes in %s", (void *)run->start, (void *)(run->last + 1),
                   run->bytes, what);
}

/* ---- Runs ---------------------------------------------------------------------------------------------- */

static void close_run(struct audit *a)
{
    if (!a->run_open)
        return;
    a->run_open = false;
    if (a->report && a->result.runs < MIRROR_AUDIT_MAX_LINES)
        report_run(&a->run);
    a->result.runs++;
}

static void divergent_byte(struct audit *a, const struct _mirror_region *region, uintptr_t addr)
{
    a->result.divergent_bytes++;
    if (a->run_open && addr - a->run.last <= RUN_GAP && a->run.region.handle == region->handle) {
        a->run.last = addr;
        a->run.bytes++;
        return;
    }
    close_run(a);
    a->run = (struct run){.start = addr, .last = addr, .bytes = 1, .region = *region};
    a->run_open = true;
}

/* ---- Comparing pages ----------------------------------------------------------------------------------- */

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* True unless pagemap says the page is neither present nor swapped out (bit 63 present, bit 62 swap). */
static bool may_hold_data(const struct audit *a, uintptr_t page)
{
    uint64_t entry;
    if (a->pagemap_fd < 0 ||
        pread(a->pagemap_fd, &entry, sizeof entry, (off_t)(page / MIRROR_PAGE_SIZE * sizeof entry)) !=
            (ssize_t)sizeof entry)
        return true;
    return (entry >> 62) != 0;
}

/* [from, to) lies in one page; native is resident there. */
static void compare(struct audit *a, const struct _mirror_region *region, uintptr_t from, uintptr_t to,
                    bool mirror_resident)
{
    const unsigned char *native = (const unsigned char *)from;
    const unsigned char *mirror = _mirror_of(native);
    size_t n = to - from;
    a->result.pages_checked++;
    if (!mirror_resident && all_zero(native, n) && !may_hold_data(a, _mirror_page_down((uintptr_t)mirror)))
        return;
    if (memcmp(native, mirror, n) == 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (native[i] != mirror[i])
            divergent_byte(a, region, from + i);
}

static void audit_region(struct audit *a, const struct _mirror_region *region)
{
    unsigned char native_resident[BATCH_PAGES], mirror_resident[BATCH_PAGES];
    uintptr_t last_page = _mirror_page_up(region->end);
    for (uintptr_t batch = _mirror_page_down(region->start); batch < last_page;
         batch += BATCH_PAGES * MIRROR_PAGE_SIZE) {
        size_t pages = (last_page - batch) / MIRROR_PAGE_SIZE;
        if (pages > BATCH_PAGES)
            pages = BATCH_PAGES;
        _mirror_residency(batch, pages, native_resident);
        _mirror_residency((uintptr_t)_mirror_of((void *)batch), pages, mirror_resident);
        for (size_t i = 0; i < pages; i++) {
            uintptr_t page = batch + i * MIRROR_PAGE_SIZE;
            /* mirror_exclude: code we did not compile writes it; a divergence there is expected. */
            if (!(native_resident[i] & 1) || _mirror_excluded_overlap(page, page + MIRROR_PAGE_SIZE))
                continue;
            uintptr_t from = page > region->start ? page : region->start;
            uintptr_t to = page + MIRROR_PAGE_SIZE < region->end ? page + MIRROR_PAGE_SIZE : region->end;
            compare(a, region, from, to, mirror_resident[i] & 1);
        }
    }
}

struct _mirror_audit_result _mirror_audit_run(bool report)
{
    struct audit a = {.report = report, .pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)};
    struct _mirror_region region;
    int cursor = 0;
    while (_mirror_domain_next(&cursor, &region)) {
        a.result.ranges++;
        audit_region(&a, &region);
    }
    close_run(&a);
    if (a.pagemap_fd >= 0)
        close(a.pagemap_fd);
    if (report && a.result.runs > MIRROR_AUDIT_MAX_LINES)
        _mirror_report("audit: ... and %zu more divergent runs", a.result.runs - MIRROR_AUDIT_MAX_LINES);
    return a.result;
}
