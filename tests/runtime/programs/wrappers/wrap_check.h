/* wrap_check.h — what the wrapper test programs share.
 *
 * Each program calls libc functions that write program memory (globals and heap blocks), then prints
 * one line per function: "diff.<name>=<bytes whose mirror differs>" over exactly what the function
 * wrote, and "ret.<name>=<value>" for results that must not change when the call is routed through the
 * runtime's wrapper (return values and errno). Buffers are filled with a pattern by plain instrumented
 * stores first (mirrored in every build), so a libc write that skips the mirror shows up as > 0.
 */
#ifndef WRAP_CHECK_H
#define WRAP_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"

static size_t wrap_total;

static inline void check(const char *name, const void *p, size_t n)
{
    size_t diff = mirror_diff(p, n);
    wrap_total += diff;
    printf("diff.%s=%zu\n", name, diff);
}

static inline void result(const char *name, long value)
{
    printf("ret.%s=%ld\n", name, value);
}

/* The return value and errno of a call that fails. */
static inline void failure(const char *name, long value, int error)
{
    printf("ret.%s=%ld errno.%s=%d\n", name, value, name, error);
}

/* Instrumented byte stores (a loop, not memset: under -fno-builtin memset is a libc call). */
static inline void fill(void *p, size_t n, unsigned char value)
{
    volatile unsigned char *bytes = p;
    for (size_t i = 0; i < n; i++)
        bytes[i] = value;
}

static inline void finish(void)
{
    printf("total=%zu\n", wrap_total);
    fflush(stdout);
}

#define DIE(what)                                                                                         \
    do {                                                                                                  \
        fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, what, strerror(errno));             \
        exit(2);                                                                                          \
    } while (0)

#endif
