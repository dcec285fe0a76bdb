"""Fixtures for the mirror-pass tests."""

from __future__ import annotations

import os

import pytest

from instrument_support import CLANG, compile_c


@pytest.fixture(scope="session")
def clang_ir():
    """clang_ir(c_source, *flags) -> the module text clang-22 emits (default -O2)."""
    if not os.access(CLANG, os.X_OK):
        pytest.skip("clang-22 is not installed")

    def _compile(source: str, *flags: str) -> str:
        return compile_c(source, tuple(flags) or ("-O2",))

    return _compile
