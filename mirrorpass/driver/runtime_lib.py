"""The runtime archive linked into every mirrored executable, built on first use if missing or stale.

The runtime lives in runtime/ of the checkout (the package is installed in editable mode). Builds
from concurrent mirror-cc processes (make -j) are serialised with a lock file.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from ..errors import MirrorError
from ..layout import RUNTIME_DIR
from ..toolchain import clang_path

ARCHIVE = RUNTIME_DIR / "build" / "libmirror_rt.a"
# Linked into every shared library mirror-cc links: a program without the runtime is refused clearly.
NEEDS_RUNTIME = RUNTIME_DIR / "build" / "needs_runtime.o"
INCLUDE_DIR = RUNTIME_DIR / "include"
# The heap is compiled by mirror-cc itself: the one installed next to this interpreter.
MIRROR_CC = Path(sys.executable).parent / "mirror-cc"


def _stale() -> bool:
    if not ARCHIVE.exists() or not NEEDS_RUNTIME.exists():
        return True
    built = ARCHIVE.stat().st_mtime
    # One folder per layer (runtime/LAYERS); *.inc: the option and statistics tables (base/flags.inc, stats.inc).
    sources = [*RUNTIME_DIR.glob("*/*.[ch]"), *RUNTIME_DIR.glob("*/*.inc"), RUNTIME_DIR / "Makefile",
               RUNTIME_DIR / "LAYERS"]
    return any(src.stat().st_mtime > built for src in sources if src.exists())


def runtime_archive() -> str:
    if not _stale():
        return str(ARCHIVE)
    ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
    with open(ARCHIVE.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _stale():
            proc = subprocess.run(
                ["make", "-s", "-C", str(RUNTIME_DIR), f"CC={clang_path()}", f"MIRROR_CC={MIRROR_CC}"],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
                raise MirrorError(f"building the runtime in {RUNTIME_DIR} failed:\n{tail}")
    return str(ARCHIVE)


# What the runtime defines for every object in the process, dispatching by address (heap/interpose.c).
INTERPOSED = ("free", "realloc", "reallocarray", "malloc_usable_size")


def library_link_args() -> list[str]:
    """What mirror-cc adds when it links a shared library: the check that the loading program has the
    runtime (runtime/library/needs_runtime.c)."""
    runtime_archive()  # builds both when missing or stale
    return [str(NEEDS_RUNTIME)]


def runtime_link_args() -> list[str]:
    """Linker arguments that pull the whole runtime in (its start-up code is reached by no symbol)."""
    # Export the runtime's entry points (routed libc functions, __mirror_sync_atomic) so that
    # instrumented shared libraries, also those loaded later with dlopen, bind to this one runtime; and
    # its free/realloc (runtime/heap/interpose.c), so that every library hands the mirrored heap's blocks
    # back to it.
    return [f"-Wl,--push-state,--whole-archive,{runtime_archive()},--pop-state", "-Wl,--export-dynamic-symbol=__mirror_*",
            *(f"-Wl,--export-dynamic-symbol={name}" for name in INTERPOSED)]


# Bind every symbol at load time: the dynamic loader then writes the GOT before start-up seeds the
# mirror (lazy binding would write it later, unmirrored), and the GOT becomes read-only (full RELRO).
EAGER_BINDING = "-Wl,-z,now"
