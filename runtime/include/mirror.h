/* mirror.h — the interface between a program built with mirror-cc and the mirrorpass runtime.
 *
 * A program built with mirror-cc writes every byte it stores twice: once at its address p and once
 * at mirror(p) (see runtime/base/layout.h). The runtime linked into the program reserves the mirror,
 * seeds it from the executable's writable data before any instrumented code runs, and rebuilds pages
 * lost to memory errors from it.
 */
#ifndef MIRROR_H
#define MIRROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of bytes in [p, p + n) whose mirror differs from the native copy. 0 means the range can be
 * restored exactly. p must lie in an application window (any heap, global or stack address does). */
size_t mirror_diff(const void *p, size_t n);

/* Copy [p, p + n) to its mirror: call it after writes mirror-cc cannot see (inline asm with a
 * "memory" clobber, uninstrumented code, devices). Afterwards mirror_diff(p, n) is 0. */
void mirror_sync(const void *p, size_t n);

/* Add [p, p + n) to the protected domain: memory the program mapped itself (mmap, shared memory) whose
 * pages may then be rebuilt from the mirror. Copies the range to its mirror first, so nothing may write
 * it from another thread meanwhile. Returns 0, or -1 with errno EINVAL (empty, or outside the
 * application windows), EEXIST (overlaps a protected range) or ENOMEM (the registry is full). */
int mirror_register(void *p, size_t n);

/* Take the region registered at p out of the protected domain (before unmapping it). Returns 0, or -1
 * with errno ENOENT when no region was registered at p. */
int mirror_unregister(void *p);

/* Mark [p, p + n) as written by code mirror-cc did not compile (code generated at run time, a device,
 * an uninstrumented library), so that its mirror may be stale: the pages holding it (whole pages) are
 * never restored from the mirror -- a loss there is reported with `why` and the program gets what it
 * would have got without mirrorpass -- the audit skips them, and stats_json lists them ("excluded").
 * There is no way back. Returns 0, or -1 with errno EINVAL (empty, or outside the application windows)
 * or ENOMEM (the table is full). A program built by mirror-cc has __MIRRORPASS__ defined. */
int mirror_exclude(const void *p, size_t n, const char *why);

/* Compare every resident page of the protected domain with its mirror. Prints one line per divergent
 * run (address range, byte count, the global's symbol or "heap" or the registered region; at most 20
 * lines, then how many more) and a summary when anything diverged. Returns the number of divergent
 * bytes: 0 means every protected page could be rebuilt exactly. Call it at a quiet point: writes by
 * other threads during the audit can show up as divergence. */
size_t mirror_audit(void);

/* Lose the page holding addr, as an uncorrectable memory error would: its content is gone and the
 * next access raises SIGBUS, which the runtime handles like a real one (restored from the mirror when
 * the page is protected; otherwise reported, then the default action). For tests and demonstrations.
 * Returns 0, or -1 with errno set. */
int mirror_inject_error(void *addr);

/* ---- Selective protection (-fmirror-mode=annotated) ---------------------------------------------------- *
 *
 * MIRROR_PROTECT marks a function whose writes are mirrored in -fmirror-mode=annotated (in the default
 * mode, all, every function's are); MIRROR_EXCLUDE one whose writes are never mirrored. Both imply
 * noinline: the mark covers exactly that function's body (with whatever the optimizer inlines into
 * it), so its writes are never moved into an unmarked caller. A callee that stays a call is mirrored
 * only if it is marked itself. Write protected data only from mirrored code: `audit_at_exit=1` (or
 * mirror_audit) shows any byte written past the mirror.
 *
 * In annotated mode the protected domain holds only what the program asks for: memory from
 * mirror_malloc/mirror_calloc/mirror_realloc (released with mirror_free) and regions given to
 * mirror_register. malloc and the executable's globals stay unprotected: a page of them lost is
 * reported, then the program dies as it would have without mirrorpass. */
#define MIRROR_PROTECT __attribute__((annotate("mirror_protect"), noinline))
#define MIRROR_EXCLUDE __attribute__((annotate("mirror_exclude"), noinline))

void *mirror_malloc(size_t n);
void *mirror_calloc(size_t count, size_t size);
void *mirror_realloc(void *p, size_t n);
void mirror_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
