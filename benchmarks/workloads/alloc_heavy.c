/* alloc_heavy.c — allocation-heavy workloads for comparing the mirrored heap with glibc malloc.
 *
 *   alloc_heavy trees   binary trees of depth 16, built and freed repeatedly (16-32 byte nodes)
 *   alloc_heavy mixed   2 threads: random sizes 8 B..4 KiB, malloc/free/realloc on a window of 4096
 *   alloc_heavy strings growing strings by realloc, strdup copies, and a hash table of them
 * Each prints a checksum so the builds can be compared for identical results. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *left, *right; long value; };

static struct node *build(int depth, long value)
{
    struct node *n = malloc(sizeof *n);
    n->value = value;
    n->left = depth ? build(depth - 1, 2 * value) : NULL;
    n->right = depth ? build(depth - 1, 2 * value + 1) : NULL;
    return n;
}

static long check(struct node *n)
{
    long sum = n->value + (n->left ? check(n->left) : 0) + (n->right ? check(n->right) : 0);
    free(n);
    return sum;
}

static unsigned long trees(void)
{
    unsigned long total = 0;
    for (int round = 0; round < 160; round++)
        total += (unsigned long)check(build(16, round));
    return total;
}

static void *mixed_worker(void *arg)
{
    uint64_t seed = (uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
    enum { WINDOW = 4096 };
    unsigned char **slot = calloc(WINDOW, sizeof *slot);
    size_t *size = calloc(WINDOW, sizeof *size);
    unsigned long sum = 0;
    for (int i = 0; i < 8000000; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        unsigned k = seed % WINDOW;
        size_t n = 8 + (seed >> 20) % ((seed >> 40) % 8 ? 256 : 4096);
        if (slot[k] && (seed >> 50) % 4 == 0) {
            slot[k] = realloc(slot[k], n);
        } else {
            if (slot[k])
                sum += slot[k][0];
            free(slot[k]);
            slot[k] = malloc(n);
        }
        slot[k][0] = (unsigned char)i;
        size[k] = n;
    }
    for (unsigned k = 0; k < WINDOW; k++)
        free(slot[k]);
    free(slot);
    free(size);
    return (void *)(uintptr_t)sum;
}

static unsigned long mixed(void)
{
    pthread_t t[2];
    unsigned long total = 0;
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, mixed_worker, (void *)(i + 1));
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (uintptr_t)r;
    }
    return total;
}

static unsigned long strings(void)
{
    enum { BUCKETS = 65536 };
    char **table = calloc(BUCKETS, sizeof *table);
    unsigned long total = 0;
    for (int round = 0; round < 400; round++) {
        char *s = NULL;
        size_t len = 0;
        for (int i = 0; i < 20000; i++) {
            /* Own formatting: snprintf would add the libc wrapper's cost to one build only. */
            char piece[24], digits[24];
            int n = 0, d = 0;
            for (unsigned v = (unsigned)(i * round); d == 0 || v; v /= 10)
                digits[d++] = (char)('0' + v % 10);
            while (d)
                piece[n++] = digits[--d];
            piece[n++] = ',';
            piece[n] = '\0';
            s = realloc(s, len + n + 1);
            memcpy(s + len, piece, n + 1);
            len += n;
            unsigned h = (unsigned)(i * 2654435761u) % BUCKETS;
            free(table[h]);
            table[h] = strdup(piece);
        }
        total += len;
        free(s);
    }
    for (unsigned h = 0; h < BUCKETS; h++)
        free(table[h]);
    free(table);
    return total;
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "trees";
    unsigned long result = !strcmp(which, "mixed") ? mixed() : !strcmp(which, "strings") ? strings() : trees();
    printf("%s: %lu\n", which, result);
    return 0;
}
