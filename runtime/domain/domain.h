/* domain/domain.h — the protected domain: which address ranges a lost page may be rebuilt in, the
 * executable's globals and instrumented libraries entered into it, seeding their mirror, and what
 * share of the process's memory it covers.
 * May use: base/. Used by: mirror/, heap/, recovery/, inject/, libc/, process/.
 */
#ifndef MIRROR_DOMAIN_H
#define MIRROR_DOMAIN_H

#include "base/base.h"

#pragma GCC visibility push(hidden)

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

/* ---- Seeding the mirror (seed.c) ----------------------------------------------------------------------- */

/* Copy [start, end) (page-aligned) into the mirror, skipping zero pages; file_backed: the pages map a
 * file, so not being resident says nothing about their content. Start-up and libraries.c call it. */
void _mirror_seed_pages(uintptr_t start, uintptr_t end, bool file_backed);

/* ---- Instrumented shared libraries (libraries.c) ------------------------------------------------------- */
/* Seed and protect the writable data of every loaded shared library that holds instrumented code
 * (it carries a .note.mirrorpass) and is not protected yet. Start-up and dlopen call it. */
void _mirror_libraries_register(void);
/* Take libraries that are no longer loaded out of the domain (after dlclose). */
void _mirror_libraries_forget_unloaded(void);
/* `"uninstrumented_libraries": ["path", ...]`, every library loaded so far that has no .note.mirrorpass
 * and is not glibc's (covered.inc), as a JSON member into out; returns its length. */
size_t _mirror_uninstrumented_json(char *out, size_t capacity);

/* How many loaded uninstrumented libraries allow_uninstrumented does not name, and the first of them
 * (NULL when none): libraries whose writes may have left a mirror stale. Async-signal-safe (reads the
 * table, allocates nothing): the SIGBUS handler asks before it restores a native page. */
int _mirror_uninstrumented_suspects(const char **first);

/* ---- Excluded from repair (excluded.c) ------------------------------------------------------------------- */

/* The reason given to mirror_exclude for the first excluded range overlapping [start, end), or NULL.
 * Lock-free and async-signal-safe: the SIGBUS handler asks before it restores a native page. */
const char *_mirror_excluded_overlap(uintptr_t start, uintptr_t end);

/* `"excluded": [{"start", "end", "why"}, ...], "excluded_bytes": N` as JSON members into out; returns
 * the length. */
size_t _mirror_excluded_json(char *out, size_t capacity);

/* ---- Residency and coverage (coverage.c) --------------------------------------------------------------- */

/* Exit: set protected_resident_bytes and mirror_resident_bytes from the domain's pages now. */
void _mirror_measure_residency(void);
/* One coverage sample (coverage_interval_ms): resident writable pages, and how many are protected. */
void _mirror_sample_coverage(void);

#pragma GCC visibility pop

#endif
