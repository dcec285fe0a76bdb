"""`mirror-build [options] -- <build command>`: run a build with mirror-cc as its C compiler
(the logic is in mirrorpass/mirror_build/)."""

from __future__ import annotations

import argparse
import os
import json
import sys

from rich.console import Console

from ..mirror_build.runner import BuildOptions, run_build
from ..mirror_build.view import render_summary
from ..console import run_tool
from ..errors import MirrorError

DESCRIPTION = """\
Run a build so that every C compilation and link goes through mirror-cc.

CC is set to mirror-cc, and a directory of shims named cc, gcc, clang, clang-22, c99, c89 and
x86_64-linux-gnu-gcc is put first on PATH, so Makefiles that hard-code the compiler (CC=gcc) and
link with it (LD=gcc) are caught as well; ./configure and cmake see a working clang. The shims live
in $MIRRORPASS_CACHE (default ~/.cache/mirrorpass): cmake and configure record the compiler's path,
so a later `mirror-build -- make` in the same tree still finds it.

C++ too: CXX and the shims c++, g++, clang++, clang++-22 and x86_64-linux-gnu-g++ run mirror-cc
as clang's C++ driver (--driver-mode=g++), which mirrors C++ sources and links libstdc++ with the
runtime (libstdc++ itself is not instrumented, and the link says so). LD is left alone: builds that
call the raw linker with it (ld -r, libtool's $LD -v) need the real one; executables are linked by
the C or C++ compiler, which adds the mirror runtime.

While building, the files being compiled and the writes mirrored in each are shown live when stderr
is a terminal (the build's output scrolls above the view); at the end a summary table goes to
stderr. Nothing of mirror-build's is written to stdout.

Exit status: the build command's. If the build exits 0 although mirror-cc failed on a source that
clang accepts, mirror-build exits 1. (Sources clang itself rejects in a build that succeeds are the
build's own probes, e.g. configure's, and are only counted.)
"""

EPILOG = """\
examples:
  mirror-build -- make -j4
  mirror-build --addressing=offset --json build.json -- make
  mirror-build -- ./configure && mirror-build -- make
  mirror-build -- cmake -S . -B build && mirror-build -- cmake --build build
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mirror-build", usage="mirror-build [options] -- <build command> [args...]",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mode", choices=("all", "annotated"), default="all",
                        help="which writes to mirror: all (default, but MIRROR_EXCLUDE functions); annotated "
                             "(only MIRROR_PROTECT functions; only mirror_malloc memory is protected)")
    parser.add_argument("--ignorelist", metavar="FILE",
                        help="functions and files not to instrument, in the sanitizers' special case list "
                             "format ([mirror], fun:GLOB, src:GLOB); passed to every mirror-cc run")
    parser.add_argument("--addressing", choices=("segment", "offset"), default="segment",
                        help="how mirror stores address the mirror: segment (GS base, default) or "
                             "offset (explicit add, no FSGSBASE needed)")
    parser.add_argument("-f", "--flag", action="append", default=[], metavar="-fmirror-OPTION",
                        help="pass a -fmirror-* option to every mirror-cc run (repeatable), "
                             "e.g. -f -fmirror-libc=direct")
    parser.add_argument("--progress", choices=("auto", "live", "plain", "none"), default="auto",
                        help="while building: auto (live view if stderr is a terminal, else nothing), "
                             "live, plain (one line per compiled file), none")
    parser.add_argument("--top", type=int, default=25, metavar="N",
                        help="rows of the summary table: the N files with most mirrored writes (0: all)")
    parser.add_argument("--ccache", action="store_true",
                        help="compile through ccache, keyed on mirror-cc's identity (-fmirror-print-identity): a "
                             "changed pass or runtime misses; files ccache serves are not in the summary")
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on internal errors")
    return parser


def _main(argv: list[str]) -> int:
    parser = build_parser()
    if "--" not in argv:
        if any(a in ("-h", "--help") for a in argv):
            parser.print_help()
            return 0
        raise MirrorError("no build command: usage: mirror-build [options] -- <build command>; see --help")
    split = argv.index("--")
    # `-f -fmirror-x` would read as an option: take the values of -f/--flag here.
    opts = parser.parse_args(_join_flag_values(argv[:split]))
    if opts.top < 0:
        parser.error(f"--top {opts.top}: give a number of rows, or 0 for all")
    flags = tuple(opts.flag)
    if opts.ignorelist:  # absolute: mirror-cc runs in whatever directory the build changes to
        flags += (f"-fmirror-ignorelist={os.path.abspath(opts.ignorelist)}",)
    options = BuildOptions(command=tuple(argv[split + 1 :]), mode=opts.mode, addressing=opts.addressing,
                           flags=flags, progress=opts.progress, ccache=opts.ccache)
    console = Console(stderr=True)
    summary = run_build(options, console)
    render_summary(console, summary, opts.top)
    if opts.json:
        try:
            with open(opts.json, "w") as f:
                json.dump(summary.as_json(), f, indent=2)
                f.write("\n")
        except OSError as exc:
            raise MirrorError(f"cannot write the summary to {opts.json}: {exc}") from None
    return summary.exit_code


def _join_flag_values(args: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in ("-f", "--flag") and i + 1 < len(args):
            out.append(f"--flag={args[i + 1]}")
            i += 2
        else:
            out.append(args[i])
            i += 1
    return out


def main() -> None:
    sys.exit(run_tool("mirror-build", _main))
