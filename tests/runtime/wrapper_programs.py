"""Building and running the libc-boundary test programs (programs/wrappers/) with mirror-cc.

Each program is built twice per optimisation level: routed (the default, `-fmirror-libc=wrap`) and as a
control with `-fmirror-libc=direct`, where instrumented code calls libc itself. A program prints
`diff.<name>=<bytes>` for what each call wrote (programs/wrappers/wrap_check.h) and `ret.<name>=` /
`errno.<name>=` for its results. Builds of one program run in parallel, and outcomes are cached for
the session, so each test only looks up what it needs.
"""

from __future__ import annotations

import json
import os

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parent / "programs" / "wrappers"
MIRROR_CC = str(Path(sys.executable).parent / "mirror-cc")
COMMON_FLAGS = ("-std=gnu11", "-g0", "-Wall", "-Wextra", "-Werror", "-pthread",
                "-I", str(REPO / "runtime" / "include"), "-I", str(PROGRAMS))
OPT_LEVELS = ("-O0", "-O2")
MODES = ("wrap", "direct")
RUN_TIMEOUT = 60


@dataclass(frozen=True)
class Program:
    """A test program: extra compiler flags and what it reads on stdin."""

    cflags: tuple[str, ...] = ()
    stdin: str = ""


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    diffs: dict[str, int] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)  # the runtime's stats_json at exit

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def parse(returncode: int, stdout: str, stderr: str) -> Outcome:
    outcome = Outcome(returncode, stdout, stderr)
    for line in stdout.splitlines():
        for word in line.split():
            key, sep, value = word.partition("=")
            if not sep:
                continue
            if key.startswith("diff."):
                outcome.diffs[key[len("diff."):]] = int(value)
            elif key.startswith(("ret.", "errno.")):
                outcome.results[key] = value
    return outcome


def build(name: str, program: Program, opt: str, mode: str, out_dir: Path) -> Path:
    output = out_dir / f"{name}{opt}-{mode}"
    command = [MIRROR_CC, opt, *COMMON_FLAGS, *program.cflags, f"-fmirror-libc={mode}",
               str(PROGRAMS / f"{name}.c"), "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)}\n{result.stdout}{result.stderr}")
    return output


def run(binary: Path, stdin: str = "") -> Outcome:
    stats_path = binary.with_name(binary.name + ".stats.json")
    env = dict(os.environ, MIRROR_OPTIONS=f"stats_json={stats_path}")
    result = subprocess.run([str(binary)], input=stdin, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                            env=env)
    outcome = parse(result.returncode, result.stdout, result.stderr)
    if stats_path.exists():
        outcome.stats = json.loads(stats_path.read_text())
    return outcome


class ProgramRuns:
    """Outcomes of (program, optimisation level, mode), built and run once per session."""

    def __init__(self, programs: dict[str, Program], out_dir: Path):
        self.programs = programs
        self.out_dir = out_dir
        self.cache: dict[str, dict[tuple[str, str], Outcome]] = {}

    def outcome(self, name: str, opt: str, mode: str) -> Outcome:
        if name not in self.cache:
            self.cache[name] = self._build_and_run(name)
        return self.cache[name][opt, mode]

    def _build_and_run(self, name: str) -> dict[tuple[str, str], Outcome]:
        program = self.programs[name]
        variants = [(opt, mode) for opt in OPT_LEVELS for mode in MODES]
        with ThreadPoolExecutor(max_workers=len(variants)) as pool:
            binaries = list(pool.map(lambda v: build(name, program, v[0], v[1], self.out_dir), variants))
            outcomes = list(pool.map(lambda b: run(b, program.stdin), binaries))
        return dict(zip(variants, outcomes))
