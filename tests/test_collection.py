"""Every test file is collected: pytest skips folders matching norecursedirs ('build', 'dist', 'venv', ...), and
tests/build/ was skipped that way without a word until it was renamed tests/mirror_build/."""

from __future__ import annotations

import fnmatch

from tests.conftest import REPO


def test_no_test_folder_is_one_pytest_skips(request):
    patterns = request.config.getini("norecursedirs")
    skipped = [str(p.relative_to(REPO)) for p in (REPO / "tests").rglob("test_*.py")
               if any(fnmatch.fnmatch(part, pat) for part in p.relative_to(REPO / "tests").parts[:-1] for pat in patterns)]
    assert not skipped, f"pytest never collects these (norecursedirs {patterns}): {skipped}"
