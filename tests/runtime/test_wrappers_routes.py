"""routes.h, the runtime's wrappers and what clang-22 really emits stay in agreement.

- Every MIRROR_ROUTE(name) has a global, default-visibility function __mirror_<name> in the runtime
  archive (a missing one is a link error in every program that calls `name`), and every wrapper the
  libc/*.c files define is routed (an unrouted one is dead code).
- programs/wrappers/emitted_names.c, compiled to IR with the configurations programs really use
  (-O0/-O2, _FORTIFY_SOURCE=2/3, _FILE_OFFSET_BITS=64, -fno-builtin), calls only functions that write
  caller memory; every symbol it ends up calling (__isoc99_sscanf, __memcpy_chk, stat64, ...) is routed.
- Routing renames functions only: a global variable that happens to share a routed name stays.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mirrorpass.instrument.routes import ROUTE_PREFIX, route_calls, routed_functions
from wrapper_programs import PROGRAMS

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
CLANG = "clang-22"

CONFIGURATIONS = [
    ["-O0"],
    ["-O2"],
    ["-O2", "-D_FORTIFY_SOURCE=2"],
    ["-O2", "-D_FORTIFY_SOURCE=3"],
    ["-O2", "-D_FILE_OFFSET_BITS=64"],
    ["-O2", "-fno-builtin"],
    ["-O0", "-fno-builtin", "-D_FILE_OFFSET_BITS=64", "-D_FORTIFY_SOURCE=2"],
]

SYMBOL_LINE = re.compile(r"^\s*\d+:\s+\S+\s+\d+\s+(\w+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(\S+)$")


def archive_symbols(archive: Path) -> dict[str, tuple[str, str, str]]:
    """Defined symbols of the archive: name -> (type, binding, visibility)."""
    readelf = shutil.which("readelf") or shutil.which("llvm-readelf-22")
    if readelf is None:
        pytest.skip("readelf is not installed")
    output = subprocess.run([readelf, "-W", "-s", str(archive)], capture_output=True, text=True, check=True).stdout
    symbols = {}
    for line in output.splitlines():
        match = SYMBOL_LINE.match(line)
        if match and match.group(4) != "UND":
            kind, binding, visibility, _, name = match.groups()
            symbols[name] = (kind, binding, visibility)
    return symbols


def test_routes_are_unique() -> None:
    names = routed_functions()
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates


def test_every_route_has_a_visible_wrapper(runtime_archive: Path) -> None:
    symbols = archive_symbols(runtime_archive)
    missing = [name for name in routed_functions() if f"{ROUTE_PREFIX}{name}" not in symbols]
    assert not missing, f"routed but not defined by the runtime: {missing}"
    wrong = {
        name: symbols[f"{ROUTE_PREFIX}{name}"]
        for name in routed_functions()
        if symbols[f"{ROUTE_PREFIX}{name}"] != ("FUNC", "GLOBAL", "DEFAULT")
    }
    assert not wrong, f"wrappers must be global default-visibility functions: {wrong}"


def test_every_wrapper_is_routed() -> None:
    defined = set()
    for source in RUNTIME.glob("libc/*.c"):
        defined |= set(re.findall(r"^MIRROR_WRAPPER [^(]*?\b__mirror_(\w+)\(", source.read_text(), re.M))
    assert defined, "no wrappers found"
    unrouted = sorted(defined - set(routed_functions()))
    assert not unrouted, f"wrappers nothing is routed to: {unrouted}"


@pytest.mark.parametrize("flags", CONFIGURATIONS, ids=lambda flags: " ".join(flags))
def test_symbols_clang_emits_are_routed(flags: list[str], tmp_path: Path) -> None:
    if shutil.which(CLANG) is None:
        pytest.skip(f"{CLANG} is not installed")
    result = subprocess.run(
        [CLANG, *flags, "-S", "-emit-llvm", "-w", str(PROGRAMS / "emitted_names.c"), "-o", "-"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    declared = set(re.findall(r"^declare [^@\n]*@([\w.]+)\(", result.stdout, re.M))
    called = {name for name in declared if not name.startswith("llvm.")}
    assert len(called) > 30
    unrouted = sorted(called - set(routed_functions()))
    assert not unrouted, f"{' '.join(flags)}: these writers of caller memory reach libc unwrapped: {unrouted}"


def test_global_variables_named_like_routed_functions_stay() -> None:
    module = "\n".join([
        "@times = dso_local global i32 0, align 4",
        "@stat = external global i32, align 4",
        "define i32 @f(ptr %p) {",
        "  %a = load i32, ptr @times, align 4",
        "  %b = load i32, ptr @stat, align 4",
        "  %c = call i64 @read(i32 0, ptr %p, i64 4)",
        "  ret i32 %a",
        "}",
        "declare i64 @read(i32, ptr, i64)",
    ])
    text, routed = route_calls(module)
    assert routed == ["read"]
    assert "@__mirror_read(" in text and "@read(" not in text
    assert "ptr @times" in text and "ptr @stat" in text and "__mirror_times" not in text
