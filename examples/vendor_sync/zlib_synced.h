/* zlib_synced.h — calling a library mirror-cc did not build (here the system's libz, as if it were a
 * vendor .so nobody can rebuild) and keeping the mirror exact anyway.
 *
 * libz writes the program's buffers with plain stores: the mirror of `dest` stays what it was before
 * the call, and a lost page of it would be restored stale. Each wrapper calls the library, then copies
 * what it wrote to the mirror with mirror_sync (runtime/include/mirror.h). Afterwards mirror_diff() of
 * those bytes is 0. The program must then tell the runtime that the library writes nothing else of its
 * memory, or every repair is still marked UNVERIFIED: MIRROR_OPTIONS=allow_uninstrumented=libz.so.1.
 *
 * The rule for a wrapper: sync every byte of program memory the function may write (its output
 * buffers, the length it stores through a pointer, a struct it fills), and nothing else is needed.
 * What the library writes into memory it allocated itself (glibc's malloc: uninstrumented code keeps
 * it) is outside the protected domain already.
 *
 * Use: #include "zlib_synced.h" after <zlib.h> and call synced_compress2 / synced_uncompress, or
 * -include it with -DZLIB_SYNCED_REPLACE to route the plain names through the wrappers. */
#ifndef ZLIB_SYNCED_H
#define ZLIB_SYNCED_H

#include <zlib.h>

#include "mirror.h"

static inline int synced_compress2(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen, int level)
{
    uLongf capacity = *destLen;
    int status = compress2(dest, destLen, source, sourceLen, level);
    mirror_sync(dest, capacity); /* on an error libz may have written any part of the buffer */
    mirror_sync(destLen, sizeof *destLen);
    return status;
}

static inline int synced_uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen)
{
    uLongf capacity = *destLen;
    int status = uncompress(dest, destLen, source, sourceLen);
    mirror_sync(dest, capacity);
    mirror_sync(destLen, sizeof *destLen);
    return status;
}

#ifdef ZLIB_SYNCED_REPLACE
#define compress2 synced_compress2
#define uncompress synced_uncompress
#endif

#endif
