"""What became of a run that lost pages, and how sure a rate is.

Classes, against the golden run (the same build, no losses):
  recovered     completed with the golden exit status and identical output
  sdc           completed with the golden exit status and different output: silent data corruption
  reported      the runtime said a lost page cannot be restored ("cannot restore"), then the process died
  crashed       died by a signal, or exited with another status, without that report
  hung          still running at the timeout (killed)
A run in which no page was lost (the program finished first) is `not_injected`: counted beside the others
(outcomes.not_injected), never in the rates; a campaign with more than NOT_INJECTED_LIMIT of such runs in a
workload and build fails (too few of its runs tested anything).
"""

from __future__ import annotations

import math
import signal as _signal
from dataclasses import dataclass, field

OUTCOMES = ("recovered", "crashed", "hung", "sdc", "reported")
NOT_INJECTED = "not_injected"
NOT_INJECTED_LIMIT = 0.10  # share of a workload's runs of one build
REPORT_MARK = "cannot restore"  # runtime/recovery/signal.c report_lost()
# runtime/recovery/signal.c warn_if_maybe_stale(): a page restored while an uninstrumented library was loaded.
UNVERIFIED_MARK = "restored from its mirror, UNVERIFIED"


@dataclass
class RunResult:
    """One process run: how it ended, what it printed, which pages it lost (the injection log)."""

    returncode: int | None  # None: killed at the timeout
    output: bytes
    stderr: str
    seconds: float
    lost: list[str] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None

    def ending(self) -> str:
        if self.timed_out:
            return "timeout"
        if self.signal:
            try:
                return _signal.Signals(self.signal).name
            except ValueError:
                return f"signal {self.signal}"
        return f"exit {self.returncode}"


def classify(golden: RunResult, run: RunResult) -> str:
    if not run.lost:
        return NOT_INJECTED
    if run.timed_out:
        return "hung"
    if run.returncode == golden.returncode:
        return "recovered" if run.output == golden.output else "sdc"
    return "reported" if REPORT_MARK in run.stderr else "crashed"


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% with z = 1.96); (0, 1) without trials. Unlike the
    normal approximation it stays inside [0, 1] and is not empty at 0 or n successes."""
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    radius = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (max(0.0, (centre - radius) / denominator), min(1.0, (centre + radius) / denominator))


def tally(outcomes: list[str]) -> dict:
    """Counts, rates and 95% intervals of the injected runs ("runs" counts those); outcomes.not_injected
    counts the others, which have no rate."""
    injected = [o for o in outcomes if o != NOT_INJECTED]
    n = len(injected)
    counts = {o: injected.count(o) for o in OUTCOMES}
    return {
        "runs": n,
        "outcomes": {**counts, NOT_INJECTED: len(outcomes) - n},
        "rates": {o: (counts[o] / n if n else 0.0) for o in OUTCOMES},
        "ci95": {o: list(wilson(counts[o], n)) for o in OUTCOMES},
    }


def not_injected(entry: dict) -> int:
    """An entry's (a tally's) runs that lost no page; results written before it was an outcome had it aside."""
    return entry["outcomes"].get(NOT_INJECTED, entry.get(NOT_INJECTED, 0))


def not_injected_share(entry: dict) -> float:
    """The share of an entry's runs (a tally) that lost no page."""
    skipped = not_injected(entry)
    return skipped / (entry["runs"] + skipped) if entry["runs"] + skipped else 0.0
