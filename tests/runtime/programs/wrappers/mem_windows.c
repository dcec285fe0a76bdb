/* Mappings that would land outside the application windows, where a mirrored store would crash: the
 * routed mmap refuses MAP_32BIT and MAP_FIXED outside the windows (ENOMEM, one line on stderr per
 * kind) and retries a low hint without it. Nothing here stores into what it maps. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "wrap_check.h"

#define PAGE 4096
#define LOW ((void *)0x10000000) /* 256 MiB: below both windows */

static int in_windows(void *p)
{
    uintptr_t a = (uintptr_t)p;
    return (a >= 0x510000000000ULL && a < 0x600000000000ULL) || (a >= 0x700000000000ULL && a < 0x800000000000ULL);
}

static void report(const char *name, void *p)
{
    printf("%s.failed=%d %s.errno=%d %s.in_windows=%d\n", name, p == MAP_FAILED, name,
           p == MAP_FAILED ? errno : 0, name, p != MAP_FAILED && in_windows(p));
}

int main(void)
{
    /* A hint is only a hint: the kernel would honour this one, outside the windows. */
    errno = 0;
    report("hint_low", mmap(LOW, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    /* Twice each, to see one report line per kind. */
    for (int round = 1; round <= 2; round++) {
        printf("round=%d\n", round);
        errno = 0;
        report("map32bit", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0));
        errno = 0;
        report("fixed_low", mmap(LOW, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    }
    errno = 0;
    report("noreplace_low",
           mmap((char *)LOW + 16 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    /* Inside the windows, MAP_FIXED is the program's business. */
    void *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = 0;
    report("fixed_inside", mmap((char *)p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    fflush(stdout);
    return 0;
}
