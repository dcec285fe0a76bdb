"""Reading the `.mirror_manifest` section of an object, shared library or executable (pyelftools)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from ..errors import MirrorError
from ..instrument.manifest import MANIFEST_SECTION, read_manifest_records


@dataclass(frozen=True)
class FunctionEntry:
    name: str
    source: str
    addressing: str
    mode: str
    mirrored: int
    skipped: int
    mirrored_by_kind: dict
    skipped_by_kind: dict
    selection: str = "mirrored"  # mirrored, unannotated, excluded, ignorelisted


@dataclass(frozen=True)
class Manifest:
    path: str
    objects: int
    functions: list[FunctionEntry] = field(default_factory=list)

    def totals(self) -> dict:
        mirrored, skipped = Counter(), Counter()
        for fn in self.functions:
            mirrored.update(fn.mirrored_by_kind)
            skipped.update(fn.skipped_by_kind)
        return {
            "functions": len(self.functions),
            "mirrored": sum(mirrored.values()),
            "skipped": sum(skipped.values()),
            "mirrored_by_kind": dict(sorted(mirrored.items())),
            "skipped_by_kind": dict(sorted(skipped.items())),
        }

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "objects": self.objects,
            "functions": [fn.__dict__ for fn in self.functions],
            "totals": self.totals(),
        }


def read_manifest(path: str | Path) -> Manifest:
    try:
        with open(path, "rb") as f:
            if f.read(8) == b"!<arch>\n":
                raise MirrorError(f"{path}: an ar archive; inspect an object in it (ar x) or a program linked "
                                  "with it")
            f.seek(0)
            elf = ELFFile(f)
            section = elf.get_section_by_name(MANIFEST_SECTION)
            data = section.data() if section is not None else b""
    except FileNotFoundError:
        raise MirrorError(f"{path}: no such file") from None
    except ELFError as exc:
        raise MirrorError(f"{path}: not an ELF file ({exc})") from None
    records = read_manifest_records(data)
    functions = [
        FunctionEntry(
            name=fn["name"],
            source=rec["source"],
            addressing=rec["addressing"],
            mode=rec["mode"],
            mirrored=fn["mirrored"],
            skipped=fn["skipped"],
            mirrored_by_kind=fn["mirrored_by_kind"],
            skipped_by_kind=fn["skipped_by_kind"],
            selection=fn.get("selection", "mirrored"),
        )
        for rec in records
        for fn in rec["functions"]
    ]
    return Manifest(str(path), len(records), functions)
