/* A shared library whose constructor needs the mirror ready: it must run after the runtime's
 * .preinit_array entry, like an instrumented library's constructors would. */
#include <stdio.h>

#include "mirror_test.h"

static long lib_target;

__attribute__((constructor)) static void lib_constructor(void)
{
    MIRROR_STORE(lib_target, 77);
    printf("%s_constructor gs_base=%lx mirror=%ld\n", LIB_NAME, read_gs_base(),
           *(volatile long *)mirror_address(&lib_target));
}
