/* Writes mirror-cc cannot see (inline asm with a "memory" clobber) leave the mirror stale; the audit
 * must find them, name them, and be clean again after mirror_sync. Modes:
 *   global   one 4-byte global; audit, sync, audit
 *   many     one byte every 16 of a 4 KiB array: more runs than the audit prints
 *   exit     leave g divergent at exit (for audit_at_exit and stats_json) */
#include <stdio.h>
#include <string.h>

#include "mirror.h"

int g;
int neighbour = 5;
char many[4096] __attribute__((aligned(4096)));

static void write_behind_the_mirror(int *p)
{
    __asm__ volatile("movl $7, (%0)" : : "r"(p) : "memory");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "global";
    g = 0x11223344; /* instrumented: every byte of 7 differs from it */
    neighbour = 6;
    if (strcmp(mode, "global") == 0) {
        printf("before=%zu\n", mirror_audit());
        write_behind_the_mirror(&g);
        printf("divergent=%zu\n", mirror_audit());
        mirror_sync(&g, sizeof g);
        printf("after_sync=%zu g=%d\n", mirror_audit(), g);
    } else if (strcmp(mode, "many") == 0) {
        memset(many, 1, sizeof many);
        for (size_t i = 0; i < sizeof many; i += 16)
            __asm__ volatile("movb $9, (%0)" : : "r"(&many[i]) : "memory");
        printf("divergent=%zu\n", mirror_audit());
    } else if (strcmp(mode, "exit") == 0) {
        write_behind_the_mirror(&g);
    }
    return 0;
}
