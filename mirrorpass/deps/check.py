"""mirror-cc's check after a link: the libraries the program or library just linked will load that
mirror-cc did not build. `-fmirror-uninstrumented=warn` (default) prints one warning per such library
with the fix, `error` also fails the link (the output is removed, as a failed link leaves none),
`allow` says nothing (for libraries that write no memory of the program's)."""

from __future__ import annotations

import sys
from pathlib import Path

from .closure import Library, closure, debian_source_package


def link_dirs(args: list[str]) -> list[str]:
    """The -L directories of a clang command line, in order."""
    dirs: list[str] = []
    for i, arg in enumerate(args):
        if arg == "-L" and i + 1 < len(args):
            dirs.append(args[i + 1])
        elif arg.startswith("-L") and len(arg) > 2:
            dirs.append(arg[2:])
    return dirs


def fix_for(lib: Library) -> str:
    source = debian_source_package(lib.path) if lib.path else None
    if source:
        return (f"rebuild it with mirror-cc from Debian's source package {source} (apt-get source {source}, then "
                "its build under mirror-build with --prefix=DIR) and link that build (-LDIR/lib -Wl,-rpath,DIR/lib)")
    return "rebuild it with mirror-cc (mirror-build -- make) and link that build"


def describe(lib: Library, output: str) -> str:
    return (f"{output} loads {lib.name} ({lib.path}), which mirror-cc did not build: what it writes into the "
            f"program's memory is not mirrored, so a lost page it wrote would be rebuilt stale; {fix_for(lib)} "
            "(or -fmirror-uninstrumented=allow if it writes no memory of the program's)")


def check_link(output: str, args: list[str], policy: str) -> int:
    """Run after a successful link of `output`; returns the exit status the link should have."""
    if policy == "allow" or not Path(output).is_file():
        return 0
    uninstrumented = [lib for lib in closure(output, link_dirs(args)) if lib.kind == "uninstrumented"]
    kind = "error" if policy == "error" else "warning"
    for lib in uninstrumented:
        print(f"mirror-cc: {kind}: {describe(lib, output)}", file=sys.stderr)
    if uninstrumented and policy == "error":
        Path(output).unlink(missing_ok=True)
        return 1
    return 0
