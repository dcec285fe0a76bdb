"""Types, parameter attributes and values of LLVM 22 operands, parsed into exact source slices."""

from __future__ import annotations

import pytest

from ir_corpus import CORPUS_IDS, WRITE_LINE_RE, body_of
from mirrorpass.ir.instructions import parse_call
from mirrorpass.ir.operands import (
    Operand,
    ParseError,
    TokenCursor,
    is_integer_type,
    pointer_address_space,
)


def rest(cur: TokenCursor) -> str:
    """The source text the cursor has not consumed yet."""
    return cur.text[cur.tokens[cur.pos].start :] if not cur.at_end() else ""


def assert_operand_spans(text: str, op: Operand) -> None:
    """The operand's span covers exactly `type attrs value`, and the value is its exact tail."""
    source = text[op.start : op.end]
    assert source == op.text(), (source, op)
    assert source.startswith(op.type)
    assert source.endswith(op.value)


# -- types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_text",
    [
        "i1",
        "i8",
        "i32",
        "i128",
        "half",
        "bfloat",
        "float",
        "double",
        "x86_fp80",
        "fp128",
        "void",
        "ptr",
        "ptr addrspace(256)",
        "ptr addrspace(257)",
        "<8 x i32>",
        "<8 x ptr>",
        "<4 x i1>",
        "<vscale x 4 x i32>",
        "<4 x ptr addrspace(1)>",
        "{ i32, i64 }",
        "{ i32, i1 }",
        "{ double, double }",
        "{}",
        "<{ i8, i32 }>",
        "[16 x i8]",
        "[2 x [3 x i32]]",
        "[1 x %struct.__va_list_tag]",
        "%struct.S",
        "%struct.anon.0",
        '%"struct a b"',
        "{ ptr, { i32, [4 x i8] } }",
        'target("x86.AMX")',
        "token",
        "metadata",
    ],
)
def test_parse_type_takes_exactly_the_type(type_text):
    cur = TokenCursor(f"{type_text} %value, align 4")
    assert cur.parse_type() == type_text
    assert rest(cur) == "%value, align 4"


@pytest.mark.parametrize("text", ["@g", "42", "noundef", ", i32", ")", "zeroinitializer"])
def test_parse_type_rejects_a_non_type(text):
    with pytest.raises(ParseError):
        TokenCursor(text).parse_type()


def test_parse_type_at_end():
    with pytest.raises(ParseError):
        TokenCursor("").parse_type()


def test_unbalanced_brackets_are_an_error():
    with pytest.raises(ParseError):
        TokenCursor("<8 x i32]").parse_type()
    with pytest.raises(ParseError):
        TokenCursor("{ i32, i64").parse_type()


@pytest.mark.parametrize(
    "type_text, space",
    [("ptr", 0), ("ptr addrspace(256)", 256), ("ptr addrspace(257)", 257), ("i64", None), ("<8 x ptr>", None)],
)
def test_pointer_address_space(type_text, space):
    assert pointer_address_space(type_text) == space


@pytest.mark.parametrize("type_text, expected", [("i1", True), ("i128", True), ("i", False), ("ptr", False), ("ix", False)])
def test_is_integer_type(type_text, expected):
    assert is_integer_type(type_text) is expected


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "%0",
        "%struct_val",
        '%"a b"',
        "@g",
        '@"a b"',
        "42",
        "-1",
        "true",
        "false",
        "null",
        "undef",
        "poison",
        "none",
        "zeroinitializer",
        "1.000000e-01",
        "-0.000000e+00",
        "0x3FF0000000000000",  # double 1.0 in LLVM's hexadecimal form
        "0x3FD5555555555555",  # clang-22: `store double 0x3FD5555555555555, ptr @third`
        "0x3FB99999A0000000",  # clang-22: `store float 0x3FB99999A0000000, ptr @fg`
        "0xK4000C000000000000000",  # clang-22: `store x86_fp80 0xK4000C000000000000000, ptr @ldg`
        'c"%d %s\\0A\\00"',
        "<i32 1, i32 2>",
        "<i32 1, i32 2, i32 3, i32 4>",
        "<{ i8 1, i32 2 }>",
        "{ i32 1, ptr @g }",
        "[i32 1, i32 2]",
        "splat (i1 true)",
        "splat (i32 7)",
        "getelementptr inbounds nuw (i8, ptr @g, i64 96)",
        "getelementptr inbounds ([32 x i32], ptr @g, i64 0, i64 24)",
        "getelementptr inbounds nuw ({ double, double }, ptr @cg, i32 0, i32 1)",
        "getelementptr (i8, ptr getelementptr inbounds nuw (i8, ptr @g, i64 8), i64 4)",
        "getelementptr inbounds inrange(-16, 16) (i8, ptr @vt, i64 16)",
        "ptrtoint (ptr getelementptr (i32, ptr null, i32 1) to i64)",
        "inttoptr (i64 4096 to ptr)",
        "addrspacecast (ptr addrspace(256) null to ptr)",
        "sub (i64 ptrtoint (ptr @a to i64), i64 ptrtoint (ptr @b to i64))",
        "blockaddress(@jump, %5)",
        "dso_local_equivalent @f",
        "no_cfi @f",
        "ptrauth (ptr @f, i32 0)",
        "!5",
        '!"round.dynamic"',
        "!{i32 1}",
        "!DIExpression()",
        "!DIExpression(DW_OP_LLVM_fragment, 0, 32)",
        'asm sideeffect "movl $$1, $0", "=*m,~{dirflag},~{fpsr},~{flags}"',
        'asm "leal 1($1), $0", "=r,r,~{dirflag},~{fpsr},~{flags}"',
    ],
)
def test_parse_value_stops_after_the_value(value):
    cur = TokenCursor(f"{value} seq_cst, align 4")
    assert cur.parse_value() == value
    assert rest(cur) == "seq_cst, align 4"


@pytest.mark.parametrize("text", ["noundef %x", ", %x", ")", "align 4"])
def test_parse_value_rejects_a_non_value(text):
    with pytest.raises(ParseError):
        TokenCursor(text).parse_value()


def test_parse_value_keeps_source_spacing_of_nested_constants():
    text = "<2 x ptr> <ptr @a,   ptr getelementptr (i8, ptr @b, i64 1)>"
    cur = TokenCursor(text)
    cur.parse_type()
    assert cur.parse_value() == "<ptr @a,   ptr getelementptr (i8, ptr @b, i64 1)>"


# -- parameter attributes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, attrs",
    [
        ("noundef nonnull align 8 dereferenceable(16) %x", ("noundef", "nonnull", "align 8", "dereferenceable(16)")),
        ("nonnull elementtype(i32) @g", ("nonnull", "elementtype(i32)")),
        ("noundef signext 3", ("noundef", "signext")),
        ("sret(%struct.S) align 8 %0", ("sret(%struct.S)", "align 8")),
        ("dead_on_unwind writable sret(%struct.Big) align 8 %1", ("dead_on_unwind", "writable", "sret(%struct.Big)", "align 8")),
        ("noundef byval(%struct.Big) align 8 %0", ("noundef", "byval(%struct.Big)", "align 8")),
        ("byval(<{ i8, i32 }>) align 1 %p", ("byval(<{ i8, i32 }>)", "align 1")),
        ("noundef range(i32 0, 10) %x", ("noundef", "range(i32 0, 10)")),
        ("initializes((0, 8)) captures(none) %x", ("initializes((0, 8))", "captures(none)")),
        ("nofpclass(nan inf) %x", ("nofpclass(nan inf)",)),
        ("noundef nonnull dereferenceable_or_null(8) @x", ("noundef", "nonnull", "dereferenceable_or_null(8)")),
        ("%x", ()),
        ("zeroinitializer", ()),
        ("getelementptr inbounds nuw (i8, ptr @g, i64 8)", ()),
        ("splat (i1 true)", ()),
        ("poison", ()),
    ],
)
def test_parse_attrs_stops_at_the_value(text, attrs):
    cur = TokenCursor(text)
    assert cur.parse_attrs() == attrs
    cur.parse_value()
    assert cur.at_end()


# -- operands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, type_, attrs, value",
    [
        # from clang-22 output (calls-O2, asm-O2, calls-O0, vectors-O3avx512)
        ("ptr noundef nonnull align 8 dereferenceable(64) %0", "ptr", ("noundef", "nonnull", "align 8", "dereferenceable(64)"), "%0"),
        ("ptr nonnull elementtype(i32) @g", "ptr", ("nonnull", "elementtype(i32)"), "@g"),
        ("i16 noundef signext 3", "i16", ("noundef", "signext"), "3"),
        ("ptr dead_on_unwind writable sret(%struct.Big) align 8 %1", "ptr", ("dead_on_unwind", "writable", "sret(%struct.Big)", "align 8"), "%1"),
        ("ptr noundef byval(%struct.Big) align 8 %0", "ptr", ("noundef", "byval(%struct.Big)", "align 8"), "%0"),
        ("<8 x ptr> align 4 %31", "<8 x ptr>", ("align 4",), "%31"),
        ("<8 x i1> splat (i1 true)", "<8 x i1>", (), "splat (i1 true)"),
        ("<4 x i32> <i32 1, i32 2, i32 3, i32 4>", "<4 x i32>", (), "<i32 1, i32 2, i32 3, i32 4>"),
        ("<2 x i64> zeroinitializer", "<2 x i64>", (), "zeroinitializer"),
        ("ptr getelementptr inbounds nuw (i8, ptr @g, i64 96)", "ptr", (), "getelementptr inbounds nuw (i8, ptr @g, i64 96)"),
        ("double 0x3FF0000000000000", "double", (), "0x3FF0000000000000"),
        ("x86_fp80 0xK4000C000000000000000", "x86_fp80", (), "0xK4000C000000000000000"),
        ('[4 x i8] c"%d\\0A\\00"', "[4 x i8]", (), 'c"%d\\0A\\00"'),
        ("{ i32, i64 } { i32 1, i64 2 }", "{ i32, i64 }", (), "{ i32 1, i64 2 }"),
        ("<{ i8, i32 }> <{ i8 1, i32 2 }>", "<{ i8, i32 }>", (), "<{ i8 1, i32 2 }>"),
        ("%struct.S %2", "%struct.S", (), "%2"),
        ('%"struct a b" %"a b"', '%"struct a b"', (), '%"a b"'),
        ("ptr addrspace(256) %gsp", "ptr addrspace(256)", (), "%gsp"),
        ("metadata !DIExpression()", "metadata", (), "!DIExpression()"),
        ("ptr align 4 @tl", "ptr", ("align 4",), "@tl"),
    ],
)
def test_parse_operand(text, type_, attrs, value):
    cur = TokenCursor(text)
    op = cur.parse_operand()
    assert (op.type, op.attrs, op.value) == (type_, attrs, value)
    assert (op.start, op.end) == (0, len(text))
    assert cur.at_end()
    assert_operand_spans(text, op)


def test_operand_spans_inside_a_longer_line():
    text = "store i32 %1, ptr getelementptr inbounds nuw (i8, ptr @pg, i64 1), align 1, !tbaa !18"
    cur = TokenCursor(text)
    cur.expect("store")
    value = cur.parse_operand(attrs=False)
    cur.expect(",")
    pointer = cur.parse_operand(attrs=False)
    assert text[value.start : value.end] == "i32 %1"
    assert text[pointer.start : pointer.end] == "ptr getelementptr inbounds nuw (i8, ptr @pg, i64 1)"
    assert cur.peek_text() == ","


def test_parse_operand_without_attrs_reads_no_attribute_words():
    with pytest.raises(ParseError):
        TokenCursor("ptr align 4 %p").parse_operand(attrs=False)


def test_attr_value():
    op = TokenCursor("ptr noundef nonnull align 8 elementtype(i32) sret(%struct.S) %0").parse_operand()
    assert op.attr_value("align") == "8"
    assert op.attr_value("elementtype") == "i32"
    assert op.attr_value("sret") == "%struct.S"
    assert op.attr_value("nonnull") == ""
    assert op.attr_value("byval") is None
    assert op.attr_value("non") is None
    assert op.text() == "ptr noundef nonnull align 8 elementtype(i32) sret(%struct.S) %0"
    assert op.text(attrs=False) == "ptr %0"


def test_operand_list_with_ellipsis_and_empty():
    cur = TokenCursor("(i32 1, ptr %x, ...) rest")
    cur.expect("(")
    ops = cur.parse_operand_list(")")
    assert [o.text() for o in ops] == ["i32 1", "ptr %x"]
    assert rest(cur) == "rest"
    cur = TokenCursor("() #3")
    cur.expect("(")
    assert cur.parse_operand_list(")") == []
    assert rest(cur) == "#3"


def test_operand_list_needs_commas():
    cur = TokenCursor("(i32 1 i32 2)")
    cur.expect("(")
    with pytest.raises(ParseError):
        cur.parse_operand_list(")")


def test_cursor_helpers():
    cur = TokenCursor("store i32 1")
    assert cur.peek_text() == "store" and cur.peek_text(2) == "1" and cur.peek_text(3) is None
    assert cur.accept("store") and not cur.accept("ptr")
    with pytest.raises(ParseError, match="expected 'ptr'"):
        cur.expect("ptr")
    cur.next()
    with pytest.raises(ParseError, match="unexpected end"):
        cur.next()
    assert TokenCursor("a b c").slice(0, 3) == "a b c"
    assert TokenCursor("a b c").slice(2, 2) == ""


# -- every call operand clang-22 emitted ------------------------------------------------------------


@pytest.mark.parametrize("key", CORPUS_IDS)
def test_every_call_argument_of_the_corpus_is_an_exact_slice(corpus, key):
    snippet, config = key.split("-")
    text = corpus[(snippet, config)]
    calls = 0
    for line in text.split("\n"):
        m = WRITE_LINE_RE.match(line)
        if not m or not m.group("op").endswith("call"):
            continue
        body = body_of(line)
        call = parse_call(body)
        for arg in call.args:
            assert_operand_spans(body, arg)
        # the arguments are the comma-separated list right after the callee
        inside = body[body.index(call.callee + "(") + len(call.callee) + 1 :] if call.asm is None else None
        if inside is not None and call.args:
            assert inside.startswith(call.args[0].text())
        calls += 1
    if snippet in ("calls", "asm", "misc"):
        assert calls > 0
