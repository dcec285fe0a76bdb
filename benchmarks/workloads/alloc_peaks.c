/* alloc_peaks.c — what a native program's heap would cost in the mirrored heap's size classes.
 *
 * An LD_PRELOAD library for the native build of a program: it wraps malloc & co., maps each request
 * onto the mirrored heap's size classes (runtime/heap/heap_internal.h) and prints at exit the peak of
 * bytes live (as requested), each class's peak object count times its size (their sum is the least
 * resident memory an allocator whose spans keep their class can have) with the request sizes it
 * served, and the peak of large
 * requests in whole pages. It measured where SQLite's mirrored peak RSS goes (README, "Measured on"):
 *
 *   clang-22 -O2 -shared -fPIC benchmarks/workloads/alloc_peaks.c -o alloc_peaks.so -ldl
 *   LD_PRELOAD=$PWD/alloc_peaks.so <bench workdir>/sqlite-native/speedtest1 --memdb --size 30 >/dev/null
 *
 * Each block carries a 16-byte header with its requested size; not thread-safe (the counters are
 * plain), which suits the single-threaded workloads it is for. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "../../runtime/heap/heap_internal.h"

static long live[NUM_CLASSES], peak[NUM_CLASSES];
static size_t smallest[NUM_CLASSES], largest[NUM_CLASSES]; /* the requests a class served */
static long requested, requested_peak, large, large_peak;
static void *(*real_malloc)(size_t);
static void (*real_free)(void *);

static void count(size_t n, int sign)
{
    requested += sign * (long)n;
    if (requested > requested_peak)
        requested_peak = requested;
    if (n > SMALL_MAX) {
        large += sign * (long)((n + HEAP_PAGE - 1) & ~(HEAP_PAGE - 1));
        if (large > large_peak)
            large_peak = large;
        return;
    }
    unsigned c = class_of(n);
    if (sign > 0 && (!smallest[c] || n < smallest[c]))
        smallest[c] = n;
    if (n > largest[c])
        largest[c] = n;
    live[c] += sign;
    if (live[c] > peak[c])
        peak[c] = live[c];
}

void *malloc(size_t n)
{
    if (!real_malloc)
        real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    size_t *block = real_malloc(n + 16);
    if (!block)
        return NULL;
    block[0] = n;
    count(n, 1);
    return block + 2;
}

void free(void *p)
{
    if (!p)
        return;
    if (!real_free)
        real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    size_t *block = (size_t *)p - 2;
    count(block[0], -1);
    real_free(block);
}

void *calloc(size_t count_, size_t size)
{
    size_t n = count_ * size;
    void *p = malloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    size_t old = ((size_t *)p)[-2];
    void *q = malloc(n);
    if (q) {
        memcpy(q, p, old < n ? old : n);
        free(p);
    }
    return q;
}

size_t malloc_usable_size(void *p) { return p ? ((size_t *)p)[-2] : 0; }

__attribute__((destructor)) static void report(void)
{
    long floor = 0;
    for (unsigned c = 1; c < NUM_CLASSES; c++) {
        long bytes = peak[c] * (long)class_size(c);
        floor += bytes;
        if (bytes > (256L << 10))
            fprintf(stderr, "alloc_peaks: class %u (%zu bytes; requests of %zu-%zu): peak %ld objects, %.1f MiB\n",
                    c, class_size(c), smallest[c], largest[c], peak[c], bytes / 1048576.0);
    }
    fprintf(stderr, "alloc_peaks: peak live (requested) %.1f MiB; sum of per-class peaks %.1f MiB; "
            "large requests peak %.1f MiB\n", requested_peak / 1048576.0, floor / 1048576.0, large_peak / 1048576.0);
}
