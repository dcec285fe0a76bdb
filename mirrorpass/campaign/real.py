"""`mirrorpass campaign --real`: the campaign on the kernel's real memory-failure path.

Pages are lost with madvise(MADV_HWPOISON) (inject_method=hwpoison) inside Debian's own kernel booted
under qemu (mirrorpass/vm/qemu.py; this machine's kernel lacks CONFIG_MEMORY_FAILURE): the kernel
unmaps the page and sends SIGBUS BUS_MCEERR_AO at once to a mirrored process (it asks for early kill),
BUS_MCEERR_AR at the next touch to a native one. Two boots: the golden runs (timed in the guest, on a
clock that counts instructions: ICOUNT_SHIFT), then every run of both builds, interleaved. The guest merges a program's stderr into its stdout, so the
injection log (written to stderr) and the runtime's `mirrorpass:` lines are taken out of the output
before it is compared. Programs run in the guest by their host path's name with stdin /dev/null; their
arguments must not name host files.
"""

from __future__ import annotations

import re
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..vm.qemu import Program, ProgramResult, VMError, VMUnavailable, boot_programs, ensure_vm
from .outcomes import RunResult
from .runner import (GOLDEN_TIMEOUT, NATIVE_INJECTOR, CampaignError, Settings, fastest, Workload, _env, add_totals,
                     add_workload, check_builds_agree, check_native_injector, injection, new_result, plan_runs,
                     record, run_timeout)
from .subjects import Command

LOST_LINE = re.compile(r"^0x[0-9a-f]+000 ")
BOOT_SLACK = 300  # seconds of host time for booting and powering off, on top of the programs' timeouts
# The guest's clock counts instructions (2**3 ns each, qemu -icount), not the host's time: the moments are
# drawn from the golden boot's timings and used in the next boot, and under TCG on the host's clock a busy
# or slow host stretched one boot's guest time and not the other's (a CI run timed the golden worker at
# 7.89 s, 14x its usual, and 4 of 5 native runs then ended before their moment). On instructions, a
# program takes the same guest time in both boots, on any host.
ICOUNT_SHIFT = 3


def _program(subject: Command, env: dict[str, str], timeout: float) -> Program:
    return Program(Path(subject.argv[0]), args=list(subject.argv[1:]), env=env, timeout=max(1, int(timeout + 0.999)))


# Where the native injector goes in the guest: not at its host path, which may lie under /tmp (a fresh
# tmpfs in the guest hides it: the native build then lost nothing, silently).
GUEST_INJECTOR = "/opt/mirrorpass/libmirror_inject_native.so"


def _guest_env(build: str, options: dict[str, object]) -> dict[str, str]:
    """Only what the guest needs: MIRROR_OPTIONS, and LD_PRELOAD for an injected native build."""
    env = _env(build, options)
    if "LD_PRELOAD" in env:
        env["LD_PRELOAD"] = GUEST_INJECTOR
    return {k: env[k] for k in ("MIRROR_OPTIONS", "LD_PRELOAD") if k in env}


def _result(found: ProgramResult | None, timeout: float) -> RunResult:
    if found is None:
        raise CampaignError("the guest stopped before running every program (see the console with "
                            "MIRRORPASS_DEBUG=1)")
    lines = found.output.split("\n")
    lost = [line for line in lines if LOST_LINE.match(line)]
    runtime = [line for line in lines if line.startswith("mirrorpass: ")]
    output = "\n".join(line for line in lines if not LOST_LINE.match(line) and not line.startswith("mirrorpass: "))
    seconds = found.seconds or 0.0
    if found.status is None or (found.signal == signal.SIGKILL and seconds >= timeout - 1):
        code = None  # busybox timeout -s KILL: hung
    else:
        code = -found.signal if found.signal is not None else found.exit_code
    return RunResult(code, output.encode(), "\n".join(runtime), seconds, lost)


def boot_guest(programs: dict[str, Program], workdir: Path, extra: dict[str, Path] | None = None) -> dict[str, ProgramResult]:
    """One boot of the campaign's guest (its clock on instructions) running `programs` in order."""
    workdir.mkdir()
    timeout = sum(p.timeout for p in programs.values()) + BOOT_SLACK
    try:
        return boot_programs(programs, workdir, timeout=timeout, extra_files=extra, icount=ICOUNT_SHIFT).results
    except VMError as exc:
        raise CampaignError(f"the qemu guest failed: {exc}") from exc


def run_real_campaign(workload: Workload, settings: Settings, command: str,
                      progress: Callable[[str, int, int], None] | None = None) -> dict:
    for build, subject in workload.builds.items():
        if not isinstance(subject, Command) or subject.stdin or subject.cwd:
            raise CampaignError("--real runs a program given after `--` (with arguments that name no host files)")
    check_native_injector([workload])
    try:
        ensure_vm()
    except VMUnavailable as exc:
        raise CampaignError(f"--real needs Debian's kernel under qemu: {exc.reason}") from exc
    workdir = Path(tempfile.mkdtemp(prefix="mirrorpass-campaign-real-"))
    total = len(workload.builds) * (settings.runs + 2)

    def step(description: str, done: int) -> None:
        if progress:
            progress(description, done, total)

    step("booting the guest: runs without losses", 0)
    golden_programs = {f"golden-{b}-{k}": _program(s, {}, GOLDEN_TIMEOUT)
                       for b, s in workload.builds.items() for k in (0, 1)}
    found = boot_guest(golden_programs, workdir / "golden")
    golden: dict[str, RunResult] = {}
    for build in workload.builds:
        first, second = (_result(found.get(f"golden-{build}-{k}"), GOLDEN_TIMEOUT) for k in (0, 1))
        if first.timed_out or (first.returncode, first.output) != (second.returncode, second.output):
            raise CampaignError(f"{workload.name} ({build}): two runs without losses in the guest differ or hang "
                                f"({first.ending()}, then {second.ending()}); the output must be deterministic")
        golden[build] = fastest([first, second])
    check_builds_agree(workload, golden)
    step("booting the guest: runs losing pages (MADV_HWPOISON)", 2 * len(workload.builds))

    programs: dict[str, Program] = {}
    meta: dict[str, tuple[str, int, int, int, float]] = {}
    for i, seed, fraction in plan_runs(settings):
        for build, subject in workload.builds.items():
            g = golden[build]
            moment_ms, options = injection(settings, seed, fraction, g.seconds)
            options.update(inject_method="hwpoison", inject_log="/proc/self/fd/2")
            timeout = run_timeout(settings, g.seconds)
            name = f"run-{i}-{build}"
            programs[name] = _program(subject, _guest_env(build, options), timeout)
            meta[name] = (build, i, seed, moment_ms, timeout)
    extra = {GUEST_INJECTOR: NATIVE_INJECTOR} if "native" in workload.builds else {}
    found = boot_guest(programs, workdir / "runs", extra)
    records = [record(build, i, seed, moment_ms, golden[build], _result(found.get(name), timeout))
               for name, (build, i, seed, moment_ms, timeout) in meta.items()]
    step("done", total)
    result = new_result(settings, command, "real (madvise MADV_HWPOISON in Debian's kernel under qemu)")
    add_workload(result, workload, golden, None, records)
    return add_totals(result)

