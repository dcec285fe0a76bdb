"""`mirrorpass deps install PKG...`: Debian bookworm source packages rebuilt by mirror-build into a prefix.

For each package (those asked for that another one build-depends on first): fetch the pristine
upstream tree (mirrorpass/projects/debian_sources.py), copy it, configure and build it under
mirror-build for the build system it has (meson + ninja, CMake, or autotools' configure), run its own
test suite instrumented, and install it into a staging directory (DESTDIR). Only a package whose build
and install succeeded is copied into the prefix and entered in its manifest (`mirrorpass-deps.json`:
version, build system, tests run/passed, build and test seconds), so a failed package leaves the prefix
as it was and the error says which step failed and how. Packages built earlier are found through the
prefix: -I, -L and an rpath in CFLAGS/LDFLAGS, PKG_CONFIG_PATH for pkg-config, CMAKE_PREFIX_PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import MirrorError
from ..projects import debian_sources
from .prefix import ENV_PREFIX, MANIFEST, compile_flags, default_prefix, lib_dir, link_flags, pkg_config_path
from .tests import summarize, verdict

MIRROR_BUILD = Path(sys.executable).parent / "mirror-build"
__all__ = ["default_prefix", "install", "read_manifest"]


def read_manifest(prefix: Path) -> dict:
    path = prefix / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise MirrorError(f"{path} is not valid JSON ({exc}); remove it to start the prefix afresh") from None


@dataclass
class Step:
    name: str  # "test" is recorded, not required; any other step must succeed
    command: list[str]


def build_system(tree: Path) -> str:
    if (tree / "configure").exists():
        return "autotools"
    if (tree / "meson.build").exists():
        return "meson"
    if (tree / "CMakeLists.txt").exists():
        return "cmake"
    raise MirrorError(f"{tree}: no configure script, meson.build or CMakeLists.txt: cannot tell how to build it")


def steps_for(system: str, prefix: Path, stage: Path, jobs: int) -> list[Step]:
    wrap = [str(MIRROR_BUILD), "--"]
    if system == "autotools":
        return [Step("configure", [*wrap, "./configure", f"--prefix={prefix}"]),
                Step("build", [*wrap, "make", f"-j{jobs}"]),
                Step("test", [*wrap, "make", "check", f"-j{jobs}"]),
                Step("install", ["make", "install", f"DESTDIR={stage}"])]
    if system == "cmake":
        return [Step("configure", [*wrap, "cmake", "-S", ".", "-B", "_build", f"-DCMAKE_INSTALL_PREFIX={prefix}",
                                   "-DCMAKE_BUILD_TYPE=RelWithDebInfo", f"-DCMAKE_INSTALL_RPATH={lib_dir(prefix)}"]),
                Step("build", [*wrap, "cmake", "--build", "_build", f"-j{jobs}"]),
                Step("test", ["ctest", "--test-dir", "_build", f"-j{jobs}"]),
                Step("install", ["env", f"DESTDIR={stage}", "cmake", "--install", "_build"])]
    return [Step("configure", [*wrap, python_tool("meson"), "setup", "_build", f"--prefix={prefix}", "--libdir=lib",
                               "--buildtype=debugoptimized", f"-Dc_link_args=-Wl,-rpath,{lib_dir(prefix)}"]),
            Step("build", [*wrap, python_tool("ninja"), "-C", "_build", f"-j{jobs}"]),
            Step("test", [*wrap, python_tool("meson"), "test", "-C", "_build", f"--num-processes={jobs}"]),
            Step("install", [python_tool("meson"), "install", "-C", "_build", "--destdir", str(stage)])]


def python_tool(name: str) -> str:
    """meson and ninja from the Python registry, installed into this venv on first use."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "meson", "ninja"], capture_output=True,
                              text=True)
        if proc.returncode != 0 or not path.exists():
            raise MirrorError(f"cannot install meson and ninja into {sys.prefix} with pip:\n{proc.stderr[-2000:]}")
    return str(path)


# Debian bookworm builds these sources with GCC 12, for which C89 leftovers are warnings; clang 16 and
# later make them errors (libffi 3.4.4's src/tramp.c calls open_temp_exec_file undeclared). Warnings
# again, as GCC 12 has them: this is what the package's own build sees, not a change to its code.
GCC12_COMPATIBLE = ("-Wno-error=implicit-function-declaration", "-Wno-error=implicit-int",
                    "-Wno-error=int-conversion", "-Wno-error=incompatible-function-pointer-types")


def build_environment(prefix: Path) -> dict[str, str]:
    # In CFLAGS and LDFLAGS too, not only through mirror-cc's own use of the prefix: that starts with
    # the prefix's manifest (after the first package), and configure's preprocessor checks skip it.
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = pkg_config_path(prefix, env.get("PKG_CONFIG_PATH"))
    env["CFLAGS"] = " ".join([env.get("CFLAGS", "-O2 -g"), *GCC12_COMPATIBLE, *compile_flags(prefix)])
    env["LDFLAGS"] = " ".join(filter(None, [env.get("LDFLAGS"), *link_flags(prefix)]))
    env["CMAKE_PREFIX_PATH"] = str(prefix)
    env[ENV_PREFIX] = str(prefix)  # mirror-cc links what is already built there, not another prefix's
    return env


def build_order(packages: list[str]) -> list[str]:
    """The packages asked for, each after those of them it build-depends on (apt-cache showsrc)."""
    binaries: dict[str, set[str]] = {}
    depends: dict[str, str] = {}
    for package in packages:
        try:
            stanzas = debian_sources.source_stanzas(package)
        except debian_sources.SourceFetchError as exc:
            raise MirrorError(str(exc)) from None
        if not stanzas:
            raise MirrorError(f"no Debian source package {package!r} (apt-cache showsrc --only-source {package} "
                              "lists none); name the source package, e.g. zlib for zlib1g-dev")
        binaries[package] = {b.strip() for b in stanzas[0].get("binary", "").replace("\n", " ").split(",")}
        depends[package] = stanzas[0].get("build-depends", "") + "," + stanzas[0].get("build-depends-arch", "")
    needs = {p: {q for q in packages if q != p and any(_mentions(depends[p], b) for b in binaries[q])}
             for p in packages}
    order: list[str] = []
    while len(order) < len(packages):
        ready = [p for p in packages if p not in order and needs[p] <= set(order)]
        if not ready:  # a cycle among them: take them as asked
            ready = [p for p in packages if p not in order][:1]
        order.append(ready[0])
    return order


def _mentions(field: str, binary: str) -> bool:
    return any(part.strip().split()[0].split(":")[0] == binary for part in field.replace("|", ",").split(",")
               if part.strip())


def install_one(package: str, prefix: Path, jobs: int, log) -> dict:
    try:
        tree = debian_sources.fetch(package)
    except debian_sources.SourceFetchError as exc:
        raise MirrorError(f"{exc}\nthe prefix {prefix} is unchanged") from None
    info = debian_sources.source_info(tree)
    with tempfile.TemporaryDirectory(prefix=f"mirrorpass-deps-{package}-") as tmp:
        work = Path(tmp) / tree.name
        shutil.copytree(tree, work, symlinks=True)
        stage = Path(tmp) / "stage"
        system = build_system(work)
        env = build_environment(prefix)
        record = {"package": package, "version": info.get("debian_version", tree.name), "build_system": system,
                  "tests": {"ran": False}, "build_seconds": 0.0, "test_seconds": 0.0}
        for step in steps_for(system, prefix, stage, jobs):
            started = time.monotonic()
            log(f"{package}: {step.name}: {' '.join(step.command)}")
            proc = subprocess.run(step.command, cwd=work, env=env, capture_output=True, text=True)
            seconds = round(time.monotonic() - started, 1)
            if step.name == "test":
                record["test_seconds"] = seconds
                record["tests"] = summarize(system, proc.stdout + proc.stderr, proc.returncode)
                failed = record["tests"].get("failed") or []
                log(f"{package}: tests: {verdict(record['tests'])}" + (f" ({', '.join(failed)})" if failed else ""))
                continue
            record["build_seconds"] = round(record["build_seconds"] + seconds, 1)
            if proc.returncode != 0:
                tail = (proc.stdout + proc.stderr)[-3000:]
                raise MirrorError(f"{package} {record['version']}: {step.name} failed (exit {proc.returncode}) in "
                                  f"{work}: {' '.join(step.command)}\n{tail}\nthe prefix {prefix} is unchanged")
        staged = stage / prefix.relative_to(prefix.anchor)
        if not staged.is_dir():
            raise MirrorError(f"{package}: the install put nothing under {prefix}; the prefix is unchanged")
        files = sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_symlink() or not p.is_dir())
        merge_into(staged, prefix, files)
        record["files"] = files
        return record


def merge_into(staged: Path, prefix: Path, files: list[str]) -> None:
    """Copy the staged install into the prefix, replacing what an earlier install of the package left
    (a library's symlinks too): each file or symlink is written beside its place and renamed over it, so
    that every entry of the prefix is at all times either the old one or the new one."""
    for name in files:
        source, target = staged / name, prefix / name
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.mirrorpass-new")
        if temporary.is_symlink() or temporary.exists():
            temporary.unlink()
        if source.is_symlink():
            os.symlink(os.readlink(source), temporary)
        else:
            shutil.copy2(source, temporary)
        os.replace(temporary, target)


def install(packages: list[str], prefix: Path | None = None, jobs: int | None = None, log=print) -> list[dict]:
    prefix = (prefix or default_prefix()).resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    manifest = read_manifest(prefix)
    records = []
    for package in build_order(packages):
        record = install_one(package, prefix, jobs, log)
        manifest[package] = record
        records.append(record)
        temporary = prefix / f".{MANIFEST}.tmp"
        temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        temporary.replace(prefix / MANIFEST)
    return records
