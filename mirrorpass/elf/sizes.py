"""Code size of binaries (pyelftools): the executable sections, and per-function symbol sizes."""

from __future__ import annotations

from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from ..errors import MirrorError


def _open(path: Path):
    try:
        return ELFFile(path.open("rb"))
    except (OSError, ELFError) as exc:
        raise MirrorError(f"{path}: cannot read as ELF: {exc}") from exc


def text_bytes(path: Path) -> int:
    """Bytes of the executable (SHF_EXECINSTR) sections."""
    elf = _open(path)
    try:
        return sum(s["sh_size"] for s in elf.iter_sections() if s["sh_flags"] & 0x4)
    finally:
        elf.stream.close()


def function_sizes(path: Path) -> dict[str, int]:
    """Function symbol -> size in bytes (from .symtab, else .dynsym)."""
    elf = _open(path)
    try:
        table = elf.get_section_by_name(".symtab") or elf.get_section_by_name(".dynsym")
        if not isinstance(table, SymbolTableSection):
            return {}
        return {sym.name: sym["st_size"] for sym in table.iter_symbols()
                if sym["st_info"]["type"] == "STT_FUNC" and sym["st_size"] and sym.name}
    finally:
        elf.stream.close()


def code_sizes(binaries: dict[str, Path]) -> dict[str, int]:
    """Variant -> executable bytes of its build of one binary."""
    return {variant: text_bytes(path) for variant, path in binaries.items()}


def function_growth(native: Path, mirrored: Path, top: int = 15) -> dict:
    """The functions that grew most from the native build to the mirrored one, and the totals of the
    functions both have (the runtime's own functions are left out: native has none of them)."""
    before, after = function_sizes(native), function_sizes(mirrored)
    common = sorted(set(before) & set(after))
    growth = sorted(((after[f] - before[f], f) for f in common), reverse=True)[:top]
    return {
        "common_functions": len(common),
        "native_bytes": sum(before[f] for f in common),
        "mirrored_bytes": sum(after[f] for f in common),
        "top": [{"name": f, "native": before[f], "mirrored": after[f]} for _, f in growth],
    }
