#!/usr/bin/env python3
"""What each way of living with a library mirror-cc did not build gives (issue 18, item 5).

The subject is benchmarks/workloads/zlib_rounds.c (12 rounds of compress + uncompress of a 4 MiB heap
buffer, a checksum printed) against the *system's* libz, standing in for a vendor .so that cannot be
rebuilt, in these builds:

  native      clang-22 -O2, no mirrorpass
  as-is       mirror-cc -O2: libz's writes into the program's buffers are not mirrored
  sync        mirror-cc with examples/vendor_sync/zlib_synced.h: mirror_sync after each call, and
              allow_uninstrumented=libz.so.1 at run time (the program vouches for the library)
  outside     mirror-cc -DOUTSIDE_DOMAIN: the buffers libz writes are mmap'd, outside the domain
  rebuilt     mirror-cc against an instrumented libz (--deps-prefix, from `mirrorpass deps install zlib`)

For each: wall time (--reps interleaved runs, median, ratio to native), the audit at exit (divergent
bytes), the share of resident writable pages inside the protected domain (coverage sampling), and
with --campaign-runs N a `mirrorpass campaign` of N runs losing one page of the protected domain each
(`--target protected`) and N losing one anywhere in the process (`--target anywhere`). Appends a JSON
line to benchmarks/results/vendor_options.jsonl.

    .venv/bin/python benchmarks/vendor_options.py --reps 7 --campaign-runs 100 --deps-prefix /tmp/depsz
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mirrorpass.machine import cpu_line, describe
from mirrorpass.toolchain import clang_path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SOURCE = HERE / "workloads" / "zlib_rounds.c"
RESULTS = HERE / "results" / "vendor_options.jsonl"
BIN = Path(sys.executable).parent
MIRROR_CC = str(BIN / "mirror-cc")
MIRRORPASS = str(BIN / "mirrorpass")
# The options each build runs with (sync: the program vouches that libz writes nothing it did not sync).
RUN_OPTIONS = {"sync": "allow_uninstrumented=libz.so.1"}


def build(tmp: Path, deps_prefix: str | None) -> dict[str, Path]:
    system = {**os.environ, "MIRRORPASS_DEPS_PREFIX": ""}
    recipes = {
        "native": ([clang_path(), "-O2"], system),
        "as-is": ([MIRROR_CC, "-O2", "-fmirror-uninstrumented=allow"], system),
        "sync": ([MIRROR_CC, "-O2", "-fmirror-uninstrumented=allow", f"-I{REPO / 'runtime' / 'include'}",
                  f"-I{REPO / 'examples' / 'vendor_sync'}", "-include", "zlib_synced.h", "-DZLIB_SYNCED_REPLACE"],
                 system),
        "outside": ([MIRROR_CC, "-O2", "-fmirror-uninstrumented=allow", "-DOUTSIDE_DOMAIN"], system),
    }
    if deps_prefix:
        recipes["rebuilt"] = ([MIRROR_CC, "-O2", "-fmirror-uninstrumented=error"],
                              {**os.environ, "MIRRORPASS_DEPS_PREFIX": deps_prefix})
    binaries = {}
    for name, (compiler, env) in recipes.items():
        binaries[name] = tmp / name
        subprocess.run([*compiler, str(SOURCE), "-lz", "-o", str(binaries[name])], check=True, env=env)
    return binaries


def run(binary: Path, options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MIRROR_OPTIONS": options} if options else dict(os.environ)
    return subprocess.run([str(binary)], capture_output=True, text=True, env=env, check=True)


def audit_and_coverage(name: str, binary: Path, tmp: Path) -> dict:
    stats = tmp / f"{name}.stats.json"
    options = ":".join(filter(None, [RUN_OPTIONS.get(name), f"stats_json={stats}", "coverage_interval_ms=20"]))
    run(binary, options)
    data = json.loads(stats.read_text())
    share = data["coverage_protected_pages"] / data["coverage_resident_pages"] if data["coverage_resident_pages"] else 0
    return {"audit_divergent_bytes": data["audit_divergent_bytes"], "coverage": round(share, 4)}


def campaign(name: str, binary: Path, native: Path, target: str, runs: int, tmp: Path) -> dict:
    out = tmp / f"{name}.{target}.campaign.json"
    env = dict(os.environ)
    if name in RUN_OPTIONS:
        env["MIRROR_OPTIONS"] = RUN_OPTIONS[name]
    subprocess.run([MIRRORPASS, "campaign", "--runs", str(runs), "--seed", "7", "--target", target,
                    "--native", str(native), "--json", str(out), "--", str(binary)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    result = json.loads(out.read_text())
    failures = [{k: r[k] for k in ("run", "outcome", "lost", "detail")} for w in result["workloads"] for r in w["runs"]
                if r["build"] == "mirrored" and "detail" in r]
    return {"runs": result["runs"], **result["outcomes"], "unverified_runs": result["unverified_runs"],
            "native": result["native"]["outcomes"], "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--campaign-runs", type=int, default=0, help="runs per campaign (0: no campaign)")
    parser.add_argument("--deps-prefix", help="a prefix holding an instrumented zlib (mirrorpass deps install zlib)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        binaries = build(tmp, args.deps_prefix)
        times: dict[str, list[float]] = {name: [] for name in binaries}
        for _ in range(args.reps):
            for name, binary in binaries.items():
                start = time.perf_counter()
                run(binary, RUN_OPTIONS.get(name, ""))
                times[name].append(time.perf_counter() - start)
        native_s = statistics.median(times["native"])
        rows = {}
        for name, binary in binaries.items():
            row = {"median_s": round(statistics.median(times[name]), 4),
                   "ratio": round(statistics.median(times[name]) / native_s, 3)}
            if name != "native":
                row.update(audit_and_coverage(name, binary, tmp))
                if args.campaign_runs:
                    for target in ("protected", "anywhere"):
                        row[f"campaign_{target}"] = campaign(name, binary, binaries["native"], target,
                                                             args.campaign_runs, tmp)
            rows[name] = row
    print(f"{cpu_line()}; zlib_rounds.c against the system libz; {args.reps} interleaved runs, medians")
    for name, row in rows.items():
        line = f"  {name:8} {row['median_s']:.3f} s  {row['ratio']:.3f}x"
        if "audit_divergent_bytes" in row:
            line += f"  audit {row['audit_divergent_bytes']:>9} B  coverage {row['coverage']:.1%}"
        for target in ("protected", "anywhere"):
            if f"campaign_{target}" in row:
                c = row[f"campaign_{target}"]
                line += (f"  {target}: {c['recovered']}/{c['runs']} recovered, {c['sdc']} sdc, {c['reported']} reported, "
                         f"{c['crashed']} crashed, {c['unverified_runs']} unverified")
        print(line)
    if not args.no_record:
        record = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  "machine": describe(), "command": " ".join(["benchmarks/vendor_options.py", *sys.argv[1:]]),
                  "reps": args.reps, "builds": rows}
        with RESULTS.open("a") as f:
            f.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
