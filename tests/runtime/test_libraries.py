"""Instrumented shared libraries: their data is seeded and protected like the executable's, whether
linked in or loaded with dlopen, and a lost page of it is restored."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MIRROR_CC, MIRROR_INCLUDE

PROGRAMS = Path(__file__).parent / "programs" / "libraries"


def _cc(*args: str, cwd: Path) -> None:
    proc = subprocess.run([MIRROR_CC, *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("libraries")
    _cc("-O2", "-shared", "-fPIC", "-Wl,-z,defs", str(PROGRAMS / "counter_lib.c"), "-o", "libcounter.so", cwd=out)
    _cc("-O2", f"-I{MIRROR_INCLUDE}", str(PROGRAMS / "use_lib.c"), "-L.", "-lcounter", "-o", "linked", cwd=out)
    _cc("-O2", "-DLOAD_AT_RUN_TIME", f"-I{MIRROR_INCLUDE}", str(PROGRAMS / "use_lib.c"), "-o", "loader", cwd=out)
    return out


@pytest.mark.parametrize("how", ["linked", "dlopen"])
def test_library_globals_are_protected_and_restored(built, how, tmp_path):
    stats = tmp_path / "stats.json"
    command = ["./linked"] if how == "linked" else ["./loader", str(built / "libcounter.so")]
    env = dict(os.environ, LD_LIBRARY_PATH=str(built),
               MIRROR_OPTIONS=f"verbosity=1:audit_at_exit=1:stats_json={stats}")
    proc = subprocess.run(command, cwd=built, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected_sum = sum(3 * i + 7 for i in range(4096))
    assert proc.stdout == f"fill {expected_sum + len('counter library')} sum {expected_sum} diff 0\n"
    assert "protecting the data of" in proc.stderr and "libcounter.so" in proc.stderr, proc.stderr
    data = json.loads(stats.read_text())
    assert data["recovered_pages"] == 1 and data["unrecoverable"] == 0, data
    assert data["audit_divergent_bytes"] == 0, proc.stderr
