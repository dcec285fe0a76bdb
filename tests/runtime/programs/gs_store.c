/* A segment-mode store writes the mirror and nothing else: GS base is MIRROR_DELTA. */
#include <stdio.h>

#include "mirror_test.h"

/* Segment-mode code, as mirror-cc marks it: the runtime sets the GS base only for such programs. */
__attribute__((weak)) char __mirror_uses_gs = 1;

int target;

int main(void)
{
    printf("gs_base=%lx\n", read_gs_base());
    MIRROR_STORE(target, 0x11223344);
    printf("native=%x\n", target);
    printf("mirror=%x\n", *(volatile int *)mirror_address(&target));
    printf("diff=%zu\n", mirror_diff(&target, sizeof target));
    return 0;
}
