/* excluded.c — memory inside the protected domain that code mirror-cc did not compile writes: a lost page
 * there is never restored from its (stale) mirror.
 *
 * A program marks such memory with mirror_exclude(p, n, why): QEMU's patched vCPU object, which the
 * code its TCG generator emits at run time stores into without a mirror store. The pages holding it
 * (rounded out to whole pages: their neighbours on those pages lose protection too) are then
 *   - not repaired: the loss is reported with `why`, and the program gets what it would have got
 *     without mirrorpass (recovery/signal.c);
 *   - not audited: their divergence is expected, not a finding (recovery/audit.c);
 *   - listed in stats_json ("excluded": [{"start", "end", "why"}]) and counted (excluded_bytes).
 * Entries are never removed: a freed object's pages staying excluded only costs coverage, whereas a
 * removed entry could let a page a generated store made stale be restored later.
 *
 * A fixed table in mirror_rt_state (the runtime's own stores are not mirrored). Writers take a spinlock,
 * fill the next slot, then publish it by raising `used` with a release store; readers (the SIGBUS
 * handler among them) read [0, used) with an acquire load and no lock: lock-free, async-signal-safe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "domain/domain.h"
#include "mirror.h"

#define EXCLUDED_CAPACITY 256
#define WHY_BYTES 96

struct excluded {
    uintptr_t start, end;
    char why[WHY_BYTES];
};

static struct {
    int lock;
    int used;
    struct excluded slots[EXCLUDED_CAPACITY];
} excluded MIRROR_RT_STATE;

int mirror_exclude(const void *p, size_t n, const char *why)
{
    uintptr_t start = _mirror_page_down((uintptr_t)p);
    uintptr_t end = _mirror_page_down((uintptr_t)p + n + MIRROR_PAGE_SIZE - 1);
    if (n == 0 || (uintptr_t)p + n < (uintptr_t)p || !_mirror_in_app_window(start, end)) {
        errno = EINVAL;
        return -1;
    }
    while (__atomic_exchange_n(&excluded.lock, 1, __ATOMIC_ACQUIRE))
        ;
    int used = excluded.used;
    /* Adjacent or overlapping an entry with the same reason (objects allocated one after another): grow it. */
    for (int i = used - 1; i >= 0 && i >= used - 4; i--) {
        struct excluded *e = &excluded.slots[i];
        if (start <= e->end && end >= e->start && strcmp(e->why, why ? why : "") == 0) {
            __atomic_store_n(&e->start, start < e->start ? start : e->start, __ATOMIC_RELEASE);
            __atomic_store_n(&e->end, end > e->end ? end : e->end, __ATOMIC_RELEASE);
            __atomic_store_n(&excluded.lock, 0, __ATOMIC_RELEASE);
            return 0;
        }
    }
    if (used == EXCLUDED_CAPACITY) {
        __atomic_store_n(&excluded.lock, 0, __ATOMIC_RELEASE);
        errno = ENOMEM;
        return -1;
    }
    struct excluded *e = &excluded.slots[used];
    e->start = start;
    e->end = end;
    _mirror_format(e->why, sizeof e->why, "%s", why ? why : "");
    __atomic_store_n(&excluded.used, used + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&excluded.lock, 0, __ATOMIC_RELEASE);
    if (_mirror_flags.verbosity >= 1)
        _mirror_report("excluded from repair: 0x%lx-0x%lx (%s): written by code mirror-cc did not compile",
                       (unsigned long)start, (unsigned long)end, e->why);
    return 0;
}

const char *_mirror_excluded_overlap(uintptr_t start, uintptr_t end)
{
    int used = __atomic_load_n(&excluded.used, __ATOMIC_ACQUIRE);
    for (int i = 0; i < used; i++) {
        const struct excluded *e = &excluded.slots[i];
        if (start < __atomic_load_n(&e->end, __ATOMIC_ACQUIRE) && end > __atomic_load_n(&e->start, __ATOMIC_ACQUIRE))
            return e->why;
    }
    return NULL;
}

size_t _mirror_excluded_json(char *out, size_t capacity)
{
    int used = __atomic_load_n(&excluded.used, __ATOMIC_ACQUIRE);
    size_t len = _mirror_format(out, capacity, "\"excluded\": [");
    uintptr_t bytes = 0;
    for (int i = 0; i < used && len + 2 * WHY_BYTES < capacity; i++) {
        const struct excluded *e = &excluded.slots[i];
        bytes += e->end - e->start;
        len += _mirror_format(out + len, capacity - len, "%s{\"start\": \"0x%lx\", \"end\": \"0x%lx\", \"why\": \"",
                              i ? ", " : "", (unsigned long)e->start, (unsigned long)e->end);
        for (const char *c = e->why; *c && len + 4 < capacity; c++) /* JSON: no quote or backslash inside */
            out[len++] = (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) ? '\'' : *c;
        len += _mirror_format(out + len, capacity - len, "\"}");
    }
    len += _mirror_format(out + len, capacity - len, "], \"excluded_bytes\": %lu", (unsigned long)bytes);
    return len;
}
