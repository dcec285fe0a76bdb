/* A page of the array lost while qsort sorts it. libc sorts without mirror stores, so the mirror of the
 * array holds it as it was before the sort until the wrapper syncs it afterwards: a page rebuilt from
 * it in the middle came back unsorted and the sort went on with a mix of old and new elements
 * (duplicated and missing elements, silently; found by a reviewer's getline/strdup/qsort program,
 * which also double-freed its way into a cycle of the heap's free list). The wrapper now sorts a
 * private copy and copies the result in.
 *
 * The comparator loses a page in the middle of the array at its 1,200,000th call (of about 1.56
 * million): after the sort rewrote that page, before the merge that reads it again.
 * Prints "sorted=1 same=1" when the result is sorted and holds exactly the original elements. */
#include <stdio.h>
#include <stdlib.h>

#include "mirror.h"

enum { N = 100000 };
static int *array;
static long calls;

static int by_value(const void *a, const void *b)
{
    if (++calls == 1200000 && mirror_inject_error(array + N / 2) != 0)
        perror("mirror_inject_error"), exit(2);
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    array = malloc(N * sizeof *array);
    long long sum = 0, xor = 0;
    for (int i = 0; i < N; i++) {
        array[i] = (int)((i * 2654435761u) % 1000003u);
        sum += array[i];
        xor ^= array[i];
    }
    qsort(array, N, sizeof *array, by_value);
    int sorted = 1;
    long long sum_after = 0, xor_after = 0;
    for (int i = 0; i < N; i++) {
        sorted &= i == 0 || array[i - 1] <= array[i];
        sum_after += array[i];
        xor_after ^= array[i];
    }
    printf("sorted=%d same=%d calls_past_loss=%d\n", sorted, sum == sum_after && xor == xor_after, calls > 1200000);
    return 0;
}
