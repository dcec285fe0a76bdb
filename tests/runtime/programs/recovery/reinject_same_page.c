/* A page lost a second time, after its first loss was repaired, is never repaired again: the SIGBUS
 * handler finds the lost-page table's older, REPAIRED slot for that page first (inject.c find()), and
 * _mirror_lost_claim() answers MIRROR_CLAIM_DONE for a BUS_ADRERR ("a straggler's signal; retry the
 * access") forever: the access faults again and again, 100% CPU, the program never ends.
 * The injector (inject_target=mirror) re-picks mirror pages it already lost, so it hits this too.
 *
 * Fixed; tests/runtime/test_recovery.py runs this as a regression test.
 * Build: .venv/bin/mirror-cc -O2 reinject_same_page.c -Iruntime/include -o reinject
 * Run (before the fix): timeout 10 ./reinject; echo $?     -> "first repair ok", then hangs; 124 from timeout
 * Expected: "second repair ok", exit 0. */
#include <stdio.h>
#include <stdlib.h>
#include "mirror.h"

int main(void)
{
    volatile char *p = aligned_alloc(4096, 4096);
    p[0] = 42;
    if (mirror_inject_error((void *)p) != 0)
        return perror("mirror_inject_error"), 1;
    printf("first repair %s\n", p[0] == 42 ? "ok" : "WRONG");
    fflush(stdout);
    if (mirror_inject_error((void *)p) != 0)
        return perror("mirror_inject_error"), 1;
    printf("second repair %s\n", p[0] == 42 ? "ok" : "WRONG"); /* never reached */
    return 0;
}
