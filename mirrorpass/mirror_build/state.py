"""Following a build through its log: `LogTail` reads the records mirror-cc appended since the last
look (driver/build_log.py writes them), `BuildState` keeps what the live view and the summary need.

Paths in the log are absolute; they are shown relative to the directory mirror-build runs in when
they lie below it.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from dataclasses import dataclass

from .summary import BuildSummary, FailedCompile, FileSummary, LinkSummary

RECENT_COMPILES = 8  # finished compiles the live view keeps


class LogTail:
    """The complete lines appended to a file since the previous call (a partial last line waits)."""

    def __init__(self, path: str):
        self.path = path
        self.offset = 0
        self.partial = b""

    def read(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        lines = (self.partial + chunk).split(b"\n")
        self.partial = lines.pop()
        records = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # not ours (someone else wrote to the file): nothing to show
            if isinstance(record, dict):
                records.append(record)
        return records


@dataclass(frozen=True)
class CompileEvent:
    """A finished compile, for the live view."""

    source: str
    functions: int
    mirrored: int
    skipped: int
    warnings: int
    seconds: float
    status: int
    stage: str | None


class BuildState:
    def __init__(self, base_dir: str):
        self.base_dir = os.path.abspath(base_dir)
        self.started = time.monotonic()
        self.compiling: dict[int, tuple[str, float]] = {}  # pid -> (source, first seen)
        self.recent: deque[CompileEvent] = deque(maxlen=RECENT_COMPILES)
        self.latest: dict[str, dict] = {}  # source -> its latest compile record
        self.compiles: dict[str, int] = {}
        self.failed: list[FailedCompile] = []
        self.links: list[LinkSummary] = []
        self.mirrored_total = 0

    def display(self, path: str) -> str:
        if path == "-" or not path.startswith(self.base_dir + os.sep):
            return path
        return os.path.relpath(path, self.base_dir)

    def add(self, record: dict) -> CompileEvent | None:
        """Take one log record; a finished compile is returned for the view."""
        event = record.get("event")
        try:
            if event == "start":
                self.compiling[record["pid"]] = (self.display(record["source"]), time.monotonic())
            elif event == "compile":
                return self._compiled(record)
            elif event == "link":
                self.links.append(LinkSummary(self.display(record["output"]), int(record["inputs"]),
                                              bool(record["runtime"]), int(record["status"])))
        except (KeyError, TypeError, ValueError):
            pass  # a record from another mirror-cc version: skip it rather than fail the build
        return None

    def _compiled(self, record: dict) -> CompileEvent:
        source = self.display(record["source"])
        self.compiling.pop(record["pid"], None)
        self.latest[source] = record
        self.compiles[source] = self.compiles.get(source, 0) + 1
        status, stage = int(record["status"]), record.get("stage")
        if status != 0:
            self.failed.append(FailedCompile(source, self.display(record["output"]), status, stage or "clang"))
        self.mirrored_total += int(record["mirrored"])
        event = CompileEvent(source, int(record["functions"]), int(record["mirrored"]), int(record["skipped"]),
                             len(record["warnings"]), float(record["seconds"]), status, stage)
        self.recent.append(event)
        return event

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def summary(self, command: list[str], options: dict, build_exit_code: int) -> BuildSummary:
        files = tuple(
            FileSummary(
                source=source,
                compiles=self.compiles[source],
                functions=int(rec["functions"]),
                mirrored=int(rec["mirrored"]),
                skipped=int(rec["skipped"]),
                mirrored_by_kind=dict(rec["mirrored_by_kind"]),
                skipped_by_kind=dict(rec["skipped_by_kind"]),
                warnings=tuple(rec["warnings"]),
                seconds=float(rec["seconds"]),
                status=int(rec["status"]),
                stage=rec.get("stage"),
            )
            for source, rec in self.latest.items()
        )
        return BuildSummary(tuple(command), options, files, tuple(self.failed), tuple(self.links),
                            build_exit_code, self.elapsed())
