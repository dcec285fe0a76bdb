/* copy.c — memcpy and memmove for instrumented code: the native copy and its mirror in one call.
 *
 * The pass turns a copy whose size is not a small constant (a call to libc's memcpy once lowered) into
 * __mirror_copy or __mirror_move: most such copies are short (in SQLite's speedtest1, 94% of 6.5
 * million are 64 bytes or less), and two library calls per copy, one for each copy, cost more than the
 * bytes. Up to 64 bytes, the source is read into registers once and stored to the destination, then to
 * its mirror: overlapping ranges need no care, and each native store comes before its mirror store,
 * as everywhere else. Longer copies: the native copy first, then the mirror copy from the native
 * source (unchanged by a copy between disjoint ranges); a memmove between overlapping ranges goes
 * through a stack buffer, a chunk at a time in the safe direction, each chunk stored to native and then
 * to the mirror. The mirror is never read: the source's mirror may hold nothing (memory written by the
 * kernel or uninstrumented code), and a mirror page lost meanwhile is rebuilt from native, which must
 * already hold what the mirror is about to get. The pass keeps the repair-counter guard around the call.
 */
#include <stdint.h>
#include <string.h>

#include "mirror/mirror_calls.h"

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

#define MOVE_CHUNK 4096

/* One chunk of an overlapping move: read it whole, then store it to native, then to the mirror. */
static void move_chunk(unsigned char *dst, const unsigned char *src, size_t n)
{
    unsigned char chunk[MOVE_CHUNK];
    memcpy(chunk, src, n);
    memcpy(dst, chunk, n);
    memcpy(_mirror_of(dst), chunk, n);
}

void __mirror_move(void *dst, const void *src, size_t n)
{
    if (n <= 64) {
        copy_small(dst, src, n);
        return;
    }
    unsigned char *d = dst;
    const unsigned char *s = src;
    uintptr_t ahead = (uintptr_t)d - (uintptr_t)s, behind = (uintptr_t)s - (uintptr_t)d;
    if (ahead >= n && behind >= n) { /* disjoint */
        memcpy(d, s, n);
        memcpy(_mirror_of(d), s, n);
    } else if (d < s) { /* forward: a chunk overwrites only source bytes already read */
        for (size_t done = 0; done < n; done += MOVE_CHUNK)
            move_chunk(d + done, s + done, n - done < MOVE_CHUNK ? n - done : MOVE_CHUNK);
    } else { /* backward */
        for (size_t left = n; left > 0;) {
            size_t len = left < MOVE_CHUNK ? left : MOVE_CHUNK;
            left -= len;
            move_chunk(d + left, s + left, len);
        }
    }
}
