"""Routing libc calls of instrumented code to the runtime: `@malloc` becomes `@__mirror_malloc`.

The list lives in runtime/libc/routes.h (one `MIRROR_ROUTE(name)` per function), next to the C code that
defines the routed functions. Renaming the symbol everywhere in the module -- declaration, calls and
address-taken uses such as `ptr @malloc` in a table of function pointers -- sends every path of the
instrumented code through the runtime, while libc and uninstrumented libraries keep calling libc.
A module that defines one of these functions itself keeps its own, and a name the module uses for a
global variable (`int times;`, `extern int stat;`) is not a call to libc: it is left alone too.

The runtime's functions are declared `extern_weak`: an instrumented shared library can then be linked
with `-z defs` (a weak undefined symbol is not an error) and binds at load time to the runtime of the
executable, which exports them. In the executable, where the runtime is linked in, the linker turns
the GOT-indirect calls back into direct ones.
"""

from __future__ import annotations

import functools
import re

from ..layout import RUNTIME_DIR

ROUTES_HEADER = RUNTIME_DIR / "libc" / "routes.h"
ROUTE_PREFIX = "__mirror_"


@functools.cache
def routed_functions() -> tuple[str, ...]:
    return tuple(re.findall(r"^MIRROR_ROUTE\((\w+)\)", ROUTES_HEADER.read_text(), re.M))


# Functions the module defines, and global variables it defines or declares: names that are its own.
_DEFINED_RE = re.compile(r"^(?:define [^\n]*?@([-a-zA-Z$._0-9]+)\(|@([-a-zA-Z$._0-9]+) = )", re.M)


# Any global name; the routed ones are picked by set lookup (an alternation of the ~150 routed names
# took 15 ms to compile on every mirror-cc call).
_REFERENCE_RE = re.compile(r"@([-a-zA-Z$._0-9]+)")


# The mirrored heap's allocating routes (of the first block of routes.h): left to libc in annotated mode,
# where only mirror_malloc and friends allocate protected memory. free, realloc, reallocarray and
# malloc_usable_size stay routed: they take libc's blocks to libc (realloc keeps them there in this
# mode) and mirror_malloc's back to the mirrored heap.
HEAP_FUNCTIONS = frozenset({"malloc", "calloc", "posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc",
                            "strdup", "strndup"})


def route_calls(text: str, keep: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """Rename references to routed libc functions (but those in `keep`); returns the new text and the
    names routed."""
    pattern = _REFERENCE_RE
    present = set(pattern.findall(text)) & (set(routed_functions()) - keep)
    if not present:
        return text, []
    defined = {a or b for a, b in _DEFINED_RE.findall(text)} & present
    routed = sorted(present - defined)
    if not routed:
        return text, []
    routed_set = set(routed)
    text = pattern.sub(lambda m: f"@{ROUTE_PREFIX}{m.group(1)}" if m.group(1) in routed_set else m.group(0), text)
    return weak_runtime_declarations(text), routed


# `declare`, then metadata attachments (`!dbg !345` with -g), then the linkage goes.
_RUNTIME_DECLARE_RE = re.compile(r"^(declare (?:![-\w.]+ ![0-9]+ )*)(?=[^\n]*@__mirror_)", re.M)


def weak_runtime_declarations(text: str) -> str:
    """`declare [!dbg !N] ... @__mirror_x(...)` -> `declare [!dbg !N] extern_weak ... @__mirror_x(...)`."""
    return _RUNTIME_DECLARE_RE.sub(r"\1extern_weak ", text)
