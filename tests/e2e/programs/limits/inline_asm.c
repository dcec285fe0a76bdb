/* inline_asm: what mirror-cc can and cannot mirror in inline assembly.
 *
 * store_via_output(): the asm writes g through an "=m" output operand. mirror-cc knows the object and
 * its size, so it copies it to the mirror after the asm: g stays restorable.
 * store_via_clobber(): the asm writes g2 through a pointer in a register and only says "memory".
 * mirror-cc cannot know what was written: it warns at compile time, naming the function, and the
 * mirror of g2 stays stale (mirror_diff > 0 at run time). Built with mirror-cc only. */
#include <stdio.h>

#include <mirror.h>

int g = 1;
int g2 = 2;

__attribute__((noinline)) void store_via_output(int v)
{
    __asm__ volatile("movl %1, %0" : "=m"(g) : "r"(v));
}

__attribute__((noinline)) void store_via_clobber(void)
{
    __asm__ volatile("movl $7, (%0)" : : "r"(&g2) : "memory");
}

int main(void)
{
    store_via_output(0x11223344);
    store_via_clobber();
    printf("g=%#x g2=%d\n", (unsigned)g, g2);
    printf("diff(g)=%zu diff(g2)=%zu\n", mirror_diff(&g, sizeof g), mirror_diff(&g2, sizeof g2));
    return 0;
}
