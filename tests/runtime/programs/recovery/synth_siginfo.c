/* Memory-error signals as the kernel sends them, through the real signal path: the thread queues
 * itself a SIGBUS with si_code BUS_MCEERR_AO or BUS_MCEERR_AR, si_addr inside a page and si_addr_lsb 12
 * (rt_tgsigqueueinfo, which lets a process give its own signals any si_code).
 *
 * ./synth_siginfo ao|ar            a protected heap page is lost (mirror_inject_error), then the signal
 *                                  names it: the handler must restore it before the program reads it
 * ./synth_siginfo ar-intact        the signal names a protected page that was not lost (the kernel has
 *                                  taken a poisoned frame away): the page is rebuilt from its mirror
 * ./synth_siginfo ao-unprotected   the signal names a page of the program's own mmap (outside the
 *                                  protected domain): one report line, and the program runs on
 * stdout: page=0x... lost_before=<0|1> lost_after=<0|1> intact=<0|1> continued=1 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mirror.h"
#include "recovery/recovery_test.h"

#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#define BUS_MCEERR_AO 5
#endif

static void send_self(int code, void *addr)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGBUS;
    info.si_code = code;
    info.si_addr = addr;
    info.si_addr_lsb = 12;
    if (syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGBUS, &info) != 0) {
        perror("rt_tgsigqueueinfo");
        exit(2);
    }
    /* Delivered on the way back from the system call, before we get here. */
}

static int check(const unsigned char *p)
{
    for (int i = 0; i < 4096; i++)
        if (p[i] != (unsigned char)(i * 7 + 3))
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 3;
    const char *mode = argv[1];
    int code = strcmp(mode, "ao") == 0 || strcmp(mode, "ao-unprotected") == 0 ? BUS_MCEERR_AO : BUS_MCEERR_AR;
    unsigned char *p;
    if (strcmp(mode, "ao-unprotected") == 0) {
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return perror("mmap"), 2;
    } else if (strcmp(mode, "ao") == 0 || strcmp(mode, "ar") == 0 || strcmp(mode, "ar-intact") == 0) {
        p = aligned_alloc(4096, 4096); /* the mirrored heap: protected */
    } else {
        return 3;
    }
    for (int i = 0; i < 4096; i++)
        p[i] = (unsigned char)(i * 7 + 3);
    if (strcmp(mode, "ao") == 0 || strcmp(mode, "ar") == 0)
        if (mirror_inject_error(p) != 0)
            return perror("mirror_inject_error"), 2;
    int lost_before = is_lost(p);
    send_self(code, p + 123);
    int lost_after = is_lost(p);
    printf("page=%#lx lost_before=%d lost_after=%d intact=%d continued=1\n", (unsigned long)page_of(p), lost_before,
           lost_after, check(p));
    return 0;
}
