"""`mirror-cc -fmirror-print-identity`: one line that changes whenever what mirror-cc would emit for the
same input may change -- the mirrorpass sources (the pass, the driver, the lowering), the runtime it
links, clang's version and llvmlite's.

For build caches. ccache's default `compiler_check=mtime` looks at the mtime and size of the
compiler it runs (.venv/bin/mirror-cc, a console-script stub that no upgrade of the pass changes), so
a changed pass would reuse objects made by the old one. With
`compiler_check=%compiler% -fmirror-print-identity` (or CCACHE_COMPILERCHECK=string:<this line>,
computed once for a whole build) ccache misses when the identity changes.

`--version` stays clang's own: meson and configure scripts read the compiler's kind and version from it.
"""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

from ..layout import RUNTIME_DIR
from ..toolchain import clang_path, llvmlite_major

PACKAGE = Path(__file__).resolve().parent.parent
RUNTIME_ARCHIVE = RUNTIME_DIR / "build" / "libmirror_rt.a"


def _digest(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes() if path.exists() else b"(missing)")
        h.update(b"\0")
    return h.hexdigest()[:16]


def identity() -> str:
    sources = [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]
    runtime = [RUNTIME_ARCHIVE, *(RUNTIME_DIR / "include").glob("*.h")]
    try:
        version = metadata.version("mirrorpass")
    except metadata.PackageNotFoundError:
        version = "unknown"
    clang = subprocess.run([clang_path(), "--version"], capture_output=True, text=True).stdout.splitlines()
    _, lite = llvmlite_major()
    return (f"mirror-cc {version} pass {_digest(sources, PACKAGE)} runtime {_digest(runtime, RUNTIME_DIR)} "
            f"llvmlite {lite} {clang[0] if clang else clang_path()}")
