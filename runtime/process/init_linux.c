/* init_linux.c — the Linux detail of start-up (init.c calls it in order): find the executable, check
 * that every mapping lies in an application window (anything outside has no mirror), reserve both
 * mirror windows, point the GS base at the mirror for segment-mode stores, and copy the executable's
 * writable data into its mirror, since the loader and the kernel wrote it without mirroring.
 * Each failure prints one line saying what to change, then exits: running on would silently leave
 * memory unprotected. Nothing here mallocs or uses stdio (it runs before libc is fully up); scratch
 * space is in `_mirror_state`.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#if __has_include(<asm/hwcap2.h>)
#include <asm/hwcap2.h>
#endif
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1UL << 1) /* the kernel enabled FSGSBASE for user space (Linux >= 5.9) */
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#include "process/platform.h"

/* Defined (weak, = 1) by every object mirror-cc compiled in segment mode: its mirror stores go through
 * %gs, so the program cannot run without a GS base. Null when no such object was linked. */
extern char __mirror_uses_gs __attribute__((weak));

/* What an instrumented shared library looks for to know the program has the runtime (library/
 * needs_runtime.c); exported like every __mirror_* symbol (mirrorpass/driver/runtime_lib.py). */
__attribute__((visibility("default"), used)) const char __mirror_runtime[] = "mirrorpass runtime";

/* ---- The executable ------------------------------------------------------------------------------------ */


/* dl_iterate_phdr reports the main program first; stop there. */
static int take_first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct _mirror_executable *exe = data;
    exe->load_bias = info->dlpi_addr;
    exe->phdr = info->dlpi_phdr;
    exe->phnum = info->dlpi_phnum;
    return 1;
}

struct _mirror_executable _mirror_find_executable(void)
{
    struct _mirror_executable exe = {.lowest = UINTPTR_MAX};
    dl_iterate_phdr(take_first_object, &exe);
    /* Without a segment that maps the ELF header, judge by the load bias: the loader uses 0 only for
     * ET_EXEC, and a PIE is never mapped at its link address 0. */
    exe.position_independent = exe.load_bias != 0;
    for (size_t i = 0; i < exe.phnum; i++) {
        const ElfW(Phdr) *ph = &exe.phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = exe.load_bias + ph->p_vaddr;
        if (_mirror_page_down(start) < exe.lowest)
            exe.lowest = _mirror_page_down(start);
        if (_mirror_page_up(start + ph->p_memsz) > exe.highest)
            exe.highest = _mirror_page_up(start + ph->p_memsz);
        if (ph->p_offset == 0 && ph->p_filesz >= sizeof(ElfW(Ehdr)))
            exe.position_independent = ((const ElfW(Ehdr) *)start)->e_type == ET_DYN;
    }
    return exe;
}

/* ---- (a) The address layout ---------------------------------------------------------------------------- */

/* A stack limit this large pushes the top-down mmap area (placed below the stack's reserved gap) out of
 * the second window; 8 MiB, the usual default, is far from it. */
#define HUGE_STACK_LIMIT ((MIRROR_APP2_END - MIRROR_APP2_START) / 2)

/* A small non-negative integer from a /proc/sys file, or -1 when it cannot be read. */
static long read_sysctl(const char *path)
{
    char text[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t len = read(fd, text, sizeof text - 1);
    close(fd);
    if (len <= 0 || text[0] < '0' || text[0] > '9')
        return -1;
    long value = 0;
    for (ssize_t i = 0; i < len && text[i] >= '0' && text[i] <= '9'; i++)
        value = value * 10 + (text[i] - '0');
    return value;
}

static const char *where_is(uintptr_t start)
{
    if (start < MIRROR_APP1_START + MIRROR_DELTA)
        return "lies below the mirror and application windows";
    if (start < MIRROR_APP1_END + MIRROR_DELTA)
        return "lies in the first mirror window";
    if (start >= MIRROR_APP2_START + MIRROR_DELTA && start < MIRROR_APP2_END + MIRROR_DELTA)
        return "lies in the second mirror window";
    return "lies outside the application windows";
}

/* A mapping outside the windows: find the setting that put it there, name the fix, stop. The causes
 * are tried from the most specific; each leaves a distinct signature in the layout. */
_Noreturn static void explain_misplaced_mapping(const struct _mirror_executable *exe, uintptr_t start, uintptr_t end,
                                                const char *name)
{
    const char *where = where_is(start);
    if (!exe->position_independent && start < exe->highest && end > exe->lowest)
        _mirror_fatal("mapping %p-%p (%s) %s: the executable is not position-independent; "
                      "link with -pie (mirror-cc does by default)",
                      (void *)start, (void *)end, name, where);

    /* Legacy layout: mmap grows up from TASK_SIZE/3 = 0x2aaa..., right inside the second mirror window. */
    if (personality(0xffffffff) & ADDR_COMPAT_LAYOUT)
        _mirror_fatal("mapping %p-%p (%s) %s: the process uses the legacy mmap layout "
                      "(personality ADDR_COMPAT_LAYOUT, as set by `setarch -L`); run it without that",
                      (void *)start, (void *)end, name, where);
    long legacy = read_sysctl("/proc/sys/vm/legacy_va_layout");
    if (legacy > 0)
        _mirror_fatal("mapping %p-%p (%s) %s: vm.legacy_va_layout is %ld, so mmap uses the legacy "
                      "layout; run `sysctl vm.legacy_va_layout=0`",
                      (void *)start, (void *)end, name, where, legacy);

    /* The kernel puts the mmap base below a gap as large as the stack limit (at most 5/6 of the address
     * space), so an unlimited stack starts shared libraries near 0x1555... */
    struct rlimit stack;
    bool huge_stack = getrlimit(RLIMIT_STACK, &stack) == 0 &&
                      (stack.rlim_cur == RLIM_INFINITY || stack.rlim_cur > HUGE_STACK_LIMIT);
    if (huge_stack && stack.rlim_cur == RLIM_INFINITY)
        _mirror_fatal("mapping %p-%p (%s) %s: the stack size limit is unlimited, which moves the mmap "
                      "area down; run `ulimit -s 8192`",
                      (void *)start, (void *)end, name, where);
    if (huge_stack)
        _mirror_fatal("mapping %p-%p (%s) %s: the stack size limit is %lu KiB, which moves the mmap area "
                      "down; run `ulimit -s 8192`",
                      (void *)start, (void *)end, name, where, (unsigned long)(stack.rlim_cur >> 10));

    /* More ASLR entropy than the windows allow (google/sanitizers#1614): with 32 bits, the executable
     * and the mmap base move by up to 16 TiB. The file is readable by root only; when it cannot be
     * read, this remains the likeliest cause. */
    long rnd_bits = read_sysctl("/proc/sys/vm/mmap_rnd_bits");
    if (rnd_bits > 28)
        _mirror_fatal("mapping %p-%p (%s) %s: vm.mmap_rnd_bits is %ld, which lets ASLR place mappings "
                      "outside the windows; run `sysctl vm.mmap_rnd_bits=28`",
                      (void *)start, (void *)end, name, where, rnd_bits);
    if (rnd_bits < 0)
        _mirror_fatal("mapping %p-%p (%s) %s: probably vm.mmap_rnd_bits is above 28, which lets ASLR "
                      "place mappings outside the windows; run `sysctl vm.mmap_rnd_bits=28`",
                      (void *)start, (void *)end, name, where);
    _mirror_fatal("mapping %p-%p (%s) %s: unexpected address layout (the executable belongs at 0x55..., "
                  "libraries and stacks at 0x7f...); check `ulimit -s`, setarch and how the program was "
                  "started",
                  (void *)start, (void *)end, name, where);
}

/* Parse "start-end perms offset dev inode   name" far enough to get the range and the name. */
static bool parse_maps_line(char *line, uintptr_t *start, uintptr_t *end, const char **name)
{
    uintptr_t *field[2] = {start, end};
    char *c = line;
    for (int f = 0; f < 2; f++) {
        uintptr_t value = 0;
        const char *digits = c;
        for (;; c++) {
            unsigned d;
            if (*c >= '0' && *c <= '9')
                d = (unsigned)(*c - '0');
            else if (*c >= 'a' && *c <= 'f')
                d = (unsigned)(*c - 'a' + 10);
            else
                break;
            value = value << 4 | d;
        }
        if (c == digits || *c != (f == 0 ? '-' : ' '))
            return false;
        *field[f] = value;
        c++;
    }
    /* Skip perms, offset, dev and inode; the name (possibly empty) follows the padding. */
    for (int f = 0; f < 4; f++) {
        while (*c == ' ')
            c++;
        while (*c != ' ' && *c != '\0')
            c++;
    }
    while (*c == ' ')
        c++;
    *name = *c != '\0' ? c : "anonymous";
    return true;
}

static void check_mapping(const struct _mirror_executable *exe, char *line)
{
    uintptr_t start, end;
    const char *name;
    if (!parse_maps_line(line, &start, &end, &name))
        _mirror_fatal("cannot parse this line of /proc/self/maps: %s", line);
    /* The vsyscall page is at a fixed kernel-half address; user code never stores to it. */
    if (strcmp(name, "[vsyscall]") == 0)
        return;
    if (!_mirror_in_app_window(start, end))
        explain_misplaced_mapping(exe, start, end, name);
}

/* Every mapping must lie in an application window: its stores are then mirrored into the reserved
 * mirror, and nothing can already occupy the mirror windows. */
void _mirror_check_layout(const struct _mirror_executable *exe)
{
    char *chunk = _mirror_state.maps_scratch.chunk;
    char *line = _mirror_state.maps_scratch.line;
    const size_t line_capacity = sizeof _mirror_state.maps_scratch.line;
    size_t line_len = 0;

    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        _mirror_fatal("cannot open /proc/self/maps (errno %d) to check the address layout; "
                      "mount /proc",
                      errno);
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof _mirror_state.maps_scratch.chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            _mirror_fatal("cannot read /proc/self/maps (errno %d)", errno);
        if (got == 0)
            break;
        for (ssize_t i = 0; i < got; i++) {
            if (chunk[i] != '\n') {
                if (line_len < line_capacity - 1)
                    line[line_len++] = chunk[i];
                continue;
            }
            line[line_len] = '\0';
            check_mapping(exe, line);
            line_len = 0;
        }
    }
    close(fd);
    if (line_len > 0) {
        line[line_len] = '\0';
        check_mapping(exe, line);
    }
}

/* ---- (b) The mirror windows ---------------------------------------------------------------------------- */

#define MIRROR_TOTAL_TIB \
    ((MIRROR_APP1_END - MIRROR_APP1_START + MIRROR_APP2_END - MIRROR_APP2_START) >> 40)

_Noreturn static void explain_reservation_failure(uintptr_t start, uintptr_t end, int error, bool misplaced)
{
    struct rlimit limit;
    if (misplaced)
        _mirror_fatal("cannot reserve the mirror window %p-%p: the kernel ignored MAP_FIXED_NOREPLACE; "
                      "Linux >= 4.17 is needed",
                      (void *)start, (void *)end);
    if (error == EEXIST)
        _mirror_fatal("cannot reserve the mirror window %p-%p: something is already mapped there "
                      "(was it mapped before start-up, e.g. by an LD_AUDIT library?)",
                      (void *)start, (void *)end);
    if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        _mirror_fatal("cannot reserve the mirror window %p-%p (errno %d): the address-space limit "
                      "(ulimit -v) is %lu KiB and the mirror needs %llu TiB of address space (not of "
                      "memory); run `ulimit -v unlimited`",
                      (void *)start, (void *)end, error, (unsigned long)(limit.rlim_cur >> 10),
                      MIRROR_TOTAL_TIB);
    /* Since Linux 4.7 private writable mappings count against the data limit too. */
    if (getrlimit(RLIMIT_DATA, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        _mirror_fatal("cannot reserve the mirror window %p-%p (errno %d): the data size limit "
                      "(ulimit -d) is %lu KiB and counts the mirror's %llu TiB of address space; run "
                      "`ulimit -d unlimited`",
                      (void *)start, (void *)end, error, (unsigned long)(limit.rlim_cur >> 10),
                      MIRROR_TOTAL_TIB);
    if (read_sysctl("/proc/sys/vm/overcommit_memory") == 2)
        _mirror_fatal("cannot reserve the mirror window %p-%p (errno %d): vm.overcommit_memory is 2, "
                      "which ignores MAP_NORESERVE and charges the whole %llu TiB; run "
                      "`sysctl vm.overcommit_memory=0`",
                      (void *)start, (void *)end, error, MIRROR_TOTAL_TIB);
    _mirror_fatal("cannot reserve the mirror window %p-%p: mmap failed with errno %d",
                  (void *)start, (void *)end, error);
}

/* Reserve the mirror of [app_start, app_end). MAP_NORESERVE: a page costs memory only once written,
 * so mirror stores into memory nobody restores (libc's, the stack's) are nearly free. No transparent
 * huge pages, as compiler-rt does for shadow memory (no_huge_pages_for_shadow): with THP "always", one
 * mirror store into a sparse area (a libc page, a thread stack) would make 2 MiB resident. */
static void reserve_mirror_window(uintptr_t app_start, uintptr_t app_end)
{
    uintptr_t start = app_start + (uintptr_t)MIRROR_DELTA;
    size_t len = app_end - app_start;
    void *got = mmap((void *)start, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (got == (void *)start) {
        /* EINVAL without CONFIG_TRANSPARENT_HUGEPAGE: then there is nothing to turn off. */
        madvise(got, len, MADV_NOHUGEPAGE);
        return;
    }
    int error = errno;
    /* Kernels before 4.17 do not know the flag and treat the address as a hint. */
    bool misplaced = got != MAP_FAILED;
    if (misplaced)
        munmap(got, len);
    explain_reservation_failure(start, start + len, error, misplaced);
}

void _mirror_reserve_mirror_windows(void)
{
    reserve_mirror_window(MIRROR_APP1_START, MIRROR_APP1_END);
    reserve_mirror_window(MIRROR_APP2_START, MIRROR_APP2_END);
}

/* ---- (c) The GS base ----------------------------------------------------------------------------------- */

/* With GS base = MIRROR_DELTA, `mov %rcx,%gs:(%rdx)` stores to mirror(%rdx). arch_prctl(ARCH_SET_GS)
 * refuses this kernel-half base with EPERM, WRGSBASE does not. The kernel preserves the base across
 * context switches and copies it into threads and fork children; exec resets it to 0. */
void _mirror_set_gs_base(void)
{
    /* Only a program with segment-mode code gets the base: a kernel-half GS base is one a debugger
     * cannot write back (ptrace refuses it), so gdb cannot resume a stopped program that has it.
     * Offset-mode programs stay debuggable. */
    if (&__mirror_uses_gs == NULL)
        return;
    if (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) {
        __asm__ volatile("wrgsbase %0" : : "r"((uint64_t)MIRROR_DELTA) : "memory");
        _mirror_state.gs_base_set = true;
        return;
    }
    /* Without it a %gs store would go to base 0 + address: the native location again, silently. */
    _mirror_fatal("this CPU/kernel lacks FSGSBASE (Linux >= 5.9 and a CPU with FSGSBASE are needed "
                  "for segment addressing); rebuild with -fmirror-addressing=offset");
}

/* ---- (d) Seeding the mirror of the executable's data --------------------------------------------------- */

/* The loader and the kernel wrote the executable's data (initializers, relocations, copy relocations)
 * with plain stores; copy it so native == mirror before the first instrumented store. */
void _mirror_seed_executable_data(const struct _mirror_executable *exe)
{
    for (size_t i = 0; i < exe->phnum; i++) {
        const ElfW(Phdr) *ph = &exe->phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t vaddr = exe->load_bias + ph->p_vaddr;
        uintptr_t start = _mirror_page_down(vaddr);
        uintptr_t file_end = _mirror_page_up(vaddr + ph->p_filesz);
        uintptr_t end = _mirror_page_up(vaddr + ph->p_memsz);
        if (_mirror_state.seeded_count == MIRROR_MAX_SEEDED_RANGES)
            _mirror_fatal("the executable has more than %d writable segments; the runtime tracks at most "
                          "that many (raise MIRROR_MAX_SEEDED_RANGES in runtime/base/base.h)",
                          MIRROR_MAX_SEEDED_RANGES);
        _mirror_state.seeded[_mirror_state.seeded_count++] = (struct _mirror_range){start, end};
        _mirror_seed_pages(start, file_end, true);
        _mirror_seed_pages(file_end, end, false);
    }
}

