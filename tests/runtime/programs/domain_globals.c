/* White-box look at the protected domain of an executable: which of its globals are in it (its own, in
 * .data and .bss), which are not (the runtime's state, copy-relocated libc variables), and that libc's
 * writes to those (getopt, setenv) leave the audit clean. Built with and without
 * -fdirect-access-external-data, which decides whether optind & co. are copy-relocated. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "domain/domain.h"
#include "mirror.h"

long data_global = 42;
char bss_global[64];
static int static_global = 7;
static const char *a_value;

static void where(const char *label, const void *p)
{
    struct _mirror_region region;
    if (_mirror_domain_lookup((uintptr_t)p, &region))
        printf("%s=%s\n", label, _mirror_region_kind_name(region.kind));
    else
        printf("%s=none\n", label);
}

int main(int argc, char **argv)
{
    int c;
    while ((c = getopt(argc, argv, "a:b")) != -1) {
        data_global += c;
        if (c == 'a')
            a_value = optarg;
    }
    setenv("MIRROR_TEST_VARIABLE", "value", 1);
    bss_global[3] = (char)optind;
    static_global++;

    int local = 0;
    void *libc_heap = malloc(16);
    where("data_global", &data_global);
    where("bss_global", &bss_global[63]);
    where("static_global", &static_global);
    where("optind", &optind);
    where("optarg", &optarg);
    where("environ", &environ);
    where("stdout", &stdout);
    where("runtime_state", &_mirror_state);
    where("runtime_state_end", __stop_mirror_rt_state - 1);
    where("stack", &local);

    int ranges = 0;
    struct _mirror_region region;
    for (int cursor = 0; _mirror_domain_next(&cursor, &region);)
        ranges++;
    printf("ranges=%d\n", ranges);
    printf("optind_value=%d a_value=%s\n", optind, a_value ? a_value : "null");
    printf("audit=%zu\n", mirror_audit());
    free(libc_heap);
    return 0;
}
