/* mem.c — mappings: keep the mirror of mmap'd memory in step with what the kernel puts there.
 *
 * The kernel fills new mappings without any store the pass could mirror, and memory unmapped by libc
 * internally leaves old bytes in the mirror. So: a new anonymous mapping gets a zero mirror
 * (MADV_DONTNEED on the mirror range, which is part of the MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE
 * reserve made at start-up, reads as zero and frees the memory); a MAP_PRIVATE mapping of a regular file
 * gets its mirror filled by copying the file's bytes (cost: reading the mapped part of the file at
 * mmap time, and mirror memory for all of it); munmap drops the mirror; mremap moves the mirror with
 * the pages and treats a grown tail like a new mapping; madvise(MADV_DONTNEED/MADV_REMOVE) drops the
 * mirror too, and a successful MADV_FREE is followed by MADV_DONTNEED (its "zero or old contents,
 * the kernel's choice" cannot be mirrored; DONTNEED is one of the outcomes FREE allows). A mapping outside the
 * application windows has no mirror and an instrumented store into it would crash, so such mmaps are
 * refused with ENOMEM and one line on stderr: MAP_32BIT always, MAP_FIXED(_NOREPLACE) at such an
 * address; a mere hint that the kernel honoured outside the windows is retried without the hint.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libc/wrap.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

/* Refusals are reported once per kind, so a program probing addresses does not flood stderr. */
enum refusal { REFUSED_32BIT, REFUSED_FIXED, REFUSED_MREMAP_FIXED, REFUSAL_KINDS };
static bool reported[REFUSAL_KINDS] MIRROR_RT_STATE;

static bool first_report(enum refusal kind)
{
    return !__atomic_exchange_n(&reported[kind], true, __ATOMIC_RELAXED);
}

static void *refuse(void)
{
    errno = ENOMEM;
    return MAP_FAILED;
}

static bool in_windows(uintptr_t start, size_t len)
{
    return len != 0 && start + len > start && _mirror_in_app_window(start, _mirror_page_up(start + len));
}

/* ---- mmap ---------------------------------------------------------------------------------------------- */

/* The bytes of a file mapping that are backed by the file: reading beyond its end raises SIGBUS. */
static size_t file_backed_bytes(int fd, off64_t offset, size_t len)
{
    struct stat64 st;
    if (fstat64(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= offset)
        return 0;
    uint64_t available = (uint64_t)(st.st_size - offset);
    return available < len ? (size_t)available : len;
}

/* The mirror of a mapping the kernel just created at [start, start + len). */
static void mirror_new_mapping(uintptr_t start, size_t len, int prot, int flags, int fd, off64_t offset)
{
    _mirror_zero_mirror(start, len);
    /* Private file pages start as the file's bytes. Shared ones are the file itself, written by others
     * too: not mirrored (docs/libc-boundary.md). Without PROT_READ they cannot be read to copy. */
    if (!(flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE && (prot & PROT_READ) && fd >= 0)
        _mirror_copy_readable(start, file_backed_bytes(fd, offset, len));
}

static void *mirrored_mmap(void *addr, size_t len, int prot, int flags, int fd, off64_t offset)
{
    if (flags & MAP_32BIT) {
        if (first_report(REFUSED_32BIT))
            _mirror_report("mmap(%p, %zu, flags 0x%x) refused with ENOMEM: MAP_32BIT places memory below "
                           "4 GiB, outside the application windows, where a mirrored store would crash; "
                           "map without MAP_32BIT",
                           addr, len, (unsigned)flags);
        return refuse();
    }
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    /* A zero length or an unaligned address fails in the kernel (EINVAL): leave that answer to it. */
    bool valid = len != 0 && (uintptr_t)addr % MIRROR_PAGE_SIZE == 0;
    if (fixed && valid && !in_windows((uintptr_t)addr, len)) {
        if (first_report(REFUSED_FIXED))
            _mirror_report("mmap(%p, %zu, MAP_FIXED) refused with ENOMEM: the range lies outside the "
                           "application windows (0x%llx-0x%llx, 0x%llx-0x%llx), where a mirrored store would "
                           "crash; map inside them or let the kernel choose the address",
                           addr, len, MIRROR_APP1_START, MIRROR_APP1_END, MIRROR_APP2_START, MIRROR_APP2_END);
        return refuse();
    }
    void *result = mmap64(addr, len, prot, flags, fd, offset);
    if (result == MAP_FAILED)
        return result;
    if (!in_windows((uintptr_t)result, len)) {
        /* Only a hint can have put it there: the kernel chooses inside the windows without one. */
        munmap(result, len);
        result = mmap64(NULL, len, prot, flags, fd, offset);
        if (result == MAP_FAILED)
            return result;
        if (!in_windows((uintptr_t)result, len)) {
            munmap(result, len);
            return refuse();
        }
    }
    int saved = errno;
    mirror_new_mapping((uintptr_t)result, len, prot, flags, fd, offset);
    errno = saved;
    return result;
}

MIRROR_WRAPPER void *__mirror_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
    return mirrored_mmap(addr, len, prot, flags, fd, offset);
}

MIRROR_WRAPPER void *__mirror_mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t offset)
{
    return mirrored_mmap(addr, len, prot, flags, fd, offset);
}

MIRROR_WRAPPER int __mirror_munmap(void *addr, size_t len)
{
    int result = munmap(addr, len);
    if (result == 0)
        _mirror_zero_mirror((uintptr_t)addr, len);
    return result;
}

/* ---- mremap -------------------------------------------------------------------------------------------- */

static bool page_is_zero(const void *page)
{
    const uint64_t *word = page;
    for (size_t i = 0; i < MIRROR_PAGE_SIZE / sizeof *word; i++)
        if (word[i] != 0)
            return false;
    return true;
}

/* Move the mirror of [from, from + len) to the mirror of [to, ...): copy the pages that hold data (the
 * rest are zero in the freshly dropped destination), then drop the source. The ranges do not overlap:
 * the kernel moves a mapping only to an unmapped place. */
static void move_mirror(uintptr_t from, uintptr_t to, size_t len)
{
    if (!in_windows(from, len) || !in_windows(to, len))
        return;
    _mirror_zero_mirror(to, len);
    for (size_t off = 0; off < len; off += MIRROR_PAGE_SIZE) {
        const unsigned char *source = _mirror_of((void *)(from + off));
        if (!page_is_zero(source))
            memcpy(_mirror_of((void *)(to + off)), source, MIRROR_PAGE_SIZE);
    }
    _mirror_zero_mirror(from, len);
}

/* A grown tail: anonymous memory reads as zero; a private file mapping shows file pages, of which the
 * ones in the page cache are copied (others are missed: see docs/libc-boundary.md). */
static void mirror_grown_tail(uintptr_t start, size_t len)
{
    _mirror_zero_mirror(start, len);
    _mirror_copy_resident(start, len);
}

MIRROR_WRAPPER void *__mirror_mremap(void *old, size_t old_size, size_t new_size, int flags, ...)
{
    void *requested = NULL;
    if (flags & MREMAP_FIXED) {
        va_list args;
        va_start(args, flags);
        requested = va_arg(args, void *);
        va_end(args);
        if (new_size != 0 && (uintptr_t)requested % MIRROR_PAGE_SIZE == 0 &&
            !in_windows((uintptr_t)requested, new_size)) {
            if (first_report(REFUSED_MREMAP_FIXED))
                _mirror_report("mremap(%p, %zu, %zu, MREMAP_FIXED, %p) refused with ENOMEM: the target lies "
                               "outside the application windows, where a mirrored store would crash",
                               old, old_size, new_size, requested);
            return refuse();
        }
    }
    void *result = mremap(old, old_size, new_size, flags, requested);
    if (result == MAP_FAILED)
        return result;
    int saved = errno;
    uintptr_t from = (uintptr_t)old, to = (uintptr_t)result;
    size_t old_pages = _mirror_page_up(old_size), new_pages = _mirror_page_up(new_size);
    size_t kept = old_pages < new_pages ? old_pages : new_pages;
    if (old_size == 0) {
        /* A second mapping of the same shared pages: its contents are the old mapping's. */
        _mirror_zero_mirror(to, new_pages);
        _mirror_copy_readable(to, new_pages);
    } else if (to == from) {
        if (new_pages < old_pages)
            _mirror_zero_mirror(from + new_pages, old_pages - new_pages);
    } else {
        move_mirror(from, to, kept);
        /* What did not move: the shrunk-off part is gone (or, with MREMAP_DONTUNMAP, emptied). */
        if (old_pages > kept)
            _mirror_zero_mirror(from + kept, old_pages - kept);
    }
    if (old_size != 0 && new_pages > old_pages)
        mirror_grown_tail(to + old_pages, new_pages - old_pages);
    errno = saved;
    return result;
}

/* ---- madvise ------------------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_madvise(void *addr, size_t len, int advice)
{
    int result = madvise(addr, len, advice);
    if (result != 0)
        return result;
    /* MADV_FREE succeeded (so the range is private anonymous memory): make its outcome definite. */
    if (advice == MADV_FREE) {
        advice = MADV_DONTNEED;
        int saved = errno;
        madvise(addr, len, MADV_DONTNEED);
        errno = saved;
    }
    uintptr_t start = (uintptr_t)addr;
    switch (advice) {
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED:
    case MADV_REMOVE:
        /* Private anonymous pages now read as zero; private file pages as the file again, and shared
         * pages keep their contents: the resident ones are copied back. */
        _mirror_zero_mirror(start, len);
        _mirror_copy_resident(start, len);
        break;
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
        /* A child must see the mirror of these pages wiped (or kept) like the pages themselves. */
        if (in_windows(start, len)) {
            int saved = errno;
            madvise(_mirror_of(addr), _mirror_page_up(len), advice);
            errno = saved;
        }
        break;
    default:
        break; /* the others do not change what the memory reads as */
    }
    return result;
}

/* ---- The break ----------------------------------------------------------------------------------------- */

/* [start, end) was just added to the data segment: whole new pages are zero; the rest of the page the
 * old break was in keeps its (already mirrored) bytes. */
static void mirror_new_break(uintptr_t start, uintptr_t end)
{
    uintptr_t first_new_page = _mirror_page_up(start);
    if (end > first_new_page)
        _mirror_zero_mirror(first_new_page, end - first_new_page);
}

MIRROR_WRAPPER void *__mirror_sbrk(intptr_t increment)
{
    void *old = sbrk(increment);
    if (old != (void *)-1 && increment > 0)
        mirror_new_break((uintptr_t)old, (uintptr_t)old + (uintptr_t)increment);
    return old;
}

MIRROR_WRAPPER int __mirror_brk(void *end)
{
    void *old = sbrk(0);
    int result = brk(end);
    if (result == 0 && old != (void *)-1 && (uintptr_t)end > (uintptr_t)old)
        mirror_new_break((uintptr_t)old, (uintptr_t)end);
    return result;
}
