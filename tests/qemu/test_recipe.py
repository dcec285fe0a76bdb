"""`mirrorpass qemu build`'s recipe, the parts that run in seconds: the copy of the tree it adds to, the
key that decides whether a build is up to date, and the errors of `mirrorpass qemu boot` without a build.
The builds themselves (deps ~10 min, QEMU ~5 min on 2 cores) are benchmarks/qemu.sh's, recorded in
benchmarks/results/qemu.json."""

from __future__ import annotations

import bz2
import os
import subprocess

import pytest

from mirrorpass.projects import debian_sources
from mirrorpass.qemu import build
from tests.conftest import MIRRORPASS


@pytest.mark.slow  # fetches Debian's qemu sources (~10 s) and copies the tree (235 MB)
def test_the_source_copy_is_patched_and_completed_and_the_fetched_tree_is_not(tmp_path):
    tree = debian_sources.fetch("qemu")
    src = tmp_path / "src"
    build.prepare_source(tree, src)
    # The patch applied to Debian's own tree: the vCPU state is excluded from repair, in mirrored builds only.
    cpu_c = (src / "target" / "i386" / "cpu.c").read_text()
    assert "#ifdef __MIRRORPASS__\n#include <mirror.h>" in cpu_c and "mirror_exclude(cpu, sizeof(*cpu)," in cpu_c
    assert "mirror_exclude" not in (tree / "target" / "i386" / "cpu.c").read_text()
    devices = src / "configs" / "devices" / "x86_64-softmmu" / f"{build.DEVICES_NAME}.mak"
    assert "CONFIG_I440FX=y" in devices.read_text() and "CONFIG_SERIAL_ISA=y" in devices.read_text()
    assert not (tree / "configs" / "devices" / "x86_64-softmmu" / f"{build.DEVICES_NAME}.mak").exists()
    images = sorted(p.name for p in (src / "pc-bios").glob("edk2-*.fd.bz2"))
    assert len(images) == len(build.EDK2_IMAGES) and "edk2-x86_64-code.fd.bz2" in images
    assert all(bz2.decompress((src / "pc-bios" / name).read_bytes()) == b"" for name in images)
    assert not list((tree / "pc-bios").glob("edk2-*.fd.bz2"))  # the dfsg tarball has none
    # Made once per recipe: the copy is kept (the build directories' configure recorded its path).
    before = (src / "configure").stat().st_ino
    build.prepare_source(tree, src)
    assert (src / "configure").stat().st_ino == before


def test_a_build_is_up_to_date_only_for_the_same_recipe():
    args = build.configure_args("/m/meson", "/m/ninja")
    assert "--target-list=x86_64-softmmu" in args and "--cxx=/bin/false" in args
    deps = {p: {"version": "1"} for p in build.DEPS}
    key = build._key("native", "1:7.2+dfsg-7", args, deps)
    assert key == build._key("native", "1:7.2+dfsg-7", list(args), deps)
    assert key != build._key("native", "1:7.2+dfsg-8", args, deps)
    assert key != build._key("native", "1:7.2+dfsg-7", [*args, "--enable-debug"], deps)
    mirrored = build._key("mirrored", "1:7.2+dfsg-7", args, deps)
    assert mirrored != key
    assert mirrored != build._key("mirrored", "1:7.2+dfsg-7", args, {**deps, "glib2.0": {"version": "2"}})


def test_qemu_boot_without_a_build_says_what_to_run(tmp_path):
    env = dict(os.environ, MIRRORPASS_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([MIRRORPASS, "qemu", "boot"], capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    assert "run `mirrorpass qemu build` first" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([MIRRORPASS, "qemu", "boot", "--dir", str(tmp_path)], capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and f"mirrorpass qemu build --dir {tmp_path}" in proc.stderr
