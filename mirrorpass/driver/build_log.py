"""mirror-cc's half of mirror-build: one JSON line per compiled source and per link, appended to the
file named by $MIRRORPASS_BUILD_LOG (mirror-build sets it and tails the file for its view and summary).

Invariant: every record is one line written by one `write()` on an O_APPEND descriptor, so the
compiles of a parallel `make -j` never interleave inside a line. Without the variable nothing is
written; a log that cannot be written costs a warning on stderr, never the compile (and never a byte
on stdout, which may be the compiler's output, `-o -`).

Records (`event`): `start` (a source begins), `compile` (it ended: `status` 0 or the exit code, and
`stage` `clang` when clang rejected the source, `mirror-cc` when our own pipeline failed), `link`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import ClangFailed, MirrorError
from ..instrument.manifest import ModuleReport
from .args import Invocation

ENV_BUILD_LOG = "MIRRORPASS_BUILD_LOG"


@dataclass
class CompileOutcome:
    """Filled in by the compile inside `logged_compile`."""

    report: ModuleReport | None = None


def _append(record: dict) -> None:
    path = os.environ.get(ENV_BUILD_LOG)
    if not path:
        return
    line = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8", errors="surrogateescape")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as exc:
        print(f"mirror-cc: warning: cannot append to the build log {path} ({exc}); "
              f"mirror-build's summary will miss this file", file=sys.stderr)


def _abspath(path: str) -> str:
    return path if path == "-" else os.path.abspath(path)


@contextmanager
def logged_compile(inv: Invocation, source: str, output: str) -> Iterator[CompileOutcome]:
    """Log the start and the outcome of compiling `source`; exceptions propagate unchanged."""
    outcome = CompileOutcome()
    if not os.environ.get(ENV_BUILD_LOG):
        yield outcome
        return
    pid, started = os.getpid(), time.perf_counter()
    common = {"pid": pid, "source": _abspath(source)}
    _append({"event": "start", **common})
    status, stage = 0, None
    try:
        yield outcome
    except ClangFailed as exc:
        status, stage = exc.exit_code, "clang"
        raise
    except MirrorError as exc:
        status, stage = exc.exit_code, "mirror-cc"
        raise
    except BaseException:
        status, stage = 70, "mirror-cc"  # what run_tool returns for an internal error
        raise
    finally:
        report = outcome.report
        mirrored, skipped = Counter(), Counter()
        for fn in report.functions if report else []:
            mirrored.update(fn.mirrored)
            skipped.update(fn.skipped)
        _append({
            "event": "compile", **common,
            "output": _abspath(output),
            "addressing": report.addressing if report else inv.addressing.value,
            "mode": report.mode if report else inv.mode.value,
            "functions": len(report.functions) if report else 0,
            "mirrored": sum(mirrored.values()),
            "skipped": sum(skipped.values()),
            "mirrored_by_kind": dict(sorted(mirrored.items())),
            "skipped_by_kind": dict(sorted(skipped.items())),
            "warnings": list(report.warnings) if report else [],
            "seconds": round(time.perf_counter() - started, 3),
            "status": status,
            "stage": stage,
        })


def log_link(inv: Invocation, status: int) -> None:
    """Log one link: its output, how many inputs, whether the runtime was linked in."""
    if not os.environ.get(ENV_BUILD_LOG):
        return
    _append({
        "event": "link",
        "pid": os.getpid(),
        "output": _abspath(inv.output or "a.out"),
        "inputs": len(inv.inputs),
        "runtime": inv.links_executable,
        "status": status,
    })
