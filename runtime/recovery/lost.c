/* lost.c — the table of lost pages, shared by the injector (which enters a page before losing it) and
 * the SIGBUS handler (which claims it, repairs it and marks it done).
 *
 * It lets the handler tell an injected loss from an ordinary BUS_ADRERR (a truncated file of the
 * program's), and keeps several threads from repairing one page twice: the first to fault claims it
 * (LOST -> REPAIRING), the others wait until it is REPAIRED and simply retry their access. A page
 * repaired within the last STRAGGLER_NS is taken as a straggler's late signal, not a new loss.
 *
 * Signal path: everything here is async-signal-safe and lock-free (atomics, a raw clock_gettime).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include "recovery/recovery.h"
#include "base/sys.h"

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
} lost MIRROR_RT_STATE;

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
        if (__atomic_load_n(&lost.table[i].page, __ATOMIC_ACQUIRE) == page &&
            __atomic_load_n(&lost.table[i].state, __ATOMIC_ACQUIRE) != SLOT_EMPTY)
            return &lost.table[i];
    return NULL;
}

/* Enter page in state `state`; reuses the oldest repaired slot when the table is full (NULL when every
 * slot holds a lost page). Leaves errno alone: the SIGBUS handler calls it. */
static struct lost_page *enter(uintptr_t page, int state)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < LOST_TABLE_SIZE; i++) {
            struct lost_page *slot = &lost.table[i];
            int expected = pass == 0 ? SLOT_EMPTY : SLOT_REPAIRED;
            if (__atomic_compare_exchange_n(&slot->state, &expected, SLOT_REPAIRING, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                __atomic_store_n(&slot->page, page, __ATOMIC_RELEASE);
                __atomic_store_n(&slot->state, state, __ATOMIC_RELEASE);
                return slot;
            }
        }
    return NULL;
}

/* Lost and not yet rebuilt (LOST or REPAIRING). */
bool _mirror_lost_unrepaired(uintptr_t page)
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
    struct lost_page *slot = enter(page, SLOT_LOST);
    if (!slot)
        errno = ENOSPC;
    return slot;
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

bool _mirror_lost_enter(uintptr_t page, const char *name, int prot)
{
    struct lost_page *slot = enter_lost(page);
    if (!slot)
        return false;
    size_t n = strlen(name);
    if (n >= sizeof slot->name)
        n = sizeof slot->name - 1;
    memcpy(slot->name, name, n);
    slot->name[n] = 0;
    slot->prot = prot;
    return true;
}
