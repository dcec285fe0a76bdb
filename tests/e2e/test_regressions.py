"""Bugs found in mirror-cc, each with the program that showed it (tests/e2e/regressions/)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import MIRROR_CC, MIRROR_INCLUDE
from tests.e2e.test_programs import HAS_AVX512

REGRESSIONS = Path(__file__).resolve().parent / "regressions"


def _build(source: str, tmp_path: Path, *flags: str) -> Path:
    out = tmp_path / Path(source).stem
    proc = subprocess.run([MIRROR_CC, *flags, f"-I{MIRROR_INCLUDE}", str(REGRESSIONS / source), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("addressing", ["segment", "offset"])
def test_cmpxchg_race_leaves_mirror_equal_to_native(addressing, tmp_path):
    # Before the fix about half of the runs ended with 2-3 divergent bytes; 20 clean runs in a row
    # would then have had a chance of about 1e-6.
    binary = _build("cmpxchg_race.c", tmp_path, "-O2", "-pthread", f"-fmirror-addressing={addressing}")
    for _ in range(20):
        out = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60).stdout
        assert out == "max=799999 cas: 0 divergent bytes\n"


@pytest.mark.skipif(not HAS_AVX512, reason="masked scatters need AVX-512 (-march=native on this CPU has none)")
@pytest.mark.parametrize("addressing", ["segment", "offset"])
def test_scatter_of_pointers_writes_addresses_not_mirrors(addressing, tmp_path):
    binary = _build("scatter_of_pointers.c", tmp_path, "-O3", "-march=native", f"-fmirror-addressing={addressing}")
    out = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == "scatter: ok\nmasked store: ok\n"
