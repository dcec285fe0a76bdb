/* algo.c — libc algorithms that rearrange or extend the caller's arrays.
 *
 * qsort permutes the array in place, for as long as the sort takes (tens of milliseconds for a large
 * array), without mirror stores: a page of the array lost meanwhile would come back from the mirror
 * as it was before the sort, and the sort would go on with a mix of old and new elements (a reviewer's
 * getline/strdup/qsort program printed shifted and garbage lines, and once double-freed into a cycle
 * of the heap's free list). So the wrappers sort a private copy (libc memory, which the comparator
 * only reads) and copy the result back with _mirror_copy_in; the comparator, usually instrumented,
 * mirrors its own stores. lsearch appends the key (and bumps *nmemb) when it is
 * missing; tsearch and tdelete rebalance a tree whose nodes are libc's own memory, but store the new
 * root in the caller's root variable. rand_r and the *rand48 functions with a caller-held state update
 * that state in place.
 */
#define _GNU_SOURCE
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "libc/wrap.h"

static void wrote_array(const void *base, size_t nmemb, size_t size)
{
    size_t bytes;
    if (!__builtin_mul_overflow(nmemb, size, &bytes))
        _mirror_wrote(base, bytes);
}

/* A copy of the array to sort aside, or NULL (nothing to protect, or no memory: sort in place). */
static void *aside(const void *base, size_t nmemb, size_t size, size_t *bytes)
{
    if (__builtin_mul_overflow(nmemb, size, bytes) || nmemb < 2 || !_mirror_has_mirror(base, *bytes))
        return NULL;
    void *copy = malloc(*bytes);
    if (copy)
        memcpy(copy, base, *bytes);
    return copy;
}

MIRROR_WRAPPER void __mirror_qsort(void *base, size_t nmemb, size_t size, __compar_fn_t compare)
{
    size_t bytes;
    void *copy = aside(base, nmemb, size, &bytes);
    if (!copy) {
        qsort(base, nmemb, size, compare);
        wrote_array(base, nmemb, size);
        return;
    }
    qsort(copy, nmemb, size, compare);
    _mirror_copy_in(base, copy, bytes);
    free(copy);
}

MIRROR_WRAPPER void __mirror_qsort_r(void *base, size_t nmemb, size_t size, __compar_d_fn_t compare, void *arg)
{
    size_t bytes;
    void *copy = aside(base, nmemb, size, &bytes);
    if (!copy) {
        qsort_r(base, nmemb, size, compare, arg);
        wrote_array(base, nmemb, size);
        return;
    }
    qsort_r(copy, nmemb, size, compare, arg);
    _mirror_copy_in(base, copy, bytes);
    free(copy);
}

MIRROR_WRAPPER void *__mirror_lsearch(const void *key, void *base, size_t *nmemb, size_t size,
                                      __compar_fn_t compare)
{
    size_t before = *nmemb;
    void *result = lsearch(key, base, nmemb, size, compare);
    if (*nmemb != before) {
        _mirror_wrote(result, size);
        _mirror_wrote(nmemb, sizeof *nmemb);
    }
    return result;
}

MIRROR_WRAPPER void *__mirror_tsearch(const void *key, void **root, __compar_fn_t compare)
{
    void *result = tsearch(key, root, compare);
    if (root != NULL)
        _mirror_wrote(root, sizeof *root);
    return result;
}

MIRROR_WRAPPER void *__mirror_tdelete(const void *restrict key, void **restrict root, __compar_fn_t compare)
{
    void *result = tdelete(key, root, compare);
    if (root != NULL)
        _mirror_wrote(root, sizeof *root);
    return result;
}

/* ---- Random numbers with caller-held state ------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_rand_r(unsigned int *seed)
{
    int result = rand_r(seed);
    _mirror_wrote(seed, sizeof *seed);
    return result;
}

MIRROR_WRAPPER double __mirror_erand48(unsigned short state[3])
{
    double result = erand48(state);
    _mirror_wrote(state, 3 * sizeof state[0]);
    return result;
}

MIRROR_WRAPPER long __mirror_nrand48(unsigned short state[3])
{
    long result = nrand48(state);
    _mirror_wrote(state, 3 * sizeof state[0]);
    return result;
}

MIRROR_WRAPPER long __mirror_jrand48(unsigned short state[3])
{
    long result = jrand48(state);
    _mirror_wrote(state, 3 * sizeof state[0]);
    return result;
}
