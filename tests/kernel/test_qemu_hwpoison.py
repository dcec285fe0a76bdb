"""The real memory-failure path: madvise(MADV_HWPOISON) in Debian's kernel under qemu.

One boot runs every program (the boot is the expensive part, about 5 s under TCG):

* ``sigbus_probe`` (clang-22 and mirror-cc): the kernel delivers SIGBUS with si_code BUS_MCEERR_AR (4),
  si_addr the touched address and si_addr_lsb 12, and a MAP_FIXED remap makes the page usable again.
* ``hwpoison_basic``: poisons a heap page and a global page, installs no handler, reads both back.
  The clang-22 build dies by SIGBUS at the first touch. The mirror-cc builds (segment and offset
  addressing) repair both pages from the mirror and finish with the data intact (EXPECT_RECOVERY).

Skipped (with the reason) only when qemu or the guest kernel cannot be had on this machine.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from mirrorpass.vm.qemu import Boot, Program, ProgramResult, VMUnavailable, boot_programs, ensure_vm
from tests.conftest import CLANG, MIRROR_CC

pytestmark = pytest.mark.slow  # boots Debian's kernel under qemu

# The mirror runtime repairs poisoned pages: the mirrored hwpoison_basic finishes with exit 0 and its
# data intact, where the native build dies by SIGBUS.
EXPECT_RECOVERY = True

PROGRAMS = Path(__file__).resolve().parent / "programs"
SIGBUS = 7
BUS_MCEERR_AR = 4
BOOT_TIMEOUT = 300  # seconds of host time for the whole boot; a normal one takes about 5

# guest name -> (source, compiler command)
BUILDS: dict[str, tuple[str, list[str]]] = {
    "sigbus_probe.native": ("sigbus_probe.c", [str(CLANG)]),
    "sigbus_probe.mirror": ("sigbus_probe.c", [MIRROR_CC]),
    "hwpoison_basic.native": ("hwpoison_basic.c", [str(CLANG)]),
    "hwpoison_basic.mirror": ("hwpoison_basic.c", [MIRROR_CC]),
    "hwpoison_basic.mirror-offset": ("hwpoison_basic.c", [MIRROR_CC, "-fmirror-addressing=offset"]),
    "hwpoison_basic.native-blocked": ("hwpoison_basic.c", [str(CLANG)]),
    "hwpoison_basic.mirror-blocked": ("hwpoison_basic.c", [MIRROR_CC]),
}
# Run with SIGBUS blocked and read through a signalfd, as QEMU's main thread has it.
ARGS = {"hwpoison_basic.native-blocked": ["blocked"], "hwpoison_basic.mirror-blocked": ["blocked"]}
MIRRORED_HWPOISON = ["hwpoison_basic.mirror", "hwpoison_basic.mirror-offset"]


def _compile(name: str, out_dir: Path) -> Path:
    source, compiler = BUILDS[name]
    out = out_dir / name
    cmd = [*compiler, "-O2", "-Wall", "-Wextra", "-Werror", str(PROGRAMS / source), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{name}: {' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def boot(tmp_path_factory: pytest.TempPathFactory) -> Boot:
    t0 = time.monotonic()
    try:
        kernel = ensure_vm()
    except VMUnavailable as exc:
        pytest.skip(f"cannot boot a VM here: {exc.reason}")
    setup_s = time.monotonic() - t0
    work = tmp_path_factory.mktemp("qemu-hwpoison")
    programs = {name: Program(_compile(name, work), args=ARGS.get(name, []), timeout=60) for name in BUILDS}
    result = boot_programs(programs, work, kernel=kernel, timeout=BOOT_TIMEOUT)
    print(f"\n[qemu] {kernel.package} {kernel.version}: setup {setup_s:.1f} s, /init after "
          f"{result.run.init_seconds:.1f} s, boot total {result.run.seconds:.1f} s; guest info {result.info}")
    return result


def _show(res: ProgramResult) -> str:
    return f"{res.name}: {res.describe()}\n--- output ---\n{res.output}\n--- kernel log ---\n{res.kmsg}"


def _result(boot: Boot, name: str) -> ProgramResult:
    assert name in boot.results, f"{name} never ran; console:\n{boot.run.text[-3000:]}"
    return boot.results[name]


def test_guest_reached_init_and_finished(boot: Boot) -> None:
    assert boot.completed
    assert boot.info.get("kernel") == boot.kernel.release
    assert boot.kernel.config["CONFIG_MEMORY_FAILURE"] == "y"
    # Late kill (the default): the owner gets BUS_MCEERR_AR at its next touch, not BUS_MCEERR_AO at once.
    assert boot.info.get("early_kill") == "0", boot.info


@pytest.mark.parametrize("name", ["sigbus_probe.native", "sigbus_probe.mirror"])
def test_kernel_delivers_mce_sigbus(boot: Boot, name: str) -> None:
    res = _result(boot, name)
    assert res.exit_code == 0, _show(res)
    assert "madvise rc=0" in res.output, _show(res)
    assert f"si_code={BUS_MCEERR_AR} " in res.output, _show(res)
    assert "si_addr=page+291 " in res.output, _show(res)  # the touched byte (0x123), not the page start
    assert "si_addr_lsb=12" in res.output, _show(res)
    assert "remap: ok" in res.output, _show(res)
    if name.endswith(".native"):
        assert "Memory failure:" in res.kmsg and "Recovered" in res.kmsg, _show(res)
    else:
        # The runtime asks for early kill: the kernel reports the page at once (BUS_MCEERR_AO). The page
        # is the program's own mmap, outside the protected domain: reported, and the program's own
        # handler still receives the BUS_MCEERR_AR of its touch, as it would without mirrorpass.
        assert "mirrorpass: memory error (BUS_MCEERR_AO)" in res.output, _show(res)
        assert "outside the protected domain" in res.output, _show(res)


def _assert_dies_at_first_touch(res: ProgramResult) -> None:
    assert res.signal == SIGBUS, _show(res)
    assert "madvise heap page" in res.output and "madvise global page" in res.output, _show(res)
    assert res.output.count("rc=0 errno=0") == 2, _show(res)
    lines = [line for line in res.output.splitlines() if line.strip() and line.strip() != "Bus error"]
    assert lines[-1] == "touching heap", _show(res)  # SIGBUS at the first read of the poisoned heap page
    assert "MCE: Killing" in res.kmsg, _show(res)


def test_native_dies_by_sigbus(boot: Boot) -> None:
    _assert_dies_at_first_touch(_result(boot, "hwpoison_basic.native"))


@pytest.mark.parametrize("name", MIRRORED_HWPOISON)
def test_mirrored_hwpoison(boot: Boot, name: str) -> None:
    res = _result(boot, name)
    if name == "hwpoison_basic.mirror" and boot.info.get("fsgsbase") != "yes":
        # Segment addressing needs WRGSBASE; the runtime must refuse to start, naming the way out.
        assert res.exit_code not in (None, 0) and "FSGSBASE" in res.output, _show(res)
        return
    if EXPECT_RECOVERY:
        assert res.exit_code == 0, _show(res)
        for line in ("heap: intact", "global: intact", "rewrite: ok", "RESULT intact"):
            assert line in res.output, _show(res)
    else:
        _assert_dies_at_first_touch(res)


def test_sigbus_blocked_as_qemu_blocks_it(boot: Boot) -> None:
    """QEMU's main thread blocks SIGBUS and reads it through a signalfd, with early kill: the native
    build dies by SIGBUS all the same (the touch's BUS_MCEERR_AR is forced through); the mirrored
    runtime keeps SIGBUS deliverable, repairs both pages, and nothing reaches the signalfd."""
    native = _result(boot, "hwpoison_basic.native-blocked")
    assert "SIGBUS blocked, signalfd open" in native.output, _show(native)
    assert native.signal == SIGBUS and "RESULT" not in native.output, _show(native)
    res = _result(boot, "hwpoison_basic.mirror-blocked")
    if boot.info.get("fsgsbase") != "yes":
        pytest.skip("the guest CPU has no FSGSBASE: segment addressing cannot run (test_mirrored_hwpoison)")
    assert res.exit_code == 0, _show(res)
    for line in ("SIGBUS blocked, signalfd open", "heap: intact", "global: intact", "signalfd: 0 pending",
                 "RESULT intact"):
        assert line in res.output, _show(res)
