/* White-box look at the runtime's state: it sits in the mirror_rt_state section (so an audit can skip
 * it) and lists the executable's seeded writable ranges. */
#include <stdio.h>

#include "base/base.h"

extern char __start_mirror_rt_state[], __stop_mirror_rt_state[];

long data_global = 1;
char bss_global[100];

static int seeded(const void *p)
{
    for (size_t i = 0; i < _mirror_state.seeded_count; i++)
        if ((uintptr_t)p >= _mirror_state.seeded[i].start && (uintptr_t)p < _mirror_state.seeded[i].end)
            return 1;
    return 0;
}

int main(void)
{
    char *state = (char *)&_mirror_state;
    printf("state_in_section=%d\n",
           state >= __start_mirror_rt_state && state + sizeof _mirror_state <= __stop_mirror_rt_state);
    printf("section_size=%zu state_size=%zu\n", (size_t)(__stop_mirror_rt_state - __start_mirror_rt_state),
           sizeof _mirror_state);
    printf("initialized=%d gs_base_set=%d\n", _mirror_state.initialized, _mirror_state.gs_base_set);
    printf("seeded_count=%zu\n", _mirror_state.seeded_count);
    for (size_t i = 0; i < _mirror_state.seeded_count; i++)
        printf("range=%lx-%lx page_aligned=%d\n", _mirror_state.seeded[i].start, _mirror_state.seeded[i].end,
               (_mirror_state.seeded[i].start | _mirror_state.seeded[i].end) % MIRROR_PAGE_SIZE == 0);
    printf("data_seeded=%d bss_seeded=%d stack_seeded=%d\n", seeded(&data_global), seeded(bss_global),
           seeded(&state));
    return 0;
}
