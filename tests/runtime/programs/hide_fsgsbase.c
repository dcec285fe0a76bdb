/* LD_PRELOAD library that makes the runtime believe the kernel did not enable FSGSBASE: it interposes
 * getauxval (the runtime calls it through the PLT) and clears HWCAP2_FSGSBASE. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/auxv.h>

unsigned long getauxval(unsigned long type)
{
    unsigned long (*real_getauxval)(unsigned long) =
        (unsigned long (*)(unsigned long))dlsym(RTLD_NEXT, "getauxval");
    unsigned long value = real_getauxval(type);
    return type == AT_HWCAP2 ? value & ~(1UL << 1) : value;
}
