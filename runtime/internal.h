/* internal.h — what the runtime's files share and programs must not see.
 *
 * The runtime is linked into every executable mirror-cc builds but is itself not instrumented: its own
 * stores are never mirrored. Everything it keeps between calls therefore lives in the section
 * `mirror_rt_state` (the shared `_mirror_state`, and each file's own state marked MIRROR_RT_STATE), so
 * the protected domain leaves out exactly those bytes (between __start_mirror_rt_state and
 * __stop_mirror_rt_state). Invariant: no runtime object compiled by plain clang has .data or .bss.
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

/* True when a is the mirror of an application address (and not itself application memory). */
static inline bool _mirror_in_mirror_window(uintptr_t a)
{
    uintptr_t native = a - (uintptr_t)MIRROR_DELTA;
    return _mirror_in_app_window(native, native + 1) && !_mirror_in_app_window(a, a + 1);
}

/* ---- Runtime state ------------------------------------------------------------------------------------- */

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

/* getenv for start-up code (init.c): libc's getenv sees no environment yet in .preinit_array. */
const char *_mirror_startup_getenv(const char *name);

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

/* ---- The protected domain (domain.c) ------------------------------------------------------------------- */

/* The address ranges whose pages may be rebuilt from the mirror, because native == mirror holds there.
 * Written under a lock by start-up, the heap and mirror_register; read without any lock, also from a
 * signal handler (see domain.c for why that is safe). Ranges are byte-exact: a page may be only partly
 * covered (the globals around the runtime's own state and around copy relocations). */
#define MIRROR_DOMAIN_CAPACITY 1024

enum _mirror_region_kind {
    MIRROR_REGION_GLOBALS,    /* the executable's writable data, minus what uninstrumented code writes */
    MIRROR_REGION_HEAP,       /* the mirrored heap's arena */
    MIRROR_REGION_HEAP_META,  /* the mirrored heap's metadata (page map) */
    MIRROR_REGION_REGISTERED, /* a region the program added with mirror_register */
};

/* A snapshot of one entry. name is a static string owned by whoever added the entry. */
struct _mirror_region {
    uintptr_t start, end; /* [start, end) */
    enum _mirror_region_kind kind;
    const char *name;
    int handle;
};

/* Add [start, end), which must lie in one application window, and whose mirror the caller has made
 * equal to native. Returns the handle (>= 0), or -1 when the registry is full or the range is invalid.
 * name is not copied. Not async-signal-safe. */
int _mirror_domain_add(uintptr_t start, uintptr_t end, enum _mirror_region_kind kind, const char *name);

/* Move the end of a live entry (the heap growing its arena in place): one atomic store, so a reader
 * sees the old or the new end, never anything else. Only the entry's owner calls it for its handle. */
void _mirror_domain_resize(int handle, uintptr_t new_end);

/* Take an entry out of the domain; its handle may be given to a later _mirror_domain_add. */
void _mirror_domain_remove(int handle);

/* The entry containing addr, copied into *out. Lock-free and async-signal-safe. */
bool _mirror_domain_lookup(uintptr_t addr, struct _mirror_region *out);

/* Iterate over the live entries: `int cursor = 0; while (_mirror_domain_next(&cursor, &r)) ...`.
 * Lock-free and async-signal-safe; entries added or removed meanwhile may or may not be seen. */
bool _mirror_domain_next(int *cursor, struct _mirror_region *out);

/* The kind as a word for messages: "globals", "heap", "heap metadata", "registered". */
const char *_mirror_region_kind_name(enum _mirror_region_kind kind);

/* Start-up: make the registry's lock safe across fork. */
void _mirror_domain_init(void);

/* ---- The executable's globals in the domain (globals.c) ------------------------------------------------ */

/* Start-up, after seeding: add _mirror_state.seeded to the domain as MIRROR_REGION_GLOBALS, minus the
 * runtime's state section and the bytes that uninstrumented code writes (copy-relocated variables,
 * lazily bound PLT slots). load_bias and the program headers are the executable's. */
void _mirror_globals_register(uintptr_t load_bias, const void *phdr, size_t phnum);

/* ---- Seeding the mirror (init.c) ----------------------------------------------------------------------- */

/* Copy [start, end) (page-aligned) into the mirror, skipping zero pages; file_backed: the pages map a
 * file, so not being resident says nothing about their content. Start-up and libraries.c call it. */
void _mirror_seed_pages(uintptr_t start, uintptr_t end, bool file_backed);

/* ---- Instrumented shared libraries (libraries.c) ------------------------------------------------------- */
/* Seed and protect the writable data of every loaded shared library that holds instrumented code
 * (it carries a .note.mirrorpass) and is not protected yet. Start-up and dlopen call it. */
void _mirror_libraries_register(void);
/* Take libraries that are no longer loaded out of the domain (after dlclose). */
void _mirror_libraries_forget_unloaded(void);

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

/* ---- Audit (audit.c) ----------------------------------------------------------------------------------- */

struct _mirror_audit_result {
    size_t divergent_bytes;
    size_t runs;            /* maximal spans of divergent bytes (gaps under 8 equal bytes joined) */
    size_t pages_checked;   /* resident native pages compared */
    size_t ranges;          /* live domain entries */
};

/* Compare every resident page of the protected domain with its mirror. report: print one line per
 * divergent run (at most MIRROR_AUDIT_MAX_LINES, then a count of the rest). Does not print a summary.
 * Not async-signal-safe; other threads' writes during the audit may show up as transient divergence. */
#define MIRROR_AUDIT_MAX_LINES 20
struct _mirror_audit_result _mirror_audit_run(bool report);

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

/* Start-up: when print_stats, audit_at_exit or stats_json is set, arrange for them to run at exit. */
void _mirror_exit_init(void);

/* Native pages rebuilt from their mirror so far (signal.c); instrumented code reads it around large
 * copies, and so does _mirror_copy_in. Exported: instrumented shared libraries bind to it (a hidden
 * definition left their extern_weak reference NULL, and zlib's libz.so crashed in its first memcpy). */
extern uint64_t __mirror_repairs __attribute__((visibility("default")));

/* copy.c: memcpy and memmove of instrumented code whose size is not a small constant, with their
 * mirror copy (the pass calls them; instrumented shared libraries too). */
__attribute__((visibility("default"))) void __mirror_copy(void *dst, const void *src, size_t n);
__attribute__((visibility("default"))) void __mirror_move(void *dst, const void *src, size_t n);

/* Sync the pthread and semaphore objects that threads are blocked in right now (wrap_sync.c): the
 * audit calls it first. */
void _mirror_sync_blocked(void);

/* ---- Memory errors (signal.c, inject.c) --------------------------------------------------------------- */

/* Start-up: early kill, the SIGBUS handler and the calling thread's alternate stack. */
void _mirror_signal_init(void);
/* Give the calling thread an alternate signal stack (threads created by instrumented code). */
void _mirror_signal_thread_init(void);
/* After start-up, once libc is up: start the fault-injection thread when inject_count > 0. */
void _mirror_inject_start(void);

/* The lost-page table: who repairs a page, and whether a BUS_ADRERR is an injected loss. */
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

/* ---- The injection log (inject_log.c; also linked into the native injector) ----------------------------- */

/* Append "0x<page> <name>" to the log at path before the page is lost; returns the open log (or -1, also
 * when path is NULL) and its length before the line in *before. Then _mirror_inject_log_end says whether
 * the page was lost: if not, the line is taken back. */
int _mirror_inject_log_begin(const char *path, uintptr_t page, const char *name, long *before);
void _mirror_inject_log_end(int fd, long before, bool lost);

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
