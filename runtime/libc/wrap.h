/* libc/wrap.h — what the libc-boundary wrappers (one file per area of libc in libc/) share.
 *
 * Instrumented code reaches every function listed in routes.h through a wrapper `__mirror_<name>` that
 * calls the real libc function and then brings the mirror of what libc wrote up to date. The helpers
 * here say "these bytes were written by libc": a plain copy native → mirror for memory only the caller
 * owns, a converging per-word copy for synchronisation objects other threads write concurrently, and
 * zeroing or copying of mirror pages for mappings. Invariants every wrapper keeps: it returns exactly
 * what libc returned, errno after the wrapper is errno after the libc call (every helper here keeps
 * errno), and it allocates nothing except where libc itself hands over memory (getline, %m, asprintf,
 * realpath(NULL)). Ranges outside the application windows have no mirror and are skipped silently:
 * nothing there can be protected.
 * May use: every layer below (inject/ and down). Used by: process/ (the exit sequence syncs blocked
 * threads).
 */
#ifndef MIRROR_LIBC_WRAP_H
#define MIRROR_LIBC_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <stdarg.h>

#include "inject/inject.h"

/* A wrapper is what instrumented code calls instead of libc: it must be visible to the program even
 * when the runtime's internal symbols are hidden. */
#define MIRROR_WRAPPER __attribute__((visibility("default")))

#pragma GCC visibility push(hidden)

/* True when [p, p + n) is non-empty and has a mirror. */
static inline bool _mirror_has_mirror(const void *p, size_t n)
{
    uintptr_t start = (uintptr_t)p;
    return n != 0 && start + n > start && _mirror_in_app_window(start, start + n);
}

/* libc wrote [p, p + n), which only the caller owns while the call runs: copy it to its mirror. */
static inline void _mirror_wrote(const void *p, size_t n)
{
    if (_mirror_has_mirror(p, n))
        memcpy(_mirror_of(p), p, n);
}

/* libc wrote the NUL-terminated string at s (including its terminator); NULL is ignored. */
static inline void _mirror_wrote_string(const char *s)
{
    if (s != NULL)
        _mirror_wrote(s, strlen(s) + 1);
}

/* libc wrote a string of at most capacity bytes (terminator included) at s. */
static inline void _mirror_wrote_string_within(const char *s, size_t capacity)
{
    if (s != NULL && capacity != 0) {
        size_t len = strnlen(s, capacity);
        _mirror_wrote(s, len < capacity ? len + 1 : capacity);
    }
}

/* Copy n bytes from src (memory libc may use freely: a private copy) into program memory at dst and its
 * mirror, and copy again if a page of dst was rebuilt meanwhile (it came back without what the first
 * copy had written). For results libc computes aside, like qsort's. */
void _mirror_copy_in(void *dst, const void *src, size_t n);

/* The kernel is about to read or write [p, p + n) in a system call. Read one byte of each protected
 * page of it first, so that a page lost to a memory error is rebuilt now by the SIGBUS handler: met by
 * the kernel inside the call it would fail the call with EFAULT instead. (A page lost between this and
 * the call still does: a window of one system call.) Unprotected pages are not touched. */
void _mirror_touch(const void *p, size_t n);
void _mirror_touch_iov(const struct iovec *iov, size_t count);

/* libc scattered `bytes` bytes over the buffers of iov[0..count), in order. */
void _mirror_wrote_iov(const struct iovec *iov, size_t count, size_t bytes);

/* Other threads may write [p, p + n) concurrently (a mutex, a semaphore): sync each aligned 8-, 4-, 2-
 * or 1-byte word with __mirror_sync_atomic, which repeats until native did not change across its
 * mirror write, so the mirror converges once the racing writers (each of which syncs too) are done. */
void _mirror_wrote_atomic(const void *p, size_t n);

/* libc returned a block of n bytes from its own malloc that the program will own (and free with the
 * routed free): move it into the mirrored heap, mirror it, free libc's block and return the copy.
 * Returns block unchanged when it is NULL or the mirrored heap has no memory. Keeps errno. */
void *_mirror_rehome(void *block, size_t n);

/* The mapping [start, start + len) is new anonymous memory, or was dropped: its pages read as zero,
 * so drop the mirror pages too (MADV_DONTNEED on the mirror reserve gives zero pages that cost no
 * memory). Page-rounded like the kernel rounds; parts outside the windows are ignored. Keeps errno. */
void _mirror_zero_mirror(uintptr_t start, size_t len);

/* Copy the readable part of [start, start + len) to its mirror through process_vm_readv, which stops
 * with EFAULT instead of raising SIGSEGV/SIGBUS at an unreadable page or a page past the end of a
 * mapped file. Returns the number of bytes copied from start on. Keeps errno. */
size_t _mirror_copy_readable(uintptr_t start, size_t len);

/* Copy the pages of [start, start + len) that are resident (mincore) to the mirror; non-resident
 * anonymous pages read as zero like their (dropped) mirror. Keeps errno. */
void _mirror_copy_resident(uintptr_t start, size_t len);

/* Sync the pthread and semaphore objects that threads are blocked in right now (sync.c): the audit's
 * callers run it first. */
void _mirror_sync_blocked(void);

/* Whether the program believes SIGBUS blocked in this thread (signal.c: it never is); pthread_create
 * hands it on to the new thread, as the kernel hands on the mask. */
bool _mirror_program_blocks_sigbus(void);
void _mirror_set_program_blocks_sigbus(bool blocked);

#pragma GCC visibility pop

/* The body of a variadic wrapper: hand the arguments after `last` to its va_list form. */
#define FORWARD_VARIADIC(wrapper, last, ...)                                                              \
    do {                                                                                                  \
        va_list args_;                                                                                    \
        va_start(args_, last);                                                                            \
        int result_ = wrapper(__VA_ARGS__, args_);                                                        \
        va_end(args_);                                                                                    \
        return result_;                                                                                   \
    } while (0)

#endif
