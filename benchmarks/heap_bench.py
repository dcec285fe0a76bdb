#!/usr/bin/env python3
"""Allocation-heavy workloads: the mirrored heap against glibc malloc, interleaved in one run.

Three builds of benchmarks/workloads/alloc_heavy.c:
  native  clang-22 -O2 (glibc malloc, no mirroring) -- for reference
  glibc   mirror-cc -O2 -fmirror-libc=direct (every store mirrored, allocations from glibc malloc:
          the mirror of heap metadata and calloc'd memory is NOT exact)
  heap    mirror-cc -O2 (every store mirrored, allocations from the mirrored heap: exact)
The target compares heap with glibc (the allocator is the only difference): within 10% in time.
Runs are interleaved (native, glibc, heap, native, ...) and medians reported; a JSON line with the
command, machine and results is appended to benchmarks/results/heap.jsonl.

    .venv/bin/python benchmarks/heap_bench.py --reps 7
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mirrorpass.machine import describe

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "workloads" / "alloc_heavy.c"
RESULTS = HERE / "results" / "heap.jsonl"
MIRROR_CC = str(Path(sys.executable).parent / "mirror-cc")
WORKLOADS = ("trees", "mixed", "strings")
BUILDS = {
    "native": ["clang-22", "-O2", "-pthread"],
    "glibc": [MIRROR_CC, "-O2", "-pthread", "-fmirror-libc=direct"],
    "heap": [MIRROR_CC, "-O2", "-pthread"],
}




def run_once(binary: Path, workload: str) -> tuple[float, int, str]:
    start = time.perf_counter()
    out = subprocess.run([str(binary), workload], capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_maxrss, out.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--no-record", action="store_true", help="do not append to the results file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        binaries = {}
        for name, compiler in BUILDS.items():
            binaries[name] = Path(tmp) / name
            subprocess.run([*compiler, str(SOURCE), "-o", str(binaries[name])], check=True)
        results = {}
        for workload in WORKLOADS:
            walls = {name: [] for name in BUILDS}
            outputs = {}
            for _ in range(args.reps):
                for name, binary in binaries.items():
                    wall, _, out = run_once(binary, workload)
                    walls[name].append(wall)
                    outputs[name] = out
            if len(set(outputs.values())) != 1:
                print(f"{workload}: outputs differ: {outputs}", file=sys.stderr)
                return 1
            med = {name: statistics.median(v) for name, v in walls.items()}
            results[workload] = {
                "median_s": med,
                "min_s": {name: min(v) for name, v in walls.items()},
                "heap_vs_glibc": med["heap"] / med["glibc"],
                "heap_vs_native": med["heap"] / med["native"],
            }
            print(f"{workload:8s} native {med['native']:.3f}s  glibc {med['glibc']:.3f}s  heap {med['heap']:.3f}s"
                  f"  heap/glibc {results[workload]['heap_vs_glibc']:.3f}  heap/native {results[workload]['heap_vs_native']:.3f}")
        ratios = [r["heap_vs_glibc"] for r in results.values()]
        geomean = statistics.geometric_mean(ratios)
        print(f"geomean heap/glibc {geomean:.3f} (target <= 1.10)")
    if not args.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": describe(),
            "reps": args.reps,
            "results": results,
            "geomean_heap_vs_glibc": geomean,
        }
        with RESULTS.open("a") as f:
            f.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
