"""`mirror-cc`: a drop-in C compiler that mirrors every store (see mirrorpass/driver/)."""

import sys

from ..console import run_tool
from ..driver.mirror_cc import run


def main() -> None:
    sys.exit(run_tool("mirror-cc", run))
