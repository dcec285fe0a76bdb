"""`mirrorpass campaign --real`: pages lost by madvise(MADV_HWPOISON) on the kernel's memory-failure path,
in Debian's kernel under qemu. The mirrored worker recovers every run, the native one dies of the loss;
the guest's per-program timing moves the moments, as it does on the host."""

from __future__ import annotations

import json
import subprocess

import pytest

from mirrorpass.vm.qemu import VMUnavailable, ensure_vm
from tests.conftest import MIRRORPASS

pytestmark = pytest.mark.slow  # boots Debian's kernel under qemu


def test_real_campaign_recovers_every_hwpoisoned_page(worker, tmp_path):
    try:
        ensure_vm()
    except VMUnavailable as exc:
        pytest.skip(f"cannot boot a VM here: {exc.reason}")
    out = tmp_path / "real.json"
    proc = subprocess.run([MIRRORPASS, "campaign", "--real", "--runs", "5", "--seed", "11", "--json", str(out),
                           "--native", str(worker["native"]), "--", str(worker["mirrored"])],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["mode"].startswith("real (madvise MADV_HWPOISON")
    runs = result["workloads"][0]["runs"]
    failed = [r for r in runs if r["build"] == "mirrored" and r["outcome"] != "recovered"]
    assert result["runs"] >= 4 and result["outcomes"]["recovered"] == result["runs"], failed
    native = result["native"]
    assert native["runs"] >= 3 and native["outcomes"]["crashed"] == native["runs"], runs
    assert all(r["ending"] == "SIGBUS" for r in runs if r["build"] == "native" and r["outcome"] == "crashed")
    assert result["workloads"][0]["golden_s"]["mirrored"] > 0.3  # timed in the guest
