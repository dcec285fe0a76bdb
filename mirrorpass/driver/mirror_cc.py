"""mirror-cc as a pipeline over one Invocation: classify arguments, compile each source through the
mirror pass, then link with the runtime -- or hand the whole command to clang when it makes no code.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from ..deps.prefix import active_prefix, compile_flags, link_flags
from ..toolchain import check_versions, clang_path
from .args import Action, Input, Invocation, Mode, parse_args
from .build_log import log_link
from .compile import compile_source
from .runtime_lib import EAGER_BINDING, INCLUDE_DIR, library_link_args, runtime_link_args


def run(argv: list[str]) -> int:
    if "-fmirror-print-identity" in argv:
        from .identity import identity  # noqa: PLC0415  (hashing the sources: only when asked)

        print(identity())
        return 0
    inv = parse_args(argv)
    if inv.action is Action.PASSTHROUGH:
        return _exec_clang(inv.args + _preprocessor_prefix_flags(inv))
    check_versions()
    prefix = active_prefix()
    inv.prefix_compile_flags = list(OWN_COMPILE_FLAGS)
    if prefix is not None:
        inv.prefix_compile_flags += compile_flags(prefix)
        inv.prefix_link_flags = link_flags(prefix)
    for warning in inv.warnings:
        print(f"mirror-cc: warning: {warning}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="mirror-cc-") as tmp:
        workdir = Path(tmp)
        if inv.action in (Action.COMPILE, Action.ASSEMBLY):
            return _compile_only(inv, workdir)
        return _compile_and_link(inv, workdir)


# What every compile by mirror-cc sees, as a sanitizer's `__SANITIZE_ADDRESS__`: a macro saying the code is
# mirrored, and mirror.h on the include path (searched last: a project's own mirror.h wins), so that a
# program can call mirror_sync or mirror_exclude under `#ifdef __MIRRORPASS__` and still build natively.
OWN_COMPILE_FLAGS = ("-D__MIRRORPASS__=1", f"-idirafter{INCLUDE_DIR}")

# Passthrough commands that read headers: they must see the deps prefix's headers, as a compile does
# (a configure script's `$CC -E` header check, a -M dependency scan).
READS_HEADERS = frozenset({"-E", "-M", "-MM", "-fsyntax-only"})


def _preprocessor_prefix_flags(inv: Invocation) -> list[str]:
    if inv.mode is Mode.OFF or not inv.inputs or not READS_HEADERS.intersection(inv.args):
        return []
    prefix = active_prefix()
    return [*OWN_COMPILE_FLAGS, *(compile_flags(prefix) if prefix is not None else [])]


def _exec_clang(args: list[str]) -> int:
    return subprocess.run([clang_path(), *args]).returncode


def _output_for(inv: Invocation, source: Input) -> str:
    if inv.output:
        return inv.output
    suffix = ".o"
    if inv.action is Action.ASSEMBLY:
        suffix = ".ll" if inv.emit_llvm else ".s"
    elif inv.emit_llvm:
        suffix = ".bc"
    if source.path == "-":
        return "-" + suffix
    return Path(source.path).with_suffix(suffix).name


def _compile_only(inv: Invocation, workdir: Path) -> int:
    for source in inv.inputs:
        output = _output_for(inv, source)
        if source.instrumented:
            compile_source(inv, source, output, workdir, [])
        else:
            # assembly and other inputs: clang handles them exactly as it would without us
            cmd = [*inv.flags(), "-S" if inv.action is Action.ASSEMBLY else "-c", "-o", output]
            if source.lang:
                cmd += ["-x", source.lang]
            code = _exec_clang([*cmd, source.path])
            if code:
                return code
    return 0


def _compile_and_link(inv: Invocation, workdir: Path) -> int:
    link_args = list(inv.args)
    for n, source in enumerate(inv.sources):
        obj = workdir / f"{n}-{Path(source.path).stem}.o"
        # -Qunused-arguments: clang compiling and linking in one call does not warn about
        # link-only flags (-l, -L, -Wl,...) either; our split into two steps must not make it.
        compile_source(inv, source, str(obj), workdir, ["-Qunused-arguments"])
        link_args[source.index] = str(obj)
    if inv.sources:
        # clang treats an input after `-x c` as C source; our objects must be taken as objects.
        link_args = _without_language_flags(link_args, inv)
        link_args.insert(0, "-Qunused-arguments")
    if not _asks_lazy_binding(link_args):
        link_args.append(EAGER_BINDING)
    link_args += inv.prefix_link_flags
    if inv.links_executable:
        link_args += runtime_link_args()
    elif not inv.relocatable:
        link_args += library_link_args()
    code = _exec_clang(link_args)
    if code == 0 and not inv.relocatable:
        from ..deps.check import check_link  # noqa: PLC0415  (pyelftools: only where a link needs it)

        code = check_link(inv.output or "a.out", link_args, inv.uninstrumented)
    log_link(inv, code)
    return code


def _asks_lazy_binding(args: list[str]) -> bool:
    """The user linked with -z lazy (then lazily bound GOT slots stay outside the protected domain)."""
    joined = " ".join(args)
    return "-z,lazy" in joined or "-z lazy" in joined or "-zlazy" in joined


def _without_language_flags(args: list[str], inv: Invocation) -> list[str]:
    """Drop -x options; non-instrumented inputs that had one keep it (re-added before each)."""
    lang_of = {inp.index: inp.lang for inp in inv.inputs if not inp.instrumented and inp.lang}
    out: list[str] = []
    i = 0
    while i < len(args):
        if args[i] == "-x":
            i += 2
            continue
        if args[i].startswith("-x") and len(args[i]) > 2:
            i += 1
            continue
        if i in lang_of:
            out += ["-x", lang_of[i], args[i], "-x", "none"]
        else:
            out.append(args[i])
        i += 1
    return out
