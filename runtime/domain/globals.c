/* globals.c — the executable's global data in the protected domain.
 *
 * Start-up seeded the mirror of every writable segment of the executable (process/init_linux.c). Those segments enter
 * the domain except for the bytes that code without mirror stores writes after seeding, whose mirror
 * would go stale — a page rebuilt from it would silently undo those writes:
 *   - the runtime's own state, the section mirror_rt_state (it shares pages with .data, so the cut is
 *     byte-exact, not page-wise);
 *   - variables of a shared library that the executable accesses directly (R_X86_64_COPY: the linker
 *     gave them a home in the executable's .bss, and libc keeps writing them there: environ, optarg,
 *     optind, stdout when a program compiled without -fPIC refers to them);
 *   - PLT slots bound lazily: the dynamic loader writes each R_X86_64_JUMP_SLOT (and lazy TLS
 *     descriptor) on the first call through it. With BIND_NOW (-z now, LD_BIND_NOW) they are written
 *     before start-up and stay protected.
 * A segment is therefore cut into several domain entries around these holes. The relocations are read
 * from the executable's dynamic section, as the loader sees it (dl_iterate_phdr), without the file.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include "domain/domain.h"

#define GLOBALS_NAME "globals"

/* Holes are few after merging (copy relocations are rare, PLT slots are contiguous). */
#define MAX_HOLES 256

struct hole {
    uintptr_t start, end;
};

struct holes {
    size_t count;
    struct hole items[MAX_HOLES];
};

static void add_hole(struct holes *holes, uintptr_t start, uintptr_t end)
{
    if (start >= end)
        return;
    /* PLT slots arrive in address order: grow the previous hole instead of adding one. */
    if (holes->count > 0 && holes->items[holes->count - 1].end == start) {
        holes->items[holes->count - 1].end = end;
        return;
    }
    if (holes->count == MAX_HOLES)
        _mirror_fatal("the executable has more than %d separate ranges written by uninstrumented code "
                      "(copy relocations); raise MAX_HOLES in runtime/domain/globals.c",
                      MAX_HOLES);
    holes->items[holes->count++] = (struct hole){start, end};
}

/* Sort by start and merge overlapping holes; there are few, insertion sort is enough. */
static void normalise(struct holes *holes)
{
    for (size_t i = 1; i < holes->count; i++) {
        struct hole h = holes->items[i];
        size_t j = i;
        for (; j > 0 && holes->items[j - 1].start > h.start; j--)
            holes->items[j] = holes->items[j - 1];
        holes->items[j] = h;
    }
    size_t merged = 0;
    for (size_t i = 0; i < holes->count; i++) {
        if (merged > 0 && holes->items[i].start <= holes->items[merged - 1].end) {
            if (holes->items[i].end > holes->items[merged - 1].end)
                holes->items[merged - 1].end = holes->items[i].end;
        } else {
            holes->items[merged++] = holes->items[i];
        }
    }
    holes->count = merged;
}

/* ---- The dynamic section ------------------------------------------------------------------------------- */

struct dynamic_info {
    uintptr_t load_bias;
    const ElfW(Rela) *rela;
    size_t rela_size;
    const ElfW(Rela) *jmprel;
    size_t jmprel_size;
    bool jmprel_is_rela;
    const ElfW(Sym) *symtab;
    const char *strtab;
    bool bind_now;
};

/* glibc rewrites some d_ptr entries of the executable's dynamic section to run-time addresses, others
 * not, depending on version and tag. Link-time addresses of a PIE are small and the load bias is at
 * least the first application window, so the two cannot be confused. */
static const void *run_time_address(const struct dynamic_info *info, ElfW(Addr) address)
{
    return (const void *)(address >= info->load_bias ? address : address + info->load_bias);
}

static bool read_dynamic(uintptr_t load_bias, const ElfW(Phdr) *phdr, size_t phnum, struct dynamic_info *info)
{
    *info = (struct dynamic_info){.load_bias = load_bias};
    const ElfW(Dyn) *dynamic = NULL;
    for (size_t i = 0; i < phnum; i++)
        if (phdr[i].p_type == PT_DYNAMIC)
            dynamic = (const ElfW(Dyn) *)(load_bias + phdr[i].p_vaddr);
    if (dynamic == NULL)
        return false; /* a static executable: no loader, no copy relocations, no PLT to bind */
    ElfW(Addr) rela = 0, jmprel = 0, symtab = 0, strtab = 0;
    for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_RELA: rela = d->d_un.d_ptr; break;
        case DT_RELASZ: info->rela_size = d->d_un.d_val; break;
        case DT_JMPREL: jmprel = d->d_un.d_ptr; break;
        case DT_PLTRELSZ: info->jmprel_size = d->d_un.d_val; break;
        case DT_PLTREL: info->jmprel_is_rela = d->d_un.d_val == DT_RELA; break;
        case DT_SYMTAB: symtab = d->d_un.d_ptr; break;
        case DT_STRTAB: strtab = d->d_un.d_ptr; break;
        case DT_BIND_NOW: info->bind_now = true; break;
        case DT_FLAGS: info->bind_now |= (d->d_un.d_val & DF_BIND_NOW) != 0; break;
        case DT_FLAGS_1: info->bind_now |= (d->d_un.d_val & DF_1_NOW) != 0; break;
        default: break;
        }
    }
    info->rela = rela ? run_time_address(info, rela) : NULL;
    info->jmprel = jmprel ? run_time_address(info, jmprel) : NULL;
    info->symtab = symtab ? run_time_address(info, symtab) : NULL;
    info->strtab = strtab ? run_time_address(info, strtab) : NULL;
    /* The loader's own switch (ignored for set-user-ID programs, like every LD_ variable). */
    const char *bind_now = _mirror_startup_getenv("LD_BIND_NOW");
    if (bind_now != NULL && *bind_now != '\0' && !getauxval(AT_SECURE))
        info->bind_now = true;
    return true;
}

static const char *symbol_name(const struct dynamic_info *info, size_t index)
{
    if (info->symtab == NULL || info->strtab == NULL)
        return "?";
    return info->strtab + info->symtab[index].st_name;
}

/* Returns how many copy relocations were found. */
static size_t find_copy_relocations(const struct dynamic_info *info, struct holes *holes)
{
    size_t found = 0;
    if (info->rela == NULL || info->symtab == NULL)
        return 0;
    for (size_t i = 0; i < info->rela_size / sizeof(ElfW(Rela)); i++) {
        const ElfW(Rela) *r = &info->rela[i];
        if (ELF64_R_TYPE(r->r_info) != R_X86_64_COPY)
            continue;
        size_t symbol = ELF64_R_SYM(r->r_info);
        uintptr_t start = info->load_bias + r->r_offset;
        uintptr_t end = start + info->symtab[symbol].st_size;
        _mirror_verbose(2, "globals: leaving out %p-%p: %s, copy-relocated, written by its library without "
                        "mirror stores",
                        (void *)start, (void *)end, symbol_name(info, symbol));
        add_hole(holes, start, end);
        found++;
    }
    return found;
}

/* Returns how many slots the loader may still bind. */
static size_t find_lazy_plt_slots(const struct dynamic_info *info, struct holes *holes)
{
    size_t found = 0;
    if (info->bind_now || info->jmprel == NULL || !info->jmprel_is_rela)
        return 0;
    for (size_t i = 0; i < info->jmprel_size / sizeof(ElfW(Rela)); i++) {
        const ElfW(Rela) *r = &info->jmprel[i];
        size_t size;
        switch (ELF64_R_TYPE(r->r_info)) {
        case R_X86_64_JUMP_SLOT: size = sizeof(ElfW(Addr)); break;
        case R_X86_64_TLSDESC: size = 2 * sizeof(ElfW(Addr)); break;
        default: continue; /* IRELATIVE: resolved before start-up */
        }
        uintptr_t start = info->load_bias + r->r_offset;
        add_hole(holes, start, start + size);
        found++;
    }
    if (found > 0)
        _mirror_verbose(2, "globals: leaving out %zu PLT slots the dynamic loader binds on first call "
                        "(link with -Wl,-z,now to protect them)",
                        found);
    return found;
}

/* ---- Registration -------------------------------------------------------------------------------------- */

void _mirror_globals_register(uintptr_t load_bias, const void *program_headers, size_t phnum)
{
    struct holes holes = {.count = 0};
    struct dynamic_info info;
    size_t copies = 0, slots = 0;
    if (read_dynamic(load_bias, program_headers, phnum, &info)) {
        copies = find_copy_relocations(&info, &holes);
        slots = find_lazy_plt_slots(&info, &holes);
    }
    add_hole(&holes, (uintptr_t)__start_mirror_rt_state, (uintptr_t)__stop_mirror_rt_state);
    normalise(&holes);

    /* Seeded ranges are page-rounded segments in address order; two segments may share a page. */
    size_t entries = 0, bytes = 0;
    uintptr_t covered = 0;
    for (size_t r = 0; r < _mirror_state.seeded_count; r++) {
        uintptr_t cursor = _mirror_state.seeded[r].start > covered ? _mirror_state.seeded[r].start : covered;
        uintptr_t end = _mirror_state.seeded[r].end;
        if (end > covered)
            covered = end;
        for (size_t h = 0; h <= holes.count && cursor < end; h++) {
            uintptr_t piece_end = h < holes.count && holes.items[h].start < end ? holes.items[h].start : end;
            if (h < holes.count && holes.items[h].end <= cursor)
                continue;
            if (piece_end > cursor) {
                if (_mirror_domain_add(cursor, piece_end, MIRROR_REGION_GLOBALS, GLOBALS_NAME) < 0)
                    _mirror_fatal("cannot add the executable's data %p-%p to the protected domain",
                                  (void *)cursor, (void *)piece_end);
                entries++;
                bytes += piece_end - cursor;
            }
            if (h < holes.count && holes.items[h].end > cursor)
                cursor = holes.items[h].end;
        }
    }
    _mirror_verbose(1, "protecting %zu bytes of the executable's data in %zu ranges (left out: the "
                       "runtime's state, %zu copy relocations, %zu lazily bound PLT slots)",
                    bytes, entries, copies, slots);
}
