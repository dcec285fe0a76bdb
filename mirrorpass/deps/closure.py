"""The shared libraries a program will load (the DT_NEEDED closure), and which of them mirror-cc built.

Each library is one of:
  instrumented    it carries `.note.mirrorpass` (mirror-cc compiled code in it): its stores are mirrored;
  covered         glibc's (runtime/domain/covered.inc, the one list): the runtime's libc wrappers mirror
                  what it writes into the program's memory;
  uninstrumented  anything else: its stores into the program's memory (a buffer it fills, a struct it
                  updates) leave the mirror stale, and a lost page it wrote would come back stale;
  missing         not found on the search path (the loader would fail too).

The search follows the dynamic loader for each object, with the link's -L directories where the loader
would look in LD_LIBRARY_PATH: DT_RPATH (when there is no DT_RUNPATH, inherited from the objects that
led here), LD_LIBRARY_PATH, the -L directories, DT_RUNPATH, the directories of /etc/ld.so.conf (and
its includes), then the default directories. $ORIGIN is the directory of the object that names it.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from ..layout import RUNTIME_DIR

COVERED_TABLE = RUNTIME_DIR / "domain" / "covered.inc"
NOTE_NAME = "mirrorpass"
DEFAULT_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib")


@cache
def covered_stems() -> frozenset[str]:
    return frozenset(re.findall(r'^MIRROR_COVERED\("([^"]+)"\)', COVERED_TABLE.read_text(), re.M))


def is_covered(name: str) -> bool:
    """libc.so.6 -> libc: in runtime/domain/covered.inc."""
    return Path(name).name.split(".so", 1)[0] in covered_stems()


@dataclass(frozen=True)
class Library:
    name: str  # as DT_NEEDED names it: "libz.so.1"
    path: str | None  # where it was found (None: missing)
    kind: str  # instrumented, covered, uninstrumented or missing (the module's docstring)
    needed_by: str  # the object that names it first


@dataclass
class _Dynamic:
    needed: list[str]
    rpath: list[str]
    runpath: list[str]


def _read_dynamic(path: Path) -> _Dynamic | None:
    try:
        with path.open("rb") as f:
            elf = ELFFile(f)
            if elf.get_machine_arch() != "x64":
                return None
            dyn = _Dynamic([], [], [])
            for section in elf.iter_sections():
                if not isinstance(section, DynamicSection):
                    continue
                for tag in section.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        dyn.needed.append(tag.needed)
                    elif tag.entry.d_tag == "DT_RPATH":
                        dyn.rpath += tag.rpath.split(":")
                    elif tag.entry.d_tag == "DT_RUNPATH":
                        dyn.runpath += tag.runpath.split(":")
            return dyn
    except (OSError, ELFError):
        return None


def has_mirrorpass_note(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            elf = ELFFile(f)
            for section in elf.iter_sections():
                if section["sh_type"] == "SHT_NOTE" and any(n["n_name"] == NOTE_NAME for n in section.iter_notes()):
                    return True
    except (OSError, ELFError):
        pass
    return False


def _ld_so_conf(path: Path = Path("/etc/ld.so.conf"), depth: int = 0) -> list[str]:
    dirs: list[str] = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return dirs
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include ") and depth < 8:
            pattern = line.split(None, 1)[1]
            if not os.path.isabs(pattern):
                pattern = str(path.parent / pattern)
            for included in sorted(glob.glob(pattern)):
                dirs += _ld_so_conf(Path(included), depth + 1)
        else:
            dirs.append(line)
    return dirs


def _expand(dirs: list[str], origin: Path) -> list[str]:
    return [d.replace("$ORIGIN", str(origin)).replace("${ORIGIN}", str(origin)) for d in dirs if d]


def closure(binary: str | Path, link_dirs: list[str] | tuple[str, ...] = ()) -> list[Library]:
    """Every library `binary` will load, breadth first, each once (the first object that needs it)."""
    binary = Path(binary)
    system = [*os.environ.get("LD_LIBRARY_PATH", "").split(":"), *link_dirs]
    tail = [*_ld_so_conf(), *DEFAULT_DIRS]
    found: dict[str, Library] = {}
    top = _read_dynamic(binary)
    if top is None:
        return []
    # (object path, its dynamic info, the DT_RPATHs inherited from the objects that loaded it)
    queue: list[tuple[Path, _Dynamic, list[str]]] = [(binary, top, [])]
    while queue:
        obj, dyn, inherited = queue.pop(0)
        origin = obj.resolve().parent
        rpath = [] if dyn.runpath else [*_expand(dyn.rpath, origin), *inherited]
        search = [*rpath, *[d for d in system if d], *_expand(dyn.runpath, origin), *tail]
        for name in dyn.needed:
            if name in found:
                continue
            path = Path(name) if "/" in name else next((Path(d) / name for d in search if (Path(d) / name).is_file()), None)
            if path is None or not path.is_file():
                found[name] = Library(name, None, "missing", obj.name)
                continue
            if has_mirrorpass_note(path):
                kind = "instrumented"
            elif is_covered(name):
                kind = "covered"
            else:
                kind = "uninstrumented"
            found[name] = Library(name, os.path.abspath(path), kind, obj.name)
            child = _read_dynamic(path)
            if child is not None:
                queue.append((path, child, rpath))
    return list(found.values())


def debian_source_package(path: str) -> str | None:
    """The Debian source package that installed `path` (dpkg -S, then the binary package's Source)."""
    candidates = {path, os.path.realpath(path)}
    for candidate in candidates:
        try:
            owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if owner.returncode != 0 or ":" not in owner.stdout:
            continue
        binary = owner.stdout.split(": ", 1)[0].split(",")[0].strip()
        query = subprocess.run(["dpkg-query", "-W", "-f", "${source:Package}", binary],
                               capture_output=True, text=True, timeout=30)
        if query.returncode == 0 and query.stdout.strip():
            return query.stdout.strip()
        return binary.split(":", 1)[0]
    return None
