"""The test machine QEMU runs: Debian's kernel and a busybox initramfs (mirrorpass/vm/qemu.py) with a
deterministic guest workload -- checksums over files, a gzip round trip, a sort -- whose serial console
output must be the same under every QEMU that runs it correctly.

`boot(qemu)` runs it on one QEMU binary; `compare(builds)` on several (mirrored, native, ...) and says
whether their guests printed the same. The guest's clock counts instructions (qemu -icount, as the real
campaign's: mirrorpass/campaign/real.py), so the guest's own times are the same under a slow QEMU and a
fast one; the host's wall time of each boot is what the mirror costs.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..vm.qemu import BUSYBOX_STATIC, Program, VMError, boot_programs
# The QEMU builds have only the test machine's devices (mirrorpass/qemu/build.py: no VGA, no parallel
# port): no default devices, the console on the ISA serial port.
DEVICES = ("-nodefaults", "-serial", "mon:stdio")
ICOUNT_SHIFT = 3
# Each step prints what it computed; nothing prints a time, a PID or an address.
WORKLOAD = {
    "checksums": "md5sum /bin/busybox /init; find /bin -type l | sort | md5sum",
    "gzip": "seq 1 200000 > /tmp/n; gzip -9 -c /tmp/n > /tmp/n.gz; wc -c < /tmp/n.gz; gzip -dc /tmp/n.gz | md5sum; "
            "gzip -dc /tmp/n.gz | cmp - /tmp/n && echo round trip ok",
    "sort": "seq 1 50000 | awk '{print ($1 * 7919) % 100003}' | sort -n | md5sum; "
            "seq 1 3000 | awk '{s += $1 * $1} END {print s}'",
}


@dataclass
class GuestRun:
    qemu: str
    seconds: float  # host wall time of the boot, start to power-off
    outputs: dict[str, str]  # program -> what it printed
    statuses: dict[str, int | None]
    stats: dict = field(default_factory=dict)  # the mirrored QEMU's stats_json (empty for a native one)
    runtime: list[str] = field(default_factory=list)  # the lines QEMU's runtime printed ("mirrorpass: ...")

    @property
    def ok(self) -> bool:
        return all(status == 0 for status in self.statuses.values())


def programs() -> dict[str, Program]:
    # busybox runs the applet its name says; a name starting with "busybox" takes the applet from argv[1].
    return {f"busybox-{name}": Program(BUSYBOX_STATIC, args=["sh", "-c", script], timeout=120)
            for name, script in WORKLOAD.items()}


def boot(qemu: Path, workdir: Path, *, options: str | None = None) -> GuestRun:
    """One boot of the test machine on `qemu`; `options`: the MIRROR_OPTIONS it runs with (a stats_json is
    added: read back into GuestRun.stats when the QEMU has the runtime)."""
    workdir.mkdir(parents=True, exist_ok=True)
    stats_path = workdir / "stats.json"
    stats_path.unlink(missing_ok=True)
    env = dict(os.environ)
    # The share of QEMU's resident writable memory inside the protected domain, sampled every 200 ms.
    env["MIRROR_OPTIONS"] = ",".join(filter(None, [options, "coverage_interval_ms=200", f"stats_json={stats_path}"]))
    result = boot_programs(programs(), workdir, timeout=600, qemu=str(qemu), devices=DEVICES, icount=ICOUNT_SHIFT,
                           env=env)
    stats = {}
    if stats_path.exists():
        try:
            stats = json.loads(stats_path.read_text())
        except json.JSONDecodeError as exc:
            raise VMError(f"{qemu} wrote a stats_json that is not JSON ({exc}): {stats_path}") from None
    return GuestRun(str(qemu), round(result.run.seconds, 2), {n: r.output for n, r in result.results.items()},
                    {n: r.exit_code for n, r in result.results.items()}, stats,
                    [line for line in result.run.stderr.splitlines() if line.startswith("mirrorpass: ")])


def compare(builds: dict[str, Path], rounds: int = 1, workdir: Path | None = None, options: str | None = None) -> dict:
    """Boot each build `rounds` times, interleaved; {"identical": bool, "builds": {name: {...}}}. `options`:
    MIRROR_OPTIONS for every boot (a QEMU without the runtime ignores them)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="mirrorpass-qemu-guest-"))
    runs: dict[str, list[GuestRun]] = {name: [] for name in builds}
    for k in range(rounds):
        for name, qemu in builds.items():
            runs[name].append(boot(qemu, workdir / f"{name}-{k}", options=options))
    reference = next(iter(runs.values()))[0].outputs
    identical = all(run.ok and run.outputs == reference for rs in runs.values() for run in rs)
    out = {"identical": identical, "workload": WORKLOAD, "options": options, "builds": {}}
    for name, rs in runs.items():
        walls = sorted(r.seconds for r in rs)
        out["builds"][name] = {"qemu": str(builds[name]), "wall_seconds": [r.seconds for r in rs],
                               "median_seconds": walls[len(walls) // 2], "ok": all(r.ok for r in rs),
                               "outputs": rs[0].outputs, "stats": rs[0].stats, "runtime": rs[0].runtime}
    return out
