"""Module text cut into functions and instructions: exact round trip on everything clang-22 emits."""

from __future__ import annotations

import re

import pytest

from ir_corpus import CORPUS_IDS, SNIPPETS, WRITE_LINE_RE
from mirrorpass.ir.instructions import parse_atomicrmw, parse_call, parse_cmpxchg, parse_store
from mirrorpass.ir.module import ModuleTextError, parse_module_text

PARSERS = {"store": parse_store, "atomicrmw": parse_atomicrmw, "cmpxchg": parse_cmpxchg, "call": parse_call}

# A `switch` whose closing line carries metadata (`], !dbg !31`, `], !prof !9`): clang-22 prints it at
# -g (any level) and with __builtin_expect at -O1 and above. Regression: the splitter once ended a
# table only at a line ending in ']' and swallowed the following code (stores left unmirrored).


def split_key(key: str) -> tuple[str, str]:
    snippet, config = key.split("-")
    return snippet, config


# -- the round-trip property ----------------------------------------------------------------------


@pytest.mark.parametrize("key", CORPUS_IDS)
def test_round_trip_is_exact(corpus, key):
    text = corpus[split_key(key)]
    assert parse_module_text(text).render() == text


@pytest.mark.parametrize("key", CORPUS_IDS)
def test_every_write_instruction_of_the_module_parses(corpus, key):
    module = parse_module_text(corpus[split_key(key)])
    parsed = 0
    for function in module.functions:
        for inst in function.instructions:
            parser = PARSERS.get(inst.opcode)
            if parser is not None:
                parser(inst.body)
                parsed += 1
    assert parsed > 0


@pytest.mark.parametrize("key", CORPUS_IDS)
def test_module_sees_every_function_and_write_instruction(corpus, key):
    """Each `define` is a Function, and each write line of the text is one Instruction of it."""
    text = corpus[split_key(key)]
    module = parse_module_text(text)
    defined = re.findall(r"^define [^\n]*?(@[-\w$.]+|@\"[^\"]*\")\(", text, re.M)
    assert [f.name for f in module.functions] == defined
    write_lines = [line for line in text.split("\n") if WRITE_LINE_RE.match(line)]
    instructions = [i.text for f in module.functions for i in f.instructions if WRITE_LINE_RE.match(i.text)]
    assert instructions == write_lines


# -- structure ------------------------------------------------------------------------------------


def test_functions_instructions_and_other_lines(corpus):
    text = corpus[("calls", "O2g")]
    module = parse_module_text(text)
    names = [f.name for f in module.functions]
    assert names[:4] == ["@mk", "@mkbig", "@usebig", "@bigcall"]
    for function in module.functions:
        assert function.header.startswith("define ") and function.header.endswith("{")
        for inst in function.instructions:
            stripped = inst.text.strip()
            assert not stripped.startswith(("#dbg_", ";")), "debug records and comments are not instructions"
            assert not re.match(r"^[-\w$.]+:", stripped), "labels are not instructions"
            assert inst.opcode and inst.body and inst.text.endswith(inst.body)
    # top-level lines stay strings: globals, declarations, attributes, metadata
    top = [p for p in module.parts if isinstance(p, str)]
    assert any(p.startswith("declare ") for p in top)
    assert any(p.startswith("attributes #") for p in top)
    assert any(p.startswith("!llvm.dbg.cu") for p in top)


@pytest.mark.parametrize("key, record", [(("vectors", "O2g"), "#dbg_value("), (("calls", "O0g"), "#dbg_declare("), (("asm", "O2g"), "#dbg_assign(")])
def test_debug_records_are_kept_but_are_not_instructions(corpus, key, record):
    text = corpus[key]
    assert "    " + record in text
    module = parse_module_text(text)
    assert module.render() == text
    assert all("#dbg_" not in i.text for f in module.functions for i in f.instructions)


def test_result_and_opcode(corpus):
    module = parse_module_text(corpus[("atomics", "O2")])
    insts = {i.text.strip(): i for f in module.functions for i in f.instructions}
    rmw = insts["%2 = atomicrmw add ptr @ai, i32 1 seq_cst, align 4"]
    assert (rmw.result, rmw.opcode, rmw.body) == ("%2", "atomicrmw", "atomicrmw add ptr @ai, i32 1 seq_cst, align 4")
    store = insts["store atomic i32 2, ptr @ai release, align 4"]
    assert (store.result, store.opcode) == (None, "store")


def test_switch_without_metadata_is_one_instruction(corpus):
    """-O0 without -g: the table ends with a bare `]`."""
    module = parse_module_text(corpus[("switch", "O0")])
    (sw,) = [i for f in module.functions for i in f.instructions if i.opcode == "switch"]
    assert sw.text.startswith("  switch i64 %4, label %8 [\n")
    assert sw.text.endswith("\n  ]")
    assert sw.text.count("\n") == 4
    assert [f.name for f in module.functions] == ["@sw", "@jump"]
    jump = module.functions[1]
    assert any(i.opcode == "indirectbr" for i in jump.instructions)


def test_switch_with_dbg_trailer_minimal(clang_ir):
    """Minimal reproducer: any C switch compiled with -g."""
    text = clang_ir("int f(int x) { switch (x) { case 1: return 3; case 2: return 7; case 3: return 9; } return 0; }", "-O0", "-g")
    assert re.search(r"^  \], !dbg !\d+$", text, re.M)
    module = parse_module_text(text)  # raises ModuleTextError: unterminated jump table in @f
    (sw,) = [i for f in module.functions for i in f.instructions if i.opcode == "switch"]
    assert re.search(r"\n  \], !dbg !\d+$", sw.text)


def test_switch_with_prof_trailer_keeps_following_functions(corpus):
    """-O2: `], !prof !9` swallows the rest of @sw and all of @jump (up to a phi ending in `]`)."""
    text = corpus[("switch", "O2")]
    assert re.search(r"^  \], !prof !\d+$", text, re.M)
    module = parse_module_text(text)
    assert module.render() == text
    assert [f.name for f in module.functions] == ["@sw", "@jump"]


def test_switch_trailer_hand_written():
    """Minimal hand-written reproducer (raises ModuleTextError today)."""
    text = (
        "define void @f(i32 %x) {\n"
        "  switch i32 %x, label %2 [\n"
        "    i32 1, label %1\n"
        "  ], !prof !0\n"
        "\n"
        "1:\n"
        "  store i32 1, ptr @g, align 4\n"
        "  br label %2\n"
        "\n"
        "2:\n"
        "  ret void\n"
        "}\n"
    )
    module = parse_module_text(text)
    assert module.render() == text
    assert [i.opcode for i in module.functions[0].instructions] == ["switch", "store", "br", "ret"]


def test_round_trip_of_unusual_layouts():
    text = (
        "; ModuleID = 'x'\n"
        "\n"
        'define internal void @"a b"(ptr %"p q") #0 {\n'
        "entry:\n"
        '  store i32 1, ptr %"p q", align 4 ; a comment\n'
        "  ; a comment line\n"
        "\n"
        '"quoted label":\n'
        "  ret void\n"
        "}\n"
        "\n"
        "declare void @g()\n"
    )
    module = parse_module_text(text)
    assert module.render() == text
    (fn,) = module.functions
    assert fn.name == '@"a b"'
    assert [i.opcode for i in fn.instructions] == ["store", "ret"]


def test_function_without_closing_brace():
    with pytest.raises(ModuleTextError):
        parse_module_text("define void @f() {\n  ret void\n")


@pytest.mark.parametrize("snippet", list(SNIPPETS))
def test_all_snippets_define_functions(corpus, snippet):
    module = parse_module_text(corpus[(snippet, "O0")])
    assert module.functions
