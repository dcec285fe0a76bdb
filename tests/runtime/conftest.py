"""Fixtures for the runtime tests: build the runtime once, then compile small C programs against it.

The programs in programs/ are built either by plain clang-22, linked with the runtime exactly as mirror-cc
links it (whole-archive; `build`), or by mirror-cc itself (`mirror_build`), then run as real processes;
the tests assert on their output and exit code. Plain clang cannot instrument, so the programs it builds
write the mirror by hand (programs/mirror_test.h).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
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


# mirror-cc next to this interpreter (the checkout's .venv): it instruments the program and links the
# runtime it finds in runtime/build, which the runtime_archive fixture has just brought up to date.
MIRROR_CC = Path(sys.executable).parent / "mirror-cc"


@pytest.fixture(scope="session")
def mirror_build(runtime_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """mirror_build("prog.c", cflags=..., ldflags=...) -> path of the binary, built by mirror-cc -O2.

    Like the programs users build: every store instrumented, the runtime linked by mirror-cc itself.
    Programs may include the runtime's layer headers ("domain/domain.h": runtime/ is on the include
    path) for white-box checks. Built once per session for each (sources, flags); tests only run them.
    """
    if not MIRROR_CC.exists():
        pytest.skip(f"{MIRROR_CC} is missing (run scripts/setup.sh)")
    out_dir = tmp_path_factory.mktemp("mirror_programs")
    built: dict[tuple, Path] = {}

    def _build(*sources: str, output: str | None = None, cflags: Sequence[str] = (),
               ldflags: Sequence[str] = ()) -> Path:
        key = (sources, output, tuple(cflags), tuple(ldflags))
        if key in built:
            return built[key]
        out = out_dir / (output or Path(sources[0]).stem + f"-{len(built)}")
        command = [str(MIRROR_CC), "-O2", "-g", "-Wall", "-std=gnu11", "-pthread"]
        command += ["-I", str(RUNTIME / "include"), "-I", str(RUNTIME), "-I", str(PROGRAMS)]
        command += list(cflags)
        command += [str(PROGRAMS / s) for s in sources]
        command += ["-o", str(out)]
        command += list(ldflags)
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr}"
        built[key] = out
        return out

    return _build
