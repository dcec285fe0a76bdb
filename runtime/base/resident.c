/* resident.c — the process's mappings (/proc/self/maps) and which of their pages are resident: what a
 * report names, what fault injection chooses from, what the coverage sample counts.
 *
 * Async-signal-safe and allocation-free: raw system calls into caller-provided buffers (the SIGBUS
 * handler names lost pages with it). It depends on nothing else of the runtime, so the native injector
 * (native/inject/native.c, preloaded into programs built without mirrorpass) links it too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>

#include "base/base.h"
#include "base/sys.h"

/* ---- /proc/self/maps ----------------------------------------------------------------------------------- */

bool _mirror_maps_open(struct _mirror_maps *m)
{
    m->fd = (int)_mirror_sys_open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    m->len = m->pos = 0;
    return m->fd >= 0;
}

void _mirror_maps_close(struct _mirror_maps *m)
{
    if (m->fd >= 0)
        _mirror_sys_close(m->fd);
    m->fd = -1;
}

static uintptr_t parse_hex(const char **c)
{
    uintptr_t value = 0;
    for (; (**c >= '0' && **c <= '9') || ((**c | 0x20) >= 'a' && (**c | 0x20) <= 'f'); (*c)++)
        value = value * 16 + (uintptr_t)(**c <= '9' ? **c - '0' : (**c | 0x20) - 'a' + 10);
    return value;
}

/* One line "start-end perms offset dev inode   name" into out; false at the end (or on a read error).
 * A line longer than the buffer is cut: only its name can be that long. */
bool _mirror_maps_next(struct _mirror_maps *m, struct _mirror_mapping *out)
{
    char line[sizeof out->name + 96];
    size_t len = 0;
    for (;;) {
        if (m->pos == m->len) {
            long got = m->fd < 0 ? -1 : _mirror_sys_read(m->fd, m->chunk, sizeof m->chunk);
            if (got <= 0)
                return false; /* a last line without '\n' does not occur in /proc/self/maps */
            m->len = (size_t)got;
            m->pos = 0;
        }
        char ch = m->chunk[m->pos++];
        if (ch == '\n')
            break;
        if (len < sizeof line - 1)
            line[len++] = ch;
    }
    line[len] = '\0';
    const char *c = line;
    out->start = parse_hex(&c);
    c += *c == '-';
    out->end = parse_hex(&c);
    out->prot = 0;
    out->shared = false;
    if (c[0] == ' ' && c[1] && c[2] && c[3] && c[4]) {
        out->prot = (c[1] == 'r' ? PROT_READ : 0) | (c[2] == 'w' ? PROT_WRITE : 0) | (c[3] == 'x' ? PROT_EXEC : 0);
        out->shared = c[4] == 's';
    }
    for (int field = 0; field < 4 && *c; field++) { /* perms offset dev inode; then the name */
        while (*c == ' ')
            c++;
        while (*c && *c != ' ')
            c++;
    }
    while (*c == ' ')
        c++;
    size_t n = 0;
    for (; c[n] && n < sizeof out->name - 1; n++)
        out->name[n] = c[n];
    out->name[n] = '\0';
    return true;
}

bool _mirror_maps_find(uintptr_t addr, struct _mirror_mapping *out)
{
    struct _mirror_maps m;
    if (!_mirror_maps_open(&m))
        return false;
    bool found = false;
    while (!found && _mirror_maps_next(&m, out))
        found = addr >= out->start && addr < out->end;
    _mirror_maps_close(&m);
    return found;
}

/* ---- residency ----------------------------------------------------------------------------------------- */

void _mirror_residency(uintptr_t page, size_t count, unsigned char *vector)
{
    if (mincore((void *)page, count * MIRROR_PAGE_SIZE, vector) == 0)
        return;
    /* ENOMEM: part of the range is not mapped (a registered region the program unmapped). */
    for (size_t i = 0; i < count; i++)
        if (mincore((void *)(page + i * MIRROR_PAGE_SIZE), MIRROR_PAGE_SIZE, &vector[i]) != 0)
            vector[i] = 0;
}

enum { BATCH_PAGES = 4096 }; /* 16 MiB of address space per mincore call */

void _mirror_each_resident_page(uintptr_t start, uintptr_t end, void (*visit)(uintptr_t page, void *context),
                                void *context)
{
    unsigned char vector[BATCH_PAGES];
    start = _mirror_page_up(start);
    end = _mirror_page_down(end);
    for (uintptr_t batch = start; batch < end; batch += BATCH_PAGES * MIRROR_PAGE_SIZE) {
        size_t count = (end - batch) / MIRROR_PAGE_SIZE;
        count = count < BATCH_PAGES ? count : BATCH_PAGES;
        _mirror_residency(batch, count, vector);
        for (size_t i = 0; i < count; i++)
            if (vector[i] & 1)
                visit(batch + i * MIRROR_PAGE_SIZE, context);
    }
}

static void count_page(uintptr_t page, void *pages)
{
    (void)page;
    *(uint64_t *)pages += 1;
}

uint64_t _mirror_resident_pages(uintptr_t start, uintptr_t end)
{
    uint64_t pages = 0;
    _mirror_each_resident_page(start, end, count_page, &pages);
    return pages;
}

uint64_t _mirror_random(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull; /* xorshift64 must not start at 0 */
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return *state = x;
}

struct sampling {
    struct _mirror_sampler *sampler;
    bool (*eligible)(uintptr_t page);
};

static void sample_page(uintptr_t page, void *context)
{
    struct sampling *c = context;
    struct _mirror_sampler *s = c->sampler;
    /* Reservoir sampling: the k-th eligible page replaces the choice with probability 1/k. */
    if ((!c->eligible || c->eligible(page)) && _mirror_random(s->rng) % ++s->seen == 0)
        s->choice = page;
}

void _mirror_sample_resident(struct _mirror_sampler *s, uintptr_t start, uintptr_t end,
                             bool (*eligible)(uintptr_t page))
{
    struct sampling context = {s, eligible};
    _mirror_each_resident_page(start, end, sample_page, &context);
}
