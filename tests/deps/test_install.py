"""`mirrorpass deps install` (mirrorpass/deps/install.py, prefix.py) with real Debian sources: zlib rebuilt by
mirror-build into a prefix with its own tests run, then `mirror-cc prog.c -lz` picks it without being
told, links no uninstrumented library and audits clean; a package that cannot be fetched leaves the
prefix as it was; build dependencies among the packages asked for come first."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from mirrorpass.deps.closure import closure, has_mirrorpass_note
from mirrorpass.deps.install import build_order
from tests.conftest import MIRROR_CC, MIRRORPASS
from tests.deps.test_uninstrumented import ZLIB_PROGRAM

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zlib_prefix(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("deps")
    proc = subprocess.run([MIRRORPASS, "deps", "install", "zlib", "--prefix", str(prefix)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return prefix


def test_zlib_is_built_instrumented_with_its_tests_recorded(zlib_prefix):
    manifest = json.loads((zlib_prefix / "mirrorpass-deps.json").read_text())
    zlib = manifest["zlib"]
    assert zlib["build_system"] == "autotools" and zlib["version"].startswith("1:1.2.13")
    assert zlib["tests"]["ran"] and zlib["tests"]["passed"], zlib["tests"]
    assert zlib["build_seconds"] > 0 and "lib/libz.so.1" in " ".join(zlib["files"])
    assert has_mirrorpass_note(zlib_prefix / "lib" / "libz.so.1")
    listed = subprocess.run([MIRRORPASS, "deps", "list", "--prefix", str(zlib_prefix)], capture_output=True, text=True)
    assert listed.returncode == 0 and "zlib" in listed.stdout and "passed" in listed.stdout, listed.stderr


def test_mirror_cc_links_the_instrumented_libz_silently_and_audits_clean(zlib_prefix, tmp_path):
    (tmp_path / "z.c").write_text(ZLIB_PROGRAM)
    env = {**os.environ, "MIRRORPASS_DEPS_PREFIX": str(zlib_prefix)}
    build = subprocess.run([MIRROR_CC, "-O2", "z.c", "-lz", "-o", "z"], cwd=tmp_path, env=env, capture_output=True,
                           text=True)
    assert build.returncode == 0 and build.stderr == "", build.stderr
    kinds = {lib.name: (lib.kind, lib.path) for lib in closure(tmp_path / "z")}
    assert kinds["libz.so.1"] == ("instrumented", str(zlib_prefix / "lib" / "libz.so.1"))
    stats = tmp_path / "stats.json"
    run = subprocess.run([str(tmp_path / "z")], capture_output=True, text=True,
                         env={**os.environ, "MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={stats}"})
    system = subprocess.run([MIRROR_CC, "-O2", "z.c", "-lz", "-o", "z-system", "-fmirror-uninstrumented=allow"],
                            cwd=tmp_path, env={**os.environ, "MIRRORPASS_DEPS_PREFIX": ""})
    assert system.returncode == 0
    expected = subprocess.run([str(tmp_path / "z-system")], capture_output=True, text=True).stdout
    assert run.returncode == 0 and run.stdout == expected and expected.startswith("65536 -> "), run.stdout
    assert "audit at exit: 0 divergent bytes" in run.stderr, run.stderr
    assert json.loads(stats.read_text())["uninstrumented_libraries"] == []


def test_a_package_that_cannot_be_fetched_leaves_the_prefix_as_it_was(zlib_prefix):
    before = sorted(p.name for p in zlib_prefix.rglob("*"))
    proc = subprocess.run([MIRRORPASS, "deps", "install", "no-such-source-package", "--prefix", str(zlib_prefix)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no Debian source package 'no-such-source-package'" in proc.stderr, proc.stderr
    assert sorted(p.name for p in zlib_prefix.rglob("*")) == before


def test_build_dependencies_among_the_packages_come_first():
    order = build_order(["glib2.0", "zlib", "libffi", "pcre2"])
    assert order.index("glib2.0") > max(order.index(p) for p in ("zlib", "libffi", "pcre2")), order


def test_installing_a_package_again_replaces_its_files_and_symlinks(zlib_prefix):
    """A second install over the first (glib2.0 failed so: copying its library symlinks over the old ones
    raised "File exists" half-way through the prefix)."""
    library = zlib_prefix / "lib" / "libz.so"
    assert library.is_symlink()
    before = json.loads((zlib_prefix / "mirrorpass-deps.json").read_text())["zlib"]
    proc = subprocess.run([MIRRORPASS, "deps", "install", "zlib", "--prefix", str(zlib_prefix)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = json.loads((zlib_prefix / "mirrorpass-deps.json").read_text())["zlib"]
    assert after["files"] == before["files"] and library.is_symlink() and library.resolve().is_file()
    assert not list(zlib_prefix.rglob("*.mirrorpass-new"))
