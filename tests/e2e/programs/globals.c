/* globals: initialised and zero-initialised globals of many types, arrays, pointers initialised with
 * addresses (relocated by the loader before the runtime seeds the mirror), static locals, a global
 * written through a pointer handed around, and _Thread_local variables written in main and in
 * threads (each thread checks its own). Whole objects are checked, untouched initial bytes included:
 * the runtime must have seeded them. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

int g_int = 42;
long g_zero;
double g_real = 2.5;
char g_name[24] = "mirrorpass";
static int g_table[5][7] = {{1, 2, 3}, {4, 5, 6, 7, 8, 9, 10}, {0}, {11}, {12, 13}};
static int16_t g_bss_array[3000];
static uint8_t g_big_bss[256 * 1024];
static const int g_const[4] = {9, 8, 7, 6}; /* read-only: read, never written, not checked */
static int *g_ptr = &g_table[1][2];         /* relocated pointer */
static const char *g_strs[3] = {"one", "two", "three"};
static struct {
    int *target;
    long counter;
    char tag[8];
} g_cfg = {&g_int, 100, "cfg"};

static _Thread_local int t_int = 5;
static _Thread_local long t_array[64];
static _Thread_local struct {
    int a;
    char b[12];
} t_struct;

static int next_id(int restart)
{
    static int counter = 1000; /* static local, initialised */
    static long history[16];   /* static local, zero */
    if (restart) { /* back to the initial values, for the next round (MIRROR_E2E_ROUNDS, mcheck.h) */
        counter = 1000;
        for (int i = 0; i < 16; i++)
            history[i] = 0;
        return 0;
    }
    counter += 7;
    history[counter % 16] += counter;
    if (counter == 1000 + 7 * 20) {
        MCHECK_OBJ(counter);
        MCHECK_OBJ(history);
    }
    return counter;
}

static void set_through(int *p, int v)
{
    *p = v;
}

static void str_copy(char *dst, const char *src)
{
    while ((*dst++ = *src++))
        ;
}

static long tls_work(int seed)
{
    t_int = seed * 3;
    for (int i = 0; i < 64; i++)
        t_array[i] = (long)seed * 1000 + i;
    t_struct.a = -seed;
    for (int i = 0; i < 12; i++)
        t_struct.b[i] = (char)('a' + (seed + i) % 26);
    long s = t_int + t_struct.a;
    for (int i = 0; i < 64; i++)
        s += t_array[i];
    MCHECK_OBJ(t_int);
    MCHECK_OBJ(t_array);
    MCHECK_OBJ(t_struct);
    return s;
}

static void *thread_main(void *arg)
{
    long seed = (long)(intptr_t)arg;
    long *result = malloc(sizeof *result);
    *result = tls_work((int)seed) + t_int;
    return result;
}

/* The initial values of the globals a round changes (the others it overwrites with the same values):
 * saved before the first round and put back before each further round (MIRROR_E2E_ROUNDS, mcheck.h). */
static struct {
    int g_int;
    long g_zero;
    double g_real;
    char g_name[24];
    int g_table[5][7];
    int *g_ptr;
    const char *g_strs[3];
    __typeof__(g_cfg) g_cfg;
} g_initial;

static void save_initial(void)
{
    g_initial.g_int = g_int;
    g_initial.g_zero = g_zero;
    g_initial.g_real = g_real;
    for (int i = 0; i < 24; i++)
        g_initial.g_name[i] = g_name[i];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++)
            g_initial.g_table[i][j] = g_table[i][j];
    g_initial.g_ptr = g_ptr;
    for (int i = 0; i < 3; i++)
        g_initial.g_strs[i] = g_strs[i];
    g_initial.g_cfg = g_cfg;
}

static void restore_initial(void)
{
    g_int = g_initial.g_int;
    g_zero = g_initial.g_zero;
    g_real = g_initial.g_real;
    for (int i = 0; i < 24; i++)
        g_name[i] = g_initial.g_name[i];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++)
            g_table[i][j] = g_initial.g_table[i][j];
    g_ptr = g_initial.g_ptr;
    for (int i = 0; i < 3; i++)
        g_strs[i] = g_initial.g_strs[i];
    g_cfg = g_initial.g_cfg;
    next_id(1);
}

static void run_round(void)
{
    g_int += 1;
    g_zero = -123456789L;
    g_real *= 3;
    str_copy(g_name + 6, "-pass!");
    for (int i = 0; i < 5; i++)
        g_table[i][6 - i] += i * 10;
    *g_ptr = -1;
    g_ptr = &g_table[4][4];
    *g_ptr = 99;
    for (int i = 0; i < 3000; i += 3)
        g_bss_array[i] = (int16_t)(i - 1500);
    for (size_t i = 0; i < sizeof g_big_bss; i += 4096)
        g_big_bss[i + (i / 4096) % 4096] = (uint8_t)(i >> 12);
    g_strs[1] = g_name;
    set_through(g_cfg.target, 7);
    g_cfg.counter++;
    g_cfg.tag[3] = '!';
    int ids = 0;
    for (int i = 0; i < 25; i++)
        ids += next_id(0);

    long main_tls = tls_work(1);
    pthread_t th[3];
    for (long t = 0; t < 3; t++)
        pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)(t + 2));
    long thread_tls[3];
    for (int t = 0; t < 3; t++) {
        void *r;
        pthread_join(th[t], &r);
        thread_tls[t] = *(long *)r;
        MCHECK(r, sizeof(long));
        free(r);
    }

    long table_sum = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++)
            table_sum += g_table[i][j] * (i + 1);
    long bss_sum = 0;
    for (int i = 0; i < 3000; i++)
        bss_sum += g_bss_array[i];
    unsigned big_sum = 0;
    for (size_t i = 0; i < sizeof g_big_bss; i++)
        big_sum += g_big_bss[i];
    printf("g_int=%d g_zero=%ld g_real=%.2f g_name=%s\n", g_int, g_zero, g_real, g_name);
    printf("table=%ld bss=%ld big=%u const=%d ptr=%d\n", table_sum, bss_sum, big_sum, g_const[2], *g_ptr);
    printf("strs=%s,%s,%s cfg=%ld,%s ids=%d\n", g_strs[0], g_strs[1], g_strs[2], g_cfg.counter, g_cfg.tag, ids);
    printf("tls: main=%ld threads=%ld,%ld,%ld t_int=%d\n", main_tls, thread_tls[0], thread_tls[1], thread_tls[2],
           t_int);

    MCHECK_OBJ(g_int);
    MCHECK_OBJ(g_zero);
    MCHECK_OBJ(g_real);
    MCHECK_OBJ(g_name);
    MCHECK_OBJ(g_table);
    MCHECK_OBJ(g_bss_array);
    MCHECK_OBJ(g_big_bss);
    MCHECK_OBJ(g_ptr);
    MCHECK_OBJ(g_strs);
    MCHECK_OBJ(g_cfg);
}

int main(void)
{
    save_initial();
    for (int round = 0, rounds = mcheck_rounds(); round < rounds; round++) {
        if (round > 0)
            restore_initial();
        run_round();
    }
    mcheck_report();
    return 0;
}
