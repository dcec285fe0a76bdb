/* Built as "segment" (defines __mirror_uses_gs, as mirror-cc's segment-mode objects do) or "offset"
 * (-DOFFSET_MODE). Either way one mirror store in that mode, then the result. */
#include <stdio.h>

#include "mirror_test.h"

#ifndef OFFSET_MODE
__attribute__((weak)) char __mirror_uses_gs = 1;
#endif

long target;

int main(void)
{
#ifdef OFFSET_MODE
    target = 5;
    *(volatile long *)mirror_address(&target) = 5;
#else
    target = 5;
    MIRROR_STORE(target, 5);
#endif
    printf("gs_base=%lx\n", read_gs_base());
    printf("diff=%zu\n", mirror_diff(&target, sizeof target));
    return 0;
}
