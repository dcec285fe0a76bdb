/* The mirrored heap's size classes and alignment (runtime/heap/alloc.c), checked from a mirrored
 * program: every request gets at least what it asked for and at most 1/8 more (sizes above 256
 * bytes), aligned allocations are aligned -- also above a page, where a class of 8 KiB objects in a
 * span that is only page-aligned was not -- and everything written stays exact in the mirror (the
 * test runs it with audit_at_exit=1). Prints one line per failed check, then a summary. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* Hide the result from the optimiser: it assumes aligned_alloc's result is aligned and folds the
 * check away otherwise. */
static uintptr_t opaque(void *p)
{
    uintptr_t a = (uintptr_t)p;
    __asm__ volatile("" : "+r"(a) : : "memory");
    return a;
}

static void check_aligned(const char *what, void *p, size_t alignment)
{
    if (!p || opaque(p) % alignment) {
        printf("%s(%zu): %p is not aligned\n", what, alignment, p);
        failures++;
    }
}

int main(void)
{
    /* A large block first, of an odd number of pages, then an 8 KiB object: the span of 8 KiB objects
     * starts right after the block, an odd number of pages into the arena. */
    void *odd = malloc(9 * 4096 - 100), *eight = malloc(8000);
    opaque(odd); /* kept: unused, the optimiser would drop them with their free() */
    opaque(eight);
    check_aligned("aligned_alloc", aligned_alloc(8192, 100), 8192);
    double worst = 0;
    size_t worst_n = 0;
    for (size_t n = 1; n <= 40000; n++) {
        unsigned char *p = malloc(n);
        size_t usable = malloc_usable_size(p);
        if (usable < n) {
            printf("malloc(%zu): only %zu usable bytes\n", n, usable);
            failures++;
        }
        double waste = (double)(usable - n) / (double)n;
        if (n > 256 && n <= 32768 && waste > worst) {
            worst = waste;
            worst_n = n;
        }
        memset(p, (int)(n & 0xff), n);
        free(p);
    }
    printf("worst waste above 256 bytes: %.1f%% (malloc(%zu))\n", worst * 100, worst_n);

    for (size_t alignment = 16; alignment <= (1UL << 20); alignment *= 2) {
        for (size_t n = 1; n <= 3 * alignment && n <= 70000; n = n * 3 + 1) {
            void *a = aligned_alloc(alignment, n), *m = memalign(alignment, n), *q = NULL;
            if (posix_memalign(&q, alignment, n) != 0)
                q = NULL;
            check_aligned("aligned_alloc", a, alignment);
            check_aligned("memalign", m, alignment);
            check_aligned("posix_memalign", q, alignment);
            memset(a, 1, n);
            memset(m, 2, n);
            memset(q, 3, n);
            free(a);
            free(m);
            free(q);
        }
    }
    free(odd);
    free(eight);

    /* realloc keeps the bytes across classes and into page runs and back. */
    unsigned char *r = NULL;
    size_t sizes[] = {10, 300, 1100, 4104, 30000, 200000, 5000, 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t keep = i ? (sizes[i] < sizes[i - 1] ? sizes[i] : sizes[i - 1]) : 0;
        r = realloc(r, sizes[i]);
        for (size_t j = 0; j < keep; j++)
            if (r[j] != (unsigned char)(j * 7)) {
                printf("realloc to %zu lost byte %zu\n", sizes[i], j);
                failures++;
                break;
            }
        for (size_t j = 0; j < sizes[i]; j++)
            r[j] = (unsigned char)(j * 7);
    }
    free(r);
    printf("%d failures\n", failures);
    return failures != 0;
}
