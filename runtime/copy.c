/* copy.c — memcpy and memmove for instrumented code: the native copy and its mirror in one call.
 *
 * The pass turns a copy whose size is not a small constant (a call to libc's memcpy once lowered) into
 * __mirror_copy or __mirror_move: most such copies are short (in SQLite's speedtest1, 94% of 6.5
 * million are 64 bytes or less), and two library calls per copy, one for each copy, cost more than the
 * bytes. Up to 64 bytes, the source is read into registers once and stored to the destination, then to
 * its mirror: overlapping ranges need no care, and each native store comes before its mirror store,
 * as everywhere else. Longer copies call libc for both: memcpy's mirror copy reads the native source
 * (unchanged by the copy); memmove's mirror move runs first, from the source's mirror when the ranges
 * overlap (the native move overwrites its own source) and from the native source otherwise (which may
 * have no mirror: a private stack buffer). The pass keeps the repair-counter guard around the call.
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"

typedef struct {
    uint64_t lo, hi;
} block16;

static inline block16 load16(const unsigned char *p)
{
    block16 b;
    __builtin_memcpy(&b, p, 16);
    return b;
}

static inline void store16(unsigned char *p, block16 b)
{
    __builtin_memcpy(p, &b, 16);
}

/* n <= 64: every load before any store. */
static inline void copy_small(unsigned char *dst, const unsigned char *src, size_t n)
{
    unsigned char *mirror = _mirror_of(dst);
    if (n >= 16) {
        block16 a = load16(src), b = load16(src + n - 16), c = a, d = b;
        if (n > 32) {
            c = load16(src + 16);
            d = load16(src + n - 32);
        }
        store16(dst, a), store16(dst + n - 16, b);
        if (n > 32)
            store16(dst + 16, c), store16(dst + n - 32, d);
        store16(mirror, a), store16(mirror + n - 16, b);
        if (n > 32)
            store16(mirror + 16, c), store16(mirror + n - 32, d);
    } else if (n >= 8) {
        uint64_t a, b;
        __builtin_memcpy(&a, src, 8), __builtin_memcpy(&b, src + n - 8, 8);
        __builtin_memcpy(dst, &a, 8), __builtin_memcpy(dst + n - 8, &b, 8);
        __builtin_memcpy(mirror, &a, 8), __builtin_memcpy(mirror + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        __builtin_memcpy(&a, src, 4), __builtin_memcpy(&b, src + n - 4, 4);
        __builtin_memcpy(dst, &a, 4), __builtin_memcpy(dst + n - 4, &b, 4);
        __builtin_memcpy(mirror, &a, 4), __builtin_memcpy(mirror + n - 4, &b, 4);
    } else if (n) {
        unsigned char a = src[0], b = src[n / 2], c = src[n - 1];
        dst[0] = a, dst[n / 2] = b, dst[n - 1] = c;
        mirror[0] = a, mirror[n / 2] = b, mirror[n - 1] = c;
    }
}

void __mirror_copy(void *dst, const void *src, size_t n)
{
    if (n <= 64) {
        copy_small(dst, src, n);
        return;
    }
    memcpy(dst, src, n);
    memcpy(_mirror_of(dst), src, n);
}

void __mirror_move(void *dst, const void *src, size_t n)
{
    if (n <= 64) {
        copy_small(dst, src, n);
        return;
    }
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    bool overlap = d - s < n || s - d < n;
    memmove(_mirror_of(dst), overlap ? _mirror_of(src) : src, n);
    memmove(dst, src, n);
}
