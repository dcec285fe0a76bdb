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
#include <stdlib.h>

/* MIRROR_E2E_ROUNDS=n: the programs that call mcheck_rounds() repeat their workload n times, each round
 * starting from the same state and printing the same lines, so that a run lasts long enough for fault
 * injection (tests/e2e/test_injection.py). Unset (or not a positive number): one round, as always. */
static inline int mcheck_rounds(void)
{
    const char *text = getenv("MIRROR_E2E_ROUNDS");
    int n = text ? atoi(text) : 1;
    return n > 0 ? n : 1;
}

#ifdef MIRRORED
#include <mirror.h>
#include <string.h>

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

/* MIRROR_E2E_TOUCH_LOST=1 (fault injection): read one byte of every page that the runtime's injector
 * replaced by its empty memfd ("/memfd:mirrorpass-lost-page" in /proc/self/maps) and that nothing has
 * touched since, so that every lost page is restored (or the process dies) before the run ends and the
 * audit at exit compares it too. Says on stderr how many there were. */
static void mcheck_touch_lost_pages(void)
{
    const char *flag = getenv("MIRROR_E2E_TOUCH_LOST");
    if (!flag || strcmp(flag, "1") != 0)
        return;
    unsigned long ranges[256][2];
    int n = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && n < 256 && fgets(line, sizeof line, maps))
        if (strstr(line, "mirrorpass-lost-page") && sscanf(line, "%lx-%lx", &ranges[n][0], &ranges[n][1]) == 2)
            n++;
    if (maps)
        fclose(maps);
    unsigned long pages = 0;
    for (int i = 0; i < n; i++)
        for (unsigned long a = ranges[i][0]; a < ranges[i][1]; a += 4096, pages++)
            (void)*(volatile const char *)a;
    fprintf(stderr, "mcheck: touched %lu lost pages\n", pages);
}

/* Defined by tests/e2e/rounds_main.c when it runs the whole program several times: the rounds still to
 * come after this one. Only the last round reports. */
extern int mcheck_rounds_after __attribute__((weak));

static void mcheck_report(void)
{
    if (&mcheck_rounds_after != NULL && mcheck_rounds_after > 0)
        return;
    mcheck_touch_lost_pages();
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
