/* recursion: a binary tree built recursively on the heap (then mirrored node by node, and rebalanced
 * in place), Ackermann for small arguments with a global call counter, mutual recursion writing a
 * global trace, recursive permutation generation into a heap array, and our own recursive quicksort
 * (not libc's qsort, which would write the array without a mirror). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

struct node {
    struct node *left, *right;
    long key;
    long size;
    int depth;
    int height;
};

static long g_ack_calls;
static int g_trace[200];
static int g_trace_len;
static long g_perm_count;

static struct node *build(long lo, long hi, int depth)
{
    if (lo > hi)
        return NULL;
    long mid = lo + (hi - lo) / 2;
    struct node *n = malloc(sizeof *n);
    n->key = mid * 3 + 1;
    n->depth = depth;
    n->left = build(lo, mid - 1, depth + 1);
    n->right = build(mid + 1, hi, depth + 1);
    n->size = 1 + (n->left ? n->left->size : 0) + (n->right ? n->right->size : 0);
    int hl = n->left ? n->left->height : 0, hr = n->right ? n->right->height : 0;
    n->height = 1 + (hl > hr ? hl : hr);
    return n;
}

static void mirror_tree(struct node *n) /* swap children all the way down */
{
    if (!n)
        return;
    struct node *t = n->left;
    n->left = n->right;
    n->right = t;
    mirror_tree(n->left);
    mirror_tree(n->right);
}

static long weighted_sum(const struct node *n, long pos)
{
    if (!n)
        return 0;
    return n->key * (pos % 7 + 1) + weighted_sum(n->left, pos * 2) + weighted_sum(n->right, pos * 2 + 1);
}

static void check_and_free(struct node *n, long *count)
{
    if (!n)
        return;
    check_and_free(n->left, count);
    check_and_free(n->right, count);
    MCHECK(n, sizeof *n);
    ++*count;
    free(n);
}

static long ackermann(long m, long n)
{
    g_ack_calls++;
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static int is_odd(int n);
static int is_even(int n)
{
    if (g_trace_len < 200)
        g_trace[g_trace_len++] = n;
    return n == 0 ? 1 : is_odd(n - 1);
}
static int is_odd(int n)
{
    if (g_trace_len < 200)
        g_trace[g_trace_len++] = -n;
    return n == 0 ? 0 : is_even(n - 1);
}

static void permute(int *a, int k, int n, int *out, long *written)
{
    if (k == n) {
        for (int i = 0; i < n; i++)
            out[*written * n + i] = a[i];
        ++*written;
        g_perm_count++;
        return;
    }
    for (int i = k; i < n; i++) {
        int t = a[k];
        a[k] = a[i];
        a[i] = t;
        permute(a, k + 1, n, out, written);
        a[i] = a[k];
        a[k] = t;
    }
}

static void quicksort(long *a, long lo, long hi)
{
    if (lo >= hi)
        return;
    long pivot = a[lo + (hi - lo) / 2], i = lo, j = hi;
    while (i <= j) {
        while (a[i] < pivot)
            i++;
        while (a[j] > pivot)
            j--;
        if (i <= j) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
    }
    quicksort(a, lo, j);
    quicksort(a, i, hi);
}

int main(void)
{
    struct node *root = build(0, 8190, 0); /* 8191 nodes, height 13 */
    long before = weighted_sum(root, 1);
    mirror_tree(root);
    long after = weighted_sum(root, 1);
    printf("tree: size=%ld height=%d sum=%ld mirrored=%ld\n", root->size, root->height, before, after);

    long a23 = ackermann(2, 3), a34 = ackermann(3, 4);
    printf("ackermann: A(2,3)=%ld A(3,4)=%ld calls=%ld\n", a23, a34, g_ack_calls);

    int e = is_even(77), o = is_odd(120);
    printf("parity: even(77)=%d odd(120)=%d trace_len=%d trace[199]=%d\n", e, o, g_trace_len, g_trace[199]);

    int *items = malloc(7 * sizeof *items);
    for (int i = 0; i < 7; i++)
        items[i] = i + 1;
    int *perms = malloc(5040 * 7 * sizeof *perms);
    long written = 0;
    permute(items, 0, 7, perms, &written);
    long psum = 0;
    for (long p = 0; p < written; p++)
        psum += perms[p * 7] * (p % 13) + perms[p * 7 + 6];
    printf("permutations: %ld sum=%ld last=%d%d%d%d%d%d%d\n", written, psum, perms[5039 * 7], perms[5039 * 7 + 1],
           perms[5039 * 7 + 2], perms[5039 * 7 + 3], perms[5039 * 7 + 4], perms[5039 * 7 + 5], perms[5039 * 7 + 6]);

    enum { NS = 20000 };
    long *arr = malloc(NS * sizeof *arr);
    uint64_t x = 88172645463325252ULL;
    for (long i = 0; i < NS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        arr[i] = (long)(x % 1000003);
    }
    quicksort(arr, 0, NS - 1);
    int sorted = 1;
    for (long i = 1; i < NS; i++)
        sorted &= arr[i - 1] <= arr[i];
    printf("quicksort: sorted=%d min=%ld median=%ld max=%ld\n", sorted, arr[0], arr[NS / 2], arr[NS - 1]);

    MCHECK_OBJ(g_ack_calls);
    MCHECK_OBJ(g_trace);
    MCHECK_OBJ(g_trace_len);
    MCHECK_OBJ(g_perm_count);
    MCHECK(items, 7 * sizeof *items);
    MCHECK(perms, 5040 * 7 * sizeof *perms);
    MCHECK(arr, NS * sizeof *arr);
    long freed = 0;
    check_and_free(root, &freed);
    printf("freed %ld nodes\n", freed);
    mcheck_report();
    free(items);
    free(perms);
    free(arr);
    return 0;
}
