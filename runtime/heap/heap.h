/* heap/heap.h — the mirrored heap as the layers above see it: the routed allocator, whose metadata is
 * mirrored like program data (heap_internal.h is the heap's own).
 * May use: mirror/, domain/, base/. Used by: recovery/, inject/, libc/, process/.
 */
#ifndef MIRROR_HEAP_H
#define MIRROR_HEAP_H

#include <stddef.h>

#include "mirror/mirror_calls.h"

/* What instrumented code's malloc, calloc, realloc and free become (libc/routes.h); visible to the
 * program, and to instrumented shared libraries. */
__attribute__((visibility("default"))) void *__mirror_malloc(size_t n);
__attribute__((visibility("default"))) void *__mirror_calloc(size_t count, size_t size);
__attribute__((visibility("default"))) void *__mirror_realloc(void *p, size_t n);
__attribute__((visibility("default"))) void __mirror_free(void *p);
__attribute__((visibility("default"))) size_t __mirror_malloc_usable_size(void *p);

#endif
