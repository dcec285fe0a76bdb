/* base/base.h — the bottom layer of the runtime: the mapping, the process-wide state, options,
 * statistics counters, messages, /proc/self/maps and resident pages, symbols.
 * May use: libc and the kernel only (base/sys.h for the signal path). Used by every layer above
 * (runtime/LAYERS gives the order; scripts/check_runtime_layers.py checks it).
 *
 * The runtime is linked into every executable mirror-cc builds but is itself not instrumented: its own
 * stores are never mirrored. Everything it keeps between calls therefore lives in the section
 * `mirror_rt_state` (the shared `_mirror_state`, and each file's own state marked MIRROR_RT_STATE), so
 * the protected domain leaves out exactly those bytes (between __start_mirror_rt_state and
 * __stop_mirror_rt_state). Invariant: no runtime object compiled by plain clang has .data or .bss.
 * Naming: `mirror_` is public API (include/mirror.h), `_mirror_` is shared between runtime files,
 * everything else is `static`.
 */
#ifndef MIRROR_BASE_H
#define MIRROR_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/layout.h"

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

/* True when a is the mirror of an application address (and not itself application memory). */
static inline bool _mirror_in_mirror_window(uintptr_t a)
{
    uintptr_t native = a - (uintptr_t)MIRROR_DELTA;
    return _mirror_in_app_window(native, native + 1) && !_mirror_in_app_window(a, a + 1);
}

/* ---- Runtime state (state.c) ------------------------------------------------------------------------ */

/* Put a runtime variable in the section the protected domain excludes. Every static or global variable
 * of a runtime file compiled by plain clang needs it (tests/runtime/test_domain.py checks). */
#define MIRROR_RT_STATE __attribute__((section("mirror_rt_state")))

extern char __start_mirror_rt_state[], __stop_mirror_rt_state[];

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
    /* The program was built with -fmirror-mode=annotated (the pass's __mirror_mode_annotated marker):
     * only mirror_malloc memory and registered regions are protected; libc keeps its own allocations. */
    bool annotated;

    /* The executable's writable segments, page-rounded, whose mirror start-up filled from the native
     * copy. Invariant: when start-up ends, native == mirror on these ranges, except for this struct
     * (the runtime's own stores are not mirrored: exclude the mirror_rt_state section). Later writes by
     * uninstrumented code (libc into copy-relocated variables such as environ) break it; the audit's job.
     * Entries [0, seeded_count) are valid. */
    size_t seeded_count;
    struct _mirror_range seeded[MIRROR_MAX_SEEDED_RANGES];

    /* The environment the loader passed to start-up (see _mirror_startup_getenv). */
    char **envp;

    /* Scratch for reading /proc/self/maps at start-up without malloc: the bytes of one read(2), and the
     * line being assembled from them (longer lines are truncated; only the addresses and the start of
     * the name are needed). */
    struct {
        char chunk[4096];
        char line[512];
    } maps_scratch;
};

extern struct _mirror_state _mirror_state;

/* getenv for start-up code: libc's getenv sees no environment yet in .preinit_array (state.c). */
const char *_mirror_startup_getenv(const char *name);

/* Native pages rebuilt from their mirror so far (state.c; the SIGBUS handler counts them). Instrumented
 * code reads it around large copies, and so does _mirror_copy_in. Exported: instrumented shared
 * libraries bind to it (a hidden definition left their extern_weak reference NULL, and zlib's libz.so
 * crashed in its first memcpy). */
extern uint64_t __mirror_repairs __attribute__((visibility("default")));

/* ---- Options (flags.c, flags.inc) ---------------------------------------------------------------------- */

/* The C type of each option type of flags.inc. */
#define MIRROR_FLAG_CTYPE_BOOL bool
#define MIRROR_FLAG_CTYPE_INT(min, max) int
#define MIRROR_FLAG_CTYPE_PATH const char *
#define MIRROR_FLAG_CTYPE_CHOICE(list) const char *

/* The options, one field per line of flags.inc. Set once at start-up, read-only afterwards. */
struct _mirror_flags {
#define MIRROR_FLAG(type, name, default_value, help) MIRROR_FLAG_CTYPE_##type name;
#include "flags.inc"
#undef MIRROR_FLAG
};

extern struct _mirror_flags _mirror_flags;

/* Fill _mirror_flags from MIRROR_OPTIONS. Start-up calls it first. Stops the program (exit 1) on an
 * unknown option or a bad value; prints every option and exits 0 for help=1. No malloc. */
void _mirror_flags_parse(void);

/* ---- Statistics (stats.c, stats.inc) ------------------------------------------------------------------- */

/* The counters written to stats_json and print_stats, one per line of stats.inc. */
enum _mirror_stat {
#define MIRROR_STAT(name, help) MIRROR_STAT_##name,
#include "stats.inc"
#undef MIRROR_STAT
    MIRROR_STAT_COUNT
};


/* Add to a counter. Async-signal-safe (one relaxed atomic add). */
void _mirror_stat_add(enum _mirror_stat stat, uint64_t amount);

/* Set or read a counter (the exit sequence sets the figures it measures). Relaxed atomics. */
void _mirror_stat_set(enum _mirror_stat stat, uint64_t value);
uint64_t _mirror_stat_get(enum _mirror_stat stat);

/* Raise a counter to value if it is below it (a high-water mark). Relaxed atomics. */
void _mirror_stat_max(enum _mirror_stat stat, uint64_t value);

/* print_stats: every counter on one line, in table order. */
void _mirror_stats_print(void);

/* stats_json: the counters as one JSON object, written atomically (to <path>.tmp.<pid>, then renamed),
 * then `members` (more JSON members from the layers above, or NULL). A process other than initial_pid
 * (a forked child) writes <path>.<pid>; "%p" in path is the pid. */
void _mirror_stats_write_json(const char *path, int initial_pid, const char *members);

/* ---- Mappings and resident pages (resident.c; also linked into the native injector) ------------------ */

/* Reading /proc/self/maps line by line: `_mirror_maps_open(&m); while (_mirror_maps_next(&m, &map)) ...;
 * _mirror_maps_close(&m);`. Async-signal-safe: raw system calls, no allocation. */
struct _mirror_maps {
    int fd;
    size_t len, pos;
    char chunk[2048];
};
struct _mirror_mapping {
    uintptr_t start, end; /* [start, end) */
    int prot;             /* PROT_* bits */
    bool shared;          /* MAP_SHARED (the 's' of "rw-s") */
    char name[400];       /* "[stack]", a file path, or "" for anonymous memory */
};
bool _mirror_maps_open(struct _mirror_maps *m);
bool _mirror_maps_next(struct _mirror_maps *m, struct _mirror_mapping *out);
void _mirror_maps_close(struct _mirror_maps *m);
/* The mapping that contains addr; false when none does. */
bool _mirror_maps_find(uintptr_t addr, struct _mirror_mapping *out);

/* Mappings larger than this are reservations (the mirror area is one): never scanned page by page. The
 * mirrored heap reserves 64 GiB; mincore skips its empty page tables quickly. */
#define MIRROR_SCAN_LIMIT (1UL << 40)

/* The process's own writable memory, the pages injection (anywhere) and coverage count: private and
 * writable, neither the mirror area nor a larger reservation. */
static inline bool _mirror_is_writable_memory(const struct _mirror_mapping *m)
{
    return (m->prot & 2 /* PROT_WRITE */) && !m->shared && !_mirror_in_mirror_window(m->start) &&
           m->end - m->start <= MIRROR_SCAN_LIMIT;
}

/* mincore of count pages from page into vector (bit 0: resident); unmapped pages read as not
 * resident instead of failing the whole call. Async-signal-safe. */
void _mirror_residency(uintptr_t page, size_t count, unsigned char *vector);
/* Call visit(page, context) for each resident page wholly inside [start, end), in address order (one
 * mincore call per 16 MiB; the vector is on the caller's stack, so threads may walk at once). */
void _mirror_each_resident_page(uintptr_t start, uintptr_t end, void (*visit)(uintptr_t page, void *context),
                                void *context);
/* Resident pages wholly inside [start, end). */
uint64_t _mirror_resident_pages(uintptr_t start, uintptr_t end);

/* xorshift64: the next pseudo-random number of *state. */
uint64_t _mirror_random(uint64_t *state);

/* Choosing one page uniformly among the resident, eligible pages of several ranges (reservoir
 * sampling): zero `seen` and `choice`, point rng at a seeded state, call _mirror_sample_resident for
 * each range; `choice` is then the page (0: none). eligible may be NULL (every resident page). */
struct _mirror_sampler {
    uint64_t *rng;
    uint64_t seen;
    uintptr_t choice;
};
void _mirror_sample_resident(struct _mirror_sampler *s, uintptr_t start, uintptr_t end,
                             bool (*eligible)(uintptr_t page));

/* ---- Symbols (symbols.c) ------------------------------------------------------------------------------- */

/* What an address of the executable's data is: the smallest STT_OBJECT of the executable's .symtab
 * (.dynsym when stripped) that contains it, and the section holding it. Reads /proc/self/exe once and
 * keeps it mapped. Thread-safe, not async-signal-safe. */
struct _mirror_symbol {
    const char *name; /* NULL: no symbol contains the address */
    uintptr_t start;  /* run-time address of the symbol */
    size_t size;
    const char *section; /* NULL when unknown */
};

void _mirror_symbolize(uintptr_t addr, struct _mirror_symbol *out);

/* ---- Messages (report.c) ------------------------------------------------------------------------------- */

/* Write one line "mirrorpass: <message>\n" to the log (stderr, or log_path.<pid>) with a single
 * write(2). Async-signal-safe; keeps errno. Formats %s %c %d %i %u %x with the l, ll and z modifiers,
 * %p (as 0x...) and %%. Lines longer than 512 bytes are cut and end in "...". */
void _mirror_report(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* _mirror_report, then _exit(1): for conditions under which the program must not run. */
/* The mapping of /proc/self/maps containing addr by name: "[stack]", a file path, "anonymous memory",
 * or "unmapped memory". Async-signal-safe (open/read into stack buffers). */
void _mirror_mapping_name(uintptr_t addr, char *out, size_t capacity);
/* The same, plus the mapping's protection (PROT_* bits) in *prot when prot is not NULL. */
void _mirror_mapping_info(uintptr_t addr, char *out, size_t capacity, int *prot);

_Noreturn void _mirror_fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* _mirror_report when the verbosity option is at least level (1-3). */
void _mirror_verbose(int level, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The formatter of _mirror_report into buffer (always NUL-terminated, cut to fit), without the prefix
 * or newline. Returns the length written. Async-signal-safe. */
size_t _mirror_format(char *buffer, size_t capacity, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Start-up, after the options: send messages to log_path.<pid> instead of stderr when it is set
 * (log_path=stderr and log_path=stdout name those streams). A forked child reopens with its own pid on
 * its first message. Stops the program when the file cannot be opened. */
void _mirror_log_open(void);

#pragma GCC visibility pop

#endif
