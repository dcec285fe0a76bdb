/* mirror_register on memory the program maps itself: registration makes the mirror exact (the region
 * was filled before), instrumented writes keep it so, a native-only write is found and named, and the
 * API refuses what it must. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mirror.h"

#define SIZE (8 * 4096UL)

int main(void)
{
    unsigned char *area = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return 2;
    /* Filled before registration by code without mirror stores: the mirror is stale until
     * mirror_register copies the region. */
    for (size_t i = 0; i < SIZE; i += 512)
        __asm__ volatile("movb $0x77, (%0)" : : "r"(area + i) : "memory");
    printf("diff_before_register=%zu\n", mirror_diff(area, SIZE));
    printf("register=%d\n", mirror_register(area, SIZE));
    printf("diff_after_register=%zu\n", mirror_diff(area, SIZE));

    for (size_t i = 0; i < SIZE; i++)
        area[i] = (unsigned char)(i * 7);
    printf("audit_clean=%zu\n", mirror_audit());

    __asm__ volatile("movl $0x01020304, (%0)" : : "r"(area + 4096 + 16) : "memory");
    printf("audit_dirty=%zu\n", mirror_audit());
    mirror_sync(area + 4096 + 16, 4);

    errno = 0;
    int twice = mirror_register(area + 4096, 4096);
    printf("register_overlap=%d errno_eexist=%d\n", twice, errno == EEXIST);
    errno = 0;
    int outside = mirror_register((void *)0x1000, 4096);
    printf("register_outside=%d errno_einval=%d\n", outside, errno == EINVAL);
    errno = 0;
    int unknown = mirror_unregister(area + 4096);
    printf("unregister_unknown=%d errno_enoent=%d\n", unknown, errno == ENOENT);
    printf("unregister=%d\n", mirror_unregister(area));

    /* No longer protected: a native-only write is none of the audit's business. */
    __asm__ volatile("movl $0x0a0b0c0d, (%0)" : : "r"(area + 64) : "memory");
    printf("audit_after_unregister=%zu\n", mirror_audit());
    munmap(area, SIZE);
    return 0;
}
