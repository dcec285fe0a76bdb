"""Campaign tests build programs/worker.c twice: with clang-22 (native) and with mirror-cc (mirrored)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLANG, MIRROR_CC

PROGRAMS = Path(__file__).resolve().parent / "programs"


@pytest.fixture(scope="session")
def worker(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("campaign-worker")
    builds = {"native": out / "worker.native", "mirrored": out / "worker"}
    for build, compiler in (("native", CLANG), ("mirrored", MIRROR_CC)):
        subprocess.run([compiler, "-O2", str(PROGRAMS / "worker.c"), "-o", str(builds[build])], check=True)
    return builds
