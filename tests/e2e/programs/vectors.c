/* vectors: GCC vector extensions (16-, 32- and 64-byte vectors, element stores, shuffles, unaligned
 * vector stores) and loops that the vectorizer at -O3 -march=native (AVX-512) turns into masked stores
 * (conditional stores, predicated tails) and scatters (indexed stores). With AVX-512 enabled
 * (-march=native here) also the storing intrinsics: compress store, AVX-512 masked store, AVX2
 * maskstore and SSE2 maskmovdqu; without it those lines print the same fallback values. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include "mcheck.h"

typedef int v4si __attribute__((vector_size(16)));
typedef int v8si __attribute__((vector_size(32)));
typedef int v16si __attribute__((vector_size(64)));
typedef float v8sf __attribute__((vector_size(32)));
typedef double v8df __attribute__((vector_size(64)));
typedef int64_t v2di __attribute__((vector_size(16)));
typedef uint8_t v32qi __attribute__((vector_size(32)));
typedef int v8si_u __attribute__((vector_size(32), aligned(1))); /* unaligned vector access */

static v8si g_v8[16];
static v16si g_v16[4];
static v8df g_vd;
static v4si g_v4 = {1, 2, 3, 4};
static int32_t g_masked[1003];
static int32_t g_scatter[4096];

/* noinline + noipa-ish: keeps the loops as written so the vectorizer sees them. */
__attribute__((noinline)) void cond_store(int32_t *restrict out, const int32_t *restrict in, int n, int limit)
{
    for (int i = 0; i < n; i++)
        if (in[i] > limit) /* a store under a condition: masked store with AVX-512 */
            out[i] = in[i] * 3 - limit;
}

__attribute__((noinline)) void cond_store_f(float *restrict out, const float *restrict in, const int8_t *mask, int n)
{
    for (int i = 0; i < n; i++)
        if (mask[i])
            out[i] = in[i] * 0.5f + 1.0f;
}

__attribute__((noinline)) void scatter(int32_t *restrict out, const int32_t *restrict idx, const int32_t *restrict val,
                                       int n)
{
#pragma clang loop vectorize(enable) interleave(disable)
    for (int i = 0; i < n; i++)
        out[idx[i]] = val[i] + i; /* indexed stores: scatter with AVX-512 */
}

__attribute__((noinline)) void scatter64(double *restrict out, const int64_t *restrict idx, int n)
{
#pragma clang loop vectorize(enable)
    for (int i = 0; i < n; i++)
        out[idx[i]] = (double)i * 0.25;
}

__attribute__((noinline)) void tail_folded(int32_t *restrict out, const int32_t *restrict in, int n)
{
#pragma clang loop vectorize(enable) vectorize_predicate(enable)
    for (int i = 0; i < n; i++) /* the tail runs under a mask: masked stores */
        out[i] = in[i] ^ (i << 3);
}

__attribute__((noinline)) void saxpy(float *restrict y, const float *restrict x, float a, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) void v8_mix(v8si *out, const v8si *pa, const v8si *pb)
{
    v8si a = *pa, b = *pb;
    v8si r = a * b + (a >> 1);
    *out = __builtin_shufflevector(r, b, 0, 9, 2, 11, 4, 13, 6, 15);
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
    /* Vector-extension arithmetic into globals. */
    for (int i = 0; i < 16; i++) {
        v8si a = {i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7};
        v8si b = a * 3 - 5;
        v8_mix(&g_v8[i], &a, &b);
        g_v8[i][i % 8] = -i; /* element store */
    }
    for (int i = 0; i < 4; i++) {
        v16si x;
        for (int k = 0; k < 16; k++)
            x[k] = k * (i + 1);
        g_v16[i] = x ^ (v16si){0} + 0x01010101 * i;
        g_v16[i] = g_v16[i] >> (v16si){1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4};
    }
    g_vd = (v8df){0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4} * 1.25;
    g_vd[7] = -g_vd[0];
    g_v4 = g_v4 * g_v4 + (v4si){10, 20, 30, 40};

    /* Unaligned vector stores into a heap byte buffer, then byte vectors. */
    uint8_t *raw = malloc(1 + 32 * 20);
    for (int i = 0; i < 20; i++) {
        v8si_u *dst = (v8si_u *)(raw + 1 + 32 * i);
        *dst = (v8si){i, 2 * i, 3 * i, 4 * i, 5 * i, 6 * i, 7 * i, 8 * i};
    }
    raw[0] = 0xee;
    v32qi *qs = aligned_alloc(32, 8 * sizeof *qs); /* malloc only aligns to 16 */
    for (int i = 0; i < 8; i++) {
        v32qi q;
        for (int k = 0; k < 32; k++)
            q[k] = (uint8_t)(k * 7 + i);
        qs[i] = q + (v32qi){0} + (uint8_t)i;
    }
    v2di *pairs = malloc(5 * sizeof *pairs);
    for (int i = 0; i < 5; i++)
        pairs[i] = (v2di){(int64_t)i << 33, -(int64_t)i};

    /* Loops for the vectorizer. */
    enum { N = 1003 };
    int32_t *in = malloc(N * sizeof *in);
    int32_t *out = malloc(N * sizeof *out);
    for (int i = 0; i < N; i++) {
        in[i] = (int32_t)((i * 2654435761u) >> 20) - 2048;
        out[i] = -1;
    }
    cond_store(out, in, N, 100);
    cond_store(g_masked, in, N, -500);

    float *fin = malloc(N * sizeof *fin), *fout = malloc(N * sizeof *fout);
    int8_t *fmask = malloc(N);
    for (int i = 0; i < N; i++) {
        fin[i] = (float)i / 8.0f;
        fout[i] = 0.0f;
        fmask[i] = (int8_t)((i * 7) % 3 == 0);
    }
    cond_store_f(fout, fin, fmask, N);

    int32_t *idx = malloc(N * sizeof *idx), *val = malloc(N * sizeof *val);
    for (int i = 0; i < N; i++) {
        idx[i] = (int32_t)(((uint32_t)i * 2053u) % 4096u); /* distinct: 2053 is odd, 4096 a power of 2 */
        val[i] = i * i;
    }
    int32_t *sc = malloc(4096 * sizeof *sc);
    for (int i = 0; i < 4096; i++)
        sc[i] = i;
    scatter(sc, idx, val, N);
    scatter(g_scatter, idx, val, N);

    int64_t *idx64 = malloc(300 * sizeof *idx64);
    double *dsc = malloc(1024 * sizeof *dsc);
    for (int i = 0; i < 1024; i++)
        dsc[i] = -1.0;
    for (int i = 0; i < 300; i++)
        idx64[i] = (i * 389) % 1024;
    scatter64(dsc, idx64, 300);

    int32_t *tf = malloc(N * sizeof *tf);
    tail_folded(tf, in, N);
    tail_folded(tf + 1, in, 37); /* misaligned, short */

    int32_t *intr = malloc(64 * sizeof *intr);
    for (int i = 0; i < 64; i++)
        intr[i] = -1;
#ifdef __AVX512F__
    _mm512_mask_compressstoreu_epi32(intr + 3, 0x5a5a,
                                     _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    _mm512_mask_storeu_epi32(intr + 17, 0x0f0f, _mm512_set1_epi32(77));
    _mm256_maskstore_epi32(intr + 34, _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, -1), _mm256_set1_epi32(42));
    _mm_maskmoveu_si128(_mm_set1_epi8(9), _mm_setr_epi8(-1, 0, 0, -1, 0, 0, 0, 0, -1, -1, -1, 0, 0, 0, 0, -1),
                        (char *)(intr + 45));
#else
    {
        static const int compressed[8] = {1, 3, 4, 6, 9, 11, 12, 14}; /* lanes of 0x5a5a */
        for (int k = 0; k < 8; k++)
            intr[3 + k] = compressed[k];
        for (int k = 0; k < 16; k++)
            if ((0x0f0f >> k) & 1)
                intr[17 + k] = 77;
        static const int keep[8] = {1, 0, 1, 0, 1, 0, 1, 1};
        for (int k = 0; k < 8; k++)
            if (keep[k])
                intr[34 + k] = 42;
        static const int bytes[16] = {1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1};
        for (int k = 0; k < 16; k++)
            if (bytes[k])
                ((uint8_t *)(intr + 45))[k] = 9;
    }
#endif

    float *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++)
        y[i] = (float)(i % 17);
    saxpy(y, fin, 2.0f, N);

    printf("g_v8: %016llx g_v8[3][1]=%d g_v8[15][7]=%d\n", (unsigned long long)fold(g_v8, sizeof g_v8), g_v8[3][1],
           g_v8[15][7]);
    printf("g_v16: %016llx g_v16[2][9]=%d\n", (unsigned long long)fold(g_v16, sizeof g_v16), g_v16[2][9]);
    printf("g_vd: %g %g g_v4: %d %d %d %d\n", g_vd[1], g_vd[7], g_v4[0], g_v4[1], g_v4[2], g_v4[3]);
    printf("raw: %016llx qs: %016llx pairs: %016llx\n", (unsigned long long)fold(raw, 1 + 32 * 20),
           (unsigned long long)fold(qs, 8 * sizeof *qs), (unsigned long long)fold(pairs, 5 * sizeof *pairs));
    printf("cond_store: %016llx %016llx\n", (unsigned long long)fold(out, N * sizeof *out),
           (unsigned long long)fold(g_masked, sizeof g_masked));
    printf("cond_store_f: %016llx\n", (unsigned long long)fold(fout, N * sizeof *fout));
    printf("scatter: %016llx %016llx sc[2053]=%d\n", (unsigned long long)fold(sc, 4096 * sizeof *sc),
           (unsigned long long)fold(g_scatter, sizeof g_scatter), sc[2053]);
    printf("scatter64: %016llx\n", (unsigned long long)fold(dsc, 1024 * sizeof *dsc));
    printf("intrinsics: %016llx\n", (unsigned long long)fold(intr, 64 * sizeof *intr));
    printf("tail_folded: %016llx saxpy: %016llx\n", (unsigned long long)fold(tf, N * sizeof *tf),
           (unsigned long long)fold(y, N * sizeof *y));

    MCHECK_OBJ(g_v8);
    MCHECK_OBJ(g_v16);
    MCHECK_OBJ(g_vd);
    MCHECK_OBJ(g_v4);
    MCHECK_OBJ(g_masked);
    MCHECK_OBJ(g_scatter);
    MCHECK(raw, 1 + 32 * 20);
    MCHECK(qs, 8 * sizeof *qs);
    MCHECK(pairs, 5 * sizeof *pairs);
    MCHECK(in, N * sizeof *in);
    MCHECK(out, N * sizeof *out);
    MCHECK(fin, N * sizeof *fin);
    MCHECK(fout, N * sizeof *fout);
    MCHECK(fmask, N);
    MCHECK(idx, N * sizeof *idx);
    MCHECK(val, N * sizeof *val);
    MCHECK(sc, 4096 * sizeof *sc);
    MCHECK(idx64, 300 * sizeof *idx64);
    MCHECK(dsc, 1024 * sizeof *dsc);
    MCHECK(tf, 38 * sizeof *tf); /* tail_folded wrote tf[0..N) then tf[1..38) */
    MCHECK(tf + 38, (N - 38) * sizeof *tf);
    MCHECK(y, N * sizeof *y);
    MCHECK(intr, 64 * sizeof *intr);
    mcheck_report();
    free(raw);
    free(qs);
    free(pairs);
    free(in);
    free(out);
    free(fin);
    free(fout);
    free(fmask);
    free(idx);
    free(val);
    free(sc);
    free(idx64);
    free(dsc);
    free(tf);
    free(y);
    free(intr);
    return 0;
}
