/* mirror/mirror_calls.h — what instrumented code calls to keep the mirror exact beyond plain stores:
 * copies of unknown size with their mirror copy (copy.c), atomic writes that do not commute
 * (atomic_sync.c); mirror_sync and mirror_diff (sync.c, diff.c) are public API, in include/mirror.h.
 * May use: domain/, base/. Used by: heap/ (through the pass), recovery/, libc/.
 */
#ifndef MIRROR_MIRROR_CALLS_H
#define MIRROR_MIRROR_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/domain.h"
#include "mirror.h"

/* memcpy and memmove of instrumented code whose size is not a small constant, with their mirror copy
 * (the pass calls them; instrumented shared libraries too). */
__attribute__((visibility("default"))) void __mirror_copy(void *dst, const void *src, size_t n);
__attribute__((visibility("default"))) void __mirror_move(void *dst, const void *src, size_t n);

/* Instrumented code calls it after atomic writes that do not commute: copy native to the mirror until
 * native did not change across the copy. */
__attribute__((visibility("default"))) void __mirror_sync_atomic(void *p, uint64_t size);

#endif
