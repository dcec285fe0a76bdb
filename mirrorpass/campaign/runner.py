"""A campaign: golden runs, then N runs per build that each lose pages at a random moment, classified.

For each workload and each build (native, mirrored):
1. Two golden runs without losses. They must agree with each other (else the output is not
   deterministic and nothing can be classified) and the two builds must agree (else the mirrored
   build is wrong before any loss); the faster of the two is the golden duration. The mirrored build
   runs a third time, sampling coverage: the share of the process's resident writable pages inside the
   protected domain (the runtime's coverage_interval_ms); that run is compared, not timed.
2. N runs. Run i draws a seed and a moment, a fraction of the golden duration in [0.05, 0.85), the
   same for both builds; its `losses` pages are lost by then, one every moment/losses. Pages are lost
   by the runtime's injector in the mirrored build and by the preloaded native injector
   (runtime/inject/native.c) in the native one, both logging each page they lose. A run that
   ended before it lost any page is `not_injected`: counted and shown, never in the rates; more than
   NOT_INJECTED_LIMIT of them fails the campaign (check_injected), since its rates then say little.
Runs of both builds are interleaved and run `jobs` at a time.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import MirrorError
from ..layout import RUNTIME_DIR
from ..machine import describe
from .outcomes import (NOT_INJECTED, NOT_INJECTED_LIMIT, UNVERIFIED_MARK, RunResult, classify, not_injected,
                       not_injected_share, tally)

SCHEMA = 1
KIND = "mirrorpass-campaign"
NATIVE_INJECTOR = RUNTIME_DIR / "build" / "libmirror_inject_native.so"
BUILDS = ("native", "mirrored")
# --target -> the runtime's inject_target (the native injector maps both to its own notion)
TARGETS = {"protected": "any", "anywhere": "anywhere"}
GOLDEN_TIMEOUT = 900.0


class CampaignError(MirrorError):
    """A campaign cannot run: a missing build, a non-deterministic or failing golden run."""


class Subject(Protocol):
    description: str

    def run(self, env: dict[str, str], timeout: float, log: Path) -> RunResult: ...


@dataclass
class Workload:
    name: str
    description: str
    builds: dict[str, Subject]  # "native" and/or "mirrored"


@dataclass
class Settings:
    runs: int
    seed: int
    target: str  # "protected" or "anywhere"
    losses: int = 1
    jobs: int = 2
    timeout: float | None = None  # per run; default 10x the golden run, at least golden + 10 s


def _options(values: dict[str, object]) -> str:
    return ":".join(f"{k}={v}" for k, v in values.items())


def _env(build: str, options: dict[str, object]) -> dict[str, str]:
    """The mirrored build keeps the user's own MIRROR_OPTIONS (allow_uninstrumented, say), in every run
    alike; the campaign's come after them and win. The native build gets the campaign's alone."""
    env = {k: v for k, v in os.environ.items() if k not in ("MIRROR_OPTIONS", "LD_PRELOAD")}
    user = os.environ.get("MIRROR_OPTIONS", "") if build == "mirrored" else ""
    combined = ":".join(filter(None, [user, _options(options) if options else ""]))
    if combined:
        env["MIRROR_OPTIONS"] = combined
    if options and build == "native" and "inject_count" in options:
        env["LD_PRELOAD"] = str(NATIVE_INJECTOR)
    return env


def _coverage(stats: Path) -> dict | None:
    try:
        data = json.loads(stats.read_text())
        resident, protected = data["coverage_resident_pages"], data["coverage_protected_pages"]
    except (OSError, ValueError, KeyError):
        return None
    if not resident:
        return None
    return {"samples": data["coverage_samples"], "share": min(1.0, protected / resident),
            "resident_pages_mean": resident / max(1, data["coverage_samples"]),
            "protected_pages_mean": protected / max(1, data["coverage_samples"])}


def _describe(result: RunResult) -> str:
    tail = result.stderr.strip().splitlines()[-3:]
    return f"{result.ending()}" + (": " + " | ".join(tail) if tail else "")


def _same(workload: Workload, build: str, first: RunResult, other: RunResult) -> None:
    if (other.returncode, other.output) != (first.returncode, first.output):
        raise CampaignError(
            f"{workload.name} ({build}): two runs without losses differ ({first.ending()}, {len(first.output)} "
            f"bytes of output; then {other.ending()}, {len(other.output)} bytes): the output must be "
            "deterministic to tell a recovery from silent corruption")


def fastest(runs: list[RunResult]) -> RunResult:
    """The golden run that times the moments: the faster of plain runs (the first pays for a cold page cache
    and cold binaries; a moment drawn from an inflated time falls after the program ended)."""
    return min(runs, key=lambda r: r.seconds)


def _golden(workload: Workload, build: str, subject: Subject, scratch: Path) -> tuple[RunResult, dict | None]:
    """Two plain runs, which must agree; the faster one is the golden run. The mirrored build runs once more,
    sampling coverage (the sampling slows it: that run is compared, never timed)."""
    log = scratch / f"golden-{workload.name}-{build}.log"
    plain: list[RunResult] = []
    for _ in range(2):
        plain.append(subject.run(_env(build, {}), GOLDEN_TIMEOUT, log))
        if plain[-1].timed_out:
            raise CampaignError(f"{workload.name} ({build}): the run without losses did not finish in "
                                f"{GOLDEN_TIMEOUT:.0f} s")
    _same(workload, build, plain[0], plain[1])
    golden = fastest(plain)
    if build != "mirrored":
        return golden, None
    stats = scratch / f"golden-{workload.name}-{build}.json"
    options = {"coverage_interval_ms": max(5, min(1000, int(golden.seconds * 1000 / 50))), "stats_json": stats}
    _same(workload, build, plain[0], subject.run(_env(build, options), GOLDEN_TIMEOUT, log))
    return golden, _coverage(stats)


def golden_runs(builds: dict) -> int:
    """How many runs without losses a workload makes (see _golden)."""
    return 2 * len(builds) + ("mirrored" in builds)


def new_result(settings: Settings, command: str, mode: str) -> dict:
    return {
        "schema": SCHEMA, "kind": KIND, "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": describe(),
        "seed": settings.seed, "target": settings.target, "losses_per_run": settings.losses,
        "runs_per_build": settings.runs, "mode": mode, "workloads": [],
    }


def check_builds_agree(workload: Workload, golden: dict[str, RunResult]) -> None:
    if len({(g.returncode, g.output) for g in golden.values()}) > 1:
        n, m = golden["native"], golden["mirrored"]
        raise CampaignError(f"{workload.name}: the mirrored build differs from the native one without any loss "
                            f"(native {n.ending()}, {len(n.output)} bytes of output; mirrored {m.ending()}, "
                            f"{len(m.output)} bytes)")


def plan_runs(settings: Settings) -> list[tuple[int, int, float]]:
    """(run, seed, moment as a fraction of the golden duration) for each run; the same for every build."""
    rng = random.Random(settings.seed)
    return [(i, rng.randrange(1, 2**31 - 1), rng.uniform(0.05, 0.85)) for i in range(settings.runs)]


def injection(settings: Settings, seed: int, fraction: float, golden_seconds: float) -> tuple[int, dict[str, object]]:
    """The moment (ms) and the inject_* options of one run (inject_log is the caller's)."""
    moment_ms = max(1, int(golden_seconds * 1000 * fraction))
    return moment_ms, {"inject_count": settings.losses, "inject_seed": seed, "inject_target": TARGETS[settings.target],
                       "inject_interval_ms": max(1, moment_ms // settings.losses)}


def run_timeout(settings: Settings, golden_seconds: float) -> float:
    return settings.timeout or max(10 * golden_seconds, golden_seconds + 10)


def record(build: str, i: int, seed: int, moment_ms: int, golden: RunResult, run: RunResult) -> dict:
    outcome = classify(golden, run)
    entry = {"build": build, "run": i, "seed": seed, "moment_ms": moment_ms, "outcome": outcome,
             "ending": run.ending(), "seconds": round(run.seconds, 3), "lost": run.lost,
             "unverified": UNVERIFIED_MARK in run.stderr}
    if outcome not in ("recovered", NOT_INJECTED):
        entry["detail"] = _describe(run)
    return entry


def add_workload(result: dict, workload: Workload, golden: dict[str, RunResult], coverage: dict | None,
                 records: list[dict]) -> None:
    records.sort(key=lambda r: (r["run"], BUILDS.index(r["build"])))
    result["workloads"].append({
        "name": workload.name, "description": workload.description, "coverage": coverage,
        "golden_s": {b: round(g.seconds, 3) for b, g in golden.items()},
        "builds": {b: {**tally([r["outcome"] for r in records if r["build"] == b]),
                       "pages_lost": sum(len(r["lost"]) for r in records if r["build"] == b),
                       "unverified_runs": sum(r["unverified"] for r in records if r["build"] == b)}
                   for b in workload.builds},
        "runs": records,
    })


def add_totals(result: dict) -> dict:
    """The top level is the mirrored build, {"runs": N, "outcomes": {...}, ...}; "native" beside it."""
    for build in BUILDS:
        outcomes = [r["outcome"] for w in result["workloads"] for r in w["runs"] if r["build"] == build]
        if outcomes:
            summary = {**tally(outcomes), **{key: sum(w["builds"][build][key] for w in result["workloads"]
                                                      if build in w["builds"])
                                              for key in ("pages_lost", "unverified_runs")}}
            if build == "mirrored":
                result.update(summary)
            else:
                result["native"] = summary
    return result


def check_native_injector(workloads: list[Workload]) -> None:
    if any("native" in w.builds for w in workloads) and not NATIVE_INJECTOR.exists():
        raise CampaignError(f"the native injector {NATIVE_INJECTOR} is missing; build it with `make -C runtime`")


def run_campaign(workloads: list[Workload], settings: Settings, command: str,
                 progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Run the campaign; `progress(description, done, total)` is called as runs finish."""
    check_native_injector(workloads)
    scratch = Path(tempfile.mkdtemp(prefix="mirrorpass-campaign-"))
    total = sum(len(w.builds) * settings.runs + golden_runs(w.builds) for w in workloads)
    done = 0

    def advance(description: str, count: int = 1) -> None:
        nonlocal done
        done += count
        if progress:
            progress(description, done, total)

    result = new_result(settings, command, "injected (an empty memfd mapped over the page: SIGBUS BUS_ADRERR)")
    for workload in workloads:
        golden: dict[str, RunResult] = {}
        coverage = None
        for build, subject in workload.builds.items():
            golden[build], cov = _golden(workload, build, subject, scratch)
            coverage = coverage or cov
            advance(f"{workload.name}: golden runs", golden_runs({build: subject}))
        check_builds_agree(workload, golden)
        tasks = [(i, seed, fraction, build) for i, seed, fraction in plan_runs(settings) for build in workload.builds]

        def one(task: tuple[int, int, float, str]) -> dict:
            i, seed, fraction, build = task
            g = golden[build]
            moment_ms, options = injection(settings, seed, fraction, g.seconds)
            log = scratch / f"{workload.name}-{build}-{i}.log"
            run = workload.builds[build].run(_env(build, {**options, "inject_log": log}),
                                             run_timeout(settings, g.seconds), log)
            return record(build, i, seed, moment_ms, g, run)

        records: list[dict] = []
        with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
            for future in as_completed([pool.submit(one, t) for t in tasks]):
                records.append(future.result())
                advance(f"{workload.name}: runs")
        add_workload(result, workload, golden, coverage, records)
    return add_totals(result)


def check_injected(result: dict) -> list[str]:
    """One line per workload and build of which more than NOT_INJECTED_LIMIT of the runs lost no page."""
    problems = []
    for w in result["workloads"]:
        for build, entry in w["builds"].items():
            share = not_injected_share(entry)
            if share > NOT_INJECTED_LIMIT:
                skipped = not_injected(entry)
                golden = w["golden_s"].get(build)
                problems.append(
                    f"{w['name']} ({build}): {skipped} of {entry['runs'] + skipped} runs ({100 * share:.0f}%, limit "
                    f"{100 * NOT_INJECTED_LIMIT:.0f}%) ended before any page was lost; the moments are drawn from "
                    f"the run without losses ({golden} s): lengthen the workload (more input, more rounds) so "
                    "that it runs long enough to lose its pages")
    return problems
