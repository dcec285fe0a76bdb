/* The executable's GOT page is lost (found through dl_iterate_phdr: PT_DYNAMIC, DT_PLTGOT), then the
 * program calls into libc, whose addresses are read from that very page. The SIGBUS handler must not
 * need the GOT itself (raw system calls only); the page comes back from its mirror with its read-only
 * RELRO protection.
 *
 * ./got_loss
 * stdout: got=0x... perms_before=r--p, then what the libc calls returned, then perms_after=r--p */
#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirror.h"
#include "recovery/recovery_test.h"

static int find_got(struct dl_phdr_info *info, size_t size, void *out)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
            continue;
        const ElfW(Dyn) *dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        for (; dyn->d_tag != DT_NULL; dyn++)
            if (dyn->d_tag == DT_PLTGOT) {
                uintptr_t got = dyn->d_un.d_ptr;
                if (got < info->dlpi_addr) /* not relocated in place */
                    got += info->dlpi_addr;
                *(uintptr_t *)out = got;
            }
    }
    return 1; /* the first object is the executable */
}

int main(void)
{
    uintptr_t got = 0;
    dl_iterate_phdr(find_got, &got);
    if (!got)
        return puts("no DT_PLTGOT"), 2;
    char before[5], after[5];
    perms_of((void *)got, before);
    /* Everything printed below is formatted after the loss, through the lost GOT. */
    char line[128];
    int n = snprintf(line, sizeof line, "got=%#lx perms_before=%s\n", (unsigned long)page_of((void *)got), before);
    write(1, line, (size_t)n);
    if (mirror_inject_error((void *)got) != 0)
        return perror("mirror_inject_error"), 2;
    char *text = strdup("mirrorpass"); /* the libc calls below find their targets in the lost page */
    size_t len = strlen(text);
    long pid = (long)getpid();
    printf("len=%zu pid_ok=%d text=%s\n", len, pid > 0, text);
    free(text);
    perms_of((void *)got, after);
    printf("perms_after=%s\n", after);
    fflush(stdout);
    return 0;
}
