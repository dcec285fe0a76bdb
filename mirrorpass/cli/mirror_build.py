"""`mirror-build -- <build command>`: run a build with mirror-cc as its C compiler.

This first version sets CC (and CC_FOR_BUILD stays native) for builds that honour it; the shims for
Makefiles that hard-code gcc, the live view and the summary arrive with the mirror-build issue.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from ..console import run_tool
from ..errors import MirrorError


def _main(argv: list[str]) -> int:
    if "--" not in argv:
        raise MirrorError("usage: mirror-build [--addressing=segment|offset] -- <build command>")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="mirror-build")
    parser.add_argument("--addressing", choices=("segment", "offset"), default=None)
    parser.add_argument("--debug", action="store_true")
    opts = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        raise MirrorError("no build command after --")
    mirror_cc = shutil.which("mirror-cc") or os.path.join(os.path.dirname(sys.executable), "mirror-cc")
    cc = mirror_cc if opts.addressing is None else f"{mirror_cc} -fmirror-addressing={opts.addressing}"
    env = dict(os.environ, CC=cc)
    return subprocess.run(command, env=env).returncode


def main() -> None:
    sys.exit(run_tool("mirror-build", _main))
