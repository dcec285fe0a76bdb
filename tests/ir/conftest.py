"""Fixtures for the IR parser tests: the clang-22 corpus of ir_corpus.py, compiled once per session."""

from __future__ import annotations

import os

import pytest

from ir_corpus import CLANG, compile_all, compile_c


@pytest.fixture(scope="session")
def corpus() -> dict[tuple[str, str], str]:
    """(snippet, config) -> the module text clang-22 emitted."""
    if not os.access(CLANG, os.X_OK):
        pytest.skip("clang-22 is not installed")
    return compile_all()


@pytest.fixture(scope="session")
def clang_ir():
    """clang_ir(c_source, *flags) -> module text."""
    if not os.access(CLANG, os.X_OK):
        pytest.skip("clang-22 is not installed")

    def _compile(source: str, *flags: str) -> str:
        return compile_c(source, tuple(flags) or ("-O2",))

    return _compile
