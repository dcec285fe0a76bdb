"""The alias probe: does the mirror store slow down the load after it, address by address, on this CPU?

alias_probe.c times `store p; store p+DELTA; load p` against `store p; load p` over random heap and stack
lines for each delta asked for. This module builds it with clang-22, runs it for the shipped delta
(runtime/base/layout.h) and the candidates it was chosen against, and sums up per delta: the median,
the worst address, and the share of slow addresses (slower than SLOW_FACTOR x the delta's own median:
the way-predictor cliff of AMD's L1D, which twice the stores alone never shows). The verdict is a ratio
within one run, never a wall-clock time, so it holds on a noisy machine.
"""

from __future__ import annotations

import statistics
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import MirrorError
from ..layout import MIRROR_DELTA
from ..machine import describe
from ..toolchain import clang_path

SOURCE = Path(__file__).with_name("alias_probe.c")
SLOW_FACTOR = 3.0
# The share of slow addresses above which the shipped delta fails. On the AMD EPYC (Zen 4, family 25
# model 17) of issue 16 the first delta had about 25% slow; on the Intel Xeon (family 6 model 207) of
# 2026-12-06 each page-multiple delta showed 0-4 of 400 "slow" lines per run (0-1%), not the same lines
# from one run to the next, with ASLR off too, and the non-page-multiple delta none (likely 4K aliasing
# losing now and then on a few lines). 5% stays clear of both.
SLOW_SHARE_LIMIT = 0.05
# The deltas the shipped one was chosen against (README, "Measured on"): the first shipped delta (bits
# 12-27 all zero: the AMD cliff), MemorySanitizer's kind of fix (2 MiB more), and a delta that is not a
# whole number of pages (avoids Intel's 4K aliasing, but splits a native page over two mirror pages).
CANDIDATES = (-0x500000000000, -0x500000200000, -0x500000010040)


class ProbeError(MirrorError):
    pass


@dataclass
class DeltaResult:
    delta: int
    addresses: int
    median_ns: float  # store, mirror store, load: ns per iteration, median over the addresses
    plain_median_ns: float  # store, load: the same loop without the mirror store
    worst_ns: float
    worst_address: str
    worst_region: str
    slow: int  # addresses slower than SLOW_FACTOR x median_ns
    shipped: bool

    @property
    def slow_share(self) -> float:
        return self.slow / self.addresses

    def record(self) -> dict:
        return {**asdict(self), "delta": hex_delta(self.delta), "slow_share": round(self.slow_share, 4)}


def hex_delta(delta: int) -> str:
    return f"-{-delta:#x}" if delta < 0 else f"{delta:#x}"


def build(workdir: Path) -> Path:
    """Compile alias_probe.c once per work directory (-O2; the loops are inline assembly)."""
    tool = workdir / "alias_probe"
    if not tool.exists() or tool.stat().st_mtime < SOURCE.stat().st_mtime:
        workdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([clang_path(), "-O2", str(SOURCE), "-o", str(tool)], capture_output=True, text=True)
        if result.returncode != 0:
            raise ProbeError(f"cannot build the alias probe ({SOURCE}):\n{result.stderr.strip()}")
    return tool


def summarize(delta: int, lines: list[tuple[str, str, float, float]]) -> DeltaResult:
    """One delta's lines (address, region, ns mirrored, ns plain) summed up."""
    mirrored = [m for _, _, m, _ in lines]
    median = statistics.median(mirrored)
    address, region, worst, _ = max(lines, key=lambda line: line[2])
    return DeltaResult(delta=delta, addresses=len(lines), median_ns=median,
                       plain_median_ns=statistics.median(p for *_, p in lines), worst_ns=worst,
                       worst_address=address, worst_region=region,
                       slow=sum(1 for m in mirrored if m > SLOW_FACTOR * median), shipped=delta == MIRROR_DELTA)


def probe(tool: Path, deltas: list[int], addresses: int = 400, seed: int = 1) -> list[DeltaResult]:
    """Run the probe once over all deltas (the same addresses for each); results in the order asked."""
    if addresses < 2:
        raise ProbeError("the probe needs at least 2 addresses for a median")
    argv = [str(tool), str(addresses), str(seed), *(hex_delta(d) for d in deltas)]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise ProbeError(f"the alias probe failed (exit {result.returncode}): {result.stderr.strip()}\n"
                         f"command: {' '.join(argv)}")
    by_delta: dict[int, list[tuple[str, str, float, float]]] = {d: [] for d in deltas}
    for line in result.stdout.splitlines():
        delta, address, region, mirrored, plain = line.split()
        by_delta[int(delta, 0)].append((address, region, float(mirrored), float(plain)))
    return [summarize(d, by_delta[d]) for d in deltas]


def run(workdir: Path, addresses: int = 400, seed: int = 1) -> dict:
    """The record of one probe: the machine, the shipped delta first, then the candidates."""
    deltas = [MIRROR_DELTA, *(d for d in CANDIDATES if d != MIRROR_DELTA)]
    results = probe(build(workdir), deltas, addresses, seed)
    return {"machine": describe(), "addresses": addresses, "seed": seed, "slow_factor": SLOW_FACTOR,
            "slow_share_limit": SLOW_SHARE_LIMIT, "deltas": [r.record() for r in results]}


def shipped(record: dict) -> dict:
    return next(d for d in record["deltas"] if d["shipped"])


def warning(record: dict) -> str | None:
    """The loud warning when the shipped delta has too many slow addresses on this CPU, else None."""
    d = shipped(record)
    if d["slow_share"] <= SLOW_SHARE_LIMIT:
        return None
    return (f"the shipped mirror delta {d['delta']} has {d['slow']} slow addresses of {d['addresses']} "
            f"({d['slow_share']:.0%}, more than {SLOW_SHARE_LIMIT:.0%}: slower than {SLOW_FACTOR:g}x the median "
            f"{d['median_ns']:.2f} ns, worst {d['worst_ns']:.2f} ns at {d['worst_address']} ({d['worst_region']})) on "
            f"this CPU; every mirrored store pays it. Choose another MIRROR_DELTA in runtime/base/layout.h "
            f"with benchmarks/alias_probe.py and record it under this CPU in the README's 'Measured on'")
