/* mirror.h — the interface between a program built with mirror-cc and the mirrorpass runtime.
 *
 * A program built with mirror-cc writes every byte it stores twice: once at its address p and once
 * at mirror(p) (see runtime/mirror_layout.h). The runtime linked into the program reserves the mirror,
 * seeds it from the executable's writable data before any instrumented code runs, and (in later
 * releases) rebuilds pages lost to memory errors from it.
 */
#ifndef MIRROR_H
#define MIRROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of bytes in [p, p + n) whose mirror differs from the native copy. 0 means the range can be
 * restored exactly. p must lie in an application window (any heap, global or stack address does). */
size_t mirror_diff(const void *p, size_t n);

/* Copy [p, p + n) to its mirror: call it after writes mirror-cc cannot see (inline asm with a
 * "memory" clobber, uninstrumented code, devices). Afterwards mirror_diff(p, n) is 0. */
void mirror_sync(const void *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif
