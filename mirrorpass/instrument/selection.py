"""Which functions of a module the pass instruments: the mode, the annotations, the ignore list.

* `-fmirror-mode=all` (the default): every function, except those annotated MIRROR_EXCLUDE and those
  an ignore list names.
* `-fmirror-mode=annotated`: only the functions annotated MIRROR_PROTECT (and not ignore-listed).

The annotations come from mirror.h: `__attribute__((annotate("mirror_protect"), noinline))` (and
"mirror_exclude"). clang records them in the module's `@llvm.global.annotations`, which survives every
optimisation level because it references the function. `noinline` is the inlining rule: an annotated
function stays a function of its own, so its writes are neither dropped from the mirror nor moved into
an unannotated caller (where annotated mode would leave them out). What the optimiser inlines *into* an
annotated function is part of its body and is mirrored with it; a callee that stays a call is mirrored
only if it is annotated itself.

The ignore list (`-fmirror-ignorelist=FILE`) uses the sanitizers' special case list format: `#`
comments, `[section]` headers (globs, `|` for alternatives; entries apply under a section that matches
"mirror", and before any header), and `fun:GLOB` / `src:GLOB` entries (other prefixes, such as
`type:` or `global:`, are valid and mean nothing to mirrorpass).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MirrorError

PROTECT = "mirror_protect"
EXCLUDE = "mirror_exclude"

# Why a function is or is not instrumented: the `mode` of each function in the manifest.
MIRRORED, UNANNOTATED, EXCLUDED, IGNORELISTED = "mirrored", "unannotated", "excluded", "ignorelisted"

_STRING_RE = re.compile(r'^(@[-\w$.]+) = [^"\n]*constant \[\d+ x i8\] c"((?:[^"\\]|\\[0-9A-Fa-f]{2})*)"', re.M)
_ANNOTATIONS_RE = re.compile(r"^@llvm\.global\.annotations = [^\n]*$", re.M)
_ENTRY_RE = re.compile(r'\{ ptr (@[-\w$.]+|@"[^"]*"), ptr (@[-\w$.]+)')


class IgnorelistError(MirrorError):
    """The ignore list cannot be read or has a malformed line."""


def _ir_string(escaped: str) -> str:
    return re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), escaped).rstrip("\0")


def annotations(text: str) -> dict[str, set[str]]:
    """Function name (without @) -> the annotate() strings clang recorded for it."""
    found = _ANNOTATIONS_RE.search(text)
    if not found:
        return {}
    strings = {name: _ir_string(value) for name, value in _STRING_RE.findall(text)}
    result: dict[str, set[str]] = {}
    for function, string in _ENTRY_RE.findall(found.group(0)):
        result.setdefault(function.removeprefix("@").strip('"'), set()).add(strings.get(string, ""))
    return result


@dataclass
class Ignorelist:
    path: str = ""
    functions: list[str] = field(default_factory=list)  # globs
    sources: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> Ignorelist:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise IgnorelistError(f"cannot read ignore list '{path}': {exc.strerror}") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, path: str = "<ignorelist>") -> Ignorelist:
        lst = cls(path)
        active = True  # entries before any [section] apply to every sanitizer, mirror included
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                if not line.endswith("]") or len(line) < 3:
                    raise IgnorelistError(f"{path}:{number}: malformed section header '{raw}'")
                active = any(fnmatch.fnmatchcase("mirror", glob) for glob in line[1:-1].split("|"))
                continue
            prefix, colon, rest = line.partition(":")
            if not colon or not rest or not prefix.isidentifier():
                raise IgnorelistError(f"{path}:{number}: malformed line '{raw}'; expected 'fun:GLOB' or "
                                      "'src:GLOB' (or a [section] header)")
            glob, _, category = rest.partition("=")
            if not active or category:  # categories (=init and the like) are other tools' refinements
                continue
            if prefix == "fun":
                lst.functions.append(glob)
            elif prefix == "src":
                lst.sources.append(glob)
        return lst

    def ignores_source(self, source: str) -> bool:
        paths = {source, os.path.abspath(source)}
        return any(fnmatch.fnmatchcase(p, glob) for glob in self.sources for p in paths)

    def ignores_function(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, glob) for glob in self.functions)


def select(text: str, function_names: list[str], mode: str, source: str,
           ignorelist: Ignorelist | None) -> dict[str, str]:
    """Function name -> MIRRORED, UNANNOTATED, EXCLUDED or IGNORELISTED."""
    marks = annotations(text)
    whole_file = ignorelist is not None and ignorelist.ignores_source(source)
    result = {}
    for name in function_names:
        tags = marks.get(name, set())
        if whole_file or (ignorelist is not None and ignorelist.ignores_function(name)):
            result[name] = IGNORELISTED
        elif EXCLUDE in tags:
            result[name] = EXCLUDED
        elif mode == "annotated" and PROTECT not in tags:
            result[name] = UNANNOTATED
        else:
            result[name] = MIRRORED
    return result
