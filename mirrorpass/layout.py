"""The mirror mapping, read from runtime/base/layout.h so that C and Python share one definition."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = REPO_ROOT / "runtime"
LAYOUT_HEADER = RUNTIME_DIR / "base" / "layout.h"


def _read_defines(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    for m in re.finditer(r"^#define\s+(MIRROR_\w+)\s+\(?(-?0x[0-9A-Fa-f]+|-?\d+)(?:U?LL|ULL)?\)?\s*$", path.read_text(), re.M):
        values[m.group(1)] = int(m.group(2), 0)
    return values


_DEFINES = _read_defines(LAYOUT_HEADER)

MIRROR_DELTA: int = _DEFINES["MIRROR_DELTA"]
APPLICATION_WINDOWS: tuple[tuple[int, int], ...] = (
    (_DEFINES["MIRROR_APP1_START"], _DEFINES["MIRROR_APP1_END"]),
    (_DEFINES["MIRROR_APP2_START"], _DEFINES["MIRROR_APP2_END"]),
)
