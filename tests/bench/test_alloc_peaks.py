"""benchmarks/workloads/alloc_peaks.c, preloaded into a native program, maps its requests onto the mirrored
heap's size classes (runtime/heap/heap_internal.h) and reports each class's peak: the README's account of
SQLite's peak RSS comes from it."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import CLANG, REPO

PROGRAM = r"""
#include <stdlib.h>
int main(void) {
    void *pages[100];
    for (int i = 0; i < 100; i++) pages[i] = malloc(4368);  /* class 49: 4608 bytes, 0.44 MiB */
    for (int i = 0; i < 100; i++) free(pages[i]);
    for (int i = 0; i < 3; i++) free(malloc(100000));       /* large: 25 pages each, one live at a time */
    return 0;
}
"""


def test_peaks_per_class_of_a_native_program(tmp_path):
    library, program = tmp_path / "alloc_peaks.so", tmp_path / "prog"
    subprocess.run([CLANG, "-O2", "-shared", "-fPIC", str(REPO / "benchmarks" / "workloads" / "alloc_peaks.c"),
                    "-o", str(library), "-ldl"], check=True)
    (tmp_path / "prog.c").write_text(PROGRAM)
    subprocess.run([CLANG, "-O0", str(tmp_path / "prog.c"), "-o", str(program)], check=True)
    proc = subprocess.run([str(program)], capture_output=True, text=True, env=dict(os.environ, LD_PRELOAD=str(library)))
    assert proc.returncode == 0, proc.stderr
    assert "class 49 (4608 bytes; requests of 4368-4368): peak 100 objects, 0.4 MiB" in proc.stderr
    assert "large requests peak 0.1 MiB" in proc.stderr  # 100000 bytes -> 25 pages, 0.098 MiB
