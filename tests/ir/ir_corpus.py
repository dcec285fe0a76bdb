"""IR text that clang-22 really emits: small C snippets compiled at several optimisation levels.

The parser tests run on this corpus instead of on hand-made approximations of clang's output, so a
form LLVM 22 prints differently from what the parser expects shows up as a failing test. The snippets
are chosen to make clang print the forms the mirror pass reads: stores of every kind of value and
through constant-expression pointers, atomics, calls with parameter attributes, inline asm, vector
code, switch tables and debug records.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

CLANG = shutil.which("clang-22") or "/usr/bin/clang-22"

# name -> clang flags (besides -S -emit-llvm)
CONFIGS: dict[str, tuple[str, ...]] = {
    "O0": ("-O0",),
    "O0g": ("-O0", "-g"),
    "O2": ("-O2",),
    "O2g": ("-O2", "-g"),
    "O3native": ("-O3", "-march=native"),
    "O3avx512": ("-O3", "-march=skylake-avx512"),
}

SNIPPETS: dict[str, str] = {
    "globals": r"""
struct __attribute__((packed)) P { char c; int i; };
int g[32];
char buf[128];
double dg, third;
float fg;
long double ldg;
struct P pg;
int quoted __asm__("a b");
int *volatile vp;
volatile int vi;
void set_globals(char c, int i) {
    g[24] = 5; buf[96] = 1; dg = 0.1; third = 1.0 / 3; fg = 0.1f; ldg = 3.0L; quoted = 4;
    pg.c = c; pg.i = i; *vp = 0; vi = 1;
}
""",
    "vectors": r"""
void vec_init(int *p) { p[0] = 1; p[1] = 2; p[2] = 3; p[3] = 4; }
void splat7(int *p) { p[0] = 7; p[1] = 7; p[2] = 7; p[3] = 7; }
typedef long v2l __attribute__((vector_size(16)));
void zero_vec(v2l *p) { *p = (v2l){0, 0}; }
void affine(int *restrict a, const int *restrict b, int n) { for (int i = 0; i < n; i++) a[i] = b[i] * 3 + 1; }
void cond(int *restrict a, const int *restrict b, int n) { for (int i = 0; i < n; i++) if (b[i] > 0) a[i] = b[i]; }
void scatter(int *restrict a, const int *restrict idx, int n) { for (int i = 0; i < n; i++) a[idx[i]] = i; }
""",
    "atomics": r"""
#include <stdatomic.h>
_Atomic int ai;
_Atomic char ac;
_Atomic long al;
void *_Atomic ap;
_Atomic double ad;
__int128 a128;
void atom(void *p) {
    atomic_fetch_add(&ai, 1); atomic_exchange(&ai, 3);
    int e = 0; atomic_compare_exchange_weak(&ai, &e, 4);
    atomic_store_explicit(&ai, 2, memory_order_release);
    ac += 1; al &= 7; atomic_store(&ap, p); ad += 1.0;
    long *pl = (long *)&al; __sync_fetch_and_nand(pl, 5); __atomic_fetch_max(pl, 3, __ATOMIC_RELAXED);
}
int vxchg(volatile _Atomic int *p) { return atomic_exchange(p, 5); }
_Bool vcas(volatile _Atomic int *p, int *e, int n) {
    return atomic_compare_exchange_weak_explicit(p, e, n, memory_order_acq_rel, memory_order_relaxed);
}
float fadd(_Atomic float *p) { return atomic_fetch_add(p, 1.0f); }
int cas128(__int128 e, __int128 n) { return __atomic_compare_exchange_n(&a128, &e, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
void fences(void) { atomic_thread_fence(memory_order_seq_cst); atomic_signal_fence(memory_order_seq_cst); }
""",
    "calls": r"""
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
struct S { int a; long b; };
struct Big { long x[8]; };
struct S mk(int a) { struct S s = {a, 2}; return s; }
struct Big mkbig(int a) { struct Big b; memset(&b, a, sizeof b); return b; }
void take(struct Big b);
void usebig(struct Big *p) { take(*p); }
void bigcall(void) { struct Big b = mkbig(2); take(b); }
short sh(short x);
int callsh(void) { return sh(3); }
int callfp(int (*f)(int)) { return f(1); }
int say(int n) { return printf("%d %s\n", n, "x"); }
int ovf(int a, int b) { int r; if (__builtin_add_overflow(a, b, &r)) return -1; return r; }
void cp(struct Big *d, const struct Big *s) { *d = *s; }
void mmove(char *p) { memmove(p + 1, p, 10); }
void scpy(char *d, const char *s) { strcpy(d, s); }
void va(int n, ...) { va_list ap; va_start(ap, n); vprintf("%d", ap); va_end(ap); }
int va2(int n, ...) { va_list ap; va_start(ap, n); int r = va_arg(ap, int); va_end(ap); return r; }
int vla(int n) { int a[n]; for (int i = 0; i < n; i++) a[i] = i; return a[n / 2]; }
""",
    "asm": r"""
int g[4];
void asm_g(void) { __asm__ volatile("movl $1, %0" : "=m"(g[0])); }
void asm_local(int *out) { int x; __asm__("movl $3, %0" : "=m"(x)); *out = x; }
void asm_plus(int *p) { __asm__ volatile("incl %0" : "+m"(*p)); }
void asm_barrier(int *p) { *p = 1; __asm__ volatile("" ::: "memory"); *p = 2; }
void asm_nop(void) { __asm__ volatile("nop" ::: "memory"); }
int asm_r(int x) { int y; __asm__("leal 1(%1), %0" : "=r"(y) : "r"(x)); return y; }
""",
    "switch": r"""
void a(void);
void b(void);
int G;
void sw(int x) {
    switch (__builtin_expect(x, 2)) { case 1: a(); break; case 2: b(); break; case 7: a(); b(); break; }
    G = 1;
}
int jump(int i) { static void *t[] = {&&one, &&two}; goto *t[i]; one: return 1; two: return 2; }
""",
    "misc": r"""
#include <setjmp.h>
struct BF { unsigned a : 3, b : 5; int c; };
struct BF bfg;
_Complex double cg;
_Float16 hg;
__bf16 bg;
__int128 i128g;
__thread int tl;
int __attribute__((address_space(256))) *gsp;
jmp_buf jb;
void bitf(int v) { bfg.b = v; bfg.a = 1; }
_Complex double cmul(_Complex double x, _Complex double y) { cg = x * y; return cg; }
void wide(_Float16 h, __bf16 b, __int128 i) { hg = h; bg = b; i128g = i; }
void tset(int v) { tl = v; }
void gsset(void) { *gsp = 4; }
int sj(void) { if (setjmp(jb)) return 1; longjmp(jb, 1); }
""",
    "locals": r"""
#include <string.h>
void sink(int *);
int private_scalar(int n) { int x = n; x += 2; return x; }
int private_array(int i, int j) { int a[8]; memset(a, 0, sizeof a); a[i] = 3; return a[j]; }
int escapes_call(void) { int x = 1; sink(&x); return x; }
int *global_p;
void escapes_store(void) { int x = 1; global_p = &x; }
long escapes_ptrtoint(void) { int x = 1; return (long)&x; }
int escapes_phi(int c) { int a = 1, b = 2; int *p = c ? &a : &b; *p = 5; return a + b; }
""",
}


@functools.cache
def compile_c(source: str, flags: tuple[str, ...]) -> str:
    """The textual IR clang-22 emits for `source` with `flags`."""
    result = subprocess.run(
        [CLANG, "-w", *flags, "-S", "-emit-llvm", "-x", "c", "-", "-o", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"clang-22 {' '.join(flags)} failed:\n{result.stderr}")
    return result.stdout


def compile_all() -> dict[tuple[str, str], str]:
    jobs = [(s, c) for s in SNIPPETS for c in CONFIGS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = pool.map(lambda job: compile_c(SNIPPETS[job[0]], CONFIGS[job[1]]), jobs)
        return dict(zip(jobs, texts))


CORPUS_IDS = [f"{s}-{c}" for s in SNIPPETS for c in CONFIGS]

# Lines of instructions the mirror pass parses.
WRITE_LINE_RE = re.compile(
    r'^  (?:%(?:"[^"]*"|\S+) = )?(?P<op>store|atomicrmw|cmpxchg|(?:tail |musttail |notail )?call) '
)


def body_of(line: str) -> str:
    """The instruction without its `%x = ` result."""
    line = line.strip()
    if line.startswith("%"):
        if line.startswith('%"'):
            close = line.index('"', 2)
            return line[line.index(" = ", close) + 3 :]
        return line.split(" = ", 1)[1]
    return line
