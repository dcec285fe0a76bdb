/* An instrumented shared library with global state of its own (test_libraries.py). */
#include <stdlib.h>
#include <string.h>

long lib_table[4096]; /* 32 KiB of .bss: several whole pages */
char lib_name[64] = "counter library";

long lib_fill(long seed)
{
    long sum = 0;
    for (int i = 0; i < 4096; i++) {
        lib_table[i] = seed * i + 7;
        sum += lib_table[i];
    }
    char *copy = strdup(lib_name);
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
