/* mirror_test.h — helpers for the runtime's test programs.
 *
 * The test programs are built by plain clang-22, not mirror-cc, so they simulate instrumented code by
 * hand: MIRROR_STORE writes only the mirror, through %gs exactly as a segment-mode mirror store does,
 * and mirror_address reads it back through a plain pointer, as the offset mode addresses it.
 */
#ifndef MIRROR_TEST_H
#define MIRROR_TEST_H

#include <stdint.h>

#include "mirror.h"
#include "base/layout.h"

/* A segment-mode mirror store of value to the mirror of lvalue (volatile: one store, as written). */
#define MIRROR_STORE(lvalue, value) \
    (*(volatile __typeof__(lvalue) __seg_gs *)(uintptr_t)&(lvalue) = (value))

static inline void *mirror_address(const void *p)
{
    return (void *)((uintptr_t)p + (uintptr_t)MIRROR_DELTA);
}

/* Needs CR4.FSGSBASE (the kernel's HWCAP2_FSGSBASE): SIGILL otherwise. */
static inline unsigned long read_gs_base(void)
{
    unsigned long base;
    __asm__ volatile("rdgsbase %0" : "=r"(base));
    return base;
}

#endif
