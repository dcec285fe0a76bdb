/* recovery/recovery.h — what happens when a page is lost: the SIGBUS handler that rebuilds it from the
 * other copy (signal.c), the table of lost pages it shares with the injector (lost.c), and the audit
 * that proves native == mirror (audit.c).
 * May use: heap/, mirror/, domain/, base/. Used by: inject/, libc/, process/.
 * The signal path (what the handler may reach; runtime/LAYERS lists its files) is async-signal-safe and
 * allocation-free: raw system calls (base/sys.h), no PLT calls.
 */
#ifndef MIRROR_RECOVERY_H
#define MIRROR_RECOVERY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap/heap.h"

#pragma GCC visibility push(hidden)

/* ---- The SIGBUS handler (signal.c) --------------------------------------------------------------------- */

/* Start-up: early kill, the SIGBUS handler and the calling thread's alternate stack. */
void _mirror_signal_init(void);
/* Give the calling thread an alternate signal stack (threads created by instrumented code). */
void _mirror_signal_thread_init(void);

/* The program's own SIGBUS disposition, which the handler passes on what it cannot repair to (the
 * routed sigaction and signal keep it here instead of installing it). When the handler is installed,
 * copy the current one to *oldact (if not NULL), take *act (if not NULL) and return true; otherwise
 * return false and change nothing. Not async-signal-safe against the handler itself. */
bool _mirror_sigbus_program_action(const struct sigaction *act, struct sigaction *oldact);

/* ---- The lost-page table (lost.c) ----------------------------------------------------------------------- */

/* Who repairs a page, and whether a BUS_ADRERR is an injected loss. The injector enters pages; the
 * SIGBUS handler claims and completes them. */
enum _mirror_claim {
    MIRROR_CLAIM_REPAIR,   /* the caller repairs the page, then calls _mirror_lost_done */
    MIRROR_CLAIM_DONE,     /* another thread repaired it a moment ago: retry the access */
    MIRROR_CLAIM_NOT_LOST, /* not a lost page: an ordinary BUS_ADRERR */
};
/* Async-signal-safe and lock-free. memory_error_code: the kernel said BUS_MCEERR_AR/AO. */
enum _mirror_claim _mirror_lost_claim(uintptr_t page, bool memory_error_code);
void _mirror_lost_done(uintptr_t page);
/* What an injected page belonged to ("[stack]", a library path), or NULL. Async-signal-safe. */
const char *_mirror_lost_name(uintptr_t page);
/* The protection an injected page had before it was lost (PROT_* bits), or -1. Async-signal-safe. */
int _mirror_lost_prot(uintptr_t page);
/* The injector: enter page as lost before it is lost (name: what it belonged to, prot: its protection).
 * A page repaired before takes its old slot back. Returns false with errno EBUSY when the page is lost
 * right now, ENOSPC when every slot holds a lost page. Lock-free. */
bool _mirror_lost_enter(uintptr_t page, const char *name, int prot);
/* Lost and not yet rebuilt. Lock-free. */
bool _mirror_lost_unrepaired(uintptr_t page);

/* ---- Audit (audit.c) ----------------------------------------------------------------------------------- */

struct _mirror_audit_result {
    size_t divergent_bytes;
    size_t runs;            /* maximal spans of divergent bytes (gaps under 8 equal bytes joined) */
    size_t pages_checked;   /* resident native pages compared */
    size_t ranges;          /* live domain entries */
};

/* Compare every resident page of the protected domain with its mirror. report: print one line per
 * divergent run (at most MIRROR_AUDIT_MAX_LINES, then a count of the rest). Does not print a summary.
 * Not async-signal-safe. Callers sync the threads blocked in pthread objects first
 * (_mirror_sync_blocked): those objects are the program's state, not a divergence. Other threads'
 * writes during the audit may show up as transient divergence. */
#define MIRROR_AUDIT_MAX_LINES 20
struct _mirror_audit_result _mirror_audit_run(bool report);

#pragma GCC visibility pop

#endif
