/* signal.c — SIGBUS: rebuild a page lost to a memory error from its mirror, or say what was lost and
 * die exactly as the uninstrumented program would.
 *
 * Linux reports an uncorrectable memory error in a page the process uses as SIGBUS with si_code
 * BUS_MCEERR_AR (the access consumed it) or BUS_MCEERR_AO (found in the background; delivered early
 * because start-up asks for PR_MCE_KILL_EARLY). Pages lost by fault injection (inject/inject.c) raise SIGBUS
 * BUS_ADRERR and are recognised by address. For a lost page in the protected domain the handler maps a
 * fresh page over it (MAP_FIXED), copies the mirror back and returns: the faulting instruction runs
 * again and succeeds. A lost mirror page is rebuilt from native the same way. Anything else is reported
 * in one line, then the default action runs. A SIGBUS that is not a memory error (a truncated file
 * mapping) goes to the handler the program installed, which the routed sigaction/signal
 * (libc/signal.c) record here instead of installing.
 *
 * Everything reachable from the handler is async-signal-safe and allocation-free, and calls nothing
 * through the PLT: raw system calls (base/sys.h), lock-free registry reads, fixed static storage, stack
 * buffers. A PLT call would read the GOT, which may be on the very page that was lost. errno is left
 * alone (raw system calls do not set it). The handler runs on a runtime-owned alternate stack so that a
 * lost page of the machine stack can still be reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "recovery/recovery.h"
#include "base/sys.h"

#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#define BUS_MCEERR_AO 5
#endif

#define ALT_STACK_BYTES (64UL << 10)

static struct {
    /* The program's own SIGBUS disposition (what it asked for; the kernel has ours). */
    struct sigaction program_action;
    bool installed;
    pthread_key_t alt_stack_key; /* other threads' alternate stacks, unmapped at thread exit */
    bool alt_stack_key_ready;
    bool membarrier; /* registered for MEMBARRIER_CMD_PRIVATE_EXPEDITED */
    /* The spare pages (see take_spare): the base address of the run, page-aligned, with the number of
     * pages left in its low bits, in one word so that threads take them with one compare-and-swap. */
    uintptr_t spares;
    bool die_if_maybe_stale; /* uninstrumented_repair=die, decided at start-up: the handler compares no strings */
} signals MIRROR_RT_STATE;

/* Pages mapped and faulted in at start-up for the first repairs. A repair from a fresh mmap pays two
 * kernel entries more than one from a spare: the mmap, and the first touch of the new page (allocate,
 * zero, fault), 1.7 + 2.3 us of 14 on the AMD EPYC family 25 model 17 (2026-12-07, benchmarks/workloads/
 * repair_breakdown.c). 16 pages, 64 KiB resident; mapping them adds 18 us to start-up there (a trivial
 * mirrored program runs 0.77 ms). After them a repair maps its page as before. */
#define SPARE_PAGES 16

/* The range this thread is copying a repair from, to tell "the other copy is lost too" from a new
 * fault. */
/* initial-exec: the runtime is linked into the executable, and the default model for -fPIC code would call
 * __tls_get_addr through the PLT from the handler. */
static __thread uintptr_t repair_source __attribute__((tls_model("initial-exec")));
static __thread uintptr_t repair_source_end __attribute__((tls_model("initial-exec")));

/* ---- what a page is ------------------------------------------------------------------------------------- */

/* Bytes of [page, page + size) inside protected ranges. Lock-free; async-signal-safe. */
static size_t protected_bytes(uintptr_t page, size_t size)
{
    size_t covered = 0;
    struct _mirror_region r;
    for (int cursor = 0; _mirror_domain_next(&cursor, &r);) {
        uintptr_t lo = r.start > page ? r.start : page;
        uintptr_t hi = r.end < page + size ? r.end : page + size;
        if (lo < hi)
            covered += hi - lo;
    }
    return covered;
}

/* Copy a page. Inline `rep movsq`: a C loop would be turned into a memcpy call through the PLT, and
 * the GOT may be on the very page being repaired. */
static void copy_page(void *dst, const void *src, size_t size)
{
    size_t words = size / 8;
    __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
}

enum outcome { REPAIRED, NOT_PROTECTED, BOTH_LOST, REMAP_FAILED, MAYBE_STALE, EXCLUDED };

/* The protection a lost page's mapping had (RELRO data is read-only). */
static int lost_protection(uintptr_t page)
{
    int prot = _mirror_lost_prot(page);
    if (prot < 0) { /* a real memory error: the poisoned page's mapping is still there */
        char name[8];
        prot = PROT_READ | PROT_WRITE;
        _mirror_mapping_info(page, name, sizeof name, &prot);
    }
    return prot;
}

/* One spare page, or 0 when they are used up. Taken from the top of the run, so that the mremap below
 * shrinks the run's mapping instead of splitting it. Lock-free; async-signal-safe. */
static uintptr_t take_spare(void)
{
    uintptr_t word = __atomic_load_n(&signals.spares, __ATOMIC_ACQUIRE);
    for (;;) {
        uintptr_t left = word & (MIRROR_PAGE_SIZE - 1);
        if (left == 0)
            return 0;
        if (__atomic_compare_exchange_n(&signals.spares, &word, word - 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return (word & ~(uintptr_t)(MIRROR_PAGE_SIZE - 1)) + (left - 1) * MIRROR_PAGE_SIZE;
    }
}

/* Rebuild [page, page + size) from `source` without ever showing a half-built page: the copy is made
 * in a fresh private page elsewhere (a spare while there are any), given the protection `prot`, and
 * moved over the lost page in one mremap. Until then the lost page keeps faulting, and other threads
 * that touch it wait in _mirror_lost_claim; afterwards they see every byte of the copy. */
static enum outcome rebuild(uintptr_t page, size_t size, const void *source, int prot)
{
    long fresh = size == MIRROR_PAGE_SIZE ? (long)take_spare() : 0;
    if (!fresh) /* MAP_POPULATE: the page is allocated in this call, not by a fault in the copy */
        fresh = _mirror_sys_mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                                 -1, 0);
    if (fresh < 0)
        return REMAP_FAILED;
    if (source) {
        /* This read faults if the other copy is lost too: the nested handler sees repair_source. */
        repair_source = (uintptr_t)source;
        repair_source_end = (uintptr_t)source + size;
        copy_page((void *)fresh, source, size);
        repair_source = repair_source_end = 0;
    }
    if (prot != (PROT_READ | PROT_WRITE))
        _mirror_sys_mprotect((uintptr_t)fresh, size, prot);
    if (_mirror_sys_mremap((uintptr_t)fresh, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, page) != (long)page) {
        _mirror_sys_munmap((uintptr_t)fresh, size);
        return REMAP_FAILED;
    }
    return REPAIRED;
}

static void describe_address(uintptr_t addr, char *out, size_t capacity)
{
    struct _mirror_region r;
    if (_mirror_domain_lookup(addr, &r)) {
        _mirror_format(out, capacity, "%s (%s)", _mirror_region_kind_name(r.kind), r.name ? r.name : "");
        return;
    }
    const char *lost = _mirror_lost_name(addr & ~(MIRROR_PAGE_SIZE - 1));
    if (lost) /* injected: the mapping now shows the memfd that replaced the page */
        _mirror_format(out, capacity, "%s", lost);
    else
        _mirror_mapping_name(addr, out, capacity);
}

/* ---- repair --------------------------------------------------------------------------------------------- */

static enum outcome repair_native(uintptr_t page, size_t size)
{
    if (protected_bytes(page, size) != size)
        return NOT_PROTECTED;
    if (_mirror_excluded_overlap(page, page + size)) /* mirror_exclude: its mirror may be stale */
        return EXCLUDED;
    const char *suspect;
    if (signals.die_if_maybe_stale && _mirror_uninstrumented_suspects(&suspect))
        return MAYBE_STALE;
    /* Counted before the mirror is read, and every thread made to pass a full barrier in between: a
     * thread copying into this page reads the counter after its mirror copy, and either sees it changed
     * (and copies again) or its mirror stores are visible to the read below. Counted after the rebuild,
     * or without the barrier (x86 lets a load pass earlier stores), a copy could miss both. */
    __atomic_add_fetch(&__mirror_repairs, 1, __ATOMIC_SEQ_CST);
    if (signals.membarrier)
        _mirror_syscall6(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0, 0, 0, 0);
    return rebuild(page, size, _mirror_of((void *)page), lost_protection(page));
}

static enum outcome repair_mirror(uintptr_t mirror_page, size_t size)
{
    uintptr_t native = mirror_page - (uintptr_t)MIRROR_DELTA;
    /* A mirror page of unprotected memory holds nothing anybody will read back: zero is fine. */
    bool exact = protected_bytes(native, size) == size;
    return rebuild(mirror_page, size, exact ? (const void *)native : NULL, PROT_READ | PROT_WRITE);
}

/* ---- reporting and dying ------------------------------------------------------------------------------- */

static const char *code_name(int code)
{
    switch (code) {
    case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
    case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
    case BUS_ADRERR: return "injected";
    default: return "SIGBUS";
    }
}

/* One line: what was lost, and why it cannot come back. */
static void report_lost(uintptr_t page, size_t size, int code, enum outcome why)
{
    char where[160];
    describe_address(page, where, sizeof where);
    if (why == EXCLUDED) {
        _mirror_report("memory error (%s): lost page 0x%lx-0x%lx in %s: cannot restore, its mirror may be stale: "
                       "code mirror-cc did not compile writes it (mirror_exclude: %s)", code_name(code),
                       (unsigned long)page, (unsigned long)(page + size), where,
                       _mirror_excluded_overlap(page, page + size));
        return;
    }
    const char *reason = why == BOTH_LOST      ? "its mirror is lost too"
                         : why == REMAP_FAILED ? "mapping a fresh page failed"
                         : why == MAYBE_STALE  ? "an uninstrumented library is loaded, so its mirror may be stale "
                                                 "(uninstrumented_repair=die)"
                                               : "it is outside the protected domain";
    _mirror_report("memory error (%s): lost page 0x%lx-0x%lx in %s: cannot restore, %s", code_name(code),
                   (unsigned long)page, (unsigned long)(page + size), where, reason);
}

/* A native page restored while a library we did not compile is loaded: what it wrote into this page,
 * the mirror never saw. The runtime cannot tell whether it wrote here, so every such repair says so
 * (never a silent restore from a mirror that may be stale) and is counted (unverified_repairs). */
static void warn_if_maybe_stale(uintptr_t page, size_t size, int code)
{
    const char *suspect;
    int suspects = _mirror_uninstrumented_suspects(&suspect);
    if (!suspects)
        return;
    _mirror_stat_add(MIRROR_STAT_unverified_repairs, size / MIRROR_PAGE_SIZE);
    char where[160];
    describe_address(page, where, sizeof where);
    _mirror_report("memory error (%s): page 0x%lx-0x%lx in %s restored from its mirror, UNVERIFIED: "
                   "uninstrumented %s%s is loaded, and whatever it wrote into this page the mirror never saw "
                   "(rebuild it with mirror-cc: mirrorpass deps install; allow_uninstrumented= if it writes "
                   "no memory of the program's; uninstrumented_repair=die to die instead)",
                   code_name(code), (unsigned long)page, (unsigned long)(page + size), where, suspect,
                   suspects > 1 ? " (and others)" : "");
}

/* The default action, as without mirrorpass: the re-executed access faults again and the kernel kills
 * the process with SIGBUS (and a core dump where enabled). */
static void default_action(void)
{
    struct _mirror_kernel_sigaction dfl = {.handler = SIG_DFL};
    _mirror_sys_rt_sigaction(SIGBUS, &dfl, NULL);
}

/* Both copies lost while repairing: nothing will re-execute the faulting access for us. */
static void die_now(void)
{
    default_action();
    uint64_t bus = 1ull << (SIGBUS - 1);
    _mirror_sys_rt_sigprocmask(SIG_UNBLOCK, &bus, NULL);
    _mirror_sys_tgkill_self(SIGBUS);
}

/* ---- the handler ---------------------------------------------------------------------------------------- */

static void forward_to_program(int sig, siginfo_t *info, void *context)
{
    struct sigaction *pa = &signals.program_action;
    if (pa->sa_flags & SA_SIGINFO) {
        pa->sa_sigaction(sig, info, context);
    } else if (pa->sa_handler != SIG_DFL && pa->sa_handler != SIG_IGN) {
        pa->sa_handler(sig);
    } else {
        /* SIG_DFL, or SIG_IGN which the kernel overrides for a fault: return and let it fault again. */
        default_action();
    }
}

static void on_sigbus(int sig, siginfo_t *info, void *context)
{
    uintptr_t addr = (uintptr_t)info->si_addr;
    int code = info->si_code;

    /* A fault while this thread copies a page back: the other copy is lost as well. */
    if (repair_source && addr >= repair_source && addr < repair_source_end) {
        uintptr_t source = repair_source;
        size_t size = repair_source_end - repair_source;
        repair_source = repair_source_end = 0;
        _mirror_stat_add(MIRROR_STAT_unrecoverable, 1);
        uintptr_t native = _mirror_in_mirror_window(source) ? source - (uintptr_t)MIRROR_DELTA : source;
        report_lost(native, size, code, BOTH_LOST);
        die_now();
        return;
    }

    bool mce = code == BUS_MCEERR_AR || code == BUS_MCEERR_AO;
    if (!_mirror_flags.handle_sigbus || (!mce && code != BUS_ADRERR)) {
        forward_to_program(sig, info, context);
        return;
    }
    size_t size = MIRROR_PAGE_SIZE;
    if (mce && info->si_addr_lsb > 12 && info->si_addr_lsb < 31)
        size = 1UL << info->si_addr_lsb;
    uintptr_t page = addr & ~(size - 1);

    switch (_mirror_lost_claim(page, mce)) {
    case MIRROR_CLAIM_NOT_LOST: /* an ordinary BUS_ADRERR: a truncated file mapping of the program's */
        forward_to_program(sig, info, context);
        return;
    case MIRROR_CLAIM_DONE: /* another thread restored it meanwhile */
        return;
    case MIRROR_CLAIM_REPAIR:
        break;
    }

    bool mirror_side = _mirror_in_mirror_window(page);
    enum outcome result = mirror_side ? repair_mirror(page, size) : repair_native(page, size);
    _mirror_lost_done(page);
    if (result == REPAIRED) {
        _mirror_stat_add(MIRROR_STAT_recovered_pages, size / MIRROR_PAGE_SIZE);
        if (!mirror_side)
            warn_if_maybe_stale(page, size, code);
        if (_mirror_flags.verbosity >= 1)
            _mirror_report("memory error (%s) at 0x%lx: page restored from its %s", code_name(code),
                           (unsigned long)addr, mirror_side ? "native copy" : "mirror");
        return;
    }
    _mirror_stat_add(MIRROR_STAT_unrecoverable, 1);
    report_lost(page, size, code, result);
    /* BUS_MCEERR_AO: found in the background. Without mirrorpass (no early kill) the program would not
     * even hear of it, and would run on until it touched the page; so it does now. Otherwise the
     * program gets what it would have got: its own handler, or the default action (the access runs
     * again, faults again, and the kernel kills the process with SIGBUS). */
    if (code != BUS_MCEERR_AO)
        forward_to_program(sig, info, context);
}

/* ---- installation --------------------------------------------------------------------------------------- */

static void release_alt_stack(void *stack)
{
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    munmap(stack, ALT_STACK_BYTES);
}

void _mirror_signal_thread_init(void)
{
    /* The alternate stack: a lost page of the thread's own stack must not stop the report. */
    void *stack = mmap(NULL, ALT_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED)
        return;
    stack_t ss = {.ss_sp = stack, .ss_size = ALT_STACK_BYTES, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    if (signals.alt_stack_key_ready)
        pthread_setspecific(signals.alt_stack_key, stack); /* unmapped when the thread exits */
}

void _mirror_signal_init(void)
{
    if (_mirror_flags.early_kill)
        prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
    if (!_mirror_flags.handle_sigbus)
        return;
    signals.die_if_maybe_stale = strcmp(_mirror_flags.uninstrumented_repair, "die") == 0;
    signals.membarrier =
        _mirror_syscall6(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0, 0, 0, 0) == 0;
    _mirror_signal_thread_init(); /* the main thread's stack lives as long as the process */
    void *spares = mmap(NULL, SPARE_PAGES * MIRROR_PAGE_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (spares != MAP_FAILED) /* without them a repair maps its page itself */
        __atomic_store_n(&signals.spares, (uintptr_t)spares | SPARE_PAGES, __ATOMIC_RELEASE);
    signals.alt_stack_key_ready = pthread_key_create(&signals.alt_stack_key, release_alt_stack) == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    /* SA_NODEFER: a fault inside the handler (the mirror lost too) must reach it, not kill us. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    struct sigaction old;
    sigaction(SIGBUS, &sa, &old);
    signals.program_action = old;
    signals.installed = true;
}

/* ---- the program's own SIGBUS disposition (libc/signal.c routes sigaction and signal here) ------------- */

bool _mirror_sigbus_program_action(const struct sigaction *act, struct sigaction *oldact)
{
    if (!signals.installed)
        return false;
    if (oldact)
        *oldact = signals.program_action;
    if (act)
        signals.program_action = *act;
    return true;
}
