/* hashtable: a chained hash table with string keys under a long random mix of inserts, updates and
 * deletes: lots of malloc and free (nodes, keys, value vectors), realloc for the bucket array and a
 * scratch buffer, and our own string helpers. Every allocation is checked just before it is freed,
 * and the survivors at the end.
 *
 * realloc copies the old contents with libc's memcpy, which is not mirrored until the libc wrappers
 * exist, so realloc is used only where the program rewrites the whole block afterwards (the bucket
 * array is rebuilt on every resize, the scratch buffer refilled). Value vectors grow with our own
 * malloc + copy + free for the same reason. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

struct entry {
    struct entry *next;     /* bucket chain */
    struct entry *all_next; /* list of all entries, for rehashing */
    struct entry *all_prev;
    char *key;
    size_t key_len;
    uint64_t hash;
    long *values;           /* a growing vector of every value stored under this key */
    size_t nvalues, cap;
};

struct table {
    struct entry **buckets;
    size_t nbuckets, count;
    struct entry *all;
    size_t resizes, frees, mallocs;
};

static struct table g_table;
static char *g_scratch;
static size_t g_scratch_cap;

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int str_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static char *str_dup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    g_table.mallocs++;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    d[n] = 0;
    return d;
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
    return h;
}

static void checked_free(void *p, size_t n)
{
    MCHECK_NAMED("heap block before free", p, n);
    g_table.frees++;
    free(p);
}

static void rehash(struct table *t, size_t nbuckets)
{
    t->buckets = realloc(t->buckets, nbuckets * sizeof *t->buckets); /* contents rewritten below */
    t->nbuckets = nbuckets;
    for (size_t i = 0; i < nbuckets; i++)
        t->buckets[i] = NULL;
    for (struct entry *e = t->all; e; e = e->all_next) {
        size_t b = e->hash & (nbuckets - 1);
        e->next = t->buckets[b];
        t->buckets[b] = e;
    }
    t->resizes++;
}

static struct entry *find(struct table *t, const char *key, size_t n, uint64_t h)
{
    for (struct entry *e = t->buckets[h & (t->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && str_eq(e->key, e->key_len, key, n))
            return e;
    return NULL;
}

static void push_value(struct entry *e, long v)
{
    if (e->nvalues == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 2;
        long *nv = malloc(cap * sizeof *nv);
        g_table.mallocs++;
        for (size_t i = 0; i < e->nvalues; i++)
            nv[i] = e->values[i];
        if (e->values)
            checked_free(e->values, e->nvalues * sizeof *e->values);
        e->values = nv;
        e->cap = cap;
    }
    e->values[e->nvalues++] = v;
}

static void put(struct table *t, const char *key, long v)
{
    size_t n = str_len(key);
    uint64_t h = hash_str(key, n);
    struct entry *e = find(t, key, n, h);
    if (!e) {
        if (t->count + 1 > t->nbuckets * 3 / 4)
            rehash(t, t->nbuckets * 2);
        e = malloc(sizeof *e);
        g_table.mallocs++;
        e->key = str_dup(key, n);
        e->key_len = n;
        e->hash = h;
        e->values = NULL;
        e->nvalues = e->cap = 0;
        size_t b = h & (t->nbuckets - 1);
        e->next = t->buckets[b];
        t->buckets[b] = e;
        e->all_prev = NULL;
        e->all_next = t->all;
        if (t->all)
            t->all->all_prev = e;
        t->all = e;
        t->count++;
    }
    push_value(e, v);
}

static int del(struct table *t, const char *key)
{
    size_t n = str_len(key);
    uint64_t h = hash_str(key, n);
    struct entry **link = &t->buckets[h & (t->nbuckets - 1)];
    for (struct entry *e = *link; e; link = &e->next, e = e->next) {
        if (e->hash != h || !str_eq(e->key, e->key_len, key, n))
            continue;
        *link = e->next;
        if (e->all_prev)
            e->all_prev->all_next = e->all_next;
        else
            t->all = e->all_next;
        if (e->all_next)
            e->all_next->all_prev = e->all_prev;
        checked_free(e->key, e->key_len + 1);
        if (e->values)
            checked_free(e->values, e->nvalues * sizeof *e->values);
        checked_free(e, sizeof *e);
        t->count--;
        return 1;
    }
    return 0;
}

/* Build "key-<n>" in the scratch buffer, which grows by realloc and is fully rewritten each time. */
static const char *make_key(unsigned long n, size_t pad)
{
    size_t need = 4 + 20 + pad + 1;
    if (need > g_scratch_cap) {
        g_scratch = realloc(g_scratch, need * 2);
        g_scratch_cap = need * 2;
    }
    char digits[24];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    size_t len = 0;
    const char *prefix = "key-";
    while (*prefix)
        g_scratch[len++] = *prefix++;
    while (nd)
        g_scratch[len++] = digits[--nd];
    for (size_t i = 0; i < pad; i++)
        g_scratch[len++] = (char)('a' + i % 26);
    g_scratch[len] = 0;
    MCHECK_NAMED("g_scratch", g_scratch, len + 1);
    return g_scratch;
}

/* One round (MIRROR_E2E_ROUNDS, mcheck.h): every round starts from an empty table and frees it all. */
static void run_round(void)
{
    g_table = (struct table){0};
    g_table.nbuckets = 8;
    g_table.buckets = malloc(8 * sizeof *g_table.buckets);
    for (int i = 0; i < 8; i++)
        g_table.buckets[i] = NULL;

    uint64_t x = 0x9e3779b97f4a7c15ULL;
    long inserted = 0, deleted = 0, missing = 0;
    for (int op = 0; op < 60000; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned long k = (unsigned long)(x % 5000);
        size_t pad = (size_t)(x >> 40) % 40;
        const char *key = make_key(k, pad % 3 == 0 ? pad : 0);
        if ((x >> 20) % 10 < 7) {
            put(&g_table, key, (long)(x >> 33));
            inserted++;
        } else if (del(&g_table, key)) {
            deleted++;
        } else {
            missing++;
        }
    }

    long total = 0, vals = 0, longest = 0;
    uint64_t keyhash = 0;
    for (size_t b = 0; b < g_table.nbuckets; b++) {
        long chain = 0;
        for (struct entry *e = g_table.buckets[b]; e; e = e->next) {
            chain++;
            keyhash += hash_str(e->key, e->key_len) * (b + 1);
            for (size_t i = 0; i < e->nvalues; i++)
                total += e->values[i] % 1000;
            vals += (long)e->nvalues;
        }
        if (chain > longest)
            longest = chain;
    }
    printf("ops: inserted=%ld deleted=%ld missing=%ld\n", inserted, deleted, missing);
    printf("table: count=%zu buckets=%zu resizes=%zu longest=%ld\n", g_table.count, g_table.nbuckets,
           g_table.resizes, longest);
    printf("values: %ld total=%ld keyhash=%016llx\n", vals, total, (unsigned long long)keyhash);

    MCHECK(g_table.buckets, g_table.nbuckets * sizeof *g_table.buckets);
    /* Free everything, checking each block first. */
    while (g_table.all) {
        struct entry *e = g_table.all;
        del(&g_table, e->key);
    }
    printf("after cleanup: count=%zu mallocs=%zu frees=%zu\n", g_table.count, g_table.mallocs, g_table.frees);
    MCHECK_OBJ(g_table);
    MCHECK_OBJ(g_scratch);
    MCHECK_OBJ(g_scratch_cap);
    free(g_table.buckets);
    g_table.buckets = NULL;
}

int main(void)
{
    for (int round = 0, rounds = mcheck_rounds(); round < rounds; round++)
        run_round();
    mcheck_report();
    free(g_scratch);
    return 0;
}
