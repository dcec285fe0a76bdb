"""SQLite 3.40 (Debian's sqlite3 source): the amalgamation built with mirror-cc runs speedtest1 with
the same results as the clang-22 build, in both addressing modes; its mirror is exact at exit (audit),
and it survives pages lost while it runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLANG, MIRROR_CC, MIRROR_INCLUDE

pytestmark = pytest.mark.slow

TIME_SUFFIX = re.compile(r"\s+\d+\.\d{3}s$")
SPEEDTEST_ARGS = ["--size", "25", "--memdb", "--verify"]


def _build(compiler: list[str], sqlite_dir: Path, out: Path) -> Path:
    obj = out.with_suffix(".sqlite3.o")
    for cmd in (
        [*compiler, "-O2", "-c", str(sqlite_dir / "sqlite3.c"), "-o", str(obj)],
        [*compiler, "-O2", f"-I{sqlite_dir}", f"-I{MIRROR_INCLUDE}", str(sqlite_dir / "speedtest1.c"), str(obj),
         "-o", str(out)],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"sqlite3: build step failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}"
    return out


def _speedtest(binary: Path, options: str = "") -> list[str]:
    env = dict(os.environ, MIRROR_OPTIONS=options) if options else None
    proc = subprocess.run([str(binary), *SPEEDTEST_ARGS], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, f"sqlite3: speedtest1 failed ({binary.name}): {proc.stderr[-2000:]}"
    return [TIME_SUFFIX.sub("", line) for line in proc.stdout.splitlines()]


@pytest.fixture(scope="module")
def native_results(sqlite_dir, tmp_path_factory) -> list[str]:
    out = tmp_path_factory.mktemp("sqlite-native") / "speedtest1"
    return _speedtest(_build([CLANG], sqlite_dir, out))


@pytest.mark.parametrize("addressing", ["segment", "offset"])
def test_speedtest1_matches_native(addressing, sqlite_dir, native_results, tmp_path):
    binary = _build([MIRROR_CC, f"-fmirror-addressing={addressing}"], sqlite_dir, tmp_path / "speedtest1")
    stats_path = tmp_path / "stats.json"
    mirrored = _speedtest(binary, f"audit_at_exit=1:stats_json={stats_path}")
    assert mirrored == native_results
    assert mirrored[-1].startswith("Verification Hash: ")
    stats = json.loads(stats_path.read_text())
    assert stats["audit_divergent_bytes"] == 0 and stats["protected_resident_bytes"] > 1 << 20, stats

    # The same run losing pages of the heap, the globals and the mirror while it works.
    stats_path.unlink()
    options = f"inject_count=10:inject_interval_ms=20:inject_target=any:stats_json={stats_path}"
    assert _speedtest(binary, options) == native_results
    stats = json.loads(stats_path.read_text())
    assert stats["injected"] >= 5 and stats["unrecoverable"] == 0, stats
