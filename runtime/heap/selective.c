/* heap/selective.c — per-allocation protection: mirror_malloc and friends (mirror.h).
 *
 * They allocate from the mirrored heap, whose arena is in the protected domain, whatever the mode: in
 * -fmirror-mode=all they are what malloc already is; in -fmirror-mode=annotated, where malloc stays
 * libc's, they are how a program puts its critical data where a lost page can be rebuilt. Memory from
 * them goes back with mirror_free or mirror_realloc; free and realloc of mirrored code take it too
 * (they stay routed in annotated mode and hand libc's own blocks to libc).
 */
#include <stddef.h>

#include "heap/heap.h"
#include "mirror.h"

#pragma GCC visibility push(default)

void *mirror_malloc(size_t n)
{
    return __mirror_malloc(n);
}

void *mirror_calloc(size_t count, size_t size)
{
    return __mirror_calloc(count, size);
}

void *mirror_realloc(void *p, size_t n)
{
    return __mirror_realloc(p, n);
}

void mirror_free(void *p)
{
    __mirror_free(p);
}

#pragma GCC visibility pop
