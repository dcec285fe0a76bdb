/* A mirror page of a memmove's destination lost and rebuilt while the move runs. The mirror move used
 * to run first: a mirror page lost after it, and touched before the native move wrote that page, was
 * rebuilt from native without the moved bytes -- and since only native repairs trigger the recopy,
 * the mirror stayed wrong, silently.
 *
 * Deterministic here: the source's last page is PROT_NONE; the SIGSEGV handler loses the mirror of
 * the destination's first page, touches it (the runtime rebuilds it from native at once, as an early
 * kill report would), makes the source readable and returns. Prints "native ok=1 mirror_diff=0". */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mirror.h"
#include "base/layout.h"

#define PAGES 3

static unsigned char *src, *dst;
static int faults;

static void on_segv(int sig, siginfo_t *info, void *context)
{
    (void)sig, (void)context;
    unsigned char *at = info->si_addr;
    if (at < src || at >= src + PAGES * 4096 || faults++)
        abort();
    volatile unsigned char *mirror = (unsigned char *)((uintptr_t)dst + (uintptr_t)MIRROR_DELTA);
    mirror_inject_error((void *)mirror);
    (void)*mirror; /* rebuilt now, from native */
    mprotect(src + (PAGES - 1) * 4096, 4096, PROT_READ | PROT_WRITE);
}

int main(void)
{
    src = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    dst = aligned_alloc(4096, PAGES * 4096);
    memset(src, 0xAB, PAGES * 4096);
    memset(dst, 0, PAGES * 4096);
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigaction(SIGSEGV, &sa, NULL);
    mprotect(src + (PAGES - 1) * 4096, 4096, PROT_NONE);
    volatile size_t n = PAGES * 4096;
    memmove(dst, src, n);
    int ok = 1;
    for (size_t i = 0; i < PAGES * 4096; i++)
        ok &= dst[i] == 0xAB;
    printf("native ok=%d mirror_diff=%zu faults=%d\n", ok, mirror_diff(dst, PAGES * 4096), faults);
    return 0;
}
