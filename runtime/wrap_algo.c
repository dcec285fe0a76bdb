/* wrap_algo.c — libc algorithms that rearrange or extend the caller's arrays.
 *
 * qsort permutes the array in place (glibc's merge sort copies through a temporary buffer and back);
 * the comparator, usually instrumented, runs in between and mirrors its own stores. After the sort
 * the whole array is copied to its mirror. lsearch appends the key (and bumps *nmemb) when it is
 * missing; tsearch and tdelete rebalance a tree whose nodes are libc's own memory, but store the new
 * root in the caller's root variable. rand_r and the *rand48 functions with a caller-held state update
 * that state in place.
 */
#define _GNU_SOURCE
#include <search.h>
#include <stdlib.h>

#include "wrap_internal.h"

static void wrote_array(const void *base, size_t nmemb, size_t size)
{
    size_t bytes;
    if (!__builtin_mul_overflow(nmemb, size, &bytes))
        _mirror_wrote(base, bytes);
}

MIRROR_WRAPPER void __mirror_qsort(void *base, size_t nmemb, size_t size, __compar_fn_t compare)
{
    qsort(base, nmemb, size, compare);
    wrote_array(base, nmemb, size);
}

MIRROR_WRAPPER void __mirror_qsort_r(void *base, size_t nmemb, size_t size, __compar_d_fn_t compare, void *arg)
{
    qsort_r(base, nmemb, size, compare, arg);
    wrote_array(base, nmemb, size);
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
