/* The executable's own constructors run after start-up as well; so do its libraries' (ordering_lib). */
#include <stdio.h>

#include "mirror_test.h"

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
