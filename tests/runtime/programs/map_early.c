/* LD_AUDIT library that maps one page at EARLY_ADDRESS before the program starts (la_version runs
 * while the loader is still loading): a mapping start-up must find and refuse. */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>

unsigned int la_version(unsigned int version)
{
    mmap((void *)(uintptr_t)EARLY_ADDRESS, 4096, PROT_READ | PROT_WRITE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    return version;
}
