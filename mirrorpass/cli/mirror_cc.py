"""`mirror-cc`: a drop-in C compiler that mirrors every store (see mirrorpass/driver/).

A thin client first (mirrorpass/server/client.py: standard library only): the compile runs in the
per-user compile server, which keeps mirrorpass and LLVM loaded. Where the server is off
(MIRRORPASS_SERVER=off), refused or gone, the compile runs here, exactly as the server would run it.
"""

import sys

from ..server.client import compile_via_server


def main() -> None:
    argv = sys.argv[1:]
    code = compile_via_server(argv)
    sys.exit(local(argv) if code is None else code)


def local(argv: list[str]) -> int:
    if sys.flags.no_site:  # started by the fast launcher (`python -S`, scripts/setup.sh): llvmlite needs site
        import site  # noqa: PLC0415

        site.main()
    from ..console import run_tool  # noqa: PLC0415
    from ..driver.mirror_cc import run  # noqa: PLC0415

    return run_tool("mirror-cc", run, argv)
