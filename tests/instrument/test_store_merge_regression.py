"""Regression: LLVM 22's x86 store merging must not swallow a native store into a GS mirror store.

data/store_merge_gs.ll is SQLite's sqlite3SelectNew reduced with llvm-reduce (see its header). With
plain `store ..., ptr addrspace(256)` mirror stores, -O2 codegen merged the GS mirror store of bytes
112..119 with the NATIVE store of 120..127 into one 16-byte GS store: the native write vanished. The
pass's construction (volatile segment mirror stores) must keep every native byte range written, and
the naive form (data/store_merge_gs_naive.ll) shows that this check does detect the miscompile.
"""

from __future__ import annotations

import re
from pathlib import Path

from mirrorpass import lower
from mirrorpass.instrument.mirror_pass import PassOptions, instrument_module
from mirrorpass.instrument.shapes import Addressing

DATA = Path(__file__).parent / "data"
# Byte ranges of the returned object (%rax after the call) that the function initialises.
WRITTEN = [(0, 1), (8, 12), (32, 88), (112, 128)]
_STORE = re.compile(r"^\s*v?mov(\w*)\s+(\$?-?\w+|%\w+),\s*(%gs:)?(-?\d*)\(%rax\)\s*$")
_WIDTH_BY_SUFFIX = {"b": 1, "w": 2, "l": 4, "q": 8}


def _width(suffix: str, source: str) -> int:
    if source.startswith("%xmm"):
        return 16
    if source.startswith("%ymm"):
        return 32
    if source.startswith("%zmm"):
        return 64
    return _WIDTH_BY_SUFFIX.get(suffix[-1:], 8)


def covered_bytes(assembly: str) -> tuple[set[int], set[int]]:
    """Bytes of (%rax) stored natively and through %gs after the allocation call."""
    native: set[int] = set()
    mirror: set[int] = set()
    after_call = False
    for line in assembly.splitlines():
        if re.match(r"^\s*call", line):
            after_call = True
            continue
        m = _STORE.match(line)
        if not after_call or not m:
            continue
        suffix, source, gs, offset = m.groups()
        start = int(offset or 0)
        (mirror if gs else native).update(range(start, start + _width(suffix, source)))
    return native, mirror


def _assembly(text: str) -> str:
    module = lower.parse_ir(text, "store_merge_gs")
    return lower.lower(module, text, "2", assembly=True).decode()


def _missing(covered: set[int]) -> list[int]:
    return [b for lo, hi in WRITTEN for b in range(lo, hi) if b not in covered]


def test_native_stores_survive_codegen_with_the_pass_construction():
    text = (DATA / "store_merge_gs.ll").read_text()
    instrumented, _ = instrument_module(text, PassOptions(addressing=Addressing.SEGMENT))
    native, mirror = covered_bytes(_assembly(instrumented))
    assert _missing(native) == []
    assert _missing(mirror) == []


def test_the_naive_construction_loses_the_native_store():
    native, mirror = covered_bytes(_assembly((DATA / "store_merge_gs_naive.ll").read_text()))
    assert set(range(120, 128)) - native, "the miscompile no longer reproduces: revisit shapes.py"
    assert _missing(mirror) == []
