/* common.c — the helpers behind every libc-boundary wrapper (declared in wrap.h).
 *
 * Each one answers "libc (or the kernel) just wrote this memory; make its mirror equal again" for one
 * kind of memory: scattered buffers, words other threads race on, blocks libc allocated for the
 * program, and whole pages of mappings. None of them changes errno, so a wrapper can call them between
 * the libc call and its return without saving errno itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/single_threaded.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <string.h>
#include <unistd.h>

#include "libc/wrap.h"

void _mirror_wrote_iov(const struct iovec *iov, size_t count, size_t bytes)
{
    for (size_t i = 0; i < count && bytes > 0; i++) {
        size_t part = iov[i].iov_len < bytes ? iov[i].iov_len : bytes;
        _mirror_wrote(iov[i].iov_base, part);
        bytes -= part;
    }
}

void _mirror_copy_in(void *dst, const void *src, size_t n)
{
    uint64_t before = __atomic_load_n(&__mirror_repairs, __ATOMIC_ACQUIRE);
    memcpy(dst, src, n);
    if (_mirror_has_mirror(dst, n))
        memcpy(_mirror_of(dst), src, n);
    if (__atomic_load_n(&__mirror_repairs, __ATOMIC_ACQUIRE) != before)
        memcpy(dst, src, n); /* a page rebuilt during the first copy came back without what it wrote */
}

void _mirror_touch(const void *p, size_t n)
{
    uintptr_t at = (uintptr_t)p, end = at + n;
    if (!_mirror_has_mirror(p, n))
        return;
    while (at < end) {
        struct _mirror_region r;
        uintptr_t next_page = (at | (MIRROR_PAGE_SIZE - 1)) + 1;
        if (!_mirror_domain_lookup(at, &r)) {
            at = next_page; /* not protected: a lost page there cannot come back anyway */
            continue;
        }
        uintptr_t stop = r.end < end ? r.end : end;
        for (; at < stop; at = (at | (MIRROR_PAGE_SIZE - 1)) + 1)
            (void)*(volatile const unsigned char *)at; /* a lost page faults here and is rebuilt */
    }
}

void _mirror_touch_iov(const struct iovec *iov, size_t count)
{
    for (size_t i = 0; i < count; i++)
        _mirror_touch(iov[i].iov_base, iov[i].iov_len);
}

/* True when native and mirror hold the same bytes at this word. The caller has made its own native
 * writes globally visible first (a full fence: libc's plain stores may still sit in this CPU's store
 * buffer). A thread that then finds the two equal may skip its mirror write: any mirror write that lands
 * later comes from another syncing thread, whose loop re-reads native after its exchange, sees this
 * thread's value (or a newer one) and repairs the mirror itself. */
static bool word_in_step(uintptr_t at, size_t word)
{
    const void *native = (const void *)at, *mirror = _mirror_of(native);
    switch (word) {
    case 8: {
        uint64_t value = __atomic_load_n((const uint64_t *)native, __ATOMIC_SEQ_CST);
        return __atomic_load_n((const uint64_t *)mirror, __ATOMIC_SEQ_CST) == value;
    }
    case 4: {
        uint32_t value = __atomic_load_n((const uint32_t *)native, __ATOMIC_SEQ_CST);
        return __atomic_load_n((const uint32_t *)mirror, __ATOMIC_SEQ_CST) == value;
    }
    default:
        return false;
    }
}

void _mirror_wrote_atomic(const void *p, size_t n)
{
    if (!_mirror_has_mirror(p, n))
        return;
    /* glibc's own flag, cleared before the second thread starts: until then nothing can race. */
    if (__libc_single_threaded) {
        memcpy(_mirror_of(p), p, n);
        return;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uintptr_t at = (uintptr_t)p;
    uintptr_t end = at + n;
    while (at < end) {
        size_t word = 1;
        if (at % 8 == 0 && end - at >= 8)
            word = 8;
        else if (at % 4 == 0 && end - at >= 4)
            word = 4;
        else if (at % 2 == 0 && end - at >= 2)
            word = 2;
        /* Most words of a lock do not change in a given operation: two loads instead of a locked
         * exchange for them. */
        if (!word_in_step(at, word))
            __mirror_sync_atomic((void *)at, word);
        at += word;
    }
}

void *_mirror_rehome(void *block, size_t n)
{
    if (block == NULL || _mirror_state.annotated) /* annotated mode: the program frees it with libc's free */
        return block;
    int saved = errno;
    void *copy = __mirror_malloc(n != 0 ? n : 1);
    if (copy == NULL) {
        errno = saved;
        return block;
    }
    memcpy(copy, block, n);
    _mirror_wrote(copy, n);
    free(block);
    errno = saved;
    return copy;
}

/* Clamp [start, start + len), page-rounded outwards, to the application window holding start. Returns
 * false when nothing of it has a mirror. */
static bool clamp_to_window(uintptr_t *start, size_t *len)
{
    if (*len == 0)
        return false;
    uintptr_t lo = _mirror_page_down(*start);
    uintptr_t hi = *start + *len < *start ? UINTPTR_MAX : _mirror_page_up(*start + *len);
    uintptr_t window_end;
    if (lo >= MIRROR_APP1_START && lo < MIRROR_APP1_END)
        window_end = MIRROR_APP1_END;
    else if (lo >= MIRROR_APP2_START && lo < MIRROR_APP2_END)
        window_end = MIRROR_APP2_END;
    else
        return false;
    if (hi > window_end)
        hi = window_end;
    *start = lo;
    *len = hi - lo;
    return true;
}

void _mirror_zero_mirror(uintptr_t start, size_t len)
{
    if (!clamp_to_window(&start, &len))
        return;
    int saved = errno;
    /* The mirror reserve is MAP_PRIVATE|MAP_ANONYMOUS: DONTNEED makes the pages read as zero again and
     * returns their memory. It cannot fail on a range inside the reserve. */
    madvise(_mirror_of((void *)start), len, MADV_DONTNEED);
    errno = saved;
}

size_t _mirror_copy_readable(uintptr_t start, size_t len)
{
    if (!_mirror_has_mirror((void *)start, len))
        return 0;
    int saved = errno;
    pid_t self = getpid();
    size_t done = 0;
    while (done < len) {
        struct iovec to_mirror = {_mirror_of((void *)(start + done)), len - done};
        struct iovec from_native = {(void *)(start + done), len - done};
        ssize_t got = process_vm_readv(self, &to_mirror, 1, &from_native, 1, 0);
        if (got <= 0)
            break;
        done += (size_t)got;
    }
    errno = saved;
    return done;
}

void _mirror_copy_resident(uintptr_t start, size_t len)
{
    if (!clamp_to_window(&start, &len))
        return;
    int saved = errno;
    enum { BATCH_PAGES = 256 };
    unsigned char resident[BATCH_PAGES];
    for (uintptr_t batch = start; batch < start + len; batch += BATCH_PAGES * MIRROR_PAGE_SIZE) {
        size_t pages = (start + len - batch) / MIRROR_PAGE_SIZE;
        if (pages > BATCH_PAGES)
            pages = BATCH_PAGES;
        if (mincore((void *)batch, pages * MIRROR_PAGE_SIZE, resident) != 0)
            break; /* part of the range is not mapped (any more): nothing there to copy */
        for (size_t i = 0; i < pages; i++)
            if (resident[i] & 1)
                _mirror_copy_readable(batch + i * MIRROR_PAGE_SIZE, MIRROR_PAGE_SIZE);
    }
    errno = saved;
}
