"""The lexer: token kinds and exact source spans on lines of LLVM 22 IR."""

from __future__ import annotations

import re

import pytest

from ir_corpus import CORPUS_IDS
from mirrorpass.ir.lexer import LOCAL_NAME_RE, Kind, LexError, tokenize

L, G, M, A, I, F, S, W, LB, P, E = (
    Kind.LOCAL,
    Kind.GLOBAL,
    Kind.METADATA,
    Kind.ATTRGROUP,
    Kind.INTEGER,
    Kind.FLOAT,
    Kind.STRING,
    Kind.WORD,
    Kind.LABEL,
    Kind.PUNCT,
    Kind.ELLIPSIS,
)


def kinds_and_texts(text: str) -> list[tuple[Kind, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def assert_spans(text: str) -> None:
    """Every token is the exact slice its span names; only whitespace and comments lie between."""
    pos = 0
    for tok in tokenize(text):
        assert text[tok.start : tok.end] == tok.text
        gap = text[pos : tok.start]
        assert gap.strip() == "" or gap.strip().startswith(";"), (gap, text)
        pos = tok.end
    tail = text[pos:].strip()
    assert tail == "" or tail.startswith(";")


# -- single tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind",
    [
        ("%x", L),
        ("%12", L),
        ('%"a b"', L),
        ("%struct.S", L),
        ("%struct.__va_list_tag", L),
        ("%.mirror.1", L),
        ("@g", G),
        ("@0", G),
        ('@"a b"', G),
        ('@"\\01_foo"', G),
        ("@llvm.memcpy.p0.p0.i64", G),
        ("@.str.1", G),
        ("!5", M),
        ("!tbaa", M),
        ("!nontemporal", M),
        ("!llvm.loop", M),
        ('!"branch_weights"', M),
        ("!DIExpression", M),
        ("!", M),
        ("#0", A),
        ("#16", A),
        ("42", I),
        ("-7", I),
        ("-87960930222080", I),
        ("170141183460469231731687303715884105727", I),
        ("u0x10", I),
        ("1.5", F),
        ("1.000000e-01", F),
        ("-0.000000e+00", F),
        ("0x3FF0000000000000", F),
        ("0x3FB99999A0000000", F),
        ("0xK4000C000000000000000", F),
        ("0xH3C00", F),
        ("0xR3F80", F),
        ("0xL00000000000000003FFF000000000000", F),
        ('"singlethread"', S),
        ('"=*m,~{dirflag},~{fpsr},~{flags}"', S),
        ('c"%d\\0A\\00"', S),
        ("i32", W),
        ("ptr", W),
        ("x86_fp80", W),
        ("store", W),
        ("dereferenceable", W),
        ("dead_on_unwind", W),
        ("x", W),
        ("splat", W),
        ("entry:", LB),
        ("for.body:", LB),
        ("...", E),
    ],
)
def test_single_token(text, kind):
    assert kinds_and_texts(text) == [(kind, text)]


@pytest.mark.parametrize("char", list(",()[]{}<>=*|"))
def test_punctuation(char):
    assert kinds_and_texts(char) == [(P, char)]


def test_spans_skip_whitespace():
    toks = tokenize("  store  i32 1,\tptr %p")
    assert [(t.text, t.start, t.end) for t in toks] == [
        ("store", 2, 7),
        ("i32", 9, 12),
        ("1", 13, 14),
        (",", 14, 15),
        ("ptr", 16, 19),
        ("%p", 20, 22),
    ]


def test_comment_is_skipped():
    assert kinds_and_texts("br label %5 ; preds = %1, %4") == [(W, "br"), (W, "label"), (L, "%5")]


def test_semicolon_inside_a_string_is_not_a_comment():
    assert kinds_and_texts('asm "nop; nop", ""') == [(W, "asm"), (S, '"nop; nop"'), (P, ","), (S, '""')]


@pytest.mark.parametrize("text", ["store i32 1, ptr %p ^", "\\", "`x`"])
def test_unknown_character_is_an_error(text):
    with pytest.raises(LexError, match="unexpected character"):
        tokenize(text)


# -- whole lines copied from clang-22 output ------------------------------------------------------


def test_store_through_constant_gep():
    line = "store i32 5, ptr getelementptr inbounds nuw (i8, ptr @g, i64 96), align 16, !tbaa !5"
    assert kinds_and_texts(line) == [
        (W, "store"), (W, "i32"), (I, "5"), (P, ","),
        (W, "ptr"), (W, "getelementptr"), (W, "inbounds"), (W, "nuw"), (P, "("),
        (W, "i8"), (P, ","), (W, "ptr"), (G, "@g"), (P, ","), (W, "i64"), (I, "96"), (P, ")"),
        (P, ","), (W, "align"), (I, "16"), (P, ","), (M, "!tbaa"), (M, "!5"),
    ]  # fmt: skip


def test_varargs_call():
    line = (
        "%2 = tail call i32 (ptr, ...) @printf(ptr noundef nonnull dereferenceable(1) @.str, "
        "i32 noundef %0, ptr noundef nonnull @.str.1)"
    )
    assert kinds_and_texts(line) == [
        (L, "%2"), (P, "="), (W, "tail"), (W, "call"), (W, "i32"),
        (P, "("), (W, "ptr"), (P, ","), (E, "..."), (P, ")"),
        (G, "@printf"), (P, "("),
        (W, "ptr"), (W, "noundef"), (W, "nonnull"), (W, "dereferenceable"), (P, "("), (I, "1"), (P, ")"), (G, "@.str"),
        (P, ","), (W, "i32"), (W, "noundef"), (L, "%0"),
        (P, ","), (W, "ptr"), (W, "noundef"), (W, "nonnull"), (G, "@.str.1"), (P, ")"),
    ]  # fmt: skip


def test_atomic_store_with_syncscope():
    line = 'store atomic i32 %v, ptr %p syncscope("singlethread") release, align 4'
    assert kinds_and_texts(line) == [
        (W, "store"), (W, "atomic"), (W, "i32"), (L, "%v"), (P, ","), (W, "ptr"), (L, "%p"),
        (W, "syncscope"), (P, "("), (S, '"singlethread"'), (P, ")"), (W, "release"),
        (P, ","), (W, "align"), (I, "4"),
    ]  # fmt: skip


def test_vector_and_packed_struct_types():
    assert kinds_and_texts("<8 x i32>") == [(P, "<"), (I, "8"), (W, "x"), (W, "i32"), (P, ">")]
    assert kinds_and_texts("<{ i8, i32 }>") == [(P, "<"), (P, "{"), (W, "i8"), (P, ","), (W, "i32"), (P, "}"), (P, ">")]
    assert kinds_and_texts("ptr addrspace(256)") == [(W, "ptr"), (W, "addrspace"), (P, "("), (I, "256"), (P, ")")]


def test_inline_asm_call():
    line = (
        'tail call void asm sideeffect "movl $$1, $0", "=*m,~{dirflag},~{fpsr},~{flags}"'
        "(ptr nonnull elementtype(i32) @g) #3, !srcloc !9"
    )
    toks = kinds_and_texts(line)
    assert (S, '"movl $$1, $0"') in toks
    assert (S, '"=*m,~{dirflag},~{fpsr},~{flags}"') in toks
    assert toks[-4:] == [(A, "#3"), (P, ","), (M, "!srcloc"), (M, "!9")]


def test_metadata_node_and_expression():
    assert kinds_and_texts("!{i32 1}") == [(M, "!"), (P, "{"), (W, "i32"), (I, "1"), (P, "}")]
    assert kinds_and_texts("!DIExpression(DW_OP_LLVM_fragment, 0, 32)") == [
        (M, "!DIExpression"), (P, "("), (W, "DW_OP_LLVM_fragment"), (P, ","), (I, "0"), (P, ","), (I, "32"), (P, ")"),
    ]  # fmt: skip


def test_switch_spanning_lines():
    text = "  switch i32 %0, label %5 [\n    i32 1, label %2\n    i32 7, label %4\n  ], !prof !9"
    assert kinds_and_texts(text) == [
        (W, "switch"), (W, "i32"), (L, "%0"), (P, ","), (W, "label"), (L, "%5"), (P, "["),
        (W, "i32"), (I, "1"), (P, ","), (W, "label"), (L, "%2"),
        (W, "i32"), (I, "7"), (P, ","), (W, "label"), (L, "%4"),
        (P, "]"), (P, ","), (M, "!prof"), (M, "!9"),
    ]  # fmt: skip
    assert_spans(text)


def test_quoted_names_keep_their_quotes():
    assert kinds_and_texts('store i32 4, ptr @"a b", align 4') == [
        (W, "store"), (W, "i32"), (I, "4"), (P, ","), (W, "ptr"), (G, '@"a b"'), (P, ","), (W, "align"), (I, "4"),
    ]  # fmt: skip
    assert kinds_and_texts('%"x y" = load i32, ptr %"a b"')[0] == (L, '%"x y"')


def test_local_name_regex():
    text = 'call void @f(ptr %x, ptr %"a b", i32 %12, ptr @g)'
    assert LOCAL_NAME_RE.findall(text) == ["%x", '%"a b"', "%12"]


# Labels as clang prints them: LLVM's lexer reads `5:` and `"a b":` as label tokens, like `entry:`.
@pytest.mark.parametrize("text", ["5:", '"a b":'])
def test_numeric_and_quoted_labels(text):
    assert kinds_and_texts(text) == [(LB, text)]


# -- every instruction clang-22 emitted ------------------------------------------------------------


@pytest.mark.parametrize("key", CORPUS_IDS)
def test_every_instruction_line_of_the_corpus_tokenizes_with_exact_spans(corpus, key):
    """Instruction lines (and switch table lines) as clang-22 printed them, one at a time."""
    snippet, config = key.split("-")
    lines = [
        line
        for line in corpus[(snippet, config)].split("\n")
        if line.startswith("  ") and not line.lstrip().startswith(("#dbg_", ";"))
    ]
    assert lines
    for line in lines:
        assert_spans(line)


@pytest.mark.parametrize("key", CORPUS_IDS)
def test_every_define_and_declare_line_tokenizes(corpus, key):
    snippet, config = key.split("-")
    text = corpus[(snippet, config)]
    lines = [line for line in text.split("\n") if re.match(r"(define|declare|attributes) ", line)]
    assert lines
    for line in lines:
        assert_spans(line)
