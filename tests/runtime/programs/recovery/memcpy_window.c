/* A page lost between a memcpy's native copy and its mirror copy comes back with the bytes it had
 * BEFORE the memcpy, silently. mirror-cc mirrors memcpy(d, s, n) as memcpy(d, s, n) followed by
 * memcpy(mirror(d), d, n) (a copy from the native destination); when a page of d is lost after the
 * first copy wrote it and before the second reads it, the second copy's read raises SIGBUS, the runtime
 * rebuilds the page from its mirror -- which does not hold the memcpy's bytes yet -- and the mirror copy
 * then copies those stale bytes to the mirror as well. Native == mirror (the audit is clean), the
 * program runs on with the memcpy undone for that page, and nothing is reported.
 *
 * With fault injection running (MIRROR_OPTIONS=inject_count=..:inject_target=heap) the window is wide
 * for large copies: tests/e2e/programs/memops.c (8 MiB memcpy/memmove) prints a different big2 hash
 * than the native build in a fair share of runs, with audit_divergent_bytes == 0 and unrecoverable == 0.
 *
 * Deterministic here: the source's second page is PROT_NONE; the SIGSEGV handler (the native copy has
 * written the destination's first page by then) loses the destination's first page with
 * mirror_inject_error, makes the source readable and returns, so the loss lands inside the window.
 *
 * Fixed; tests/runtime/test_recovery.py runs this as a regression test.
 * Build: .venv/bin/mirror-cc -O2 memcpy_window.c -Iruntime/include -o memcpy_window
 * Run (before the fix): ./memcpy_window   -> "dst page 0: 4064 of 4096 bytes stale ... audit 0" and exit 1
 * Expected: "dst page 0: intact", exit 0 (or the loss reported). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "mirror.h"

static char *src, *dst;
static volatile int segv_seen;

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
    (void)sig, (void)info, (void)ctx;
    segv_seen = 1;
    mirror_inject_error(dst); /* the native copy wrote this page already */
    mprotect(src + 4096, 4096, PROT_READ | PROT_WRITE);
}

int main(void)
{
    src = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    dst = aligned_alloc(4096, 2 * 4096); /* the mirrored heap: protected */
    memset(src, 0x11, 2 * 4096);
    memset(dst, 0xee, 2 * 4096);          /* the "before" bytes, in native and mirror */
    mprotect(src + 4096, 4096, PROT_NONE);
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    memcpy(dst, src, 2 * 4096);

    size_t stale = 0;
    for (size_t i = 0; i < 4096; i++)
        stale += dst[i] != 0x11;
    size_t audit = mirror_audit();
    if (!segv_seen)
        return puts("the copy never touched the protected source page: no test"), 2;
    if (stale) {
        printf("dst page 0: %zu of 4096 bytes stale (the memcpy was undone), audit %zu\n", stale, audit);
        return 1;
    }
    printf("dst page 0: intact, audit %zu\n", audit);
    return 0;
}
