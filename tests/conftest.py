"""Shared fixtures: where the tools are, and a skip when clang-22 is missing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIRROR_CC = str(BIN / "mirror-cc")
MIRRORPASS = str(BIN / "mirrorpass")
MIRROR_INCLUDE = str(REPO / "runtime" / "include")
CLANG = shutil.which("clang-22")


def pytest_collection_modifyitems(config, items):
    if CLANG is None:
        skip = pytest.mark.skip(reason="clang-22 is not installed (run scripts/setup.sh)")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def worker(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """tests/campaign/programs/worker.c built twice: {"native": clang-22 -O2, "mirrored": mirror-cc -O2}
    (campaign tests, on the host and under qemu)."""
    import subprocess

    source = REPO / "tests" / "campaign" / "programs" / "worker.c"
    out = tmp_path_factory.mktemp("campaign-worker")
    builds = {"native": out / "worker.native", "mirrored": out / "worker"}
    for build, compiler in (("native", CLANG), ("mirrored", MIRROR_CC)):
        subprocess.run([compiler, "-O2", str(source), "-o", str(builds[build])], check=True)
    return builds
