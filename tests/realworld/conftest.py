"""Real projects from Debian's sources: fetched once per machine (cached), built per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mirrorpass.projects.debian_sources import SourceFetchError, sqlite_amalgamation  # noqa: E402


@pytest.fixture(scope="session")
def sqlite_dir() -> Path:
    try:
        return sqlite_amalgamation()
    except SourceFetchError as exc:
        pytest.fail(f"sqlite3: fetching Debian's source failed at step {exc.step}:\n{exc}")
