"""What a mirror-build run produced, as frozen data: per source file, failed compiles, links, totals.

Built by `BuildState` (state.py) from the build log; rendered by view.py as a table and by `as_json`
for `--json`. A source compiled more than once (a configure probe's conftest.c, libtool's PIC and
non-PIC objects) is one row: the figures of its latest compile, and how many compiles there were.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

# Where a compile failed: clang rejected the source (the build may expect that: configure probes), or
# mirror-cc's own pipeline failed on a source clang accepted (always a mirror-build failure).
STAGE_CLANG = "clang"
STAGE_MIRROR = "mirror-cc"


@dataclass(frozen=True)
class FileSummary:
    source: str
    compiles: int
    functions: int
    mirrored: int
    skipped: int
    mirrored_by_kind: dict
    skipped_by_kind: dict
    warnings: tuple[str, ...]
    seconds: float
    status: int  # of the latest compile
    stage: str | None  # where the latest compile failed, or None


@dataclass(frozen=True)
class FailedCompile:
    source: str
    output: str
    status: int
    stage: str


@dataclass(frozen=True)
class LinkSummary:
    output: str
    inputs: int
    runtime: bool
    status: int


@dataclass(frozen=True)
class BuildSummary:
    command: tuple[str, ...]
    options: dict  # mode, addressing, flags as passed to mirror-cc
    files: tuple[FileSummary, ...]
    failed: tuple[FailedCompile, ...]
    links: tuple[LinkSummary, ...]
    build_exit_code: int
    elapsed: float

    @property
    def mirror_failures(self) -> tuple[FailedCompile, ...]:
        """Compiles clang accepted and mirror-cc did not: the build cannot be trusted, whatever it said."""
        return tuple(f for f in self.failed if f.stage == STAGE_MIRROR)

    @property
    def exit_code(self) -> int:
        """The build's own exit code; 1 if it exited 0 although mirror-cc failed on a source."""
        if self.build_exit_code != 0:
            return self.build_exit_code
        return 1 if self.mirror_failures else 0

    @property
    def warnings(self) -> tuple[tuple[str, str], ...]:
        return tuple((f.source, w) for f in self.files for w in f.warnings)

    def totals(self) -> dict:
        mirrored, skipped = Counter(), Counter()
        for f in self.files:
            mirrored.update(f.mirrored_by_kind)
            skipped.update(f.skipped_by_kind)
        return {
            "files": len(self.files),
            "compiles": sum(f.compiles for f in self.files),
            "functions": sum(f.functions for f in self.files),
            "mirrored": sum(mirrored.values()),
            "skipped": sum(skipped.values()),
            "mirrored_by_kind": dict(sorted(mirrored.items())),
            "skipped_by_kind": dict(sorted(skipped.items())),
            "warnings": len(self.warnings),
            "failed": len(self.failed),
            "links": len(self.links),
        }

    def as_json(self) -> dict:
        return {
            "command": list(self.command),
            "options": self.options,
            "exit_code": self.exit_code,
            "build_exit_code": self.build_exit_code,
            "elapsed_seconds": round(self.elapsed, 3),
            "totals": self.totals(),
            "files": [{**asdict(f), "warnings": list(f.warnings)} for f in self.files],
            "warnings": [{"source": s, "message": w} for s, w in self.warnings],
            "failed": [asdict(f) for f in self.failed],
            "links": [asdict(link) for link in self.links],
        }
