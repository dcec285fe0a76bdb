"""The runtime's layers (runtime/LAYERS, scripts/check_runtime_layers.py): the built objects use nothing up
the order, and the SIGBUS handler reaches only the signal-path files and nothing outside the runtime.
The checker runs on the real objects, and on copies of them with one object planted or replaced."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import CLANG, REPO

RUNTIME = REPO / "runtime"
CHECKER = REPO / "scripts" / "check_runtime_layers.py"
FLAGS = ["-std=gnu11", "-O2", "-fPIC", "-ffunction-sections", f"-I{RUNTIME}", f"-I{RUNTIME / 'include'}"]


def check(build):
    return subprocess.run([sys.executable, str(CHECKER), "--build", str(build)], capture_output=True, text=True)


def compile_object(tmp_path, source: str, output):
    path = tmp_path / "planted.c"
    path.write_text(source)
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([CLANG, *FLAGS, "-c", str(path), "-o", str(output)], check=True)


@pytest.fixture
def build_copy(runtime_archive, tmp_path):
    copy = tmp_path / "build"
    shutil.copytree(runtime_archive.parent, copy, ignore=shutil.ignore_patterns("*.a", "*.so", "*.d"))
    return copy


def test_the_built_runtime_keeps_its_layers(runtime_archive):
    proc = check(runtime_archive.parent)
    assert proc.returncode == 0, proc.stderr
    assert "base <- domain <- mirror <- heap <- recovery <- inject <- libc <- process" in proc.stdout
    assert "no use up the order" in proc.stdout and "recovery/signal.c" in proc.stdout, proc.stdout


def test_a_use_up_the_order_fails(build_copy, tmp_path):
    # A base/ object calling the audit (recovery/): the old circle stats.c -> audit.c, planted again.
    compile_object(tmp_path, '#include "recovery/recovery.h"\n'
                             "void planted(void) { _mirror_audit_run(false); }\n", build_copy / "base" / "planted.o")
    proc = check(build_copy)
    assert proc.returncode == 1
    assert ("base/planted.c uses _mirror_audit_run from recovery/audit.c: base/ may not use recovery/"
            in proc.stderr), proc.stderr


def test_a_call_up_the_order_does_not_compile(tmp_path):
    # base/'s header declares nothing above it: the same call from a file that includes it is an error.
    source = tmp_path / "up.c"
    source.write_text('#include "base/base.h"\nvoid planted(void) { _mirror_audit_run(false); }\n')
    proc = subprocess.run([CLANG, *FLAGS, "-fsyntax-only", str(source)], capture_output=True, text=True)
    assert proc.returncode != 0 and "_mirror_audit_run" in proc.stderr, proc.stderr


# A replacement for recovery/lost.o whose _mirror_lost_claim (called by the handler) does `body`.
LOST_TABLE = """#include <stdio.h>
#include "recovery/recovery.h"
enum _mirror_claim _mirror_lost_claim(uintptr_t page, bool code) { %s; (void)page; (void)code; return MIRROR_CLAIM_NOT_LOST; }
void _mirror_lost_done(uintptr_t page) { (void)page; }
const char *_mirror_lost_name(uintptr_t page) { (void)page; return NULL; }
int _mirror_lost_prot(uintptr_t page) { (void)page; return -1; }
bool _mirror_lost_enter(uintptr_t page, const char *name, int prot) { (void)page; (void)name; (void)prot; return false; }
bool _mirror_lost_unrepaired(uintptr_t page) { (void)page; return false; }
"""


@pytest.mark.parametrize(("body", "message"), [
    ("puts(\"lost\")", "on_sigbus -> _mirror_lost_claim calls puts: not async-signal-safe"),
    ("_mirror_audit_run(false)", "on_sigbus -> _mirror_lost_claim -> _mirror_audit_run: recovery/audit.c is on "
                                 "the signal path but not listed"),
])
def test_the_signal_path_reaching_libc_or_an_unlisted_file_fails(build_copy, tmp_path, body, message):
    compile_object(tmp_path, LOST_TABLE % body, build_copy / "recovery" / "lost.o")
    proc = check(build_copy)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr


def test_without_objects_it_says_how_to_build_them(tmp_path):
    proc = check(tmp_path)
    assert proc.returncode == 2 and "make -C runtime" in proc.stderr and "Traceback" not in proc.stderr
