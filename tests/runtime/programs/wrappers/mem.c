/* Mappings: an address reused after munmap, a private file mapping (shorter than the mapping: no
 * SIGBUS when its mirror is filled), mremap growing and moving, madvise DONTNEED/FREE, and the break. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wrap_check.h"

#define PAGE 4096

static void scribble(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 1);
}

int main(void)
{
    /* Reuse: data written, unmapped, the same address mapped again: the new pages are zero. */
    unsigned char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        DIE("mmap");
    scribble(p, 4 * PAGE);
    result("munmap", munmap(p, 4 * PAGE));
    unsigned char *again = mmap(p, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    result("mmap.reused", again == p);
    check("mmap.reused", again, 4 * PAGE);

    /* A private mapping of a file shorter than the mapping. */
    char path[] = "/tmp/mirror-wrap-mem-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        DIE("mkstemp");
    unlink(path);
    static unsigned char contents[PAGE + 100];
    scribble(contents, sizeof contents);
    if (write(fd, contents, sizeof contents) != (ssize_t)sizeof contents)
        DIE("write");
    unsigned char *file = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    result("mmap.file", file != MAP_FAILED);
    check("mmap.file", file, sizeof contents);
    file[10] = 42; /* a private copy of the page, mirrored by the instrumented store */
    check("mmap.file.written", file, sizeof contents);

    /* mremap: grow in place or move; the data and its mirror go along. */
    unsigned char *small = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    scribble(small, 2 * PAGE);
    unsigned char *target = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *moved = mremap(small, 2 * PAGE, 6 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target + PAGE);
    result("mremap.moved", moved == target + PAGE);
    check("mremap.moved", moved, 6 * PAGE);
    unsigned char *shrunk = mremap(moved, 6 * PAGE, PAGE, 0);
    result("mremap.shrunk", shrunk == moved);
    check("mremap.shrunk", shrunk, PAGE);

    /* madvise: DONTNEED and FREE leave zero pages (FREE is made a DONTNEED). */
    unsigned char *advised = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    scribble(advised, 4 * PAGE);
    result("madvise.dontneed", madvise(advised, 2 * PAGE, MADV_DONTNEED));
    check("madvise.dontneed", advised, 4 * PAGE);
    result("madvise.free", madvise(advised + 2 * PAGE, 2 * PAGE, MADV_FREE));
    check("madvise.free", advised, 4 * PAGE);
    result("madvise.file", madvise(file, PAGE, MADV_DONTNEED));
    result("madvise.file.value", file[10]);
    check("madvise.file", file, sizeof contents);

    /* The break: grow, write, shrink, grow again: the new pages are zero. */
    unsigned char *base = sbrk(0);
    unsigned char *aligned = (unsigned char *)(((uintptr_t)base + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
    if (sbrk((aligned - base) + 4 * PAGE) == (void *)-1)
        DIE("sbrk");
    scribble(aligned, 4 * PAGE);
    if (sbrk(-4 * PAGE) == (void *)-1)
        DIE("sbrk");
    result("sbrk", sbrk(4 * PAGE) != (void *)-1);
    check("sbrk", aligned, 4 * PAGE);
    if (sbrk(-4 * PAGE) == (void *)-1)
        DIE("sbrk");
    result("brk", brk(aligned + 4 * PAGE));
    check("brk?", aligned, 4 * PAGE);

    errno = 0;
    long bad = munmap((void *)1, PAGE);
    failure("munmap.einval", bad, errno);

    finish();
    return 0;
}
