/* sync.c — mirror_sync: bring a range's mirror up to date after writes the compiler cannot see.
 *
 * Inline asm with a "memory" clobber, a device or DMA engine, or uninstrumented code may write program
 * memory without the mirror store that instrumented code makes. The program (or a wrapper) then calls
 * mirror_sync on the bytes written; afterwards mirror_diff over them is 0.
 */
#include <string.h>

#include "mirror/mirror_calls.h"
#include "mirror.h"

void mirror_sync(const void *p, size_t n)
{
    uintptr_t start = (uintptr_t)p;
    if (n == 0)
        return;
    if (start + n < start || !_mirror_in_app_window(start, start + n))
        _mirror_fatal("mirror_sync(%p, %zu): the range is not inside an application window "
                      "(0x%llx-0x%llx or 0x%llx-0x%llx), so it has no mirror",
                      p, n, MIRROR_APP1_START, MIRROR_APP1_END, MIRROR_APP2_START, MIRROR_APP2_END);
    memcpy(_mirror_of(p), p, n);
}
