"""Helpers shared by the runtime tests: run a test binary and judge what it printed."""

from __future__ import annotations

import os
import re
import struct
import subprocess
from pathlib import Path

import pytest

LAYOUT_HEADER = Path(__file__).resolve().parents[2] / "runtime" / "base" / "layout.h"


def layout_constants() -> dict[str, int]:
    """The numbers of runtime/base/layout.h, the single source of truth for the mapping."""
    text = LAYOUT_HEADER.read_text()
    return {
        name: int(number, 16) * (-1 if sign else 1)
        for name, sign, number in re.findall(r"#define (MIRROR_\w+) \(?(-?)0x([0-9a-fA-F]+)", text)
    }


LAYOUT = layout_constants()
MIRROR_DELTA = LAYOUT["MIRROR_DELTA"]
# The GS base as rdgsbase prints it: MIRROR_DELTA as an unsigned 64-bit number.
GS_BASE = format(MIRROR_DELTA & (2**64 - 1), "x")

AT_HWCAP2 = 26
HWCAP2_FSGSBASE = 1 << 1


def kernel_enabled_fsgsbase() -> bool:
    """HWCAP2_FSGSBASE from our own auxiliary vector: the kernel lets user space use (RD|WR)GSBASE."""
    data = Path("/proc/self/auxv").read_bytes()
    for key, value in struct.iter_unpack("<QQ", data):
        if key == AT_HWCAP2:
            return bool(value & HWCAP2_FSGSBASE)
    return False


needs_fsgsbase = pytest.mark.skipif(
    not kernel_enabled_fsgsbase(), reason="the kernel or CPU does not provide FSGSBASE (needed for rdgsbase)"
)


def run(*command: str | Path, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run a test binary (possibly behind a wrapper such as setarch) to completion, capturing text output."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [str(word) for word in command], capture_output=True, text=True, timeout=60, env=full_env, **kwargs
    )


def values(stdout: str) -> dict[str, str]:
    """The key=value pairs a test program printed (several per line allowed)."""
    pairs = {}
    for line in stdout.splitlines():
        for word in line.split():
            if "=" in word:
                key, value = word.split("=", 1)
                pairs[key] = value
    return pairs


def assert_one_line_fatal(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """The process stopped at start-up with exit 1 and exactly one 'mirrorpass: ' line naming the fix."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "", "main (or a constructor) ran although start-up failed"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), result.stderr
    line = lines[0]
    assert line.startswith("mirrorpass: "), line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} missing from: {line}"
    return line


FLAGS_TABLE = Path(__file__).resolve().parents[2] / "runtime" / "base" / "flags.inc"
STATS_TABLE = Path(__file__).resolve().parents[2] / "runtime" / "base" / "stats.inc"


def option_table() -> dict[str, dict[str, str]]:
    """The options of runtime/base/flags.inc, the single table the runtime generates its parser from:
    name -> {"type": "BOOL" | "INT(0, 3)" | "PATH" | 'CHOICE("a|b")', "default": ..., "help": ...}."""
    table = {}
    for match in re.finditer(
        r'^MIRROR_FLAG\(\s*(BOOL|PATH|INT\(\s*-?\d+,\s*-?\d+\)|CHOICE\("[\w|]+"\))\s*,\s*(\w+)\s*,\s*([^,]+?)\s*,\s*"(.*)"\)\s*$',
        FLAGS_TABLE.read_text(),
        re.MULTILINE,
    ):
        kind, name, default, help_text = match.groups()
        table[name] = {"type": kind, "default": default, "help": help_text}
    return table


def stat_names() -> list[str]:
    """The statistics of runtime/base/stats.inc, in table order."""
    return re.findall(r"^MIRROR_STAT\((\w+),", STATS_TABLE.read_text(), re.MULTILINE)


def runtime_lines(stderr: str) -> list[str]:
    """The runtime's messages, without the 'mirrorpass: ' prefix."""
    prefix = "mirrorpass: "
    return [line[len(prefix):] for line in stderr.splitlines() if line.startswith(prefix)]
