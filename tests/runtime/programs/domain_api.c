/* The registry's internal API as the heap uses it: add, lookup at the edges, resize, remove, reuse of
 * a removed handle, a full registry, and ranges it must refuse. */
#include <stdio.h>
#include <sys/mman.h>

#include "domain/domain.h"

#define PAGE 4096UL

static const char *found(uintptr_t addr, int handle)
{
    struct _mirror_region region;
    if (!_mirror_domain_lookup(addr, &region))
        return "none";
    return region.handle == handle ? "self" : "other";
}

int main(void)
{
    char *area = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return 2;
    uintptr_t base = (uintptr_t)area;

    int heap = _mirror_domain_add(base, base + 4 * PAGE, MIRROR_REGION_HEAP, "heap");
    printf("handle_ok=%d\n", heap >= 0);
    printf("first=%s last=%s before=%s after=%s\n", found(base, heap), found(base + 4 * PAGE - 1, heap),
           found(base - 1, heap), found(base + 4 * PAGE, heap));

    struct _mirror_region region;
    _mirror_domain_lookup(base + 100, &region);
    printf("kind=%s name=%s start_ok=%d end_ok=%d\n", _mirror_region_kind_name(region.kind), region.name,
           region.start == base, region.end == base + 4 * PAGE);

    _mirror_domain_resize(heap, base + 8 * PAGE);
    printf("grown=%s beyond=%s\n", found(base + 8 * PAGE - 1, heap), found(base + 8 * PAGE, heap));

    _mirror_domain_remove(heap);
    printf("removed=%s\n", found(base, heap));
    int again = _mirror_domain_add(base + 8 * PAGE, base + 9 * PAGE, MIRROR_REGION_HEAP_META, "page map");
    printf("reused=%d reused_lookup=%s old_range=%s\n", again == heap, found(base + 8 * PAGE, again),
           found(base, heap));

    printf("empty=%d outside=%d\n", _mirror_domain_add(base, base, MIRROR_REGION_HEAP, "x"),
           _mirror_domain_add(0x1000, 0x2000, MIRROR_REGION_HEAP, "x"));

    int added = 0;
    while (_mirror_domain_add(base + 10 * PAGE, base + 11 * PAGE, MIRROR_REGION_REGISTERED, "filler") >= 0)
        added++;
    int live = 0;
    for (int cursor = 0; _mirror_domain_next(&cursor, &region);)
        live++;
    printf("full_after=%d live=%d capacity=%d\n", added, live, MIRROR_DOMAIN_CAPACITY);
    return 0;
}
