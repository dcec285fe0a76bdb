#!/usr/bin/env python3
"""Run several builds of one program interleaved and compare their wall times (medians, ratio to the
first). How the before/after rows of the README's "What each change bought" were measured: build the
program once per commit (or per runtime), then

    .venv/bin/python benchmarks/interleave.py --reps 15 ./native/speedtest1 ./before/speedtest1 \\
        ./after/speedtest1 -- --memdb --size 30

Each round runs every binary once, in the order given, with the same arguments and the current
directory; a JSON line with the command and the results is appended to benchmarks/results/interleave.jsonl.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mirrorpass.machine import describe

RESULTS = Path(__file__).resolve().parent / "results" / "interleave.jsonl"


def main() -> int:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args(argv[:split])
    program_args = argv[split + 1:]
    missing = [b for b in args.binaries if not Path(b).is_file()]
    if missing:
        parser.error(f"no such program: {', '.join(missing)} (build each variant first, e.g. with "
                     "`mirrorpass bench --workdir DIR`)")
    times: dict[str, list[float]] = {b: [] for b in args.binaries}
    for _ in range(args.reps):
        for binary in args.binaries:
            start = time.perf_counter()
            done = subprocess.run([binary, *program_args], stdout=subprocess.DEVNULL)
            if done.returncode != 0:
                print(f"interleave: {binary} exited with {done.returncode}", file=sys.stderr)
                return 1
            times[binary].append(time.perf_counter() - start)
    base = statistics.median(times[args.binaries[0]])
    rows = []
    for binary, runs in times.items():
        median = statistics.median(runs)
        rows.append({"binary": binary, "median_s": round(median, 4), "ratio": round(median / base, 3),
                     "spread": round((max(runs) - min(runs)) / median, 3)})
        print(f"{binary:50s} {median:.3f} s  {median / base:.3f}x  spread {rows[-1]['spread']:.1%}")
    record = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": " ".join(["benchmarks/interleave.py", *sys.argv[1:]]), "machine": describe(),
              "reps": args.reps, "results": rows}
    with RESULTS.open("a") as out:
        out.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
