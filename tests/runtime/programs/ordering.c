/* The executable's own constructors run after start-up as well; so do its libraries' (ordering_lib). */
#include <stdio.h>

#include "mirror_test.h"

/* Segment-mode code, as mirror-cc marks it: the runtime sets the GS base only for such programs. */
__attribute__((weak)) char __mirror_uses_gs = 1;

static long exe_target;

__attribute__((constructor(101))) static void exe_constructor(void)
{
    MIRROR_STORE(exe_target, 88);
    printf("exe_constructor gs_base=%lx mirror=%ld\n", read_gs_base(),
           *(volatile long *)mirror_address(&exe_target));
}

int main(void)
{
    printf("main\n");
    return 0;
}
