/* The loader wrote the executable's data without mirroring; start-up must have copied it. Then a
 * native-only write (what uninstrumented code does) shows up in mirror_diff byte for byte. */
#include <stdio.h>

#include "mirror_test.h"

/* Segment-mode code, as mirror-cc marks it: the runtime sets the GS base only for such programs. */
__attribute__((weak)) char __mirror_uses_gs = 1;

/* Three and a half pages of non-zero initialized data, with some variety. */
unsigned char table[3 * 4096 + 2048] = {
    [0 ... 6] = 0x5a, [7] = 1, [8 ... 4999] = 0x5a, [5000] = 2, [5001 ... 8999] = 0x5a, [9000] = 3,
    [9001 ... 3 * 4096 + 2047] = 0x5a,
};
long counter = 42;
/* Relocated by the loader at start-up (R_X86_64_RELATIVE): the file holds a different value. */
void *self_pointer = &self_pointer;
/* Relocated, then made read-only (RELRO). */
const char *const names[] = {"alpha", "beta", "gamma"};

int main(void)
{
    printf("table=%zu\n", mirror_diff(table, sizeof table));
    printf("counter=%zu\n", mirror_diff(&counter, sizeof counter));
    printf("self_pointer=%zu\n", mirror_diff(&self_pointer, sizeof self_pointer));
    printf("names=%zu\n", mirror_diff(names, sizeof names));

    /* Native-only writes: three bytes change, one is rewritten with the value it already has. */
    volatile unsigned char *t = table;
    t[0] = 0;
    t[4096] = 0x11;
    t[5000] = 0x22;
    t[9000] = 3;
    printf("after_writes=%zu\n", mirror_diff(table, sizeof table));
    /* The same writes mirrored bring the copies back in line. */
    MIRROR_STORE(table[0], 0);
    MIRROR_STORE(table[4096], 0x11);
    MIRROR_STORE(table[5000], 0x22);
    printf("after_mirroring=%zu\n", mirror_diff(table, sizeof table));
    return 0;
}
