/* Memory that code mirror-cc did not compile writes (here: an inline asm store, as QEMU's TCG-generated
 * code stores into its vCPU state), marked with mirror_exclude.
 *
 * ./excluded audit   the asm store makes the mirror stale; mirror_audit() then prints "divergent=<n>"
 * ./excluded lose    the page holding it is lost, then read: never restored from the stale mirror
 * ./excluded plain   the same stale store without mirror_exclude, then the audit (it finds the byte)
 * stdout: "page=0x..." then what the mode prints. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"
#include "recovery/recovery_test.h"

static void unmirrored_store(unsigned char *p, unsigned char value)
{
    /* The address in a register, not an "=m" operand: mirror-cc cannot tell what it writes. */
    __asm__ volatile("movb %1, (%0)" : : "r"(p), "q"(value) : "memory");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *mode = argc > 1 ? argv[1] : "audit";
    unsigned char *state = aligned_alloc(4096, 3 * 4096);
    memset(state, 0x5a, 3 * 4096);
    printf("page=%#lx\n", (unsigned long)page_of(state + 4096));
    if (strcmp(mode, "plain") != 0 && mirror_exclude(state + 100, 2 * 4096, "vCPU state: generated code") != 0)
        return perror("mirror_exclude"), 2;
    unmirrored_store(state + 4096 + 7, 0x11);
    if (strcmp(mode, "lose") == 0) {
        if (mirror_inject_error(state + 4096) != 0)
            return perror("mirror_inject_error"), 2;
        printf("read=%d\n", state[4096 + 7]); /* 0x11 is what the program wrote; the mirror says 0x5a */
        return 0;
    }
    printf("divergent=%zu\n", mirror_audit());
    return 0;
}
