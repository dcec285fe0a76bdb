"""What the pass did to each function, and how that record travels inside the object file.

Every instrumented object carries a non-allocated ELF section `.mirror_manifest` holding one JSON
document per object, NUL-terminated: the linker concatenates the sections of all objects, so a
binary's manifest is the sequence of its objects' records. It costs no memory at run time (the
section is not loaded) and survives `strip` of symbols.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

MANIFEST_SECTION = ".mirror_manifest"
MANIFEST_VERSION = 1

# What a write can be; the keys of FunctionReport.mirrored and .skipped.
MIRRORED_KINDS = ("store", "atomic_store", "atomicrmw", "cmpxchg", "memset", "memcpy", "masked", "asm", "va_start", "setjmp")
SKIPPED_KINDS = ("stack", "address_space", "asm", "intrinsic")


@dataclass
class FunctionReport:
    name: str
    mirrored: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    selection: str = "mirrored"  # or why not: unannotated, excluded, ignorelisted (instrument/selection.py)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "selection": self.selection,
            "mirrored": sum(self.mirrored.values()),
            "skipped": sum(self.skipped.values()),
            "mirrored_by_kind": dict(sorted(self.mirrored.items())),
            "skipped_by_kind": dict(sorted(self.skipped.items())),
        }


@dataclass
class ModuleReport:
    source: str
    addressing: str
    mode: str
    functions: list[FunctionReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "version": MANIFEST_VERSION,
            "source": self.source,
            "addressing": self.addressing,
            "mode": self.mode,
            "functions": [f.as_json() for f in self.functions],
        }


def manifest_module_asm(report: ModuleReport) -> str:
    """`module asm` lines that place the report in the manifest section of the object."""
    payload = json.dumps(report.as_json(), separators=(",", ":"), sort_keys=True)
    chunks = [payload[i : i + 512] for i in range(0, len(payload), 512)]
    lines = [f'.pushsection {MANIFEST_SECTION},"",@progbits']
    lines += [f'.ascii "{_gas_escape(chunk)}"' for chunk in chunks]
    lines += [".byte 0", ".popsection"]
    return "\n".join(f'module asm "{_ir_escape(line)}"' for line in lines) + "\n"


# An ELF note (SHT_NOTE, allocated: the linker puts it in a PT_NOTE segment) that tells the runtime
# at run time that a loaded object holds instrumented code, so that it protects the object's data.
INSTRUMENTED_NOTE_LINES = [
    '.pushsection .note.mirrorpass,"a",@note',
    ".balign 4",
    ".long 11",  # name size: "mirrorpass" and its NUL
    ".long 4",  # descriptor size
    ".long 1",  # type: instrumented code
    '.asciz "mirrorpass"',
    ".balign 4",
    f".long {MANIFEST_VERSION}",
    ".popsection",
]


def instrumented_note_module_asm() -> str:
    return "".join(f'module asm "{_ir_escape(line)}"\n' for line in INSTRUMENTED_NOTE_LINES)


def _gas_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _ir_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\" or ch == '"' or not (32 <= ord(ch) < 127):
            out.extend(f"\\{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def read_manifest_records(section_bytes: bytes) -> list[dict]:
    """The per-object records stored in a `.mirror_manifest` section."""
    records = []
    for chunk in section_bytes.split(b"\0"):
        chunk = chunk.strip()
        if chunk:
            records.append(json.loads(chunk.decode("utf-8")))
    return records
