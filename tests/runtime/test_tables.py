"""runtime/base/flags.inc, stats.inc and runtime/domain/covered.inc are X-macro tables: included without their macro they must stop the
build with a message, not expand to nothing (or to garbage) silently."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import CLANG, REPO


@pytest.mark.parametrize(("table", "macro"), [("base/flags.inc", "MIRROR_FLAG"), ("base/stats.inc", "MIRROR_STAT"),
                                              ("domain/covered.inc", "MIRROR_COVERED")])
def test_a_table_included_without_its_macro_is_an_error(tmp_path, table, macro):
    source = tmp_path / "use.c"
    source.write_text(f'#include "{table}"\n')
    proc = subprocess.run([CLANG, "-fsyntax-only", f"-I{REPO / 'runtime'}", str(source)], capture_output=True, text=True)
    assert proc.returncode != 0 and f"define {macro}(...) before including it" in proc.stderr, proc.stderr


def test_the_runtime_defines_its_state_section_once():
    headers = [p for p in (REPO / "runtime").rglob("*.h") if "build" not in p.parts]
    defining = [p.name for p in headers if "#define MIRROR_RT_STATE" in p.read_text()]
    assert defining == ["base.h"]
