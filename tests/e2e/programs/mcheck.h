/* mcheck.h — the mirror check every e2e program ends with.
 *
 * Built by mirror-cc with -DMIRRORED, MCHECK(p, n) asks the runtime how many bytes of [p, p+n) differ
 * from their mirror and mcheck_report() prints the totals as two lines starting with "mirror:" (the
 * test drops those lines before comparing with the native build, and requires "mirror: 0 divergent
 * bytes"). A range that diverges is also named on stderr. Built by plain clang-22, everything here
 * compiles to nothing, so native and mirrored stdout must match line for line.
 *
 * Only memory the program itself wrote may be checked: heap user bytes (never malloc's headers),
 * globals (the runtime seeds their initial values) and thread-local variables the program wrote
 * completely. Bytes written by libc (setjmp's jmp_buf, realloc's copy, calloc's clearing, stdio) are
 * not mirrored until the libc wrappers exist, so the programs keep them out of checked ranges.
 * Safe to call from several threads.
 */
#ifndef E2E_MCHECK_H
#define E2E_MCHECK_H

#include <stddef.h>
#include <stdio.h>

#ifdef MIRRORED
#include <mirror.h>

static size_t mcheck_divergent, mcheck_bytes, mcheck_ranges;

static void mcheck_range(const char *what, int line, const void *p, size_t n)
{
    size_t diff = mirror_diff(p, n);
    __atomic_fetch_add(&mcheck_divergent, diff, __ATOMIC_RELAXED);
    __atomic_fetch_add(&mcheck_bytes, n, __ATOMIC_RELAXED);
    __atomic_fetch_add(&mcheck_ranges, 1, __ATOMIC_RELAXED);
    if (diff != 0)
        fprintf(stderr, "mirror: %zu of %zu bytes diverge in %s (line %d)\n", diff, n, what, line);
}

static void mcheck_report(void)
{
    printf("mirror: checked %zu bytes in %zu ranges\n", __atomic_load_n(&mcheck_bytes, __ATOMIC_RELAXED),
           __atomic_load_n(&mcheck_ranges, __ATOMIC_RELAXED));
    printf("mirror: %zu divergent bytes\n", __atomic_load_n(&mcheck_divergent, __ATOMIC_RELAXED));
}

#define MCHECK(p, n) mcheck_range(#p, __LINE__, (p), (n))
#define MCHECK_NAMED(name, p, n) mcheck_range((name), __LINE__, (p), (n))
#else
#define MCHECK(p, n) ((void)(p), (void)(n))
#define MCHECK_NAMED(name, p, n) ((void)(name), (void)(p), (void)(n))
#define mcheck_report() ((void)0)
#endif

/* Check a whole object (a global, a heap struct through *ptr) by name. */
#define MCHECK_OBJ(obj) MCHECK_NAMED(#obj, &(obj), sizeof(obj))

#endif
