"""Helpers for the mirror-pass tests: compile C with clang-22, cut functions out of module text."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from mirrorpass.ir.module import Function, parse_module_text

CLANG = shutil.which("clang-22") or "/usr/bin/clang-22"

HEADER = """\
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"
"""


@functools.cache
def compile_c(source: str, flags: tuple[str, ...] = ("-O2",)) -> str:
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


def function_text(module_text: str, name: str) -> str:
    """`define ... @name(...) {` up to and including the closing `}`."""
    m = re.search(r"^define [^\n]*@" + re.escape(name) + r"\(.*?^\}$", module_text, re.S | re.M)
    assert m, f"no function @{name}"
    return m.group(0)


def function_body(module_text: str, name: str) -> list[str]:
    """The body lines of @name, stripped, without blank lines."""
    lines = function_text(module_text, name).split("\n")[1:-1]
    return [line.strip() for line in lines if line.strip()]


def function(module_text: str, name: str) -> Function:
    for fn in parse_module_text(module_text).functions:
        if fn.name == "@" + name:
            return fn
    raise KeyError(name)


def line_after(lines: list[str], line: str, count: int) -> list[str]:
    """The `count` lines that follow `line` (which must occur exactly once)."""
    assert lines.count(line) == 1, (line, lines)
    i = lines.index(line)
    return lines[i + 1 : i + 1 + count]
