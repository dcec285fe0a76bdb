"""`mirrorpass bench`: build every project in every variant, run the workloads interleaved
(native, segment, offset, asan, native, ...) for several repetitions, and write one JSON file.

A run's wall time is measured around the process (the client, for Redis); user and sys time, peak RSS
and minor faults come from wait4() of the measured process (the server, for Redis). Mirrored runs also
write the runtime's stats_json; what the RSS target allows for is the protected domain's peak residency
(protected_resident_peak_bytes), from those runs and from one more untimed run of each mirrored variant
that samples it every PEAK_SAMPLE_MS (a program that frees its memory before exit has little resident
at exit: the service example's 16 MiB of working memory counted as 164 KiB).
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..console import stderr
from .projects import CLANG, VARIANTS, BenchError, Project, Workload
from ..elf.sizes import code_sizes, function_growth
from ..machine import describe

RUN_TIMEOUT = 900
SCHEMA = 1


@dataclass
class Sample:
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_kb: int
    minor_faults: int
    protected_resident_bytes: int | None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_tool(workdir: Path) -> Path:
    """Build the resource-measuring launcher (measure.c) once per work directory."""
    tool = workdir / "measure"
    if not tool.exists():
        result = subprocess.run([CLANG, "-O2", str(Path(__file__).parent / "measure.c"), "-o", str(tool)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchError(f"cannot build the measuring launcher: {result.stderr.strip()}")
    return tool


def _measured(result_file: Path) -> tuple[int, float, float, float, int, int]:
    try:
        code, wall, user, sys_, rss, faults = result_file.read_text().split()
    except (OSError, ValueError) as exc:
        raise BenchError(f"the measuring launcher left no result in {result_file}: {exc}") from exc
    return int(code), float(wall), float(user), float(sys_), int(rss), int(faults)


# The untimed run of each mirrored variant that samples the protected domain's residency this often,
# for its peak (a program that frees its memory before it exits has little resident at exit).
PEAK_SAMPLE_MS = 10


def _env(variant: str, stats: Path, sample_peak: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MIRROR_OPTIONS", None)
    if variant in ("segment", "offset", "annotated"):
        env["MIRROR_OPTIONS"] = f"stats_json={stats}" + (f":coverage_interval_ms={PEAK_SAMPLE_MS}" if sample_peak else "")
    if variant == "asan":
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    return env


def _protected(stats: Path) -> int | None:
    """The protected domain's resident bytes: the peak the runtime saw (at exit, or sampled)."""
    try:
        data = json.loads(stats.read_text())
        return int(data.get("protected_resident_peak_bytes", data["protected_resident_bytes"]))
    except (OSError, ValueError, KeyError):
        return None


def run_once(workload: Workload, tree: Path, variant: str, scratch: Path, measure: Path,
             sample_peak: bool = False) -> Sample:
    run = workload.run(tree, scratch)
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    stats, measured = scratch / f"stats-{tag}.json", scratch / f"rusage-{tag}"
    env = _env(variant, stats, sample_peak)
    if workload.server is None:
        stdin = run.stdin.open("rb") if run.stdin else subprocess.DEVNULL
        try:
            process = subprocess.run([str(measure), str(measured), *run.argv], cwd=tree, stdin=stdin,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=RUN_TIMEOUT)
        finally:
            if run.stdin:
                stdin.close()
        code, wall, user, sys_, rss, faults = _measured(measured)
        if code != 0:
            raise BenchError(f"{workload.project}/{workload.name} ({variant}) exited with {code}: "
                             f"{process.stderr.decode(errors='replace')[-2000:]}")
        return Sample(wall, user, sys_, rss, faults, _protected(stats))
    # Client/server: the server is measured (its CPU and memory), the client's duration is the wall time.
    port = str(_free_port())
    server = subprocess.Popen([str(measure), str(measured), *workload.server, "--port", port], cwd=tree,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    cli = [str(tree / "src" / "redis-cli"), "-p", port]
    try:
        deadline = time.monotonic() + 60
        while subprocess.run([*cli, "PING"], capture_output=True).stdout.strip() != b"PONG":
            if server.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"{workload.project} ({variant}): the server did not start")
            time.sleep(0.05)
        start = time.perf_counter()
        client = subprocess.run([*run.argv, "-p", port], cwd=tree, capture_output=True, timeout=RUN_TIMEOUT)
        wall = time.perf_counter() - start
        if client.returncode != 0:
            raise BenchError(f"{workload.project}/{workload.name} ({variant}): the client failed: "
                             f"{client.stderr.decode(errors='replace')[-2000:]}")
    finally:
        subprocess.run([*cli, "SHUTDOWN", "NOSAVE"], capture_output=True)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise BenchError(f"{workload.project} ({variant}): the server did not exit after SHUTDOWN") from None
    _, _, user, sys_, rss, faults = _measured(measured)
    return Sample(wall, user, sys_, rss, faults, _protected(stats))


def _summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def _hardware_counters() -> str:
    """Whether perf can count instructions here (it often cannot in a VM)."""
    try:
        result = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "true"], capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable: {exc}"
    if "<not supported>" in result.stderr or result.returncode != 0:
        return "unavailable: perf cannot count instructions on this machine (<not supported>)"
    return "available (not collected by this version)"


def bench(projects: list[Project], variants: list[str], reps: int, workdir: Path, quick: bool) -> dict:
    result: dict = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": describe(),
        "quick": quick, "reps": reps, "variants": variants,
        "hardware_counters": _hardware_counters(),
        "compile_s": {}, "code_size": {}, "functions": {}, "workloads": [],
    }
    workloads = [w for p in projects for w in p.workloads if w.quick or not quick]
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=workdir))
    measure = measure_tool(workdir)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr, transient=False) as progress:
        builds = progress.add_task("building", total=len(projects) * len(variants))
        trees: dict[tuple[str, str], Path] = {}
        for project in projects:
            result["compile_s"][project.name] = {}
            for variant in variants:
                progress.update(builds, description=f"building {project.name} ({variant})")
                tree, seconds = project.prepare(variant, workdir)
                trees[project.name, variant] = tree
                result["compile_s"][project.name][variant] = round(seconds, 3)
                progress.advance(builds)
            result["code_size"][project.name] = {
                binary: code_sizes({v: trees[project.name, v] / binary for v in variants}) for binary in project.binaries
            }
            if "native" in variants and "segment" in variants:
                first = project.binaries[0]
                result["functions"][project.name] = function_growth(
                    trees[project.name, "native"] / first, trees[project.name, "segment"] / first)
        progress.update(builds, description="built")
        runs = progress.add_task("running", total=len(workloads) * len(variants) * reps)
        for workload in workloads:
            samples: dict[str, list[Sample]] = {v: [] for v in variants}
            for rep in range(reps):
                for variant in variants:  # interleaved: A B C D A B C D ...
                    progress.update(runs, description=f"{workload.project}/{workload.name} ({variant}, "
                                                      f"{rep + 1}/{reps})")
                    samples[variant].append(run_once(workload, trees[workload.project, variant], variant, scratch, measure))
                    progress.advance(runs)
            summaries = {v: _variant_summary(s) for v, s in samples.items()}
            for variant in (v for v in variants if v in ("segment", "offset", "annotated")):
                progress.update(runs, description=f"{workload.project}/{workload.name} ({variant}, peak residency)")
                peak = run_once(workload, trees[workload.project, variant], variant, scratch, measure, sample_peak=True)
                if peak.protected_resident_bytes is not None:  # the untimed, sampled run: never in the times
                    summaries[variant]["protected_resident_bytes"] = max(
                        summaries[variant]["protected_resident_bytes"] or 0, peak.protected_resident_bytes)
            result["workloads"].append({
                "project": workload.project, "name": workload.name, "description": workload.description,
                "variants": summaries,
            })
        progress.update(runs, description="done")
    return result


def _variant_summary(samples: list[Sample]) -> dict:
    protected = [s.protected_resident_bytes for s in samples if s.protected_resident_bytes is not None]
    return {
        "wall_s": _summary([s.wall_s for s in samples]),
        "user_s": _summary([s.user_s for s in samples]),
        "sys_s": _summary([s.sys_s for s in samples]),
        "max_rss_kb": _summary([float(s.max_rss_kb) for s in samples]),
        "minor_faults": _summary([float(s.minor_faults) for s in samples]),
        "protected_resident_bytes": max(protected) if protected else None,
    }


def write(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(path)


def check_variants(variants: list[str]) -> list[str]:
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        raise BenchError(f"unknown variant(s) {', '.join(bad)}; choose from {', '.join(VARIANTS)}")
    if "native" not in variants:
        raise BenchError("the native variant is the baseline of every ratio: keep it in --variants")
    return variants
