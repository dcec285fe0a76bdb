/* diff.c — how far a range's mirror has drifted from the native copy.
 *
 * mirror_diff is the measuring stick for everything else: a page may be rebuilt from its mirror only if
 * the two agree, and tests use it to see which writes were mirrored. It reads the mirror through plain
 * pointers (p + MIRROR_DELTA), never through GS, so it works whichever addressing mode the program was
 * built with. Reading a mirror page nobody wrote maps the shared zero page: measuring costs no memory.
 */
#include <string.h>

#include "mirror/mirror_calls.h"
#include "mirror.h"

/* Count differing bytes within one 8-byte word pair. */
static size_t differing_bytes(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ b;
    size_t count = 0;
    for (; x != 0; x >>= 8)
        count += (x & 0xff) != 0;
    return count;
}

size_t mirror_diff(const void *p, size_t n)
{
    uintptr_t start = (uintptr_t)p;
    if (n == 0)
        return 0;
    /* Outside the windows the mirror address is unmapped (or another window's application memory):
     * say so instead of crashing or comparing against unrelated bytes. */
    if (start + n < start || !_mirror_in_app_window(start, start + n))
        _mirror_fatal("mirror_diff(%p, %zu): the range is not inside an application window "
                      "(0x%llx-0x%llx or 0x%llx-0x%llx), so it has no mirror",
                      p, n, MIRROR_APP1_START, MIRROR_APP1_END, MIRROR_APP2_START, MIRROR_APP2_END);

    const unsigned char *native = p;
    const unsigned char *mirror = _mirror_of(p);
    size_t count = 0;
    size_t i = 0;
    /* Word at a time: ranges are often whole pages that mostly agree. memcpy keeps unaligned loads
     * well-defined; the compiler turns each into a single mov. */
    for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
        uint64_t a, b;
        memcpy(&a, native + i, sizeof a);
        memcpy(&b, mirror + i, sizeof b);
        if (a != b)
            count += differing_bytes(a, b);
    }
    for (; i < n; i++)
        count += native[i] != mirror[i];
    return count;
}
