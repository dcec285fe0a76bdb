"""All terminal output of the tools goes through here: one error path, one rich console.

Errors are one line, `<tool>: error: <message>`; a traceback is shown only with --debug or
MIRRORPASS_DEBUG=1. Tables go to stdout through rich (NO_COLOR is honoured by rich itself).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import ClangFailed, MirrorError

if TYPE_CHECKING:
    from rich.console import Console

    stdout: Console
    stderr: Console  # progress bars: stdout stays for tables and JSON


PIPE_WIDTH = 140


def __getattr__(name: str) -> Console:
    """`stdout` and `stderr` are made on first use: importing rich costs mirror-cc ~30 ms per call,
    and a compiler invoked thousands of times by make never prints a table."""
    if name not in ("stdout", "stderr"):
        raise AttributeError(name)
    from rich.console import Console

    stream = sys.stderr if name == "stderr" else sys.stdout
    # A pipe or a CI log gets rich's 80 columns, which cuts the cells of wide tables ("-0x5000000100…"):
    # give them PIPE_WIDTH unless COLUMNS says otherwise. A terminal keeps its own width.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    made = Console(stderr=name == "stderr", width=width)
    globals()[name] = made
    return made


def debug_enabled(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("MIRRORPASS_DEBUG", "") not in ("", "0")


def run_tool(tool: str, body: Callable[[list[str]], int], argv: list[str] | None = None) -> int:
    """Run a command's body with mirrorpass's error conventions; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    debug = debug_enabled(argv)
    try:
        return body(argv)
    except ClangFailed as exc:
        return exc.exit_code  # clang already printed the diagnostic
    except MirrorError as exc:
        if debug:
            traceback.print_exc()
        print(f"{tool}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `mirrorpass inspect x | head`: the reader left; so do we, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if debug:
            traceback.print_exc()
        print(
            f"{tool}: internal error: {type(exc).__name__}: {exc} (run with MIRRORPASS_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 70
