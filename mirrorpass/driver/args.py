"""mirror-cc's command line: classify each argument the way clang would, and decide what to do.

mirror-cc must be a drop-in clang: it takes clang's arguments, keeps the ones it does not own and
hands them to clang unchanged. It owns `-fmirror-*` and `--debug`. Everything else is sorted into
inputs (sources we instrument, other files clang or the linker take) and flags; a flag that takes a
separate value keeps its value with it. Invocations that produce no code -- preprocessing, syntax
checks, version queries, dependency-only runs -- are `passthrough`: clang runs with the arguments as
given, so configure scripts see exactly clang's behaviour.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ..errors import MirrorError
from ..instrument.selection import Ignorelist
from ..instrument.shapes import Addressing

# Options whose value is the next argument (when not joined).
SEPARATE_VALUE_OPTIONS = frozenset(
    """
    -o -x -I -D -U -include -imacros -isystem -idirafter -iquote -isysroot -iprefix -iwithprefix
    -iwithprefixbefore -imultilib -isystem-after -ivfsoverlay -include-pch -MF -MT -MQ -MJ -L -l
    -Xclang -Xlinker -Xassembler -Xpreprocessor -Xanalyzer -mllvm -arch -target -T -u -z -e -B -F
    --sysroot -aux-info -dependency-file -serialize-diagnostics -main-file-name -working-directory
    --param -G -Xopenmp-target -framework -module-dependency-dir -fmodules-cache-path
    """.split()
)

# Source languages the pass instruments (through clang -emit-llvm).
SOURCE_SUFFIXES = {".c": "c", ".i": "cpp-output", ".cc": "c++", ".cpp": "c++", ".cxx": "c++", ".C": "c++"}
IR_SUFFIXES = {".ll": "ir", ".bc": "ir"}
INSTRUMENTED_LANGS = frozenset({"c", "cpp-output", "c++", "c++-cpp-output", "ir"})

PASSTHROUGH_FLAGS = frozenset(
    "-E -fsyntax-only -M -MM -### --version -dumpversion -dumpmachine -dumpspecs --help -help".split()
)

ENV_DEBUG = "MIRRORPASS_DEBUG"


class Action(Enum):
    PASSTHROUGH = "passthrough"  # run clang with the original arguments
    COMPILE = "compile"  # -c
    ASSEMBLY = "assembly"  # -S
    LINK = "link"  # compile sources, then link with the runtime


class Mode(Enum):
    ALL = "all"
    ANNOTATED = "annotated"  # only MIRROR_PROTECT functions (instrument/selection.py)
    OFF = "off"


@dataclass
class Input:
    path: str
    lang: str | None  # explicit -x language, or None
    index: int  # position in Invocation.args

    @property
    def effective_lang(self) -> str | None:
        if self.lang and self.lang != "none":
            return self.lang
        suffix = Path(self.path).suffix
        return SOURCE_SUFFIXES.get(suffix) or IR_SUFFIXES.get(suffix)

    @property
    def instrumented(self) -> bool:
        return self.effective_lang in INSTRUMENTED_LANGS


@dataclass
class Invocation:
    original: list[str]  # the arguments as the user gave them (response files expanded)
    args: list[str] = field(default_factory=list)  # without mirror-cc's own options
    inputs: list[Input] = field(default_factory=list)
    output: str | None = None
    action: Action = Action.LINK
    opt_level: str = "0"
    addressing: Addressing = Addressing.SEGMENT
    mode: Mode = Mode.ALL
    emit_llvm: bool = False
    route_libc: bool = True
    ignorelist: Ignorelist | None = None  # -fmirror-ignorelist=FILE
    debug: bool = False
    links_executable: bool = True  # false for -shared and -r
    relocatable: bool = False  # -r: links no program, loads no library
    uninstrumented: str = "warn"  # -fmirror-uninstrumented=warn|error|allow (mirrorpass/deps/check.py)
    prefix_compile_flags: list[str] = field(default_factory=list)  # the deps prefix (mirrorpass/deps/prefix.py)
    prefix_link_flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[Input]:
        return [i for i in self.inputs if i.instrumented]

    def flags(self) -> list[str]:
        """All arguments except inputs, -o and the action flags -c/-S (for per-file clang runs)."""
        skip = {i.index for i in self.inputs}
        out: list[str] = []
        i = 0
        while i < len(self.args):
            arg = self.args[i]
            if i in skip or arg in ("-c", "-S", "-emit-llvm"):
                i += 1
                continue
            if arg == "-o":
                i += 2
                continue
            if arg.startswith("-o") and len(arg) > 2:
                i += 1
                continue
            if arg == "-x":  # languages are given per input by the driver
                i += 2
                continue
            if arg.startswith("-x") and len(arg) > 2:
                i += 1
                continue
            out.append(arg)
            if arg in SEPARATE_VALUE_OPTIONS and i + 1 < len(self.args):
                out.append(self.args[i + 1])
                i += 1
            i += 1
        return out


def expand_response_files(argv: list[str], depth: int = 0) -> list[str]:
    """Replace `@file` arguments by the arguments the file holds, as clang does."""
    out: list[str] = []
    for arg in argv:
        if arg.startswith("@") and len(arg) > 1 and os.path.isfile(arg[1:]):
            if depth > 20:
                raise MirrorError(f"response files nest too deeply at {arg}")
            with open(arg[1:], encoding="utf-8", errors="surrogateescape") as f:
                out.extend(expand_response_files(shlex.split(f.read()), depth + 1))
        else:
            out.append(arg)
    return out


def parse_args(argv: list[str]) -> Invocation:
    original = expand_response_files(argv)
    inv = Invocation(original=original)
    inv.debug = os.environ.get(ENV_DEBUG, "") not in ("", "0")
    lang: str | None = None
    passthrough = False
    saw_c = saw_s = False
    non_pie = None
    i = 0
    while i < len(original):
        arg = original[i]
        if arg.startswith("-fmirror-"):
            _mirror_option(inv, arg)
            i += 1
            continue
        if arg == "--debug":
            inv.debug = True
            i += 1
            continue
        if (problem := _unsupported_sanitizer(arg)) is not None:
            raise MirrorError(problem)
        if arg in NON_PIE_LINK_FLAGS:
            non_pie = arg
        if arg.startswith("-flto") or arg == "-fwhole-program-vtables":
            inv.warnings.append(f"{arg} ignored: mirrored objects are native code, not LTO bitcode")
            i += 1
            continue
        pos = len(inv.args)
        inv.args.append(arg)
        if arg in SEPARATE_VALUE_OPTIONS and i + 1 < len(original):
            value = original[i + 1]
            inv.args.append(value)
            if arg == "-o":
                inv.output = value
            elif arg == "-x":
                lang = value
            i += 2
            continue
        if arg == "-" or not arg.startswith("-"):
            inv.inputs.append(Input(arg, lang, pos))
        elif arg.startswith("-o"):
            inv.output = arg[2:]
        elif arg.startswith("-x"):
            lang = arg[2:]
        elif arg == "-c":
            saw_c = True
        elif arg == "-S":
            saw_s = True
        elif arg == "-emit-llvm":
            inv.emit_llvm = True
        elif arg in ("-shared", "-r", "--shared"):
            inv.links_executable = False
            inv.relocatable = inv.relocatable or arg == "-r"
        elif arg.startswith("-O"):
            inv.opt_level = arg[2:] or "1"
        elif arg in PASSTHROUGH_FLAGS or arg.startswith(("-print-", "--print-")):
            passthrough = True
        i += 1

    if passthrough or inv.mode is Mode.OFF or not inv.inputs:
        inv.action = Action.PASSTHROUGH
    elif saw_s:
        inv.action = Action.ASSEMBLY
    elif saw_c:
        inv.action = Action.COMPILE
    else:
        inv.action = Action.LINK
    if non_pie and inv.action is Action.LINK and inv.links_executable:
        raise MirrorError(f"'{non_pie}' is not supported: the runtime needs a position-independent executable "
                          "in its address layout; drop it (mirror-cc links PIE by default; -static-pie works)")
    if inv.action in (Action.COMPILE, Action.ASSEMBLY) and inv.output and len(inv.inputs) > 1:
        inv.action = Action.PASSTHROUGH  # clang reports "cannot specify -o when generating multiple output files"
    if any(inp.effective_lang in ("c-header", "c++-header") for inp in inv.inputs):
        inv.action = Action.PASSTHROUGH  # precompiled headers hold no code to instrument
    return inv


# Sanitizers with a shadow memory claim the same address ranges the mirror needs, at start-up.
_SHADOW_SANITIZERS = ("address", "kernel-address", "hwaddress", "thread", "memory", "dataflow")


# Links that would build an executable the runtime refuses at start-up (mirror-cc emits PIC code
# whatever the compile flags say, so only the link matters).
NON_PIE_LINK_FLAGS = frozenset({"-no-pie", "-nopie", "-static"})


def _unsupported_sanitizer(arg: str) -> str | None:
    """Said at build time: such a program would only fail at start-up, with a layout message."""
    if arg.startswith("-fsanitize="):
        clash = [s for s in arg.partition("=")[2].split(",") if s in _SHADOW_SANITIZERS]
        if clash:
            return (f"'{arg}' cannot be combined with mirrorpass: the {', '.join(clash)} sanitizer's shadow memory "
                    "and the mirror both need most of the address space; build the sanitizer variant with "
                    "clang-22 (-fsanitize=undefined works with mirror-cc)")
    return None


def _mirror_option(inv: Invocation, arg: str) -> None:
    name, _, value = arg.partition("=")
    if name == "-fmirror-addressing":
        try:
            inv.addressing = Addressing(value)
        except ValueError:
            raise MirrorError(f"invalid value '{value}' in '{arg}'; use segment or offset") from None
    elif name == "-fmirror-mode":
        try:
            inv.mode = Mode(value)
        except ValueError:
            raise MirrorError(f"invalid value '{value}' in '{arg}'; use all, annotated or off") from None
    elif name == "-fmirror-ignorelist":
        if not value:
            raise MirrorError(f"'{arg}' needs a file: -fmirror-ignorelist=FILE")
        inv.ignorelist = Ignorelist.load(value)
    elif name == "-fmirror-libc":
        if value not in ("wrap", "direct"):
            raise MirrorError(f"invalid value '{value}' in '{arg}'; use wrap or direct")
        inv.route_libc = value == "wrap"
    elif name == "-fmirror-uninstrumented":
        if value not in ("warn", "error", "allow"):
            raise MirrorError(f"invalid value '{value}' in '{arg}'; use warn, error or allow")
        inv.uninstrumented = value
    else:
        raise MirrorError(
            f"unknown option '{arg}'; mirror-cc knows -fmirror-addressing=segment|offset, "
            "-fmirror-mode=all|annotated|off, -fmirror-ignorelist=FILE, -fmirror-libc=wrap|direct and "
            "-fmirror-uninstrumented=warn|error|allow (and, alone, -fmirror-print-identity)"
        )
