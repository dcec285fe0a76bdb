"""Whether a declared function may write program memory, from its `memory(...)` attribute.

Used for intrinsics the pass has no rule for: if LLVM says they can write argument or other memory,
the write cannot be mirrored and the user is warned. `inaccessiblemem` and target-specific memory
are not program memory.
"""

from __future__ import annotations

import re

_MEMORY_RE = re.compile(r"\bmemory\(([^)]*)\)")
_NOT_PROGRAM_MEMORY = ("inaccessiblemem", "target_mem", "errnomem")


def intrinsic_writes_memory(declaration: str) -> bool:
    """`declaration` is the declare line followed by the text of its attribute groups."""
    if re.search(r"\b(readnone|readonly)\b", declaration):
        return False
    m = _MEMORY_RE.search(declaration)
    if m is None:
        return True  # no memory effects stated: LLVM assumes it may read and write anything
    for entry in m.group(1).split(","):
        entry = entry.strip()
        location, _, access = entry.rpartition(":")
        location, access = location.strip(), access.strip()
        if location.startswith(_NOT_PROGRAM_MEMORY):
            continue
        if "write" in access:
            return True
    return False
