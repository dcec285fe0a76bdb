"""The compiler shims: a directory of `cc`, `gcc`, `clang`, `c++`, ... scripts that exec mirror-cc, put first
on PATH so that Makefiles hard-coding the compiler (Lua's and bzip2's `CC=gcc`) reach mirror-cc too,
the way ccache masquerades.

The directory is stable (`$MIRRORPASS_CACHE/shims-<key>`, default ~/.cache/mirrorpass), not a
temporary one: cmake and configure record the compiler's absolute path, and the next
`mirror-build -- make` (or a plain `cmake --build`) must still find it. The flags are therefore not
baked in: a shim passes $MIRRORPASS_BUILD_FLAGS, which the running mirror-build sets, so its --mode
and --addressing apply.

Invariant: a shim never reaches another shim. Each exports MIRRORPASS_CLANG, the absolute path of the
real clang-22, so mirror-cc's own lookup of `clang-22` cannot find the shim of that name on PATH.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..cache import ENV_CACHE, cache_base
from ..errors import MirrorError
from ..toolchain import CLANG_ENV

ENV_BUILD_FLAGS = "MIRRORPASS_BUILD_FLAGS"
# mirror-build --ccache: the ccache a shim runs mirror-cc under (empty: none).
ENV_CCACHE = "MIRRORPASS_CCACHE"

# clang's C++ driver: C++ sources are mirrored as C ones are, and a link adds libstdc++ -- and the runtime.
# A build that links C objects with its C++ compiler (QEMU's meson does whenever it finds one) must get
# the runtime: a C++ compiler left unshimmed linked a mirrored QEMU without it, and said nothing.
CXX_DRIVER = ("--driver-mode=g++",)
# Shim name -> arguments it adds before the caller's (c89/c99 are POSIX's fixed-standard compilers).
SHIMS: dict[str, tuple[str, ...]] = {
    "cc": (),
    "gcc": (),
    "x86_64-linux-gnu-gcc": (),
    "clang": (),
    "clang-22": (),
    "c99": ("-std=c99",),
    "c89": ("-std=c89",),
    "c++": CXX_DRIVER,
    "g++": CXX_DRIVER,
    "x86_64-linux-gnu-g++": CXX_DRIVER,
    "clang++": CXX_DRIVER,
    "clang++-22": CXX_DRIVER,
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def shim_script(mirror_cc: str, clang: str, fixed_args: tuple[str, ...]) -> str:
    fixed = "".join(f" {_quote(a)}" for a in fixed_args)
    # `set -f`: the flags are split on blanks but never globbed.
    return (
        "#!/bin/sh\n"
        "# mirror-build's compiler shim (mirrorpass/mirror_build/shims.py): this compiler is mirror-cc.\n"
        f"{CLANG_ENV}={_quote(clang)}; export {CLANG_ENV}\n"
        # The compiler's own processes (python3 and its ctypes, clang and its libLLVM) must not load the
        # instrumented libraries a test harness points LD_LIBRARY_PATH at (libtool's, DejaGnu's: libz,
        # libffi): those refuse a process without the runtime. The programs the build links find them
        # through their rpath or the harness's own environment, not through the compiler's.
        "unset LD_LIBRARY_PATH\n"
        "set -f\n"
        f'exec ${ENV_CCACHE} {_quote(mirror_cc)} ${ENV_BUILD_FLAGS}{fixed} "$@"\n'
    )


def install_shims(mirror_cc: str, clang: str) -> Path:
    """The shim directory for this mirror-cc and clang, (re)written where it is missing or differs."""
    key = hashlib.sha256(f"{mirror_cc}\0{clang}".encode()).hexdigest()[:12]
    shim_dir = cache_base() / f"shims-{key}"
    try:
        shim_dir.mkdir(parents=True, exist_ok=True)
        for name, fixed_args in SHIMS.items():
            _write_if_changed(shim_dir / name, shim_script(mirror_cc, clang, fixed_args))
    except OSError as exc:
        raise MirrorError(
            f"cannot create the compiler shims in {shim_dir} ({exc}); "
            f"set {ENV_CACHE} to a writable directory"
        ) from None
    return shim_dir


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text and os.access(path, os.X_OK):
            return
    except OSError:
        pass
    # Replace atomically: a concurrent mirror-build or a running build may be executing the old one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    tmp.chmod(0o755)
    os.replace(tmp, path)
