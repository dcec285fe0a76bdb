/* Initialized data whose file pages are not in the page cache when the program starts (the test
 * evicts them): not resident, yet not zero. Seeding must read them rather than trust mincore. */
#include <stdio.h>

#include "mirror_test.h"

#define COLD_SIZE (8UL << 20)

unsigned char cold[COLD_SIZE] = {[0 ... COLD_SIZE - 1] = 0xc0};

int main(void)
{
    printf("cold_diff=%zu\n", mirror_diff(cold, sizeof cold));
    return 0;
}
