/* Uses counter_lib.so, linked in or (with -DLOAD_AT_RUN_TIME) loaded with dlopen from argv[1]. Loses a
 * page of the library's globals with mirror_inject_error, then reads them back. */
#include <dlfcn.h>
#include <stdio.h>
#include "mirror.h"

#ifndef LOAD_AT_RUN_TIME
long lib_fill(long seed);
long lib_sum(void);
extern long lib_table[];
#endif

int main(int argc, char **argv)
{
#ifdef LOAD_AT_RUN_TIME
    void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    long (*fill)(long) = (long (*)(long))dlsym(h, "lib_fill");
    long (*sum)(void) = (long (*)(void))dlsym(h, "lib_sum");
    long *table = dlsym(h, "lib_table");
#else
    (void)argc, (void)argv;
    long (*fill)(long) = lib_fill, (*sum)(void) = lib_sum;
    long *table = lib_table;
#endif
    long before = fill(3);
    if (mirror_inject_error(&table[2048]) != 0) {
        perror("mirror_inject_error");
        return 2;
    }
    printf("fill %ld sum %ld diff %zu\n", before, sum(), mirror_diff(table, 4096 * sizeof(long)));
    return 0;
}
