"""End-to-end recovery: the e2e programs keep printing exactly what clang-22's build prints while the
runtime's injector loses pages under them.

Each case builds a program of programs/ natively (clang-22 -O2) and with mirror-cc -O2 in both mirror
addressing modes, and runs the mirrored build with

    MIRROR_OPTIONS=inject_count=10:inject_interval_ms=2:inject_target=<T>:inject_seed=1
                   :stats_json=...:audit_at_exit=1:verbosity=3

The programs are short, so they repeat their workload (MIRROR_E2E_ROUNDS, programs/mcheck.h and
rounds_main.c; the native build runs as many rounds)
long enough for the ten losses, which come in the first few tens of milliseconds, and for the rounds
after them to touch the lost pages again. A page the workload never touches again (a bin of the heap's
page allocator the program stopped using) would stay lost, harmlessly, and not be counted as
recovered: MIRROR_E2E_TOUCH_LOST=1 makes mcheck_report() read every page still lost at the end (the
injector's memfd mappings in /proc/self/maps), so every loss is either restored or kills the run.

What must hold: exit code and stdout (minus the "mirror:" check lines) equal the native build's; the
"mirror:" lines say 0 divergent bytes; stats_json has injected == recovered_pages == 10 (see below),
unrecoverable == 0 and audit_divergent_bytes == 0; and the runtime's log agrees: every injected page
lies in the target (the heap or the executable's globals, from the domain lines of verbosity 2-3, or
their mirror), comes back exactly once, from the other copy, and nothing "cannot restore".

Every program with every target (heap, globals, mirror, any), in both addressing modes, except varargs
and unions (see ROUNDS). atomics, hashtable, globals and memops repeat their own workload; the others
run whole, again and again, under rounds_main.c. Some have few pages of a target (a heap page or two,
seven pages of globals): those pages are lost several times, each loss repaired before the next (the
injector never loses a page whose other copy is lost, or one that is lost already).

A page may be lost several times; each loss must come back exactly once, from the other copy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mirrorpass.layout import MIRROR_DELTA

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROGRAMS = HERE / "programs"
MIRROR_INCLUDE = REPO / "runtime" / "include"
MIRROR_CC = Path(sys.executable).parent / "mirror-cc"
CLANG = shutil.which("clang-22")

BUILD_TIMEOUT = 300
# A run takes well under a second; a run that hangs (the re-lost mirror page) is stopped here.
RUN_TIMEOUT = 8

FLAGS = ["-O2", "-std=gnu11", "-g0", "-Wall", "-pthread"]
ADDRESSING = ["segment", "offset"]
PAGE = 4096

INJECT_COUNT = 10
INTERVAL_MS = 2

# Rounds per program: about a quarter of a second mirrored, an order of magnitude more than the losses
# take (ten at 2 ms intervals).
# (The rounds_main programs: about 150 ms mirrored; only the last round prints.) Two programs cannot run
# twice in one process: varargs frees the buffer its global descriptor still points to, and unions
# hashes struct padding that later rounds fill with whatever the stack held.
ROUNDS = {"atomics": 25, "hashtable": 20, "globals": 400, "memops": 8, "bitfields": 20000, "funcptrs": 6000,
          "recursion": 100, "setjmp_longjmp": 15000, "structs": 6000, "vectors": 2000, "zeroed_alloc": 150}

# Programs that repeat their own workload (mcheck_rounds()); the others run whole, several times, under
# rounds_main.c.
OWN_ROUNDS = {"atomics", "hashtable", "globals", "memops"}
TARGETS = ["heap", "globals", "mirror", "any"]
CASES = [pytest.param(program, target, id=f"{program}-{target}") for program in ROUNDS for target in TARGETS]

pytestmark = pytest.mark.skipif(CLANG is None, reason="clang-22 is not installed (run scripts/setup.sh)")


# ---- building and running ------------------------------------------------------------------------------


def _compile(compiler: str | Path, source: Path, output: Path, flags: list[str]) -> None:
    sources = [str(source)]
    if source.stem not in OWN_ROUNDS:
        flags = [*flags, "-Dmain=e2e_program_main"]
        sources.append(str(HERE / "rounds_main.c"))
    command = [str(compiler), *flags, *sources, "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert result.returncode == 0, f"build failed: {' '.join(command)}\n{result.stdout}\n{result.stderr}"


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def _run(binary: Path, env: dict[str, str]) -> Outcome:
    try:
        result = subprocess.run([str(binary)], capture_output=True, text=True, errors="replace",
                                timeout=RUN_TIMEOUT, env={**os.environ, **env})
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        pytest.fail(f"{binary.name} did not finish within {RUN_TIMEOUT}s; runtime log so far:\n{stderr[-3000:]}")
    return Outcome(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def binaries(tmp_path_factory: pytest.TempPathFactory):
    """binaries(program, addressing) -> mirror-cc -O2 build; binaries(program, None) -> clang-22 -O2 build."""
    if not MIRROR_CC.exists():
        pytest.skip(f"mirror-cc is not installed next to {sys.executable} (pip install -e .)")
    directory = tmp_path_factory.mktemp("injection")
    cache: dict[tuple[str, str | None], Path] = {}

    def get(program: str, addressing: str | None) -> Path:
        key = (program, addressing)
        if key not in cache:
            source = PROGRAMS / f"{program}.c"
            if addressing is None:
                binary = directory / f"{program}.native"
                _compile(CLANG, source, binary, FLAGS)
            else:
                binary = directory / f"{program}.{addressing}"
                _compile(MIRROR_CC, source, binary,
                         [*FLAGS, f"-fmirror-addressing={addressing}", "-DMIRRORED", f"-I{MIRROR_INCLUDE}"])
            cache[key] = binary
        return cache[key]

    return get


@pytest.fixture(scope="session")
def native_stdout(binaries):
    """native_stdout(program) -> what clang-22's build prints in ROUNDS[program] rounds (run once)."""
    cache: dict[str, str] = {}

    def get(program: str) -> str:
        if program not in cache:
            native = _run(binaries(program, None), {"MIRROR_E2E_ROUNDS": str(ROUNDS[program])})
            assert native.returncode == 0, f"the native build failed ({native.returncode}):\n{native.stderr}"
            round_lines = native.stdout.splitlines()
            assert round_lines, "the native build printed nothing"
            if program in OWN_ROUNDS:
                assert len(round_lines) % ROUNDS[program] == 0, "rounds print different lines?"
            cache[program] = native.stdout
        return cache[program]

    return get


# ---- the runtime's log -----------------------------------------------------------------------------------

PROTECTING = re.compile(r'^domain: protecting (0x[0-9a-f]+)-(0x[0-9a-f]+) \(\d+ bytes, ([a-z ]+) "[^"]*"\) as entry (\d+)$')
RESIZED = re.compile(r"^domain: entry (\d+) now ends at (0x[0-9a-f]+)$")
INJECTED = re.compile(r"^injected a memory error at (0x[0-9a-f]+) \((\d+) of (\d+)\)$")
RESTORED = re.compile(r"^memory error \((\w+)\) at (0x[0-9a-f]+): page restored from its (mirror|native copy)$")
TOUCHED = re.compile(r"^mcheck: touched (\d+) lost pages$")


@dataclass
class Log:
    """What the runtime said (verbosity 3) and the program's own mcheck: line, in order."""

    ranges: dict[int, list] = field(default_factory=dict)  # entry -> [start, end, kind]
    events: list[tuple] = field(default_factory=list)      # ("injected", page, k) / ("restored", page, source, code) / ("touched", n)
    problems: list[str] = field(default_factory=list)      # lines that must not be there

    @classmethod
    def parse(cls, stderr: str) -> Log:
        log = cls()
        for line in stderr.splitlines():
            if line.startswith("mcheck: "):
                match = TOUCHED.match(line)
                assert match, line
                log.events.append(("touched", int(match.group(1))))
                continue
            if line.startswith("mirror: "):
                log.problems.append(line)  # mcheck.h names a range that diverged
                continue
            if not line.startswith("mirrorpass: "):
                continue
            text = line[len("mirrorpass: "):]
            if match := PROTECTING.match(text):
                start, end, kind, entry = match.groups()
                log.ranges[int(entry)] = [int(start, 16), int(end, 16), kind]
            elif match := RESIZED.match(text):
                log.ranges[int(match.group(1))][1] = int(match.group(2), 16)
            elif match := INJECTED.match(text):
                log.events.append(("injected", int(match.group(1), 16), int(match.group(2))))
            elif match := RESTORED.match(text):
                code, address, source = match.groups()
                log.events.append(("restored", int(address, 16) & ~(PAGE - 1), source, code))
            elif "memory error" in text or text.startswith("audit: 0x"):
                log.problems.append(line)  # cannot restore; a divergent run found by the audit
            elif text.startswith("audit at exit:") and not text.startswith("audit at exit: 0 divergent bytes"):
                log.problems.append(line)
        return log

    def kind_of(self, page: int) -> str | None:
        """'heap' or 'globals' for a page inside a protected range of that kind (heap metadata counts as
        heap, as the injector counts it), 'mirror-heap'/'mirror-globals' for the mirror of one, else None."""
        for prefix, address in (("", page), ("mirror-", page - MIRROR_DELTA)):
            for start, end, kind in self.ranges.values():
                if start <= address and address + PAGE <= end:
                    return prefix + ("globals" if kind == "globals" else "heap")
        return None


TARGET_KINDS = {
    "heap": {"heap"},
    "globals": {"globals"},
    "mirror": {"mirror-heap", "mirror-globals"},
    "any": {"heap", "globals", "mirror-heap", "mirror-globals"},
}


# ---- the test ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("addressing", ADDRESSING)
@pytest.mark.parametrize(("program", "target"), CASES)
def test_program_survives_injection(program: str, target: str, addressing: str,
                                    binaries, native_stdout, tmp_path: Path):
    expected_stdout = native_stdout(program)
    stats_path = tmp_path / "stats.json"
    options = (f"inject_count={INJECT_COUNT}:inject_interval_ms={INTERVAL_MS}:inject_target={target}:inject_seed=1"
               f":stats_json={stats_path}:audit_at_exit=1:verbosity=3")
    result = _run(binaries(program, addressing), {
        "MIRROR_OPTIONS": options,
        "MIRROR_E2E_ROUNDS": str(ROUNDS[program]),
        "MIRROR_E2E_TOUCH_LOST": "1",
    })
    detail = f"\n--- runtime log (last 3000 characters) ---\n{result.stderr[-3000:]}"

    # The program's behaviour: as if nothing had happened.
    assert result.returncode == 0, f"exit code {result.returncode}, native 0{detail}"
    lines = result.stdout.splitlines(keepends=True)
    mirror_lines = [line.rstrip("\n") for line in lines if line.startswith("mirror:")]
    rest = "".join(line for line in lines if not line.startswith("mirror:"))
    assert rest == expected_stdout, f"stdout differs from the native build{detail}"
    assert len(mirror_lines) == 2 and mirror_lines[1] == "mirror: 0 divergent bytes", f"{mirror_lines}{detail}"
    checked = re.match(r"^mirror: checked (\d+) bytes in (\d+) ranges$", mirror_lines[0])
    assert checked and int(checked.group(1)) > 0, f"{mirror_lines}{detail}"

    # The runtime's account of it.
    log = Log.parse(result.stderr)
    assert not log.problems, "\n".join(log.problems) + detail
    assert any(kind == "heap" for _, _, kind in log.ranges.values()), f"no heap range in the log{detail}"
    injected = [event for event in log.events if event[0] == "injected"]
    expected = INJECT_COUNT
    assert [k for _, _, k in injected] == list(range(1, expected + 1)), (
        f"expected {expected} losses numbered 1..{expected}, the log has {[k for _, _, k in injected]}{detail}")
    pages = [page for _, page, _ in injected]
    for page in pages:
        kind = log.kind_of(page)
        assert kind in TARGET_KINDS[target], f"lost page {page:#x} is {kind}, not in inject_target={target}{detail}"

    # Each loss comes back exactly once, from the other copy. (Not necessarily after its "injected" line:
    # the injector thread reports a loss after making it, and the program may fault on the page, and the
    # handler report the repair, in between.)
    for page in set(pages):
        restores = [e for e in log.events if e[0] == "restored" and e[1] == page]
        assert len(restores) == pages.count(page), (
            f"page {page:#x} lost {pages.count(page)} times, restored {len(restores)} times{detail}")
        want = "native copy" if log.kind_of(page).startswith("mirror-") else "mirror"
        assert all(r[2] == want and r[3] == "injected" for r in restores), f"{restores} for {page:#x}{detail}"
    restored_pages = {e[1] for e in log.events if e[0] == "restored"}
    assert restored_pages == set(pages), f"pages restored that were never lost{detail}"

    # The end-of-run sweep came after the last loss, so every loss was seen (restored or swept).
    touched = [position for position, event in enumerate(log.events) if event[0] == "touched"]
    assert len(touched) == 1, f"no (or several) mcheck: touched lines{detail}"
    last_loss = max(position for position, event in enumerate(log.events) if event[0] == "injected")
    assert last_loss < touched[0], f"the injector was still losing pages when the run ended: more rounds{detail}"

    stats = json.loads(stats_path.read_text())
    assert stats["injected"] == expected, f"{stats}{detail}"
    assert stats["recovered_pages"] == expected, f"{stats}{detail}"
    assert stats["unrecoverable"] == 0, f"{stats}{detail}"
    assert stats["audit_divergent_bytes"] == 0 and stats["protected_resident_bytes"] > 0, f"{stats}{detail}"
