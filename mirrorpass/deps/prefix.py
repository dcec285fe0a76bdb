"""The prefix of instrumented dependencies (`mirrorpass deps install`), as mirror-cc and mirror-build use it.

When the prefix holds a manifest, mirror-cc compiles (and preprocesses: -E, -M, -MM, -fsyntax-only)
with -I<prefix>/include after the user's own -I (so before the system's /usr/include) and links with -L<prefix>/lib and an rpath to it (ld searches
every -L for every -l, the user's first), and mirror-build puts <prefix>/lib/pkgconfig first on
PKG_CONFIG_PATH: `mirror-cc prog.c -lz` and `pkg-config --libs zlib` then pick the instrumented build
without the build changing. MIRRORPASS_DEPS_PREFIX names another prefix; set it empty to use none.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..cache import cache_base

MANIFEST = "mirrorpass-deps.json"
ENV_PREFIX = "MIRRORPASS_DEPS_PREFIX"


def default_prefix() -> Path:
    return cache_base() / "deps" / os.uname().machine


def active_prefix() -> Path | None:
    named = os.environ.get(ENV_PREFIX)
    if named is not None and not named:
        return None
    prefix = Path(named) if named else default_prefix()
    return prefix if (prefix / MANIFEST).is_file() else None


def compile_flags(prefix: Path) -> list[str]:
    return [f"-I{prefix / 'include'}"]


def lib_dir(prefix: Path) -> Path:
    return prefix / "lib"


def link_flags(prefix: Path) -> list[str]:
    return [f"-L{lib_dir(prefix)}", f"-Wl,-rpath,{lib_dir(prefix)}"]


def pkg_config_path(prefix: Path, current: str | None) -> str:
    dirs = [str(lib_dir(prefix) / "pkgconfig"), str(prefix / "share" / "pkgconfig")]
    return ":".join([*dirs, *filter(None, [current])])
