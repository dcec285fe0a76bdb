"""How a mirror address is formed in IR: the two code shapes of `-fmirror-addressing`.

segment (default): the runtime sets the GS base to MIRROR_DELTA, so the mirror of `p` is `%gs:p`.
    In IR that is the same integer address in address space 256:
        %m = ptrtoint ptr P to i64 ; %g = inttoptr i64 %m to ptr addrspace(256)
    and the backend folds it into the native store's own addressing: one instruction per store.
offset: the mirror address is computed explicitly, `getelementptr i8, ptr P, i64 MIRROR_DELTA`,
    folding into base+index addressing but costing a 64-bit constant.

Memory intrinsics (memset/memcpy/masked stores) always use the flat, offset-shaped address: LLVM 22
inlines a segment-relative memcpy/memset only up to a CPU-dependent size and aborts ("cannot lower
memory intrinsic in address space 256") above it or for variable lengths.

The x86 DAG combiner's store merging compares store addresses without looking at address spaces
(docs/upstream/): a native store and a GS mirror store of the same pointer value look like adjacent
stores, and the merged store keeps only one address space, so a native store can vanish (SQLite's
sqlite3SelectNew; tests/instrument/data/store_merge_gs.ll). Volatile stores are never merge
candidates. Measured on sqlite3.c against the (miscompiling) plain construction: +0.6% instructions,
+0.9% .text, no run-time difference outside noise; a displacement trick (GS base moved by 2^30)
costs 4% .text and is sound only with extra guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..layout import MIRROR_DELTA


class Addressing(Enum):
    SEGMENT = "segment"
    OFFSET = "offset"


GS_POINTER = "ptr addrspace(256)"

# Segment mirror stores are volatile: a volatile store is never a store-merging or dead-store
# candidate in the DAG combiner, which is what keeps the native store alive (see module docstring).
SEGMENT_STORE_VOLATILE = True


@dataclass
class NameSource:
    """Fresh local names for one function, never colliding with the names it already uses."""

    prefix: str
    counter: int = 0

    def fresh(self) -> str:
        self.counter += 1
        return f"{self.prefix}{self.counter}"


def name_source_for(function_text: str) -> NameSource:
    prefix = "%.mirror."
    k = 0
    while prefix in function_text:
        k += 1
        prefix = f"%.mirror{k}."
    return NameSource(prefix)


def flat_mirror(pointer_type: str, pointer: str, names: NameSource) -> tuple[list[str], str]:
    """Lines computing the flat mirror address of `pointer` (a ptr or a vector of ptr)."""
    name = names.fresh()
    return [f"{name} = getelementptr i8, {pointer_type} {pointer}, i64 {MIRROR_DELTA}"], name


def store_mirror(addressing: Addressing, pointer: str, names: NameSource) -> tuple[list[str], str, str]:
    """Lines computing the mirror address for a scalar access: (lines, pointer type, pointer)."""
    if addressing is Addressing.OFFSET:
        lines, name = flat_mirror("ptr", pointer, names)
        return lines, "ptr", name
    as_int = names.fresh()
    as_gs = names.fresh()
    return (
        [f"{as_int} = ptrtoint ptr {pointer} to i64", f"{as_gs} = inttoptr i64 {as_int} to {GS_POINTER}"],
        GS_POINTER,
        as_gs,
    )


def plain_store_keyword(addressing: Addressing) -> str:
    """`store` or `store volatile` for a non-atomic mirror store in this addressing mode."""
    if addressing is Addressing.SEGMENT and SEGMENT_STORE_VOLATILE:
        return "store volatile"
    return "store"
