/* Touch 8 MiB of heap for ~200 ms, then free it and exit: at exit little of the protected domain is
 * resident, its peak (protected_resident_peak_bytes, sampled) is the 8 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void)
{
    size_t n = 8u << 20;
    char *volatile keep = malloc(n); /* volatile: the optimizer may not drop the block */
    char *block = keep;
    memset(block, 1, n);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 10; i++) {
        nanosleep(&pause, NULL);
        block[i * 4096] += 1;
    }
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i += 4096)
        sum += (unsigned char)((char *volatile)keep)[i];
    printf("%lu\n", sum);
    free(keep);
    return 0;
}
