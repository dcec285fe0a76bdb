"""`mirrorpass qemu build`: QEMU 7.2 from Debian bookworm's sources, `qemu-system-x86_64` only, built
twice from one tree -- mirrored (mirror-build, against glib, pixman and zlib built instrumented by
`mirrorpass deps install`) and native (clang-22, against the system's -dev packages) for comparison.

Layout under the build root (default $MIRRORPASS_CACHE/qemu/<version>):
  src/          a copy of the fetched tree with the recipe's patches (patches/: the vCPU state, which
                TCG-generated code writes, is excluded from repair), the devices file and EDK2 stand-ins
  mirrored/     the mirrored build directory; mirrored/qemu-system-x86_64
  native/       the native one
  build.json    per build: the recipe's key, configure and build seconds, the mirror-build summary's
                totals, the libraries the binary loads by kind, the machine it was built on

A build whose key (the tree's version, the configure arguments, the recipe's changes, and for the
mirrored build mirror-cc's identity and the deps prefix's versions) matches build.json and whose binary
exists is not run again; a build whose key changed starts from an empty directory (a reconfigured QEMU
rebuilds everything anyway). The mirrored binary's path is the last line of standard output.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import machine
from ..cache import cache_base
from ..deps import install as deps_install
from ..deps.closure import closure
from ..deps.prefix import ENV_PREFIX, default_prefix, pkg_config_path
from ..errors import MirrorError
from ..projects import debian_sources
from ..system import can_be_root
from ..toolchain import clang_path
from ..vm.qemu import apt_install

PACKAGE = "qemu"
TARGET = "qemu-system-x86_64"
# What QEMU links that `mirrorpass deps install` can build (glib2.0 needs libffi, pcre2 and zlib).
DEPS = ("pixman", "zlib", "libffi", "pcre2", "glib2.0")
# The system -dev packages of the native build (and of the mirrored one: libfdt, below).
NATIVE_DEV_PACKAGES = ("libglib2.0-dev", "libpixman-1-dev", "zlib1g-dev", "libfdt-dev", "bzip2")
# libfdt stays the system's, uninstrumented: bookworm's device-tree-compiler source answers 404 for its
# upstream tarball, and QEMU 7.2's x86_64 target requires an FDT library (TARGET_NEED_FDT). The pc
# machine builds no device tree; the link warns about it and the runtime lists it.
# Applied to the copy of the tree, in name order (patch -p1). Each is a no-op without __MIRRORPASS__.
PATCHES_DIR = Path(__file__).parent / "patches"
FIRMWARE_DIRS = ("/usr/share/qemu", "/usr/share/seabios")  # bios.bin, kvmvapic.bin, ...: Debian's packages
DEVICES_NAME = "mirrorpass"
# The test machine's devices on top of --without-default-devices: a PC (i440FX, its ISA serial port for
# the console, its ACPI power-off) and virtio over PCI.
DEVICES = """\
# mirrorpass's test machine (mirrorpass/qemu/build.py): a PC with a serial console and virtio.
CONFIG_I440FX=y
CONFIG_SERIAL_ISA=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_SERIAL=y
CONFIG_VIRTIO_RNG=y
"""
# Debian's dfsg tarball drops the prebuilt EDK2 images, and the build unpacks them whenever bzip2 is
# found: empty ones stand in (nothing installs or loads them: the pc machine boots SeaBIOS).
EDK2_IMAGES = ("aarch64-code", "arm-code", "arm-vars", "i386-code", "i386-secure-code", "i386-vars",
               "x86_64-code", "x86_64-secure-code")


def configure_args(meson: str, ninja: str) -> list[str]:
    """The one configure command of both builds (the C compiler is the build's: CC)."""
    return ["--target-list=x86_64-softmmu", "--without-default-devices", "--without-default-features",
            f"--with-devices-x86_64={DEVICES_NAME}", "--disable-docs", "--disable-install-blobs",
            # No C++: QEMU's meson links with the C++ compiler whenever it has one, which pulls in
            # libstdc++ (uninstrumented) for nothing -- x86_64-softmmu has no C++ source.
            "--cxx=/bin/false", "--firmwarepath=" + ":".join(FIRMWARE_DIRS),
            f"--meson={meson}", f"--ninja={ninja}"]


@dataclass
class Build:
    flavour: str  # "mirrored" | "native"
    directory: Path
    record: dict = field(default_factory=dict)
    ran: bool = False  # False: up to date, nothing run

    @property
    def binary(self) -> Path:
        return self.directory / TARGET


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def patches() -> list[Path]:
    return sorted(PATCHES_DIR.glob("*.patch"))


def recipe_hash() -> str:
    """What the recipe changes in the tree: the patches, the devices file, the EDK2 stand-ins."""
    return _sha("\0".join([*(p.read_text() for p in patches()), DEVICES, *EDK2_IMAGES]))


def prepare_source(tree: Path, src: Path) -> None:
    """Make `src` a copy of the fetched tree with the recipe's patches applied, the devices file and the
    EDK2 stand-ins added (the fetched tree is shared by every user of debian_sources and stays as Debian
    ships it). Done once per recipe: a copy made by another recipe is made again."""
    stamp = src / ".mirrorpass-recipe"
    if stamp.exists() and stamp.read_text() == recipe_hash():
        return
    tmp = src.with_name(src.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(tree, tmp, symlinks=True)
    for patch in patches():
        proc = subprocess.run(["patch", "-p1", "--forward", "--batch", "-i", str(patch)], cwd=tmp,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise MirrorError(f"qemu: {patch.name} does not apply to {tree} (patch exit {proc.returncode}):\n"
                              f"{(proc.stdout + proc.stderr).strip()[-2000:]}")
    (tmp / "configs" / "devices" / "x86_64-softmmu" / f"{DEVICES_NAME}.mak").write_text(DEVICES)
    empty_bz2 = subprocess.run(["bzip2", "-c"], input=b"", capture_output=True, check=True).stdout
    for name in EDK2_IMAGES:
        image = tmp / "pc-bios" / f"edk2-{name}.fd.bz2"
        if not image.exists():
            image.write_bytes(empty_bz2)
    (tmp / stamp.name).write_text(recipe_hash())
    shutil.rmtree(src, ignore_errors=True)
    tmp.rename(src)


def ensure_system_packages(packages: tuple[str, ...] = NATIVE_DEV_PACKAGES) -> None:
    missing = [p for p in packages
               if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                 text=True).stdout.strip() != "install ok installed"]
    if not missing:
        return
    if not can_be_root():
        raise MirrorError(f"the QEMU builds need {', '.join(missing)}: run `sudo apt-get install {' '.join(missing)}`")
    proc = apt_install(missing)
    if proc.returncode != 0:
        raise MirrorError(f"apt-get install {' '.join(missing)} failed (exit {proc.returncode}), also after "
                          f"apt-get update:\n{proc.stdout[-2000:]}")


def ensure_deps(prefix: Path, jobs: int, log: Callable[[str], None]) -> dict:
    """Install into `prefix` whichever of DEPS it lacks; returns the prefix's manifest."""
    manifest = deps_install.read_manifest(prefix)
    missing = [p for p in DEPS if p not in manifest]
    if missing:
        log(f"qemu: building its libraries instrumented: mirrorpass deps install {' '.join(missing)}")
        deps_install.install(missing, prefix, jobs, log)
        manifest = deps_install.read_manifest(prefix)
    return manifest


def _key(flavour: str, version: str, args: list[str], deps: dict) -> str:
    parts = [flavour, version, " ".join(args), recipe_hash(), clang_path()]
    if flavour == "mirrored":
        from ..driver.identity import identity  # noqa: PLC0415  (hashes the pass and runtime sources)

        parts += [identity(), json.dumps({p: deps[p].get("version") for p in DEPS if p in deps}, sort_keys=True)]
    return _sha("\0".join(parts))


def _run_step(name: str, command: list[str], cwd: Path, env: dict[str, str], log_file: Path,
              log: Callable[[str], None]) -> float:
    log(f"qemu: {name}: {' '.join(command)}  (log: {log_file})")
    started = time.monotonic()
    with open(log_file, "a") as out:
        proc = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = round(time.monotonic() - started, 1)
    if proc.returncode != 0:
        tail = log_file.read_text(errors="replace")[-3000:]
        raise MirrorError(f"qemu: {name} failed (exit {proc.returncode}) in {cwd}:\n{tail}\nthe whole log: {log_file}")
    return seconds


def _environments(prefix: Path) -> dict[str, dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if k not in ("CC", "CXX", "CFLAGS", "LDFLAGS", "PKG_CONFIG_PATH")}
    native = {**base, "CC": clang_path()}
    mirrored = {**base, ENV_PREFIX: str(prefix), "PKG_CONFIG_PATH": pkg_config_path(prefix, None)}
    return {"native": native, "mirrored": mirrored}


def _libraries(binary: Path, prefix: Path | None) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for lib in closure(binary, [str(prefix / "lib")] if prefix else []):
        kinds.setdefault(lib.kind, []).append(lib.name)
    return {kind: sorted(names) for kind, names in sorted(kinds.items())}


def link_firmware(directory: Path) -> None:
    """A QEMU run from its build directory looks for each firmware directory D under
    <its directory>/qemu-bundle/D (util/cutils.c, get_relocated_path), where the build puts only its own
    install tree: link Debian's firmware directories there, so the binary boots with no -L."""
    for firmware in FIRMWARE_DIRS:
        link = directory / "qemu-bundle" / firmware.lstrip("/")
        if link.is_symlink() and os.readlink(link) == firmware:
            continue
        if link.is_symlink():
            link.unlink()
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(firmware)


def build_one(build: Build, src: Path, args: list[str], ninja: str, env: dict[str, str], jobs: int, prefix: Path,
              log: Callable[[str], None]) -> None:
    mirror_build = Path(sys.executable).parent / "mirror-build"
    wrap = [str(mirror_build), "--json", str(build.directory / "mirror-build.json"), "--"] \
        if build.flavour == "mirrored" else []
    shutil.rmtree(build.directory, ignore_errors=True)
    build.directory.mkdir(parents=True)
    log_file = build.directory / "build.log"
    configure = _run_step(f"{build.flavour}: configure", [*wrap, str(src / "configure"), *args], build.directory,
                          env, log_file, log)
    if wrap:  # one summary per step: keep the configure's beside the build's
        os.replace(build.directory / "mirror-build.json", build.directory / "mirror-build-configure.json")
    compile_s = _run_step(f"{build.flavour}: build", [*wrap, ninja, f"-j{jobs}", TARGET], build.directory, env,
                          log_file, log)
    if not build.binary.exists():
        raise MirrorError(f"qemu: the {build.flavour} build finished without {build.binary}; see {log_file}")
    link_firmware(build.directory)
    build.record.update(configure_seconds=configure, build_seconds=compile_s,
                        libraries=_libraries(build.binary, prefix if wrap else None), machine=machine.describe())
    if wrap:
        summary = _read_json(build.directory / "mirror-build.json")
        totals = summary.get("totals", {})
        build.record["mirror_build"] = {
            "files": totals.get("files"), "functions": totals.get("functions"), "mirrored": totals.get("mirrored"),
            "skipped": totals.get("skipped"), "warnings": totals.get("warnings"),
            "links_without_runtime": [link["output"] for link in summary.get("links", []) if not link.get("runtime")],
        }
        if TARGET in {Path(o).name for o in build.record["mirror_build"]["links_without_runtime"]}:
            raise MirrorError(f"qemu: mirror-build linked {build.binary} without the runtime; see {log_file}")
    build.ran = True


def build(root: Path | None = None, *, jobs: int | None = None, native: bool = True, prefix: Path | None = None,
          log: Callable[[str], None] = print) -> list[Build]:
    """Both builds (or the mirrored one alone), each only where it is not up to date."""
    jobs = jobs or os.cpu_count() or 1
    prefix = (prefix or default_prefix()).resolve()
    ensure_system_packages()
    try:
        tree = debian_sources.fetch(PACKAGE)
    except debian_sources.SourceFetchError as exc:
        raise MirrorError(str(exc)) from None
    version = debian_sources.source_info(tree).get("debian_version", tree.name)
    root = (root or cache_base() / "qemu" / tree.name).resolve()
    root.mkdir(parents=True, exist_ok=True)
    deps = ensure_deps(prefix, jobs, log)
    prepare_source(tree, root / "src")
    meson, ninja = deps_install.python_tool("meson"), deps_install.python_tool("ninja")  # into the venv, once
    args = configure_args(meson, ninja)
    record_path = root / "build.json"
    records = _read_json(record_path)
    envs = _environments(prefix)
    builds = []
    for flavour in ("mirrored", "native") if native else ("mirrored",):
        one = Build(flavour, root / flavour)
        key = _key(flavour, version, args, deps)
        previous = records.get(flavour, {})
        if previous.get("key") == key and one.binary.exists():
            one.record = previous
            link_firmware(one.directory)
            log(f"qemu: {flavour}: up to date ({one.binary})")
        else:
            one.record = {"key": key, "version": version, "configure": args}
            build_one(one, root / "src", args, ninja, envs[flavour], jobs, prefix, log)
            records[flavour] = one.record
            _write_json(record_path, records)
        builds.append(one)
    return builds


def built(root: Path | None = None) -> dict[str, Path]:
    """{flavour: binary} of the builds `build` left in `root` (mirrored first)."""
    if root is None:
        base = cache_base() / "qemu"
        roots = sorted(p for p in base.iterdir() if (p / "build.json").exists()) if base.is_dir() else []
        if not roots:
            raise MirrorError(f"no QEMU build under {base}: run `mirrorpass qemu build` first")
        root = roots[-1]
    records = _read_json(root / "build.json")
    found = {flavour: root / flavour / TARGET for flavour in ("mirrored", "native")
             if flavour in records and (root / flavour / TARGET).exists()}
    if not found:
        raise MirrorError(f"no QEMU build in {root}: run `mirrorpass qemu build --dir {root}` first")
    return found
