"""The test machine of `mirrorpass qemu boot` (mirrorpass/qemu/guest.py) on Debian's own QEMU, with the
options the QEMU builds need (no default devices, the console on the ISA serial port): its workload
prints the same thing in two boots, and a QEMU that is not there is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirrorpass.qemu import guest
from mirrorpass.vm.qemu import QEMU, VMUnavailable, ensure_vm

pytestmark = pytest.mark.slow  # boots Debian's kernel under qemu


def test_the_guest_workload_is_deterministic_across_boots(tmp_path):
    try:
        ensure_vm()
    except VMUnavailable as exc:
        pytest.skip(f"cannot boot a VM here: {exc.reason}")
    result = guest.compare({"first": Path(QEMU), "second": Path(QEMU)}, workdir=tmp_path)
    assert result["identical"], result
    outputs = result["builds"]["first"]["outputs"]
    assert set(outputs) == {f"busybox-{name}" for name in guest.WORKLOAD}
    assert outputs["busybox-gzip"].endswith("round trip ok")
    assert outputs["busybox-sort"].splitlines()[-1] == str(sum(k * k for k in range(1, 3001)))
    assert result["builds"]["first"]["stats"] == {}  # Debian's QEMU has no runtime


def test_a_missing_qemu_is_a_clear_error(tmp_path):
    with pytest.raises(VMUnavailable, match="cannot start"):
        guest.boot(tmp_path / "no-such-qemu", tmp_path / "w")
