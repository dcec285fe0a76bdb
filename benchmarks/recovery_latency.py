#!/usr/bin/env python3
"""Recovery latency: time from a lost page's fault to resumed execution, per 4 KiB page.

Builds benchmarks/workloads/recovery_latency.c with mirror-cc (segment and offset addressing), runs
each --reps times interleaved, prints the medians (the repairs that take one of the runtime's spare
pages, the first 16 of a process, and the later ones, which map their page), then where the time goes:
workloads/repair_breakdown.c (clang-22, no runtime) does the runtime's repair steps in its own SIGBUS
handler and times each one (signal delivery, membarrier, mmap, copy, mremap, sigreturn), for both
paths. Appends a JSON line to benchmarks/results/recovery_latency.jsonl (`median_us`: the later
repairs; `spare_median_us`: the first 16 of each process). Target: median <= 10 us.

    .venv/bin/python benchmarks/recovery_latency.py --reps 5
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from mirrorpass.machine import cpu_line, describe
from mirrorpass.toolchain import clang_path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SOURCE = HERE / "workloads" / "recovery_latency.c"
BREAKDOWN = HERE / "workloads" / "repair_breakdown.c"
RESULTS = HERE / "results" / "recovery_latency.jsonl"
MIRROR_CC = str(Path(sys.executable).parent / "mirror-cc")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    medians: dict[str, list[float]] = {"segment": [], "offset": []}
    spare_medians: dict[str, list[float]] = {"segment": [], "offset": []}
    with tempfile.TemporaryDirectory() as tmp:
        binaries = {}
        for mode in medians:
            binaries[mode] = Path(tmp) / mode
            subprocess.run([MIRROR_CC, "-O2", f"-fmirror-addressing={mode}", f"-I{REPO / 'runtime' / 'include'}",
                            str(SOURCE), "-o", str(binaries[mode])], check=True)
        for _ in range(args.reps):
            for mode, binary in binaries.items():
                out = subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.split()
                fields = dict(zip(out[::2], out[1::2]))
                medians[mode].append(float(fields["median_us"]))
                spare_medians[mode].append(float(fields["spare_median_us"]))
        breakdown_binary = Path(tmp) / "repair_breakdown"
        subprocess.run([clang_path(), "-O2", str(BREAKDOWN), "-o", str(breakdown_binary)], check=True)
        breakdowns = {}
        for path in ("spare", "fresh"):
            out = subprocess.run([str(breakdown_binary), path, "2000"], capture_output=True, text=True,
                                 check=True).stdout
            breakdowns[path] = {name: {"median": float(m), "p10": float(lo), "p90": float(hi)}
                                for name, m, lo, hi in (line.split() for line in out.splitlines())}
    summary = {mode: statistics.median(v) for mode, v in medians.items()}
    spare_summary = {mode: statistics.median(v) for mode, v in spare_medians.items()}
    for mode in summary:
        print(f"{mode:8s} first 16 repairs (spare pages) median {spare_summary[mode]:.2f} us; later repairs "
              f"median {summary[mode]:.2f} us per page (runs: {', '.join(f'{v:.2f}' for v in medians[mode])})")
    print(f"where the time goes ({BREAKDOWN.name}, 2000 rounds; {cpu_line()}):")
    print(f"  {'':8s} {'spare':>8s} {'fresh':>8s}")
    for name in breakdowns["spare"]:
        s, f = breakdowns["spare"][name], breakdowns["fresh"][name]
        print(f"  {name:8s} {s['median']:8.2f} {f['median']:8.2f} us  (p90 {s['p90']:.2f} / {f['p90']:.2f})")
    if not args.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as f:
            f.write(json.dumps({
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
                "machine": describe(),
                "median_us": summary,
                "runs_us": medians,
                "spare_median_us": spare_summary,
                "spare_runs_us": spare_medians,
                "breakdown_us": breakdowns["fresh"],
                "spare_breakdown_us": breakdowns["spare"],
            }) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
