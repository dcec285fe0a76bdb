#!/usr/bin/env python3
"""Alias probe: ns per store-mirror-load iteration over random heap and stack addresses, per delta.

For the shipped MIRROR_DELTA (runtime/base/layout.h) and the candidates in mirrorpass/bench/alias.py,
prints the CPU, the median with and without the mirror store, the worst address and the share of slow
addresses (slower than 3x the delta's median), and appends the record to
benchmarks/results/alias_probe.jsonl. Exit status 1 when the shipped delta's share of slow addresses is
over the limit (the warning `mirrorpass bench --quick` prints).

    .venv/bin/python benchmarks/alias_probe.py [--addresses 400] [--seed 1] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import mirrorpass.console
from mirrorpass.bench.alias import run, warning
from mirrorpass.errors import MirrorError
from mirrorpass.report.terminal import alias_table

RESULTS = Path(__file__).resolve().parent / "results" / "alias_probe.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--addresses", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    console = mirrorpass.console.stdout
    try:
        with tempfile.TemporaryDirectory() as tmp:
            record = run(Path(tmp), args.addresses, args.seed)
    except MirrorError as exc:
        print(f"alias_probe: error: {exc}", file=sys.stderr)
        return 1
    record["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    console.print(alias_table(record))
    if not args.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a") as f:
            f.write(json.dumps(record) + "\n")
    message = warning(record)
    if message:
        console.print(f"[bold red]WARNING:[/] {message}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
