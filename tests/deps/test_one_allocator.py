"""One allocator for the whole process (runtime/heap/interpose.c): blocks cross between instrumented code
and a library mirror-cc did not build -- freed, realloc'd and returned in both directions -- with a
library built here by plain clang-22 and with the real libreadline. Without the interposer glibc aborts
("free(): invalid pointer") on the first block of the mirrored heap a library frees."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import CLANG, MIRROR_CC, REPO

LIBRARY = r"""
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
void lib_free(void *p) { free(p); }
char *lib_grow(char *p, size_t n) { char *q = realloc(p, n); if (q) memset(q + 100, 'x', n - 100); return q; }
char *lib_grow_array(char *p, size_t n) { return reallocarray(p, n, 2); }
char *lib_make(size_t n) { char *p = malloc(n); memset(p, 'l', n); return p; }
size_t lib_size(void *p) { return malloc_usable_size(p); }
"""

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void lib_free(void *p); char *lib_grow(char *p, size_t n); char *lib_grow_array(char *p, size_t n);
char *lib_make(size_t n); size_t lib_size(void *p);
int main(void) {
    for (int i = 0; i < 1000; i++) lib_free(malloc(16 + i));            /* the library frees ours */
    char *a = malloc(100); memset(a, 'a', 100);
    printf("usable %d\n", lib_size(a) >= 100);
    char *b = lib_grow(a, 5000);                                      /* the library reallocs ours */
    printf("grown %zu %c\n", strspn(b, "a"), b[4999]);
    b[0] = 'B'; free(b);                                              /* ours frees the moved block */
    char *c = lib_grow_array(malloc(10), 4000); c[7999] = 'e'; free(c);
    char *d = lib_make(300); d[1] = 'D';                               /* ours writes, reallocs, frees theirs */
    printf("%c%c\n", d[0], d[1]); d = realloc(d, 9000); printf("%c\n", d[1]); free(d);
    puts("ok");
    return 0;
}
"""

READLINE = REPO / "benchmarks" / "workloads" / "readline_history.c"


def run_audited(binary, *args):
    env = {**os.environ, "MIRROR_OPTIONS": "audit_at_exit=1"}
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, env=env, timeout=60)


def test_blocks_cross_a_plain_clang_library_both_ways(tmp_path):
    (tmp_path / "lib.c").write_text(LIBRARY)
    (tmp_path / "prog.c").write_text(PROGRAM)
    subprocess.run([CLANG, "-O2", "-fPIC", "-shared", "lib.c", "-o", "libplain.so"], cwd=tmp_path, check=True)
    build = subprocess.run([str(MIRROR_CC), "-O2", "prog.c", "-L.", "-lplain", f"-Wl,-rpath,{tmp_path}", "-o", "prog",
                            "-fmirror-uninstrumented=allow"], cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    proc = run_audited(tmp_path / "prog")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "usable 1\ngrown 100 x\nlD\nD\nok\n"
    assert "audit at exit: 0 divergent bytes" in proc.stderr, proc.stderr


def test_a_real_readline_program_runs_clean(tmp_path):
    (tmp_path / "rl.c").write_text(READLINE.read_text())
    build = subprocess.run([str(MIRROR_CC), "-O2", "rl.c", "-lreadline", "-o", "rl", "-fmirror-uninstrumented=allow"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    proc = run_audited(tmp_path / "rl")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "history 30 command 10\nmatches 4\nok\n"
    assert "audit at exit: 0 divergent bytes" in proc.stderr, proc.stderr
