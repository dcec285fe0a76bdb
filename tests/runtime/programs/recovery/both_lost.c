/* Both copies of a protected page lost: nothing to rebuild it from.
 *
 * ./both_lost heap|relro
 * heap:  a page of the mirrored heap and its mirror page are lost, then the page is read.
 * relro: the RELRO page (PT_GNU_RELRO: .got, .data.rel.ro, .dynamic) holding a constant pointer to
 *        getpid and its mirror are lost, then getpid is called through it. (The executable's first
 *        RELRO page used to be taken and getpid called through the GOT, until the runtime grew and
 *        the GOT moved to a later page.)
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
#include "recovery/recovery_test.h"

/* A relocated constant: .data.rel.ro, inside PT_GNU_RELRO. */
static pid_t (*const volatile call_getpid)(void) = getpid;

static int find_relro(struct dl_phdr_info *info, size_t size, void *out)
{
    (void)size;
    uintptr_t want = (uintptr_t)&call_getpid;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        uintptr_t start = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
        if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO && want >= start && want < start + info->dlpi_phdr[i].p_memsz)
            *(uintptr_t *)out = want;
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
            return puts("the pointer is not in PT_GNU_RELRO"), 2;
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
    return call_getpid() == 0; /* reads the lost page */
}
