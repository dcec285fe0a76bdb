"""Selective protection (mirrorpass/instrument/selection.py): -fmirror-mode=annotated, MIRROR_PROTECT and
MIRROR_EXCLUDE from the real mirror.h, and -fmirror-ignorelist. Real clang-22 at -O0, -O2 and -O3, real
mirror-cc objects, and the manifest they carry (what `mirrorpass inspect` shows)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mirrorpass.elf.manifest import read_manifest
from mirrorpass.instrument.selection import Ignorelist, IgnorelistError, annotations
from tests.conftest import MIRROR_CC, MIRROR_INCLUDE, MIRRORPASS

# record() is annotated and small: without the macro's noinline, -O2 would inline it into both callers
# (and annotated mode would lose its stores). bump() is not annotated and is inlined *into* record().
SOURCE = """\
#include "mirror.h"
struct entry { long amount; long count; };
int scratch[64];
static void bump(long *counter) { *counter += 1; }
MIRROR_PROTECT void record(struct entry *e, long amount) { e->amount += amount; bump(&e->count); }
MIRROR_EXCLUDE void fill(int *s) { for (int i = 0; i < 64; i++) s[i] = i; }
void update(struct entry *e, long amount) { record(e, amount); scratch[0] = (int)amount; }
void batch(struct entry *e) { for (int i = 0; i < 8; i++) record(e, i); fill(scratch); }
"""


def build(tmp_path: Path, *flags: str, source: str = SOURCE, name: str = "ledger.c") -> dict[str, tuple[str, int]]:
    """Compile with mirror-cc; function -> (selection, mirrored writes) from the object's manifest."""
    src = tmp_path / name
    src.write_text(source)
    obj = tmp_path / (name + ".o")
    proc = subprocess.run([MIRROR_CC, *flags, "-I", MIRROR_INCLUDE, "-c", str(src), "-o", str(obj)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {fn.name: (fn.selection, fn.mirrored) for fn in read_manifest(obj).functions}


@pytest.mark.parametrize("level", ["-O0", "-O2", "-O3"])
def test_annotated_mode_mirrors_exactly_the_annotated_functions(tmp_path, level):
    functions = build(tmp_path, level, "-fmirror-mode=annotated")
    assert functions["record"][0] == "mirrored"
    # Its own store and the one bump() brought in when inlined (at -O0 bump stays a call; -O2 may merge).
    assert functions["record"][1] >= 1
    for name in ("update", "batch"):
        assert functions[name] == ("unannotated", 0), functions
    assert functions["fill"] == ("excluded", 0)
    if level == "-O0":
        assert functions["bump"] == ("unannotated", 0)


@pytest.mark.parametrize("level", ["-O0", "-O2", "-O3"])
def test_all_mode_mirrors_every_function_but_the_excluded(tmp_path, level):
    functions = build(tmp_path, level)
    assert functions["fill"] == ("excluded", 0)
    assert functions["record"][0] == functions["update"][0] == functions["batch"][0] == "mirrored"
    assert functions["update"][1] >= 1  # scratch[0]


def test_annotations_are_read_from_clangs_ir(clang_ir):
    text = clang_ir(f'#include "{MIRROR_INCLUDE}/mirror.h"\n' + SOURCE.split("\n", 1)[1], "-O2")
    assert annotations(text) == {"record": {"mirror_protect"}, "fill": {"mirror_exclude"}}
    assert annotations("define void @f() {\n  ret void\n}\n") == {}


def test_ignorelist_skips_functions_and_files(tmp_path):
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("# hot paths\n[mirror]\nfun:upd*\n[address]\nfun:batch\n")
    functions = build(tmp_path, "-O2", f"-fmirror-ignorelist={ignore}")
    assert functions["update"] == ("ignorelisted", 0)
    assert functions["batch"][0] == "mirrored"  # only under [address]
    ignore.write_text("src:*/ledger.c\n")  # before any section: applies to every tool
    functions = build(tmp_path, "-O2", f"-fmirror-ignorelist={ignore}")
    assert {selection for selection, _ in functions.values()} == {"ignorelisted"}
    assert sum(count for _, count in functions.values()) == 0


def test_ignorelist_parsing():
    lst = Ignorelist.parse("fun:a*\n[mirror|thread]\nsrc:lib/*.c\nglobal:x\nfun:b=init\n[address]\nfun:c\n[*]\nfun:d\n")
    assert lst.functions == ["a*", "d"] and lst.sources == ["lib/*.c"]
    assert lst.ignores_function("apply") and not lst.ignores_function("c")
    with pytest.raises(IgnorelistError, match=r"x.txt:2: malformed line 'oops'"):
        Ignorelist.parse("fun:a\noops\n", "x.txt")
    with pytest.raises(IgnorelistError, match=r":1: malformed section header"):
        Ignorelist.parse("[mirror\n")


def test_bad_ignorelist_is_a_clear_error(tmp_path):
    (tmp_path / "a.c").write_text("int g; void f(void) { g = 1; }\n")
    missing = subprocess.run([MIRROR_CC, f"-fmirror-ignorelist={tmp_path}/none.txt", "-c", "a.c"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith("mirror-cc: error: cannot read ignore list") and "none.txt" in missing.stderr
    (tmp_path / "bad.txt").write_text("[mirror]\nfunc foo\n")
    bad = subprocess.run([MIRROR_CC, "-fmirror-ignorelist=bad.txt", "-c", "a.c"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "bad.txt:2: malformed line 'func foo'" in bad.stderr
    assert not (tmp_path / "a.o").exists()


def test_inspect_shows_the_mode_of_each_function(tmp_path):
    src = tmp_path / "prog.c"
    src.write_text(SOURCE + "int main(void) { static struct entry e; update(&e, 3); batch(&e); return 0; }\n")
    exe = tmp_path / "prog"
    proc = subprocess.run([MIRROR_CC, "-O2", "-fmirror-mode=annotated", "-I", MIRROR_INCLUDE, str(src), "-o", str(exe)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    shown = subprocess.run([MIRRORPASS, "inspect", "--json", str(exe)], capture_output=True, text=True)
    modes = {fn["name"]: fn["selection"] for fn in json.loads(shown.stdout)["functions"]}
    assert modes == {"record": "mirrored", "update": "unannotated", "batch": "unannotated", "fill": "excluded",
                     "main": "unannotated"}
    table = subprocess.run([MIRRORPASS, "inspect", str(exe)], capture_output=True, text=True,
                           env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})
    assert "annotated / segment" in table.stdout and "unannotated" in table.stdout and "1 mirrored" in table.stdout


def test_without_the_macros_noinline_the_optimizer_would_inline_record(clang_ir):
    """The situation the annotated-mode tests exercise is real: with the annotation alone, -O2 inlines
    record() into update(), where annotated mode would not mirror its stores."""
    plain = SOURCE.replace('#include "mirror.h"',
                           '#define MIRROR_PROTECT __attribute__((annotate("mirror_protect")))\n'
                           '#define MIRROR_EXCLUDE __attribute__((annotate("mirror_exclude")))')
    inlined = clang_ir(plain, "-O2")
    update = inlined[inlined.index("@update("):]
    update = update[: update.index("\n}\n")]
    assert "call void @record" not in update
    kept = clang_ir(f'#include "{MIRROR_INCLUDE}/mirror.h"\n' + SOURCE.split("\n", 1)[1], "-O2")
    update = kept[kept.index("@update("):]
    assert "@record(" in update[: update.index("\n}\n")]
