/* Regression: a masked scatter (or masked store) whose stored VALUES are pointers (<N x ptr>). The
 * pass once took the first pointer-typed operand as the address, offset the VALUE vector into the
 * mirror and scattered it to the native addresses: native memory then held mirror(p). Needs AVX-512
 * and -O3 -march=native for the loop to become llvm.masked.scatter. */
#include <stdio.h>
#include <stdlib.h>

static int A, B;

__attribute__((noinline)) void fill(int **restrict out, const int *restrict idx, int n)
{
#pragma clang loop vectorize(enable)
    for (int i = 0; i < n; i++)
        out[idx[i]] = (i & 1) ? &A : &B; /* vectorised to llvm.masked.scatter of <N x ptr> */
}

__attribute__((noinline)) void cond_fill(int **restrict out, const int *restrict keep, int n)
{
    for (int i = 0; i < n; i++)
        if (keep[i])
            out[i] = &A; /* vectorised to llvm.masked.store of <N x ptr> */
}

int main(void)
{
    enum { N = 64 };
    int **out = malloc(N * sizeof *out);
    int *idx = malloc(N * sizeof *idx);
    for (int i = 0; i < N; i++)
        idx[i] = (i * 37) % N;
    fill(out, idx, N);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += out[idx[i]] != ((i & 1) ? &A : &B);
    printf(bad ? "scatter: BAD: %d of %d pointers are wrong\n" : "scatter: ok\n", bad, N);
    int *keep = malloc(N * sizeof *keep);
    for (int i = 0; i < N; i++) {
        keep[i] = i % 3 != 0;
        out[i] = &B;
    }
    cond_fill(out, keep, N);
    int bad2 = 0;
    for (int i = 0; i < N; i++)
        bad2 += out[i] != (keep[i] ? &A : &B);
    printf(bad2 ? "masked store: BAD: %d of %d pointers are wrong\n" : "masked store: ok\n", bad2, N);
    return bad + bad2 != 0;
}
