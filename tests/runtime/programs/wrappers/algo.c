/* In-place algorithms: qsort and qsort_r with instrumented comparators (one of which writes a global
 * counter, mirrored by the pass), lsearch appending, tsearch/tdelete storing the root. */
#define _GNU_SOURCE
#include <search.h>

#include "wrap_check.h"

struct record {
    int key;
    char tag[12];
};

static int numbers[200];
static long comparisons; /* written by the comparator: instrumented, mirrored */
static int table[16];
static size_t table_len;
static void *root;
static unsigned seed = 12345;
static unsigned short xsubi[3] = {1, 2, 3};

static int by_value(const void *a, const void *b)
{
    comparisons++;
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int by_key(const void *a, const void *b, void *descending)
{
    int x = ((const struct record *)a)->key, y = ((const struct record *)b)->key;
    return *(int *)descending ? (y > x) - (y < x) : (x > y) - (x < y);
}

int main(void)
{
    for (int i = 0; i < 200; i++)
        numbers[i] = (i * 7919) % 1009;
    qsort(numbers, 200, sizeof numbers[0], by_value);
    result("qsort.sorted", numbers[0] <= numbers[1] && numbers[198] <= numbers[199]);
    check("qsort", numbers, sizeof numbers);
    check("qsort.comparator?", &comparisons, sizeof comparisons);

    struct record *records = malloc(50 * sizeof *records);
    for (int i = 0; i < 50; i++) {
        records[i].key = (i * 31) % 53;
        snprintf(records[i].tag, sizeof records[i].tag, "r%d", i);
    }
    int descending = 1;
    qsort_r(records, 50, sizeof *records, by_key, &descending);
    result("qsort_r.first", records[0].key);
    check("qsort_r", records, 50 * sizeof *records);

    for (int i = 0; i < 4; i++)
        table[i] = i * 10;
    table_len = 4;
    int key = 99;
    int *found = lsearch(&key, table, &table_len, sizeof table[0], by_value);
    result("lsearch.appended", found - table);
    check("lsearch.table", table, sizeof table);
    check("lsearch.length", &table_len, sizeof table_len);

    static int keys[5] = {50, 20, 80, 10, 30};
    for (int i = 0; i < 5; i++)
        tsearch(&keys[i], &root, by_value);
    check("tsearch", &root, sizeof root);
    tdelete(&keys[0], &root, by_value);
    check("tdelete", &root, sizeof root);
    result("tfind", *(int *)*(void **)tfind(&keys[4], &root, by_value));

    result("rand_r", rand_r(&seed));
    check("rand_r", &seed, sizeof seed);
    result("nrand48", nrand48(xsubi));
    check("nrand48", xsubi, sizeof xsubi);
    result("jrand48", jrand48(xsubi));
    check("jrand48", xsubi, sizeof xsubi);
    result("erand48", (long)(erand48(xsubi) * 1e6));
    check("erand48", xsubi, sizeof xsubi);

    finish();
    return 0;
}
