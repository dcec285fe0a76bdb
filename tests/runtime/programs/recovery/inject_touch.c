/* One protected heap page is lost, then read.
 *
 * ./inject_touch
 * stdout: "page=0x..." (before the loss), then "value=<byte> intact=<0|1>" once the read came back. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirror.h"
#include "recovery/recovery_test.h"

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned char *p = aligned_alloc(4096, 4096);
    for (int i = 0; i < 4096; i++)
        p[i] = (unsigned char)(i ^ 0x3c);
    printf("page=%#lx\n", (unsigned long)page_of(p));
    if (mirror_inject_error(p) != 0)
        return perror("mirror_inject_error"), 2;
    int intact = 1;
    for (int i = 0; i < 4096; i++)
        intact &= p[i] == (unsigned char)(i ^ 0x3c);
    printf("value=%d intact=%d\n", p[77], intact);
    return 0;
}
