/* setjmp_longjmp: globals and heap objects modified between setjmp and longjmp (those writes must
 * survive the jump, and be mirrored), volatile locals, nested handlers (a small try/catch), longjmp out
 * of deep recursion, and a resource list on the heap unwound by the handler. The jmp_bufs are written
 * by libc's setjmp and are not checked. */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

static jmp_buf g_env;           /* written by setjmp (libc): not checked */
static jmp_buf *g_handler;      /* the innermost handler */

static long g_progress[64];
static int g_depth_reached;
static int g_errors;

struct resource {
    struct resource *next;
    long id;
    long payload[6];
};

static struct resource *g_resources;
static long *g_results; /* see main */

_Noreturn static void throw_error(int code)
{
    g_errors++;
    longjmp(*g_handler, code);
}

static struct resource *acquire(long id)
{
    struct resource *r = malloc(sizeof *r);
    r->next = g_resources;
    r->id = id;
    for (int i = 0; i < 6; i++)
        r->payload[i] = id * 10 + i;
    g_resources = r;
    return r;
}

static long release_all(void)
{
    long sum = 0;
    while (g_resources) {
        struct resource *r = g_resources;
        g_resources = r->next;
        sum += r->id;
        MCHECK(r, sizeof *r);
        free(r);
    }
    return sum;
}

_Noreturn static void dive(int depth, int *counter)
{
    g_progress[depth % 64] += depth;
    (*counter)++; /* a heap int */
    if (depth < 500)
        dive(depth + 1, counter);
    g_depth_reached = depth;
    throw_error(depth);
}

static int try_parse(const char *s, long *out)
{
    jmp_buf env;
    jmp_buf *saved = g_handler;
    g_handler = &env;
    volatile long acc = 0;
    volatile int pos = 0;
    int code = setjmp(env);
    if (code == 0) {
        for (; s[pos]; pos++) {
            if (s[pos] < '0' || s[pos] > '9')
                throw_error(1000 + pos);
            acc = acc * 10 + (s[pos] - '0');
        }
        *out = acc;
    } else {
        *out = -acc; /* acc and pos kept their values across longjmp: volatile */
    }
    g_handler = saved;
    return code;
}

int main(void)
{
    int *counter = malloc(sizeof *counter);
    *counter = 0;
    long *results = malloc(8 * sizeof *results);
    /* Publish the block before setjmp. Otherwise clang -O1 and above drop the store results[0] = 11
     * below as dead (the block looks unescaped and dive() never returns) although the value is read
     * after the longjmp: llvm/llvm-project#57110, native and mirrored alike. */
    g_results = results;
    volatile int stage = 0;

    g_handler = &g_env;
    int code = setjmp(g_env);
    if (code == 0) {
        stage = 1;
        acquire(1);
        acquire(2);
        results[0] = 11;
        dive(0, counter); /* longjmps back with 500 */
        stage = 99;
    }
    printf("after dive: code=%d stage=%d counter=%d depth=%d\n", code, stage, *counter, g_depth_reached);

    /* Second round on the same jmp_buf: modify, jump, modify again. */
    code = setjmp(g_env);
    if (code < 3) {
        stage += 10;
        acquire(100 + code);
        results[1 + code] = code * 111;
        if (code < 2)
            throw_error(code + 1);
    }
    printf("rounds: code=%d stage=%d\n", code, stage);

    /* Nested handlers: try_parse installs its own and restores ours. */
    const char *inputs[] = {"12345", "98x7", "", "4242424242", "7-1"};
    for (int i = 0; i < 5; i++) {
        long v;
        int c = try_parse(inputs[i], &v);
        results[4 + (i % 4)] = v;
        printf("parse(\"%s\") = %ld (code %d)\n", inputs[i], v, c);
    }

    long progress = 0;
    for (int i = 0; i < 64; i++)
        progress += g_progress[i] * (i + 1);
    printf("progress=%ld errors=%d results=%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld\n", progress, g_errors, results[0],
           results[1], results[2], results[3], results[4], results[5], results[6], results[7]);

    MCHECK_OBJ(g_progress);
    MCHECK_OBJ(g_depth_reached);
    MCHECK_OBJ(g_errors);
    MCHECK(counter, sizeof *counter);
    MCHECK(results, 8 * sizeof *results);
    long released = release_all(); /* checks each resource before freeing it */
    MCHECK_OBJ(g_resources);
    MCHECK_OBJ(g_results);
    printf("released=%ld\n", released);
    mcheck_report();
    free(counter);
    free(results);
    return 0;
}
