/* unions: writes through members of different sizes and types (type punning), unions of structs,
 * tagged unions in a heap array, union assignment and unions returned by value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

union word {
    uint64_t u64;
    int32_t i32[2];
    uint16_t u16[4];
    uint8_t b[8];
    double d;
    float f[2];
};

struct pair {
    int32_t a, b;
};

enum kind { K_INT, K_REAL, K_PAIR, K_TEXT };

struct value { /* 24 bytes: 4-byte kind, 4-byte length, 16-byte union */
    int32_t kind;
    int32_t len;
    union {
        int64_t i;
        double r;
        struct pair p;
        char text[16];
    } as;
};

static union word g_words[16];
static union word g_init = {.u64 = 0x0123456789abcdefULL};
static struct value g_values[6];

__attribute__((noinline)) static union word word_from_double(double d)
{
    union word w;
    w.d = d;
    return w;
}

__attribute__((noinline)) static struct value make_value(int i)
{
    struct value v;
    v.kind = i % 4;
    v.len = 0;
    v.as.i = 0; /* the whole union: no stale bytes when a smaller member is written next */
    switch (v.kind) {
    case K_INT:
        v.as.i = (int64_t)i * -123456789;
        break;
    case K_REAL:
        v.as.r = i / 7.0;
        break;
    case K_PAIR:
        v.as.p.a = i;
        v.as.p.b = -i * 3;
        break;
    default:
        for (int k = 0; k < 15; k++)
            v.as.text[k] = (char)('a' + (i + k) % 26);
        v.as.text[15] = 0;
        v.len = 15;
        break;
    }
    return v;
}

static uint64_t fold(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

int main(void)
{
    /* Type punning in a global array: each element written with a different member width. */
    for (int i = 0; i < 16; i++) {
        switch (i % 5) {
        case 0: g_words[i].u64 = 0x1111111111111111ULL * (uint64_t)i; break;
        case 1: g_words[i].i32[0] = -i; g_words[i].i32[1] = i * 1000; break;
        case 2: for (int k = 0; k < 4; k++) g_words[i].u16[k] = (uint16_t)(i * 4096 + k); break;
        case 3: g_words[i] = word_from_double(i * 3.25); break;
        default: g_words[i].f[0] = 1.5f * i; g_words[i].f[1] = -0.5f; break;
        }
        g_words[i].b[7 - i % 8] ^= 0x5a; /* a byte store into the middle of a wider member */
    }
    g_init.u16[1] = 0xbeef;
    g_init.b[0] = 0x42;

    /* Tagged unions on the heap: each element written whole (returned by value), then partly. */
    enum { N = 64 };
    struct value *vals = malloc(N * sizeof *vals);
    for (int i = 0; i < N; i++)
        vals[i] = make_value(i);
    for (int i = 0; i < N; i += 6) {
        vals[i].as.p.b = 77; /* overwrite half of whatever the member was */
        vals[i].kind = K_PAIR;
    }
    for (int i = 0; i < 6; i++)
        g_values[i] = vals[N - 1 - i]; /* union assignment via the enclosing struct */

    /* A union of a byte array and words on the heap, written bytewise, read wordwise. */
    union word *buf = malloc(32 * sizeof *buf);
    for (int i = 0; i < 32 * 8; i++)
        buf[i / 8].b[i % 8] = (uint8_t)(i * 37 + 11);
    uint64_t wsum = 0;
    for (int i = 0; i < 32; i++)
        wsum += buf[i].u64 >> 3;

    printf("g_words: %016llx\n", (unsigned long long)fold(g_words, sizeof g_words));
    for (int i = 0; i < 16; i += 3)
        printf("word[%d] = %016llx\n", i, (unsigned long long)g_words[i].u64);
    printf("g_init = %016llx\n", (unsigned long long)g_init.u64);
    long long isum = 0;
    double rsum = 0;
    for (int i = 0; i < N; i++) {
        switch (vals[i].kind) {
        case K_INT: isum += vals[i].as.i % 1000; break;
        case K_REAL: rsum += vals[i].as.r; break;
        case K_PAIR: isum += vals[i].as.p.a + vals[i].as.p.b; break;
        default: isum += vals[i].as.text[vals[i].len - 1]; break;
        }
    }
    printf("values: isum=%lld rsum=%.6f hash=%016llx\n", isum, rsum, (unsigned long long)fold(vals, N * sizeof *vals));
    printf("g_values: %016llx text=%s\n", (unsigned long long)fold(g_values, sizeof g_values), g_values[0].as.text);
    printf("buf: wsum=%llu\n", (unsigned long long)wsum);

    MCHECK_OBJ(g_words);
    MCHECK_OBJ(g_init);
    MCHECK_OBJ(g_values);
    MCHECK(vals, N * sizeof *vals);
    MCHECK(buf, 32 * sizeof *buf);
    mcheck_report();
    free(vals);
    free(buf);
    return 0;
}
