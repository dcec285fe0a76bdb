"""benchmarks/workloads/repair_breakdown.c: the runtime's repair steps, timed one by one, on real SIGBUS faults
(an empty memfd over the page, as the injector does). The numbers are for benchmarks/recovery_latency.py;
this checks that every phase is measured and that each round's page comes back right (the program exits 1
otherwise)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import CLANG, REPO

PHASES = ["deliver", "barrier", "mmap", "copy", "mremap", "return", "total"]


@pytest.mark.parametrize("path", ["spare", "fresh"])
def test_every_repair_phase_is_timed_on_real_faults(tmp_path, path):
    binary = tmp_path / "repair_breakdown"
    subprocess.run([CLANG, "-O2", str(REPO / "benchmarks" / "workloads" / "repair_breakdown.c"), "-o", str(binary)],
                   check=True)
    proc = subprocess.run([str(binary), path, "200"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    rows = {name: [float(v) for v in values] for name, *values in (line.split() for line in proc.stdout.splitlines())}
    assert list(rows) == PHASES
    for name, (median, p10, p90) in rows.items():
        assert 0 < p10 <= median <= p90, name
    assert rows["total"][0] >= max(rows[p][0] for p in PHASES[:-1])
    for args in ([path, "3"], ["neither", "200"], []):
        bad = subprocess.run([str(binary), *args], capture_output=True, text=True)
        assert bad.returncode == 2 and "usage" in bad.stderr
