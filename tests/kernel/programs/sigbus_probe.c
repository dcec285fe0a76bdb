/* sigbus_probe: prove the guest kernel's memory-failure path. Poison a page with madvise(MADV_HWPOISON),
 * touch it under an SA_SIGINFO SIGBUS handler and print what the kernel delivered: expected
 * si_code=4 (BUS_MCEERR_AR), si_addr = the touched address, si_addr_lsb=12. Then replace the page with a
 * fresh anonymous mapping (MAP_FIXED), as a repairing runtime would, and check it is usable.
 * Also prints AT_HWCAP2's FSGSBASE bit (what the mirror runtime looks at).
 *
 * Exit: 0 all as expected, 1 wrong siginfo, 2 no SIGBUS, 3 madvise failed, 4 remap failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#endif
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1UL << 1)
#endif

#define PAGE 4096UL
#define TOUCH_OFFSET 0x123

static sigjmp_buf env;
static volatile sig_atomic_t got;
static volatile int got_code;
static void *volatile got_addr;
static volatile int got_lsb;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    got_lsb = si->si_addr_lsb;
    siglongjmp(env, 1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned long hwcap2 = getauxval(AT_HWCAP2);
    printf("AT_HWCAP2=%#lx fsgsbase=%s\n", hwcap2, (hwcap2 & HWCAP2_FSGSBASE) ? "yes" : "no");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);

    unsigned char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        printf("mmap failed: %s\n", strerror(errno));
        return 4;
    }
    memset(page, 0xA5, PAGE);

    errno = 0;
    int rc = madvise(page, PAGE, MADV_HWPOISON);
    int err = errno;
    printf("madvise rc=%d errno=%d (%s)\n", rc, err, rc == 0 ? "ok" : strerror(err));
    if (rc != 0)
        return 3;

    volatile unsigned char *touch = page + TOUCH_OFFSET;
    unsigned char value = 0;
    if (sigsetjmp(env, 1) == 0) {
        value = *touch;
        printf("no SIGBUS: read %#x\n", value);
        return 2;
    }
    long offset = (long)((uintptr_t)got_addr - (uintptr_t)page);
    int first_code = got_code, first_lsb = got_lsb;
    printf("SIGBUS sig=%d si_code=%d si_addr=page%+ld si_addr_lsb=%d\n", (int)got, first_code, offset, first_lsb);

    /* A second touch faults again: the poison stays until the page is replaced. */
    got = 0;
    if (sigsetjmp(env, 1) == 0) {
        value = *touch;
        printf("second touch: no SIGBUS\n");
    } else {
        printf("second touch: SIGBUS si_code=%d\n", got_code);
    }

    void *fresh = mmap(page, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (fresh != page) {
        printf("remap failed: %s\n", strerror(errno));
        return 4;
    }
    got = 0;
    if (sigsetjmp(env, 1) == 0) {
        unsigned char before = *touch;
        memset(page, 0x5A, PAGE);
        printf("remap: ok (read %#x before, %#x after write)\n", before, *touch);
    } else {
        printf("remap: SIGBUS again si_code=%d\n", got_code);
        return 4;
    }

    int expected = first_code == BUS_MCEERR_AR && first_lsb == 12 && offset == TOUCH_OFFSET;
    printf("RESULT %s\n", expected ? "expected" : "unexpected");
    return expected ? 0 : 1;
}
