/* How the audit names the heap's ranges: an mmap'd area entered into the domain as the heap and as heap
 * metadata (as runtime/heap does), then written behind the mirror's back. */
#include <stdio.h>
#include <sys/mman.h>

#include "domain/domain.h"
#include "mirror.h"

int main(void)
{
    char *area = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return 2;
    _mirror_domain_add((uintptr_t)area, (uintptr_t)area + 4096, MIRROR_REGION_HEAP, "heap");
    _mirror_domain_add((uintptr_t)area + 4096, (uintptr_t)area + 8192, MIRROR_REGION_HEAP_META, "page map");
    __asm__ volatile("movq $-1, (%0)" : : "r"(area + 64) : "memory");
    __asm__ volatile("movw $-1, (%0)" : : "r"(area + 4096 + 8) : "memory");
    printf("heap_at=%p meta_at=%p\n", (void *)(area + 64), (void *)(area + 4096 + 8));
    printf("divergent=%zu\n", mirror_audit());
    return 0;
}
