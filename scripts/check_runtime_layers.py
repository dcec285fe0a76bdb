#!/usr/bin/env python3
"""Check the runtime's layers and its signal path on the built objects (runtime/build/<layer>/*.o).

Two rules, both from runtime/LAYERS:
  1. One direction. An object may use a symbol defined by an object of its own layer or of a layer
     listed before it, never after it: the link graph (object A needs object B when A leaves undefined a
     symbol only B defines) has no edge going up.
  2. The signal path. Every function the SIGBUS handler (on_sigbus) can reach, following the calls and
     address loads in the relocations section by section (the runtime is built with
     -ffunction-sections), lies in a file listed as `signal-path`, and none of them calls a function
     outside the runtime: a call through the PLT reads the GOT, which may be the very page that was
     lost, and most of libc is not async-signal-safe anyway (signal-safety(7)). Calls through function
     pointers are not followed (the handler makes one: to the program's own SIGBUS handler).

Usage: check_runtime_layers.py [--runtime DIR] [--build DIR]. Exits 0 and prints a summary when both
rules hold; 1 with one line per violation otherwise; 2 when the objects are missing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

HANDLER = "on_sigbus"
# signal-safety(7)'s async-signal-safe functions that the handler could call: only to name a violation
# precisely (any call out of the runtime breaks rule 2, safe or not: the GOT may be lost).
ASYNC_SIGNAL_SAFE = frozenset("""
    _Exit _exit abort clock_gettime close getpid kill memcmp memcpy memmove memset open raise read
    sigaction sigaddset sigemptyset sigfillset sigprocmask strlen write
""".split())


@dataclass
class Layers:
    order: list[str]
    signal_path: set[str]  # source files, relative to the runtime directory


def read_layers(path: Path) -> Layers:
    order: list[str] = []
    signal_path: set[str] = set()
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) == 2 and words[0] == "layer":
            order.append(words[1])
        elif len(words) == 2 and words[0] == "signal-path":
            signal_path.add(words[1])
        else:
            raise SystemExit(f"{path}:{number}: expected `layer FOLDER` or `signal-path FILE`, got: {raw.strip()}")
    return Layers(order, signal_path)


@dataclass
class Obj:
    """One object file: its symbols and, per section, what the section's relocations refer to."""

    source: str  # the source it was built from, relative to the runtime directory: "recovery/signal.c"
    layer: str
    defined: set[str] = field(default_factory=set)       # global symbols it defines
    undefined: set[str] = field(default_factory=set)     # symbols it needs from elsewhere
    functions: dict[int, list[str]] = field(default_factory=dict)  # section index -> function names in it
    local_functions: dict[str, int] = field(default_factory=dict)  # function name -> section index
    # section index -> [(symbol name, the section of this object it is defined in, or None)], one per relocation
    references: dict[int, list[tuple[str, int | None]]] = field(default_factory=dict)


def read_object(path: Path, source: str, layer: str) -> Obj:
    obj = Obj(source, layer)
    with path.open("rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            raise SystemExit(f"{path}: no symbol table")
        symbols = list(symtab.iter_symbols())
        for sym in symbols:
            shndx, bind, kind = sym["st_shndx"], sym["st_info"]["bind"], sym["st_info"]["type"]
            if shndx == "SHN_UNDEF":
                if sym.name:
                    obj.undefined.add(sym.name)
                continue
            if bind in ("STB_GLOBAL", "STB_WEAK") and isinstance(shndx, int):
                obj.defined.add(sym.name)
            if kind == "STT_FUNC" and isinstance(shndx, int):
                obj.functions.setdefault(shndx, []).append(sym.name)
                obj.local_functions[sym.name] = shndx
        for index, section in enumerate(elf.iter_sections()):
            if not isinstance(section, RelocationSection) or not section.name.startswith(".rela.text"):
                continue
            target = section["sh_info"]
            refs = obj.references.setdefault(target, [])
            for reloc in section.iter_relocations():
                sym = symbols[reloc["r_info_sym"]]
                shndx = sym["st_shndx"]
                refs.append((sym.name, shndx if isinstance(shndx, int) else None))
    return obj


def load(runtime: Path, build: Path, layers: Layers) -> list[Obj]:
    objects = []
    for layer in layers.order:
        for path in sorted((build / layer).glob("*.o")):
            objects.append(read_object(path, f"{layer}/{path.stem}.c", layer))
    if not objects:
        raise FileNotFoundError(f"no objects under {build}/<layer>/ for the layers of {runtime / 'LAYERS'}")
    return objects


def check_direction(objects: list[Obj], layers: Layers) -> list[str]:
    rank = {name: i for i, name in enumerate(layers.order)}
    definers: dict[str, Obj] = {}
    for obj in objects:
        for name in obj.defined:
            definers.setdefault(name, obj)
    problems = []
    for obj in objects:
        for name in sorted(obj.undefined):
            other = definers.get(name)
            if other is not None and rank[other.layer] > rank[obj.layer]:
                problems.append(f"{obj.source} uses {name} from {other.source}: {obj.layer}/ may not use "
                                f"{other.layer}/, which is above it in runtime/LAYERS")
    return problems


def check_signal_path(objects: list[Obj], layers: Layers) -> tuple[list[str], set[tuple[str, str]]]:
    """Walk the sections reachable from the handler. Returns the problems and the (file, function) reached."""
    global_definer: dict[str, tuple[Obj, int]] = {}
    for obj in objects:
        for name, shndx in obj.local_functions.items():
            if name in obj.defined:
                global_definer.setdefault(name, (obj, shndx))
    start = next(((obj, obj.local_functions[HANDLER]) for obj in objects if HANDLER in obj.local_functions), None)
    if start is None:
        return [f"no object defines the SIGBUS handler {HANDLER}"], set()
    problems: list[str] = []
    reached: set[tuple[str, str]] = set()
    seen: set[tuple[str, int]] = set()
    unlisted: set[str] = set()  # reported once each, with the first chain that reached them
    # (object, section, the chain of functions that led here, for the message)
    work: list[tuple[Obj, int, tuple[str, ...]]] = [(start[0], start[1], (HANDLER,))]
    while work:
        obj, shndx, chain = work.pop()
        if (obj.source, shndx) in seen:
            continue
        seen.add((obj.source, shndx))
        names = obj.functions.get(shndx, [])
        for name in names:
            reached.add((obj.source, name))
        if obj.source not in layers.signal_path and obj.source not in unlisted:
            unlisted.add(obj.source)
            problems.append(f"{' -> '.join(chain)}: {obj.source} is on the signal path but not listed as "
                            f"`signal-path {obj.source}` in runtime/LAYERS (it must be async-signal-safe)")
        for name, target in obj.references.get(shndx, []):
            if target is not None:  # defined in this object: a function's section, or data
                if target in obj.functions:
                    callee = obj.functions[target][0]
                    work.append((obj, target, chain + (callee,)))
            elif name in global_definer:
                other, other_shndx = global_definer[name]
                work.append((other, other_shndx, chain + (name,)))
            elif not any(name in o.defined for o in objects):  # outside the runtime: libc, the loader
                why = ("a PLT call, which reads the GOT (it may be on the lost page)" if name in ASYNC_SIGNAL_SAFE
                       else "not async-signal-safe (signal-safety(7)), and a PLT call")
                problems.append(f"{' -> '.join(chain)} calls {name}: {why}; use base/sys.h")
    return sorted(set(problems)), reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    default_runtime = Path(__file__).resolve().parent.parent / "runtime"
    parser.add_argument("--runtime", type=Path, default=default_runtime, help="the runtime's source directory")
    parser.add_argument("--build", type=Path, help="its build directory (default: RUNTIME/build)")
    args = parser.parse_args(argv)
    layers = read_layers(args.runtime / "LAYERS")
    try:
        objects = load(args.runtime, args.build or args.runtime / "build", layers)
    except FileNotFoundError as e:
        print(f"check_runtime_layers: {e} (build it: make -C runtime)", file=sys.stderr)
        return 2
    problems = check_direction(objects, layers)
    signal_problems, reached = check_signal_path(objects, layers)
    problems += signal_problems
    for line in problems:
        print(f"check_runtime_layers: {line}", file=sys.stderr)
    if problems:
        return 1
    files = sorted({source for source, _ in reached})
    print(f"runtime layers: {len(objects)} objects in {len(layers.order)} layers ({' <- '.join(layers.order)}), "
          f"no use up the order; signal path: {len(reached)} functions in {', '.join(files)}, no call out of "
          "the runtime")
    return 0


if __name__ == "__main__":
    sys.exit(main())
