"""Finding clang-22 and checking that llvmlite speaks the same LLVM major version.

clang prints IR for its own LLVM; llvmlite parses it with the LLVM it was built on. The textual IR
format changes between major versions, so the two must agree or parsing fails in obscure ways.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from .cache import cache_base
from .errors import ToolchainError

EXPECTED_MAJOR = 22
CLANG_ENV = "MIRRORPASS_CLANG"


@functools.cache
def clang_path() -> str:
    """The clang driver: $MIRRORPASS_CLANG, else clang-22 on PATH, else Debian's llvm-22 directory."""
    candidates = [os.environ.get(CLANG_ENV), "clang-22", "/usr/lib/llvm-22/bin/clang"]
    for candidate in candidates:
        if candidate and (found := shutil.which(candidate)):
            return found
    raise ToolchainError(
        "clang-22 not found; install it with `apt-get install clang-22` (Debian bookworm-security) "
        f"or point {CLANG_ENV} at a clang 22 binary"
    )


def _version_cache() -> Path:
    return cache_base() / "clang-versions.json"


@functools.cache
def clang_major() -> int:
    """clang's major version. Asking costs a process per mirror-cc call (a fifth of compiling a small
    file), so the answer is cached per binary: its real path, size and modification time."""
    real = os.path.realpath(clang_path())
    try:
        st = os.stat(real)
        key = f"{real}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        key = None
    cache = _version_cache()
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if key and isinstance(known, dict) and isinstance(known.get(key), int):
        return known[key]
    out = subprocess.run([clang_path(), "--version"], capture_output=True, text=True).stdout
    m = re.search(r"clang version (\d+)\.", out)
    if not m:
        raise ToolchainError(f"cannot read the version of {clang_path()}: {out.strip()[:200]!r}")
    major = int(m.group(1))
    if key:
        try:  # best effort: a read-only home only costs the subprocess next time
            cache.parent.mkdir(parents=True, exist_ok=True)
            known = {k: v for k, v in known.items() if os.path.exists(k.rsplit(":", 2)[0])} if isinstance(known, dict) else {}
            known[key] = major
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known))
            tmp.replace(cache)
        except OSError:
            pass
    return major


@functools.cache
def llvmlite_major() -> tuple[int, str]:
    try:
        import llvmlite
        import llvmlite.binding as llvm
    except ImportError as exc:  # pragma: no cover - the package depends on llvmlite
        raise ToolchainError(f"llvmlite is not installed ({exc}); run `pip install 'llvmlite==0.50.*'`") from exc
    return llvm.llvm_version_info[0], llvmlite.__version__


def check_versions() -> None:
    """Fail with one line naming both versions and the fix when they disagree."""
    lite_major, lite_version = llvmlite_major()
    clang = clang_major()
    if lite_major != clang:
        raise ToolchainError(
            f"llvmlite {lite_version} is built on LLVM {lite_major} but {clang_path()} is clang {clang}; "
            f"install clang-{lite_major} (or set {CLANG_ENV}) or an llvmlite built on LLVM {clang}"
        )
