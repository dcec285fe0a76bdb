/* process/platform.h — the process's start-up and exit, the top of the runtime: init.c (the start-up
 * sequence), init_linux.c (its Linux detail: maps, windows, GS base) and exit.c (the exit sequence).
 * May use: every layer below (libc/ and down). Used by: nothing; the loader calls init.c's entry.
 */
#ifndef MIRROR_PLATFORM_H
#define MIRROR_PLATFORM_H

#include <link.h>
#include <stdbool.h>
#include <stdint.h>

#include "libc/wrap.h"

#pragma GCC visibility push(hidden)

/* ---- Start-up, Linux detail (init_linux.c) -------------------------------------------------------------- */

/* The main executable as the dynamic loader mapped it. */
struct _mirror_executable {
    uintptr_t load_bias; /* run-time address minus link-time address (0 for ET_EXEC) */
    const ElfW(Phdr) *phdr;
    size_t phnum;
    bool position_independent; /* ET_DYN: the kernel chose its address, inside the first window */
    uintptr_t lowest, highest; /* page-rounded extent of its PT_LOAD segments */
};

struct _mirror_executable _mirror_find_executable(void);
/* Every mapping in an application window, or one line saying what to change, then exit. */
void _mirror_check_layout(const struct _mirror_executable *exe);
/* Reserve the mirror of both application windows (fatal when that fails). */
void _mirror_reserve_mirror_windows(void);
/* GS base = MIRROR_DELTA when segment-mode code is linked in (fatal without FSGSBASE). */
void _mirror_set_gs_base(void);
/* Copy the executable's writable data into its mirror (the loader wrote it with plain stores). */
void _mirror_seed_executable_data(const struct _mirror_executable *exe);

/* ---- Exit (exit.c) -------------------------------------------------------------------------------------- */

/* Register the exit sequence (residency, coverage, audit, print_stats, stats_json) when an option asks. */
void _mirror_exit_init(void);

#pragma GCC visibility pop

#endif
