/* An instrumented shared library with global state of its own (test_libraries.py). */
#include <stdlib.h>
#include <string.h>

long lib_table[4096]; /* 32 KiB of .bss: several whole pages */
char lib_name[64] = "counter library";
char lib_name_copy[64];

long lib_fill(long seed)
{
    long sum = 0;
    for (int i = 0; i < 4096; i++) {
        lib_table[i] = seed * i + 7;
        sum += lib_table[i];
    }
    /* A copy of a size known only at run time: mirror-cc guards it with the runtime's repair counter,
     * a variable the library binds to in the executable (it was hidden once: NULL here, a crash). */
    memcpy(lib_name_copy, lib_name, strlen(lib_name) + 1);
    char *copy = strdup(lib_name_copy);
    sum += (long)strlen(copy);
    free(copy);
    return sum;
}

long lib_sum(void)
{
    long sum = 0;
    for (int i = 0; i < 4096; i++)
        sum += lib_table[i];
    return sum;
}
