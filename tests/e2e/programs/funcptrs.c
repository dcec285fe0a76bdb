/* funcptrs: tables of callbacks that write through the pointers they are given, a global table
 * initialised with function addresses (relocated by the loader, seeded into the mirror), objects
 * with a "vtable" of function pointers on the heap, callbacks that return function pointers, a sort
 * driven by a comparator pointer, and an event queue of (callback, context) pairs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

typedef void (*op_fn)(unsigned long *dst, unsigned long v); /* unsigned: wraps, no UB */

static void op_set(unsigned long *dst, unsigned long v) { *dst = v; }
static void op_add(unsigned long *dst, unsigned long v) { *dst += v; }
static void op_mul(unsigned long *dst, unsigned long v) { *dst *= v; }
static void op_xor(unsigned long *dst, unsigned long v) { *dst ^= v * 0x9e3779b9UL; }
static void op_neg(unsigned long *dst, unsigned long v) { (void)v; *dst = -*dst; }

static op_fn g_ops[5] = {op_set, op_add, op_mul, op_xor, op_neg};
static unsigned long g_acc[16];

/* A tiny object system: shapes with a vtable of function pointers. */
struct shape;
struct shape_vtbl {
    long (*area)(const struct shape *);
    void (*scale)(struct shape *, long);
    const char *name;
};
struct shape {
    const struct shape_vtbl *vt;
    long w, h;
    long history[4];
};

static long rect_area(const struct shape *s) { return s->w * s->h; }
static long tri_area(const struct shape *s) { return s->w * s->h / 2; }
static void rect_scale(struct shape *s, long k) { s->w *= k; s->h *= k; s->history[k % 4] += k; }
static void tri_scale(struct shape *s, long k) { s->w += k; s->history[(k + 1) % 4] -= k; }

static const struct shape_vtbl rect_vt = {rect_area, rect_scale, "rect"};
static const struct shape_vtbl tri_vt = {tri_area, tri_scale, "tri"};
static struct shape_vtbl g_custom_vt; /* a vtable built at run time in writable memory */

static long square_area(const struct shape *s) { return s->w * s->w; }

/* A callback that picks a callback. */
typedef unsigned long (*reducer)(unsigned long, unsigned long);
static unsigned long r_sum(unsigned long a, unsigned long b) { return a + b; }
static unsigned long r_max(unsigned long a, unsigned long b) { return a > b ? a : b; }
static unsigned long r_mix(unsigned long a, unsigned long b) { return (a * 31) ^ b; }
static reducer pick(int i)
{
    static reducer table[] = {r_sum, r_max, r_mix};
    return table[i % 3];
}

/* Sort with a comparator pointer (our own insertion sort; libc's qsort would write unmirrored). */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
                 void (*swap)(void *, void *))
{
    char *b = base;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0; j--)
            swap(b + (j - 1) * size, b + j * size);
}
static int cmp_long_desc(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x < y) - (x > y);
}
static void swap_long(void *a, void *b)
{
    long t = *(long *)a;
    *(long *)a = *(long *)b;
    *(long *)b = t;
}

/* An event queue: callbacks with a context pointer. */
struct event {
    void (*fire)(void *ctx, int arg);
    void *ctx;
    int arg;
    int pad_used; /* written, so no byte of the struct is left unwritten */
};
struct counter {
    long hits;
    long last;
};
static void ev_count(void *ctx, int arg) { struct counter *c = ctx; c->hits++; c->last = arg; }
static void ev_store(void *ctx, int arg) { ((int *)ctx)[arg % 10] = arg; }
static void ev_acc(void *ctx, int arg) { g_ops[arg % 4]((unsigned long *)ctx, (unsigned long)arg); }

int main(void)
{
    unsigned long *cells = malloc(64 * sizeof *cells);
    for (int i = 0; i < 64; i++)
        g_ops[0](&cells[i], (unsigned long)i); /* op_set */
    for (int round = 0; round < 10; round++)
        for (int i = 0; i < 64; i++)
            g_ops[(i + round) % 5](&cells[(i * 7 + round) % 64], (unsigned long)(i + round));
    for (int i = 0; i < 16; i++)
        g_ops[i % 4](&g_acc[i], (unsigned long)i + 1);
    g_ops[4] = op_add; /* a function pointer stored into a global table */
    g_ops[4](&g_acc[0], 1000);

    g_custom_vt = (struct shape_vtbl){square_area, rect_scale, "square"};
    struct shape **shapes = malloc(9 * sizeof *shapes);
    for (int i = 0; i < 9; i++) {
        struct shape *s = malloc(sizeof *s);
        s->vt = i % 3 == 0 ? &rect_vt : i % 3 == 1 ? &tri_vt : &g_custom_vt;
        s->w = i + 2;
        s->h = 3 * i + 1;
        for (int k = 0; k < 4; k++)
            s->history[k] = 0;
        shapes[i] = s;
    }
    long areas = 0;
    for (int i = 0; i < 9; i++) {
        shapes[i]->vt->scale(shapes[i], i % 4 + 1);
        areas += shapes[i]->vt->area(shapes[i]);
    }

    unsigned long red[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        for (long v = 1; v <= 20; v++)
            red[i] = pick(i)(red[i], (unsigned long)(v * v - 10 * v));

    long *vals = malloc(200 * sizeof *vals);
    for (int i = 0; i < 200; i++)
        vals[i] = (i * 7919) % 211 - 100;
    sort(vals, 200, sizeof *vals, cmp_long_desc, swap_long);

    struct counter *ctr = malloc(sizeof *ctr);
    ctr->hits = 0;
    ctr->last = 0;
    int *slots = malloc(10 * sizeof *slots);
    for (int i = 0; i < 10; i++)
        slots[i] = -1;
    unsigned long *acc = malloc(sizeof *acc);
    *acc = 1;
    struct event *queue = malloc(60 * sizeof *queue);
    for (int i = 0; i < 60; i++) {
        queue[i].fire = i % 3 == 0 ? ev_count : i % 3 == 1 ? ev_store : ev_acc;
        queue[i].ctx = i % 3 == 0 ? (void *)ctr : i % 3 == 1 ? (void *)slots : (void *)acc;
        queue[i].arg = i * 5 + 3;
        queue[i].pad_used = 0;
    }
    for (int i = 0; i < 60; i++)
        queue[i].fire(queue[i].ctx, queue[i].arg);

    unsigned long csum = 0;
    for (int i = 0; i < 64; i++)
        csum = csum * 3 + cells[i];
    unsigned long gsum = 0;
    for (int i = 0; i < 16; i++)
        gsum += g_acc[i] * (i + 1);
    printf("cells=%lu g_acc=%lu\n", csum, gsum);
    printf("shapes: areas=%ld names=%s,%s,%s hist=%ld\n", areas, shapes[0]->vt->name, shapes[1]->vt->name,
           shapes[2]->vt->name, shapes[5]->history[0] + shapes[6]->history[3]);
    printf("reducers: %lu %lu %lu\n", red[0], red[1], red[2]);
    printf("sorted: %ld %ld %ld ... %ld\n", vals[0], vals[1], vals[2], vals[199]);
    printf("events: hits=%ld last=%ld slots=%d,%d,%d acc=%lu\n", ctr->hits, ctr->last, slots[0], slots[3], slots[8],
           *acc);

    MCHECK(cells, 64 * sizeof *cells);
    MCHECK_OBJ(g_ops);
    MCHECK_OBJ(g_acc);
    MCHECK_OBJ(g_custom_vt);
    MCHECK(shapes, 9 * sizeof *shapes);
    for (int i = 0; i < 9; i++)
        MCHECK(shapes[i], sizeof *shapes[i]);
    MCHECK(vals, 200 * sizeof *vals);
    MCHECK(ctr, sizeof *ctr);
    MCHECK(slots, 10 * sizeof *slots);
    MCHECK(acc, sizeof *acc);
    MCHECK(queue, 60 * sizeof *queue);
    mcheck_report();
    for (int i = 0; i < 9; i++)
        free(shapes[i]);
    free(shapes);
    free(cells);
    free(vals);
    free(ctr);
    free(slots);
    free(acc);
    free(queue);
    return 0;
}
