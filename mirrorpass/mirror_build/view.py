"""What mirror-build shows on stderr: the live view while building, plain lines, and the summary.

Nothing here writes to stdout: that is the build's. In the live view the build's own output (its
stdout too, when that is the same terminal) arrives through a pipe and is printed above the view,
line by line and otherwise unchanged, so the two never overwrite each other.
"""

from __future__ import annotations

import shlex
import threading
import time
from typing import BinaryIO

from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from .state import BuildState, CompileEvent
from .summary import STAGE_CLANG, BuildSummary

LIST_LIMIT = 20  # warnings, failures and links listed under the table before "... and N more"
LIVE_COMPILING_ROWS = 12  # compiles in progress the live view lists (make -j64 runs more)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _failure(stage: str | None, status: int) -> str:
    if stage == STAGE_CLANG:
        return f"rejected by clang (exit {status})"
    return f"failed in mirror-cc (exit {status})"


class NoView:
    """Nothing while building (stderr is not a terminal); the build's output is untouched."""

    passes_output_through = False  # True: the build's output is piped to `pass_through`

    def __enter__(self) -> "NoView":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def update(self, state: BuildState, finished: list[CompileEvent]) -> None:
        pass


class PlainView(NoView):
    """One line per finished compile, for logs."""

    def __init__(self, console: Console):
        self.console = console

    def update(self, state: BuildState, finished: list[CompileEvent]) -> None:
        for ev in finished:
            if ev.status:
                line = f"mirror-build: {ev.source}: {_failure(ev.stage, ev.status)}"
            else:
                line = (f"mirror-build: {ev.source}: {_plural(ev.functions, 'function')}, "
                        f"{ev.mirrored:,} writes mirrored, {ev.skipped:,} skipped"
                        + (f", {_plural(ev.warnings, 'warning')}" if ev.warnings else "")
                        + f" ({ev.seconds:.2f} s)")
            self.console.out(line, highlight=False)


class LiveView(NoView):
    """A rich live region: what is compiling, what just compiled; the build's output scrolls above."""

    passes_output_through = True

    def __init__(self, console: Console, command: list[str]):
        self.console = console
        self.title = shlex.join(command)
        self.spinner = Spinner("dots")
        # Invariant: the view is drawn only under `draw_lock`, by the main thread (update) or by the
        # output thread (each line printed above it redraws it), and from `rendered`, which is
        # built from the state by the main thread alone: the output thread never reads the state.
        self.draw_lock = threading.Lock()
        self.rendered: Group = Group(Text(f"mirror-build: starting {self.title}", style="dim"))
        self.live = Live(console=console, auto_refresh=False, transient=True, redirect_stdout=False,
                         redirect_stderr=False, get_renderable=lambda: self.rendered)

    def __enter__(self) -> "LiveView":
        with self.draw_lock:
            self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        with self.draw_lock:
            self.live.stop()

    def update(self, state: BuildState, finished: list[CompileEvent]) -> None:
        rendered = self._render(state)
        with self.draw_lock:
            self.rendered = rendered
            self.live.refresh()

    def pass_through(self, stream: BinaryIO) -> threading.Thread:
        """Copy the build's output lines above the view until the stream ends (a daemon thread)."""

        def copy() -> None:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                with self.draw_lock:
                    self.console.print(Text.from_ansi(line), soft_wrap=True)

        thread = threading.Thread(target=copy, name="mirror-build-output", daemon=True)
        thread.start()
        return thread

    def _render(self, state: BuildState) -> Group:
        header = Text.assemble(
            ("mirror-build ", "bold"), (self.title, "cyan"), f"  {state.elapsed():.0f} s  ",
            f"{_plural(sum(state.compiles.values()), 'compile')}, {_plural(state.mirrored_total, 'write')} mirrored",
            (f", {len(state.failed)} failed" if state.failed else "", "red"),
        )
        self.spinner.update(text=header)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(overflow="ellipsis", no_wrap=True)
        for _ in range(4):
            grid.add_column(justify="right", no_wrap=True)
        for ev in state.recent:
            if ev.status:
                grid.add_row(Text(f"✗ {ev.source}", style="red"), Text(_failure(ev.stage, ev.status), style="red"),
                             "", "", "")
            else:
                grid.add_row(Text(f"✓ {ev.source}", style="green"), _plural(ev.functions, "function"),
                             f"{ev.mirrored:,} mirrored", f"{ev.skipped:,} skipped",
                             Text(_plural(ev.warnings, "warning"), style="yellow") if ev.warnings else "")
        now = time.monotonic()
        compiling = sorted(state.compiling.values(), key=lambda item: item[1])
        for source, seen in compiling[:LIVE_COMPILING_ROWS]:
            grid.add_row(Text(f"… {source}", style="cyan"), f"compiling {now - seen:.0f} s", "", "", "")
        if len(compiling) > LIVE_COMPILING_ROWS:
            grid.add_row(Text(f"… and {len(compiling) - LIVE_COMPILING_ROWS} more compiling", style="dim"),
                         "", "", "", "")
        return Group(self.spinner, grid)


def render_summary(console: Console, summary: BuildSummary, top: int) -> None:
    """The table of instrumented files (the `top` with most mirrored writes), then warnings, failures,
    links and the verdict."""
    totals = summary.totals()
    built = [f for f in summary.files if f.status == 0]
    if summary.files:
        rows = sorted(built, key=lambda f: (-f.mirrored, f.source))
        shown = rows[:top] if top else rows
        table = Table(title=f"mirror-build: {shlex.join(summary.command)}", title_justify="left",
                      caption=f"writes mirrored and skipped per file; mode {summary.options['mode']}, "
                              f"addressing {summary.options['addressing']}",
                      caption_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("source", overflow="fold", ratio=1)
        # Short headers leave the width to the paths; the caption says these are writes.
        for name in ("functions", "mirrored", "skipped", "warnings", "time"):
            table.add_column(name, justify="right", no_wrap=True)
        for f in shown:
            source = f.source if f.compiles == 1 else f"{f.source} (×{f.compiles})"
            table.add_row(source, f"{f.functions:,}", f"{f.mirrored:,}", f"{f.skipped:,}",
                          str(len(f.warnings)) if f.warnings else "", f"{f.seconds:.2f}s")
        if len(rows) > len(shown):
            table.add_row(Text(f"… {len(rows) - len(shown)} more files", style="dim"), "", "", "", "", "")
        table.add_section()
        table.add_row(Text(f"total: {_plural(totals['files'], 'file')}", style="bold"), f"{totals['functions']:,}",
                      f"{totals['mirrored']:,}", f"{totals['skipped']:,}", str(totals["warnings"]), "")
        console.print(table)
        kinds = " ".join(f"{k}={v:,}" for k, v in totals["mirrored_by_kind"].items()) or "-"
        skipped = " ".join(f"{k}={v:,}" for k, v in totals["skipped_by_kind"].items())
        console.print(Text(f"mirrored by kind: {kinds}" + (f"; skipped: {skipped}" if skipped else ""), style="dim"))
    else:
        console.print("mirror-build: no C source went through mirror-cc (nothing to rebuild, or the build "
                      "calls a compiler that is not cc/gcc/clang from PATH or $CC)")

    _print_list(console, "warnings", [f"{src}: {w}" for src, w in summary.warnings], "yellow")
    failed = summary.failed
    if summary.build_exit_code == 0:
        # Compiles clang rejected in a build that succeeded are its own probes (configure): count them.
        tolerated = [f for f in failed if f.stage == STAGE_CLANG]
        failed = summary.mirror_failures
        if tolerated:
            console.print(Text(f"{_plural(len(tolerated), 'compile')} rejected by clang and tolerated by the "
                               "build (configure-style probes)", style="dim"))
    _print_list(console, "failed compiles", [f"{f.source}: {_failure(f.stage, f.status)}" for f in failed], "red")
    _print_list(console, "links",
                [f"{link.output}: {_plural(link.inputs, 'input')}, "
                 + ("runtime linked" if link.runtime else "no runtime (-shared/-r)")
                 + (f", failed (exit {link.status})" if link.status else "")
                 for link in summary.links], None)

    if summary.build_exit_code != 0:
        console.print(Text(f"mirror-build: the build failed: {summary.command[0]} exited "
                           f"{summary.build_exit_code}", style="bold red"))
    elif summary.mirror_failures:
        names = ", ".join(f.source for f in summary.mirror_failures[:5])
        console.print(Text(f"mirror-build: {summary.command[0]} exited 0, but mirror-cc failed on "
                           f"{_plural(len(summary.mirror_failures), 'source')} clang accepts ({names}); "
                           "the build's outputs are not complete: exiting 1", style="bold red"))


def _print_list(console: Console, title: str, items: list[str], style: str | None) -> None:
    if not items:
        return
    console.print(Text(f"{title} ({len(items)}):", style=f"bold {style}" if style else "bold"))
    for item in items[:LIST_LIMIT]:
        console.print(Text(f"  {item}", style=style or ""), soft_wrap=True)
    if len(items) > LIST_LIMIT:
        console.print(Text(f"  … and {len(items) - LIST_LIMIT} more (all are in --json)", style="dim"))
