"""mirror-cc under ccache (`CC="ccache mirror-cc"`, mirrorpass/driver/identity.py): a second compile hits;
with `compiler_check=%compiler% -fmirror-print-identity` a changed pass misses, while ccache's default
check (the mtime and size of the mirror-cc stub, which a new pass leaves alone) would reuse the old
pass's object. The changed pass is a second copy of the mirrorpass sources with one file edited, run
through the same mirror-cc stub: real ccache, real compiles."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("ccache") is None, reason="ccache is installed by scripts/setup.sh")

SOURCE = "int twice(int *p) { *p *= 2; return *p; }\n"


@pytest.fixture
def second_version(tmp_path):
    """A copy of the mirrorpass sources and runtime, and a mirror-cc stub that runs whichever copy
    PYTHONPATH names (the stub itself never changes)."""
    root = tmp_path / "version"
    shutil.copytree(REPO / "mirrorpass", root / "mirrorpass", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "runtime", root / "runtime")
    stub = tmp_path / "bin" / "mirror-cc"
    stub.parent.mkdir()
    stub.write_text(f"#!{sys.executable}\nimport sys\nfrom mirrorpass.cli.mirror_cc import main\nsys.exit(main())\n")
    stub.chmod(0o755)
    return root, stub


def ccache_compile(tmp_path, stub, root, check):
    env = {**os.environ, "PYTHONPATH": str(root), "CCACHE_DIR": str(tmp_path / "ccache"),
           "CCACHE_COMPILERCHECK": check, "CCACHE_NOHASHDIR": "1", "MIRRORPASS_DEPS_PREFIX": ""}
    subprocess.run(["ccache", "--zero-stats"], env=env, check=True, capture_output=True)
    proc = subprocess.run(["ccache", str(stub), "-O2", "-c", "t.c", "-o", "t.o"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    stats = subprocess.run(["ccache", "--print-stats"], env=env, check=True, capture_output=True, text=True).stdout
    counts = dict(re.findall(r"^(\w+)\t(\d+)$", stats, re.M))
    hits = int(counts["direct_cache_hit"]) + int(counts["preprocessed_cache_hit"])
    return "hit" if hits else "miss"


def test_identity_names_the_pass_runtime_and_toolchain(second_version):
    root, stub = second_version
    line = subprocess.run([str(stub), "-fmirror-print-identity"], env={**os.environ, "PYTHONPATH": str(root)},
                          capture_output=True, text=True, check=True).stdout
    assert re.fullmatch(r"mirror-cc \S+ pass [0-9a-f]{16} runtime [0-9a-f]{16} llvmlite \S+ .*clang version 22.*\n",
                        line), line


def test_a_changed_pass_misses_the_cache_with_the_identity_check(tmp_path, second_version):
    root, stub = second_version
    (tmp_path / "t.c").write_text(SOURCE)
    identity_check = "%compiler% -fmirror-print-identity"
    assert ccache_compile(tmp_path, stub, root, identity_check) == "miss"
    assert ccache_compile(tmp_path, stub, root, identity_check) == "hit"
    with (root / "mirrorpass" / "instrument" / "__init__.py").open("a") as f:
        f.write("# a second version of the pass\n")
    assert ccache_compile(tmp_path, stub, root, identity_check) == "miss"
    assert ccache_compile(tmp_path, stub, root, identity_check) == "hit"
    # ccache's default: the stub's mtime and size, unchanged by a third version, which is then not seen.
    assert ccache_compile(tmp_path, stub, root, "mtime") == "miss"  # a new key: the check itself changed
    with (root / "mirrorpass" / "instrument" / "__init__.py").open("a") as f:
        f.write("# a third version\n")
    assert ccache_compile(tmp_path, stub, root, "mtime") == "hit"
