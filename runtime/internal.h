/* internal.h — what the runtime's files share and programs must not see.
 *
 * The runtime is linked into every executable mirror-cc builds but is itself not instrumented: its own
 * stores are never mirrored. Everything it keeps between calls therefore lives in one struct,
 * `_mirror_state`, placed in the section `mirror_rt_state`, so an audit can skip exactly those bytes
 * (between __start_mirror_rt_state and __stop_mirror_rt_state) when it proves native == mirror.
 * Naming: `mirror_` is public API (include/mirror.h), `_mirror_` is shared between runtime files,
 * everything else is `static`.
 */
#ifndef MIRROR_INTERNAL_H
#define MIRROR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mirror_layout.h"

/* Internal symbols stay out of the executable's dynamic symbol table even under -rdynamic. */
#pragma GCC visibility push(hidden)

/* ---- The mapping --------------------------------------------------------------------------------------- */

/* x86-64 base page size; huge pages are multiples, so page-granular work stays correct for them. */
#define MIRROR_PAGE_SIZE 4096UL

static inline uintptr_t _mirror_page_down(uintptr_t a)
{
    return a & ~(MIRROR_PAGE_SIZE - 1);
}

static inline uintptr_t _mirror_page_up(uintptr_t a)
{
    return (a + MIRROR_PAGE_SIZE - 1) & ~(MIRROR_PAGE_SIZE - 1);
}

/* The mirror of p. Computed on integers: the result lies outside every C object, so pointer arithmetic
 * on p would be undefined behaviour. Only meaningful when p is in an application window. */
static inline unsigned char *_mirror_of(const void *p)
{
    return (unsigned char *)((uintptr_t)p + (uintptr_t)MIRROR_DELTA);
}

/* True when [start, end) lies entirely inside one application window (and so has a mirror). */
static inline bool _mirror_in_app_window(uintptr_t start, uintptr_t end)
{
    return (start >= MIRROR_APP1_START && end <= MIRROR_APP1_END && start <= end) ||
           (start >= MIRROR_APP2_START && end <= MIRROR_APP2_END && start <= end);
}

/* ---- Runtime state ------------------------------------------------------------------------------------- */

/* An executable has one or two writable PT_LOAD segments in practice (RELRO data, then .data/.bss);
 * start-up stops with a message rather than protect fewer than all of them. */
#define MIRROR_MAX_SEEDED_RANGES 8

/* A page-aligned address range [start, end). */
struct _mirror_range {
    uintptr_t start;
    uintptr_t end;
};

struct _mirror_state {
    /* Set once start-up has reserved the mirror and seeded it; nothing is mirrored correctly before. */
    bool initialized;

    /* The GS base is MIRROR_DELTA, so segment-mode mirror stores (`mov %rcx,%gs:(%rdx)`) land in the
     * mirror. Set with WRGSBASE on the start-up thread; threads and fork children inherit it. */
    bool gs_base_set;

    /* The executable's writable segments, page-rounded, whose mirror start-up filled from the native
     * copy. Invariant: when start-up ends, native == mirror on these ranges, except for this struct
     * (the runtime's own stores are not mirrored: exclude the mirror_rt_state section). Later writes by
     * uninstrumented code (libc into copy-relocated variables such as environ) break it; the audit's job.
     * Entries [0, seeded_count) are valid. */
    size_t seeded_count;
    struct _mirror_range seeded[MIRROR_MAX_SEEDED_RANGES];

    /* Scratch for reading /proc/self/maps at start-up without malloc: the bytes of one read(2), and the
     * line being assembled from them (longer lines are truncated; only the addresses and the start of
     * the name are needed). */
    struct {
        char chunk[4096];
        char line[512];
    } maps_scratch;
};

extern struct _mirror_state _mirror_state;

/* ---- Messages (report.c) ------------------------------------------------------------------------------- */

/* Write one line "mirrorpass: <message>\n" to stderr with a single write(2). Async-signal-safe; keeps
 * errno. Formats %s %c %d %i %u %x with the l, ll and z modifiers, %p (as 0x...) and %%. Lines longer
 * than 512 bytes are cut and end in "...". */
void _mirror_report(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* _mirror_report, then _exit(1): for conditions under which the program must not run. */
_Noreturn void _mirror_fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));

#pragma GCC visibility pop

#endif
