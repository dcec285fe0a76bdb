/* Both copies of a protected page lost: nothing to rebuild it from.
 *
 * ./both_lost heap|relro
 * heap:  a page of the mirrored heap and its mirror page are lost, then the page is read.
 * relro: the executable's first RELRO page (PT_GNU_RELRO: .got, .data.rel.ro, .dynamic) and its mirror
 *        are lost, then libc is called (the call goes through the GOT).
 * stdout: "page=0x..." (written before the losses). Expected: one report line saying its mirror is
 * lost too, then death by SIGBUS. */
#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirror.h"
#include "mirror_test.h"
#include "recovery/recovery.h"

static int find_relro(struct dl_phdr_info *info, size_t size, void *out)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
            *(uintptr_t *)out = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            break;
        }
    return 1; /* the first object is the executable */
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 3;
    volatile unsigned char *target;
    if (strcmp(argv[1], "heap") == 0) {
        unsigned char *p = aligned_alloc(4096, 4096);
        memset(p, 0x5a, 4096);
        target = p;
    } else if (strcmp(argv[1], "relro") == 0) {
        uintptr_t relro = 0;
        dl_iterate_phdr(find_relro, &relro);
        if (!relro)
            return puts("no PT_GNU_RELRO"), 2;
        target = (volatile unsigned char *)relro;
    } else {
        return 3;
    }
    uintptr_t page = page_of((const void *)target);
    char line[64];
    int n = snprintf(line, sizeof line, "page=%#lx\n", (unsigned long)page);
    write(1, line, (size_t)n);
    if (mirror_inject_error(mirror_address((void *)page)) != 0 || mirror_inject_error((void *)page) != 0)
        return perror("mirror_inject_error"), 2;
    if (strcmp(argv[1], "heap") == 0)
        return target[100];
    return getpid() == 0; /* through the GOT */
}
