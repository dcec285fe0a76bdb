"""Fixtures for the runtime tests: build the runtime once, then compile small C programs against it.

The programs in programs/ are built by plain clang-22 and linked with the runtime exactly as mirror-cc
links it (whole-archive), then run as real processes; the tests assert on their output and exit code.
Plain clang cannot instrument, so the programs write the mirror by hand (programs/mirror_test.h).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "runtime"
PROGRAMS = Path(__file__).resolve().parent / "programs"
CLANG = "clang-22"


# What mirror-cc passes so the runtime's .preinit_array entry is linked although nothing references it.
WHOLE_ARCHIVE = ("-Wl,--push-state,--whole-archive", "{archive}", "-Wl,--pop-state")


@pytest.fixture(scope="session")
def runtime_archive() -> Path:
    if shutil.which(CLANG) is None:
        pytest.skip(f"{CLANG} is not installed")
    result = subprocess.run(["make", "-C", str(RUNTIME)], capture_output=True, text=True)
    assert result.returncode == 0, f"make -C runtime failed:\n{result.stdout}\n{result.stderr}"
    archive = RUNTIME / "build" / "libmirror_rt.a"
    assert archive.is_file()
    return archive


Build = Callable[..., Path]


@pytest.fixture
def build(runtime_archive: Path, tmp_path: Path) -> Build:
    """build("prog.c", cflags=..., ldflags=..., shared=False, runtime=True) -> path of the binary.

    Sources are file names in programs/. A shared library (shared=True) is built without the runtime:
    only an executable may carry the runtime's .preinit_array.
    """

    def _build(
        *sources: str,
        output: str | None = None,
        cflags: Sequence[str] = (),
        ldflags: Sequence[str] = (),
        shared: bool = False,
        runtime: bool = True,
    ) -> Path:
        out = tmp_path / (output or Path(sources[0]).stem)
        command = [CLANG, "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11"]
        command += ["-I", str(RUNTIME / "include"), "-I", str(RUNTIME), "-I", str(PROGRAMS)]
        command += list(cflags)
        if shared:
            command += ["-fPIC", "-shared"]
        command += [str(PROGRAMS / s) for s in sources]
        command += ["-o", str(out)]
        command += list(ldflags)
        if runtime and not shared:
            command += [arg.format(archive=runtime_archive) for arg in WHOLE_ARCHIVE]
        command += ["-lpthread", "-ldl"]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr}"
        return out

    return _build
