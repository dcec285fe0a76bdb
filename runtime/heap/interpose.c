/* interpose.c — free and realloc for the code mirror-cc did not compile: uninstrumented libraries, libc.
 *
 * Instrumented code allocates from the mirrored heap (its malloc family is routed: routes.h). Code we
 * did not compile keeps glibc's malloc, and that is right: its stores are not mirrored, so the blocks
 * it allocates must stay outside the protected domain. What crosses the boundary is a pointer: a
 * library that frees or reallocs a block the program allocated would hand glibc a block glibc never
 * allocated ("free(): invalid pointer"; readline's history does it). So the runtime defines free,
 * realloc, reallocarray and malloc_usable_size, which every object in the process binds to (the
 * executable comes first in the lookup order, as for any malloc replacement; mirror-cc exports them
 * for libraries loaded later with dlopen), and dispatches by address: a block of the mirrored heap
 * goes to it, any other to glibc (__libc_free, __libc_realloc). Blocks from before start-up (the
 * loader, early constructors) and glibc's own are never in the arena, so they always go to glibc.
 *
 * realloc by uninstrumented code of a mirrored block moves it out of the mirrored heap into glibc's:
 * the library will write the result without mirroring, so the block must leave the domain. (The
 * other direction, the program freeing or reallocating a library's block, is the heap's own
 * dispatch: __mirror_free and __mirror_realloc hand blocks they do not own to these functions.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "heap/heap.h"
#include "heap_internal.h"

/* glibc's own entry points (exported since 2.2.5); the public names are ours now. */
extern void __libc_free(void *p);
extern void *__libc_malloc(size_t n);
extern void *__libc_realloc(void *p, size_t n);

#define MIRROR_WRAPPER __attribute__((visibility("default")))

MIRROR_WRAPPER void free(void *p)
{
    if (p && _mirror_heap_owns(p))
        __mirror_free(p); /* a library frees a block the program allocated */
    else
        __libc_free(p);
}

MIRROR_WRAPPER void *realloc(void *p, size_t n)
{
    if (!p || !_mirror_heap_owns(p))
        return __libc_realloc(p, n);
    if (n == 0) { /* glibc's realloc(p, 0) frees p */
        __mirror_free(p);
        return NULL;
    }
    void *q = __libc_malloc(n);
    if (!q)
        return NULL; /* errno is ENOMEM; p is unchanged, as realloc promises */
    size_t have = __mirror_malloc_usable_size(p);
    memcpy(q, p, n < have ? n : have);
    __mirror_free(p);
    return q;
}

MIRROR_WRAPPER void *reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n);
}

static size_t (*libc_usable_size)(void *); /* mirrored like all the heap's data (this file is compiled by mirror-cc) */

MIRROR_WRAPPER size_t malloc_usable_size(void *p)
{
    if (p && _mirror_heap_owns(p))
        return __mirror_malloc_usable_size(p);
    size_t (*real)(void *) = __atomic_load_n(&libc_usable_size, __ATOMIC_ACQUIRE);
    if (!real) { /* glibc exports no second name for it: the next definition after ours */
        real = (size_t (*)(void *))dlvsym(RTLD_NEXT, "malloc_usable_size", "GLIBC_2.2.5");
        if (!real)
            _mirror_fatal("cannot find glibc's malloc_usable_size (dlvsym: %s)", dlerror());
        __atomic_store_n(&libc_usable_size, real, __ATOMIC_RELEASE);
    }
    return real(p);
}
