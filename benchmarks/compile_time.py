#!/usr/bin/env python3
"""Compile time of one C file with two compilers, interleaved (A B A B ...).

    python benchmarks/compile_time.py                       # clang-22 vs .venv/bin/mirror-cc on sqlite3.c
    python benchmarks/compile_time.py --reps 5 --flags='-O2 -g'
    python benchmarks/compile_time.py --compiler-b clang-22 --no-record   # sanity check, ratio ~1.0
    python benchmarks/compile_time.py --trivial --reps 21 --server warm,cold,off   # the compile server

--server (mirror-cc only) runs B once per listed mode in every round, interleaved with A: `warm` with
the compile server already running, `cold` with it stopped before each run (untimed), so the run pays
the server's start, `off` with MIRRORPASS_SERVER=off (the compile in mirror-cc's own process).
--trivial compiles a two-line file instead: the per-call cost a build of many small files pays.

Each run is `<compiler> <flags> -c <file> -o <tmpdir>/{a,b}.o`, timed as wall time (plus the CPU time
and peak RSS of the compiler and the processes it waited for, from wait4). Prints the runs, the medians
and the ratio B/A of the median wall times, and appends one JSON line to
benchmarks/results/compile_time.jsonl unless --no-record. The default --file is SQLite 3.40.1's
amalgamation, prepared (and cached) by tests/realworld/debian_sources.py on first use.

Interleaving spreads slow drifts of a noisy machine over both compilers; run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mirrorpass.machine import describe

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "compile_time.jsonl"
DEFAULT_A = "clang-22"
DEFAULT_B = str(REPO / ".venv" / "bin" / "mirror-cc")


class BenchError(Exception):
    pass


def resolve_compiler(name: str, role: str) -> str:
    """Absolute path of an executable compiler, or a BenchError saying what is missing."""
    if os.sep in name:
        p = Path(name)
        if not p.exists():
            hint = ""
            if p == Path(DEFAULT_B):
                hint = " (mirror-cc is installed by `pip install -e .` into the project's .venv)"
            raise BenchError(f"{role} {name} does not exist{hint}")
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise BenchError(f"{role} {name} is not an executable file")
        return str(p.absolute())
    found = shutil.which(name)
    if not found:
        raise BenchError(f"{role} {name!r} not found on PATH")
    return found


def compiler_version(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else f"unknown (exit {out.returncode})"




def default_file() -> Path:
    from mirrorpass.projects import debian_sources  # noqa: PLC0415

    try:
        return debian_sources.sqlite_amalgamation() / "sqlite3.c"
    except debian_sources.SourceFetchError as exc:
        raise BenchError(f"cannot prepare the default --file (SQLite amalgamation): {exc}") from exc


TRIVIAL = "int counter;\nint bump(int by) { counter += by; return counter; }\n"
SERVER_MODES = ("warm", "cold", "off")
MIRRORPASS = REPO / ".venv" / "bin" / "mirrorpass"


def server_env(mode: str | None) -> dict[str, str] | None:
    if mode is None:
        return None
    env = dict(os.environ, MIRRORPASS_SERVER="off" if mode == "off" else "on")
    if mode != "off":  # untimed: stop it before a cold run, make sure one runs before a warm run
        action = "stop" if mode == "cold" else "start"
        out = subprocess.run([str(MIRRORPASS), "server", action], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise BenchError(f"mirrorpass server {action} failed: {(out.stderr or out.stdout).strip()}")
    return env


def run_once(compiler: str, flags: list[str], src: Path, obj: Path, env: dict[str, str] | None = None) -> dict:
    """One compilation; wall time, CPU time and peak RSS (compiler and its waited-for children: a
    compile in the server is not counted in CPU time or RSS, only in wall time)."""
    if obj.exists():
        obj.unlink()
    cmd = [compiler, *flags, "-c", str(src), "-o", str(obj)]
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or not obj.exists():
            log.seek(0)
            tail = log.read().decode(errors="replace").rstrip().splitlines()[-25:]
            raise BenchError(
                f"compilation failed (exit {proc.returncode}): {shlex.join(cmd)}\n" + "\n".join(tail)
            )
    return {
        "wall_s": round(wall, 4),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 4),
        "max_rss_kb": ru.ru_maxrss,
        "obj_bytes": obj.stat().st_size,
    }


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Compile one file with two compilers, interleaved; report medians and B/A.",
        epilog="Flags starting with '-' need the = form: --flags='-O2 -g'.",
    )
    ap.add_argument("--compiler-a", default=DEFAULT_A, help="baseline compiler (default: %(default)s)")
    ap.add_argument("--compiler-b", default=DEFAULT_B, help="compiler under test (default: %(default)s)")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per compiler (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=0,
                    help="untimed runs per compiler first, to warm caches (default: %(default)s)")
    ap.add_argument("--file", type=Path, default=None,
                    help="C file to compile (default: the SQLite 3.40.1 amalgamation's sqlite3.c)")
    ap.add_argument("--trivial", action="store_true", help="compile a two-line C file (the per-call cost)")
    ap.add_argument("--server", default=None,
                    help="B is mirror-cc: run it per compile-server mode, a comma list of warm, cold, off")
    ap.add_argument("--flags", default="-O2",
                    help="compiler flags, shell-split, used by both (default: %(default)s)")
    ap.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.relative_to(REPO)}")
    ap.add_argument("--results", type=Path, default=RESULTS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    try:
        if args.reps < 1:
            raise BenchError("--reps must be at least 1")
        comp_a = resolve_compiler(args.compiler_a, "compiler A")
        comp_b = resolve_compiler(args.compiler_b, "compiler B")
        modes: list[str | None] = [None]
        if args.server:
            modes = [m.strip() for m in args.server.split(",") if m.strip()]
            if not modes or any(m not in SERVER_MODES for m in modes):
                raise BenchError(f"--server takes a comma list of {', '.join(SERVER_MODES)}, not {args.server!r}")
        flags = shlex.split(args.flags)
        bad = [f for f in flags if f in ("-c", "-o", "-E", "-S")]
        if bad:
            raise BenchError(f"--flags must not contain {bad}: the script adds -c -o itself")

        with tempfile.TemporaryDirectory(prefix="compile_time.") as tmp:
            if args.trivial:
                src = Path(tmp) / "trivial.c"
                src.write_text(TRIVIAL)
            else:
                src = (args.file if args.file is not None else default_file()).resolve()
            if not src.is_file():
                raise BenchError(f"--file {src} does not exist")
            src_bytes = src.read_bytes()
            ver_a, ver_b = compiler_version(comp_a), compiler_version(comp_b)
            print(f"file: {'(trivial) ' if args.trivial else ''}{src} ({len(src_bytes) / 1e6:.3f} MB)")
            print(f"A: {comp_a}  [{ver_a}]")
            print(f"B: {comp_b}  [{ver_b}]" + (f"  compile server: {', '.join(modes)}" if args.server else ""))
            print(f"flags: {shlex.join(flags)}   reps: {args.reps} interleaved (A B A B ...)"
                  + (f", warm-up {args.warmup}" if args.warmup else ""))
            load_before = os.getloadavg()

            names = ["a"] + [f"b-{m}" if m else "b" for m in modes]
            runs: dict[str, list[dict]] = {k: [] for k in names}
            objs = {k: Path(tmp) / f"{k}.o" for k in names}
            comps = {k: comp_a if k == "a" else comp_b for k in names}
            mode_of = {k: (None if k == "a" else m) for k, m in zip(names, [None, *modes])}
            for i in range(args.warmup + args.reps):
                for k in names:
                    r = run_once(comps[k], flags, src, objs[k], server_env(mode_of[k]))
                    if i < args.warmup:
                        print(f"  warm-up {i + 1} {k.upper()}: {r['wall_s']:7.3f} s")
                        continue
                    runs[k].append(r)
                    print(f"  rep {i + 1 - args.warmup} {k.upper()}: {r['wall_s']:7.3f} s wall  {r['cpu_s']:7.3f} s cpu  "
                          f"{r['max_rss_kb'] / 1024:6.0f} MB peak  {r['obj_bytes']} B .o", flush=True)

        med = {k: {m: median(runs[k], m) for m in ("wall_s", "cpu_s", "max_rss_kb")} for k in runs}
        ratios = {k: round(med[k]["wall_s"] / med["a"]["wall_s"], 4) for k in names[1:]}
        for k in names[1:]:
            print(f"median wall: A {med['a']['wall_s']:.3f} s   {k.upper()} {med[k]['wall_s']:.3f} s   "
                  f"{k.upper()}/A {ratios[k]:.3f}")
        b = names[1]
        ratio = ratios[b]
        ratio_cpu = med[b]["cpu_s"] / med["a"]["cpu_s"] if med["a"]["cpu_s"] and not args.server else None
        if ratio_cpu is not None:
            print(f"median cpu:  A {med['a']['cpu_s']:.2f} s   B {med[b]['cpu_s']:.2f} s   "
                  f"B/A {ratio_cpu:.3f}")
            print(f"median peak RSS: A {med['a']['max_rss_kb'] / 1024:.0f} MB   B {med[b]['max_rss_kb'] / 1024:.0f} MB")

        if args.no_record:
            print("(not recorded: --no-record)")
            return 0
        record = {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(argv),
            "machine": {**describe(), "loadavg_before": [round(x, 2) for x in load_before]},
            "file": "(trivial)" if args.trivial else str(src),
            "file_bytes": len(src_bytes),
            "file_sha256": hashlib.sha256(src_bytes).hexdigest(),
            "server_modes": modes if args.server else None,
            "flags": flags,
            "reps": args.reps,
            "warmup": args.warmup,
            "compiler_a": {"path": comp_a, "version": ver_a},
            "compiler_b": {"path": comp_b, "version": ver_b},
            "runs_a": runs["a"],
            **{f"runs_{k.replace('-', '_')}": runs[k] for k in names[1:]},
            "median_wall_s": {k: med[k]["wall_s"] for k in names},
            "median_cpu_s": {k: med[k]["cpu_s"] for k in names},
            "median_max_rss_kb": {k: med[k]["max_rss_kb"] for k in names},
            "ratio_wall_b_over_a": ratio,
            "ratios_wall_over_a": ratios,
            "ratio_cpu_b_over_a": round(ratio_cpu, 4) if ratio_cpu else None,
        }
        args.results.parent.mkdir(parents=True, exist_ok=True)
        with open(args.results, "a") as fh:
            fh.write(json.dumps(record) + "\n")
        print(f"recorded in {args.results}")
        return 0
    except BenchError as exc:
        print(f"compile_time: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("compile_time: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
