"""The instructions the mirror pass reads: store, atomicrmw, cmpxchg and call (with inline asm).

Lines in CLANG_LINES are copied verbatim from clang-22 output of the corpus snippets; a test checks
that clang still prints each of them, so they stay real. Lines in HAND_MODULE are forms clang does
not print for x86-64 C (named-struct returns, syncscope on x86, nested constant GEPs, quoted local
names); llvmlite (LLVM 22.1) verifies that module, so they are valid LLVM 22 syntax.
"""

from __future__ import annotations

import re

import pytest

from ir_corpus import CORPUS_IDS, WRITE_LINE_RE, body_of
from mirrorpass import lower
from mirrorpass.ir.instructions import (
    opcode_of,
    parse_atomicrmw,
    parse_call,
    parse_cmpxchg,
    parse_store,
    split_result,
)
from mirrorpass.ir.operands import ParseError

# (snippet, config) -> lines clang-22 printed there (leading spaces stripped)
CLANG_LINES: dict[tuple[str, str], list[str]] = {
    ("globals", "O2"): [
        "store i32 5, ptr getelementptr inbounds nuw (i8, ptr @g, i64 96), align 16, !tbaa !5",
        "store i8 1, ptr getelementptr inbounds nuw (i8, ptr @buf, i64 96), align 16, !tbaa !9",
        "store double 1.000000e-01, ptr @dg, align 8, !tbaa !10",
        "store double 0x3FD5555555555555, ptr @third, align 8, !tbaa !10",
        "store float 0x3FB99999A0000000, ptr @fg, align 4, !tbaa !12",
        "store x86_fp80 0xK4000C000000000000000, ptr @ldg, align 16, !tbaa !14",
        'store i32 4, ptr @"a b", align 4, !tbaa !5',
        "store i32 %1, ptr getelementptr inbounds nuw (i8, ptr @pg, i64 1), align 1, !tbaa !18",
        "store volatile i32 1, ptr @vi, align 4, !tbaa !5",
    ],
    ("globals", "O0"): [
        "store i32 5, ptr getelementptr inbounds ([32 x i32], ptr @g, i64 0, i64 24), align 16",
    ],
    ("globals", "O2g"): [
        "store i32 5, ptr getelementptr inbounds nuw (i8, ptr @g, i64 96), align 16, !dbg !61, !tbaa !50",
    ],
    ("vectors", "O2"): [
        "store <4 x i32> <i32 1, i32 2, i32 3, i32 4>, ptr %0, align 4, !tbaa !5",
        "store <4 x i32> splat (i32 7), ptr %0, align 4, !tbaa !5",
        "store <2 x i64> zeroinitializer, ptr %0, align 16, !tbaa !9",
    ],
    ("vectors", "O3avx512"): [
        "tail call void @llvm.masked.scatter.v8i32.v8p0(<8 x i32> %15, <8 x ptr> align 4 %31, <8 x i1> splat (i1 true)), !tbaa !5",
        "tail call void @llvm.masked.store.v8i32.p0(<8 x i32> %19, ptr align 4 %27, <8 x i1> %23), !tbaa !5",
    ],
    ("atomics", "O2"): [
        "%2 = atomicrmw add ptr @ai, i32 1 seq_cst, align 4",
        "%3 = atomicrmw xchg ptr @ai, i32 3 seq_cst, align 4",
        "%4 = cmpxchg weak ptr @ai, i32 0, i32 4 seq_cst seq_cst, align 4",
        "store atomic i32 2, ptr @ai release, align 4",
        "store atomic i64 %7, ptr @ap seq_cst, align 8",
        "%19 = atomicrmw nand ptr @al, i64 5 seq_cst, align 8",
        "%20 = atomicrmw max ptr @al, i64 3 monotonic, align 8",
        "%2 = atomicrmw volatile xchg ptr %0, i32 5 seq_cst, align 4",
        "%5 = cmpxchg weak volatile ptr %0, i32 %4, i32 %2 acq_rel monotonic, align 4",
        "%2 = atomicrmw fadd ptr %0, float 1.000000e+00 seq_cst, align 4",
        "%3 = cmpxchg ptr @a128, i128 %0, i128 %1 seq_cst seq_cst, align 16",
    ],
    ("calls", "O0"): [
        "%4 = call i32 (ptr, ...) @printf(ptr noundef @.str, i32 noundef %3, ptr noundef @.str.1)",
        "call void @mkbig(ptr dead_on_unwind writable sret(%struct.Big) align 8 %1, i32 noundef 2)",
        "call void @take(ptr noundef byval(%struct.Big) align 8 %1)",
        "%1 = call signext i16 @sh(i16 noundef signext 3)",
        "%8 = call ptr @llvm.stacksave.p0()",
        "call void @llvm.va_start.p0(ptr %4)",
        "%4 = call i32 %3(i32 noundef 1)",
    ],
    ("calls", "O2"): [
        "%2 = tail call i32 (ptr, ...) @printf(ptr noundef nonnull dereferenceable(1) @.str, i32 noundef %0, ptr noundef nonnull @.str.1)",
        "%3 = tail call { i32, i1 } @llvm.sadd.with.overflow.i32(i32 %0, i32 %1)",
        "tail call void @llvm.memcpy.p0.p0.i64(ptr noundef nonnull align 8 dereferenceable(64) %0, ptr noundef nonnull align 8 dereferenceable(64) %1, i64 64, i1 false), !tbaa.struct !12",
        "tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 8 dereferenceable(64) %0, i8 %3, i64 64, i1 false)",
        "tail call void @take(ptr noundef nonnull byval(%struct.Big) align 8 %1) #16",
        "%2 = tail call i32 %0(i32 noundef 1) #16",
    ],
    ("asm", "O2"): [
        'tail call void asm sideeffect "movl $$1, $0", "=*m,~{dirflag},~{fpsr},~{flags}"(ptr nonnull elementtype(i32) @g) #3, !srcloc !9',
        'call void asm "movl $$3, $0", "=*m,~{dirflag},~{fpsr},~{flags}"(ptr nonnull elementtype(i32) %2) #3, !srcloc !10',
        'tail call void asm sideeffect "incl $0", "=*m,*m,~{dirflag},~{fpsr},~{flags}"(ptr elementtype(i32) %0, ptr elementtype(i32) %0) #3, !srcloc !11',
        'tail call void asm sideeffect "", "~{memory},~{dirflag},~{fpsr},~{flags}"() #3, !srcloc !12',
        'tail call void asm sideeffect "nop", "~{memory},~{dirflag},~{fpsr},~{flags}"() #3, !srcloc !13',
        '%2 = tail call i32 asm "leal 1($1), $0", "=r,r,~{dirflag},~{fpsr},~{flags}"(i32 %0) #4, !srcloc !14',
    ],
    ("misc", "O2"): [
        "store i32 4, ptr addrspace(256) %1, align 4, !tbaa !5",
        "store double %20, ptr getelementptr inbounds nuw (i8, ptr @cg, i64 8), align 8",
        "store half %0, ptr @hg, align 2, !tbaa !10",
        "store bfloat %1, ptr @bg, align 2, !tbaa !12",
        "store i128 %2, ptr @i128g, align 16, !tbaa !14",
        "%2 = tail call align 4 ptr @llvm.threadlocal.address.p0(ptr align 4 @tl)",
        "%15 = tail call { double, double } @__muldc3(double noundef %0, double noundef %1, double noundef %2, double noundef %3) #6",
    ],
    ("misc", "O0"): [
        "store double %35, ptr getelementptr inbounds nuw ({ double, double }, ptr @cg, i32 0, i32 1), align 8",
    ],
}

HAND_MODULE = """\
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.S = type { i32, i64 }
%"struct a b" = type { i32 }

@g = dso_local global [32 x i32] zeroinitializer, align 16
@p = dso_local global ptr null, align 8

declare %struct.S @mk(i32 noundef)
declare %struct.S @mkv(i32, ...)
declare void @takes(ptr noundef byval(%struct.S) align 8)
declare void @f()

define void @forms(ptr noundef %p, i32 noundef %v, i32 %a, i32 %b, ptr %q, ptr %r, ptr addrspace(256) %gsp) {
  %"a b" = alloca %struct.S, align 8
  store atomic i32 %v, ptr %p syncscope("singlethread") release, align 4
  store atomic volatile i32 1, ptr %p seq_cst, align 4
  %1 = atomicrmw volatile xchg ptr %p, i32 %v syncscope("singlethread") seq_cst, align 4
  %2 = atomicrmw umin ptr %p, i32 1 acquire, align 4
  %3 = cmpxchg weak volatile ptr %p, i32 %a, i32 %b acq_rel monotonic, align 4
  %4 = cmpxchg ptr %p, ptr %q, ptr %r syncscope("singlethread") monotonic monotonic, align 8
  store ptr getelementptr (i8, ptr getelementptr inbounds nuw (i8, ptr @g, i64 8), i64 4), ptr @p, align 8
  %5 = call %struct.S @mk(i32 noundef 1)
  %6 = call %struct.S (i32, ...) @mkv(i32 1, i32 2)
  store %struct.S %5, ptr %"a b", align 8
  call void @takes(ptr noundef byval(%struct.S) align 8 %"a b")
  store { i32, i64 } { i32 1, i64 2 }, ptr %p, align 8
  store <{ i8, i32 }> <{ i8 1, i32 2 }>, ptr %p, align 1
  store [4 x i8] c"abc\\00", ptr %p, align 1
  store double 0x3FF0000000000000, ptr %p, align 8
  store <2 x i32> <i32 1, i32 2>, ptr %p, align 8
  store volatile i32 1, ptr addrspace(256) %gsp, align 4
  call void @f() [ "deopt"(i32 1) ]
  ret void
}
"""


def hand_line(prefix: str) -> str:
    """The HAND_MODULE instruction that starts with `prefix`."""
    for line in HAND_MODULE.split("\n"):
        if line.strip().startswith(prefix):
            return line.strip()
    raise KeyError(prefix)


def test_hand_module_is_valid_llvm_22():
    lower.parse_ir(HAND_MODULE, "HAND_MODULE")


@pytest.mark.parametrize("key", list(CLANG_LINES), ids=lambda k: f"{k[0]}-{k[1]}")
def test_clang_lines_are_real_clang_22_output(corpus, key):
    emitted = {line.strip() for line in corpus[key].split("\n")}
    missing = [line for line in CLANG_LINES[key] if line not in emitted]
    assert not missing


def clang_line(key: tuple[str, str], prefix: str) -> str:
    matches = [line for line in CLANG_LINES[key] if body_of(line).startswith(prefix) or line.startswith(prefix)]
    assert len(matches) == 1, (prefix, matches)
    return body_of(matches[0])


def assert_slices(body: str, *operands) -> None:
    for op in operands:
        assert body[op.start : op.end] == op.text()
        assert body[op.start : op.end].endswith(op.value)


# -- split_result and opcode_of -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, result, body",
    [
        ("  %2 = atomicrmw add ptr @ai, i32 1 seq_cst, align 4", "%2", "atomicrmw add ptr @ai, i32 1 seq_cst, align 4"),
        ('%"a b" = alloca %struct.S, align 8', '%"a b"', "alloca %struct.S, align 8"),
        ('%"x = y" = load i32, ptr %p', '%"x = y"', "load i32, ptr %p"),
        ("  store i32 1, ptr %p, align 4", None, "store i32 1, ptr %p, align 4"),
        ("  tail call void @f()", None, "tail call void @f()"),
        ("%.mirror.3 = ptrtoint ptr %0 to i64", "%.mirror.3", "ptrtoint ptr %0 to i64"),
    ],
)
def test_split_result(text, result, body):
    assert split_result(text) == (result, body)


@pytest.mark.parametrize(
    "body, opcode",
    [
        ("store i32 1, ptr %p", "store"),
        ("call void @f()", "call"),
        ("tail call void @f()", "call"),
        ("musttail call void @f()", "call"),
        ("notail call void @f()", "call"),
        ("atomicrmw add ptr @ai, i32 1 seq_cst, align 4", "atomicrmw"),
        ("cmpxchg ptr %p, i32 0, i32 1 seq_cst seq_cst", "cmpxchg"),
        ("ret void", "ret"),
        ("unreachable", "unreachable"),
    ],
)
def test_opcode_of(body, opcode):
    assert opcode_of(body) == opcode


# -- store ----------------------------------------------------------------------------------------

STORES = [
    # (line, value type, value, pointer type, pointer, atomic, volatile, ordering, align)
    (("globals", "O2"), "store i32 5, ptr getelementptr inbounds nuw (i8, ptr @g", "i32", "5", "ptr", "getelementptr inbounds nuw (i8, ptr @g, i64 96)", False, False, None, 16),
    (("globals", "O2"), "store double 0x3FD5555555555555", "double", "0x3FD5555555555555", "ptr", "@third", False, False, None, 8),
    (("globals", "O2"), "store float 0x3FB99999A0000000", "float", "0x3FB99999A0000000", "ptr", "@fg", False, False, None, 4),
    (("globals", "O2"), "store x86_fp80", "x86_fp80", "0xK4000C000000000000000", "ptr", "@ldg", False, False, None, 16),
    (("globals", "O2"), "store double 1.000000e-01", "double", "1.000000e-01", "ptr", "@dg", False, False, None, 8),
    (("globals", "O2"), 'store i32 4, ptr @"a b"', "i32", "4", "ptr", '@"a b"', False, False, None, 4),
    (("globals", "O2"), "store volatile", "i32", "1", "ptr", "@vi", False, True, None, 4),
    (("globals", "O0"), "store i32 5", "i32", "5", "ptr", "getelementptr inbounds ([32 x i32], ptr @g, i64 0, i64 24)", False, False, None, 16),
    (("globals", "O2g"), "store i32 5", "i32", "5", "ptr", "getelementptr inbounds nuw (i8, ptr @g, i64 96)", False, False, None, 16),
    (("vectors", "O2"), "store <4 x i32> <i32", "<4 x i32>", "<i32 1, i32 2, i32 3, i32 4>", "ptr", "%0", False, False, None, 4),
    (("vectors", "O2"), "store <4 x i32> splat", "<4 x i32>", "splat (i32 7)", "ptr", "%0", False, False, None, 4),
    (("vectors", "O2"), "store <2 x i64> zeroinitializer", "<2 x i64>", "zeroinitializer", "ptr", "%0", False, False, None, 16),
    (("atomics", "O2"), "store atomic i32 2", "i32", "2", "ptr", "@ai", True, False, "release", 4),
    (("atomics", "O2"), "store atomic i64 %7", "i64", "%7", "ptr", "@ap", True, False, "seq_cst", 8),
    (("misc", "O2"), "store i32 4, ptr addrspace(256)", "i32", "4", "ptr addrspace(256)", "%1", False, False, None, 4),
    (("misc", "O2"), "store half", "half", "%0", "ptr", "@hg", False, False, None, 2),
    (("misc", "O2"), "store bfloat", "bfloat", "%1", "ptr", "@bg", False, False, None, 2),
    (("misc", "O2"), "store i128", "i128", "%2", "ptr", "@i128g", False, False, None, 16),
    (("misc", "O0"), "store double %35", "double", "%35", "ptr", "getelementptr inbounds nuw ({ double, double }, ptr @cg, i32 0, i32 1)", False, False, None, 8),
]  # fmt: skip


@pytest.mark.parametrize("key, prefix, vt, v, pt, p, atomic, volatile, ordering, align", STORES)
def test_parse_store_clang_lines(key, prefix, vt, v, pt, p, atomic, volatile, ordering, align):
    body = clang_line(key, prefix)
    store = parse_store(body)
    assert (store.value.type, store.value.value) == (vt, v)
    assert (store.pointer.type, store.pointer.value) == (pt, p)
    assert (store.atomic, store.volatile, store.ordering, store.align) == (atomic, volatile, ordering, align)
    assert store.syncscope is None
    assert store.value.attrs == store.pointer.attrs == ()
    assert_slices(body, store.value, store.pointer)


HAND_STORES = [
    ('store atomic i32 %v, ptr %p syncscope("singlethread")', "i32", "%v", "ptr", "%p", True, False, "release", 4),
    ("store atomic volatile i32 1", "i32", "1", "ptr", "%p", True, True, "seq_cst", 4),
    ("store ptr getelementptr (i8, ptr getelementptr", "ptr", "getelementptr (i8, ptr getelementptr inbounds nuw (i8, ptr @g, i64 8), i64 4)", "ptr", "@p", False, False, None, 8),
    ("store %struct.S %5", "%struct.S", "%5", "ptr", '%"a b"', False, False, None, 8),
    ("store { i32, i64 }", "{ i32, i64 }", "{ i32 1, i64 2 }", "ptr", "%p", False, False, None, 8),
    ("store <{ i8, i32 }>", "<{ i8, i32 }>", "<{ i8 1, i32 2 }>", "ptr", "%p", False, False, None, 1),
    ("store [4 x i8]", "[4 x i8]", 'c"abc\\00"', "ptr", "%p", False, False, None, 1),
    ("store double 0x3FF0000000000000", "double", "0x3FF0000000000000", "ptr", "%p", False, False, None, 8),
    ("store <2 x i32> <i32 1, i32 2>", "<2 x i32>", "<i32 1, i32 2>", "ptr", "%p", False, False, None, 8),
    ("store volatile i32 1, ptr addrspace(256)", "i32", "1", "ptr addrspace(256)", "%gsp", False, True, None, 4),
]  # fmt: skip


@pytest.mark.parametrize("prefix, vt, v, pt, p, atomic, volatile, ordering, align", HAND_STORES)
def test_parse_store_hand_lines(prefix, vt, v, pt, p, atomic, volatile, ordering, align):
    body = hand_line(prefix)
    store = parse_store(body)
    assert (store.value.type, store.value.value) == (vt, v)
    assert (store.pointer.type, store.pointer.value) == (pt, p)
    assert (store.atomic, store.volatile, store.ordering, store.align) == (atomic, volatile, ordering, align)
    assert_slices(body, store.value, store.pointer)


def test_store_syncscope():
    store = parse_store(hand_line("store atomic i32 %v"))
    assert store.syncscope is not None and store.syncscope.strip('"') == "singlethread"


@pytest.mark.parametrize(
    "body",
    [
        "store i32 %1, ptr %0, align 4, !tbaa !5, !nontemporal !21",  # clang-22, __builtin_nontemporal_store
        "store i32 %1, ptr %0, align 4, !dbg !30, !tbaa !5, !nontemporal !21",
        "store i32 0, ptr %5, align 4, !dbg !12",
        "store i32 0, ptr %5, align 4, !alias.scope !9, !noalias !12",
    ],
)
def test_store_metadata_attachments_are_skipped(body):
    store = parse_store(body)
    assert store.align == 4 and store.pointer.value in ("%0", "%5")


def test_store_without_align():
    store = parse_store("store i32 1, ptr %p")
    assert store.align is None and store.pointer.value == "%p"


@pytest.mark.parametrize(
    "body",
    ["store i32 1 ptr %p", "store i32 1, ptr %p, align 4, bogus", "load i32, ptr %p", "store i32 1,"],
)
def test_parse_store_errors(body):
    with pytest.raises(ParseError):
        parse_store(body)


# -- atomicrmw ------------------------------------------------------------------------------------

RMWS = [
    # (key, prefix, operation, pointer, value type, value, volatile, ordering, align)
    (("atomics", "O2"), "atomicrmw add ptr @ai", "add", "@ai", "i32", "1", False, "seq_cst", 4),
    (("atomics", "O2"), "atomicrmw xchg ptr @ai", "xchg", "@ai", "i32", "3", False, "seq_cst", 4),
    (("atomics", "O2"), "atomicrmw nand", "nand", "@al", "i64", "5", False, "seq_cst", 8),
    (("atomics", "O2"), "atomicrmw max", "max", "@al", "i64", "3", False, "monotonic", 8),
    (("atomics", "O2"), "atomicrmw volatile xchg", "xchg", "%0", "i32", "5", True, "seq_cst", 4),
    (("atomics", "O2"), "atomicrmw fadd", "fadd", "%0", "float", "1.000000e+00", False, "seq_cst", 4),
]  # fmt: skip


@pytest.mark.parametrize("key, prefix, operation, p, vt, v, volatile, ordering, align", RMWS)
def test_parse_atomicrmw_clang_lines(key, prefix, operation, p, vt, v, volatile, ordering, align):
    body = clang_line(key, prefix)
    rmw = parse_atomicrmw(body)
    assert rmw.operation == operation
    assert (rmw.pointer.type, rmw.pointer.value) == ("ptr", p)
    assert (rmw.value.type, rmw.value.value) == (vt, v)
    assert (rmw.volatile, rmw.ordering, rmw.align, rmw.syncscope) == (volatile, ordering, align, None)
    assert_slices(body, rmw.pointer, rmw.value)


def test_parse_atomicrmw_volatile_with_syncscope():
    body = body_of(hand_line("%1 = atomicrmw volatile xchg"))
    rmw = parse_atomicrmw(body)
    assert (rmw.operation, rmw.volatile, rmw.ordering, rmw.align) == ("xchg", True, "seq_cst", 4)
    assert rmw.syncscope.strip('"') == "singlethread"
    assert rmw.value.value == "%v"


def test_parse_atomicrmw_with_dbg():
    rmw = parse_atomicrmw("atomicrmw fadd ptr %0, float 1.000000e+00 seq_cst, align 4, !dbg !41")
    assert (rmw.operation, rmw.value.value, rmw.ordering) == ("fadd", "1.000000e+00", "seq_cst")


def test_parse_atomicrmw_needs_an_ordering():
    with pytest.raises(ParseError):
        parse_atomicrmw("atomicrmw add ptr %p, i32 1, align 4")


# -- cmpxchg --------------------------------------------------------------------------------------


def test_parse_cmpxchg_weak_volatile():
    body = clang_line(("atomics", "O2"), "cmpxchg weak volatile")
    x = parse_cmpxchg(body)
    assert (x.weak, x.volatile, x.align) == (True, True, 4)
    assert [o.text() for o in (x.pointer, x.compare, x.new)] == ["ptr %0", "i32 %4", "i32 %2"]
    assert_slices(body, x.pointer, x.compare, x.new)


def test_parse_cmpxchg_weak_constant_operands():
    x = parse_cmpxchg(clang_line(("atomics", "O2"), "cmpxchg weak ptr @ai"))
    assert (x.weak, x.volatile) == (True, False)
    assert [o.text() for o in (x.pointer, x.compare, x.new)] == ["ptr @ai", "i32 0", "i32 4"]


def test_parse_cmpxchg_i128():
    x = parse_cmpxchg(clang_line(("atomics", "O2"), "cmpxchg ptr @a128"))
    assert (x.new.type, x.new.value, x.align, x.weak) == ("i128", "%1", 16, False)


def test_parse_cmpxchg_pointers_with_syncscope():
    x = parse_cmpxchg(body_of(hand_line("%4 = cmpxchg")))
    assert [o.text() for o in (x.pointer, x.compare, x.new)] == ["ptr %p", "ptr %q", "ptr %r"]
    assert x.align == 8


def test_parse_cmpxchg_hand_weak_volatile():
    x = parse_cmpxchg(body_of(hand_line("%3 = cmpxchg weak volatile")))
    assert (x.weak, x.volatile, x.compare.value, x.new.value) == (True, True, "%a", "%b")


# -- call -----------------------------------------------------------------------------------------


def test_call_varargs_printf():
    body = clang_line(("calls", "O2"), "tail call i32 (ptr, ...) @printf")
    call = parse_call(body)
    assert call.callee == "@printf" and call.asm is None and call.intrinsic is None
    assert [a.text() for a in call.args] == [
        "ptr noundef nonnull dereferenceable(1) @.str",
        "i32 noundef %0",
        "ptr noundef nonnull @.str.1",
    ]
    assert call.args[0].attr_value("dereferenceable") == "1"
    assert_slices(body, *call.args)


def test_call_varargs_printf_O0():
    call = parse_call(clang_line(("calls", "O0"), "call i32 (ptr, ...) @printf"))
    assert call.callee == "@printf" and [a.value for a in call.args] == ["@.str", "%3", "@.str.1"]


def test_call_returning_a_literal_struct():
    call = parse_call(clang_line(("calls", "O2"), "tail call { i32, i1 }"))
    assert call.callee == "@llvm.sadd.with.overflow.i32"
    assert call.intrinsic == "llvm.sadd.with.overflow.i32"
    assert [a.text() for a in call.args] == ["i32 %0", "i32 %1"]
    call = parse_call(clang_line(("misc", "O2"), "tail call { double, double } @__muldc3"))
    assert call.callee == "@__muldc3" and len(call.args) == 4


def test_call_returning_a_named_struct():
    call = parse_call(body_of(hand_line("%5 = call %struct.S @mk")))
    assert call.callee == "@mk" and [a.text() for a in call.args] == ["i32 noundef 1"]


def test_call_named_struct_with_function_type():
    call = parse_call(body_of(hand_line("%6 = call %struct.S (i32, ...) @mkv")))
    assert call.callee == "@mkv" and [a.text() for a in call.args] == ["i32 1", "i32 2"]


def test_call_sret_and_byval():
    call = parse_call(clang_line(("calls", "O0"), "call void @mkbig"))
    sret = call.args[0]
    assert sret.attrs == ("dead_on_unwind", "writable", "sret(%struct.Big)", "align 8")
    assert sret.attr_value("sret") == "%struct.Big" and sret.attr_value("align") == "8"
    call = parse_call(clang_line(("calls", "O2"), "tail call void @take"))
    assert call.args[0].attrs == ("noundef", "nonnull", "byval(%struct.Big)", "align 8")
    assert call.args[0].value == "%1"
    call = parse_call(body_of(hand_line("call void @takes")))
    assert call.args[0].value == '%"a b"' and call.args[0].attr_value("byval") == "%struct.S"


def test_call_signext_return_and_argument():
    call = parse_call(clang_line(("calls", "O0"), "call signext i16 @sh"))
    assert call.callee == "@sh" and call.args[0].attrs == ("noundef", "signext") and call.args[0].value == "3"


def test_call_indirect():
    for key, prefix, callee in ((("calls", "O0"), "call i32 %3", "%3"), (("calls", "O2"), "tail call i32 %0", "%0")):
        call = parse_call(clang_line(key, prefix))
        assert call.callee == callee and call.intrinsic is None
        assert [a.text() for a in call.args] == ["i32 noundef 1"]


def test_call_return_attribute_and_intrinsic():
    call = parse_call(clang_line(("misc", "O2"), "tail call align 4 ptr @llvm.threadlocal.address"))
    assert call.intrinsic == "llvm.threadlocal.address.p0"
    assert call.args[0].text() == "ptr align 4 @tl"


def test_call_no_arguments():
    call = parse_call(clang_line(("calls", "O0"), "call ptr @llvm.stacksave.p0"))
    assert call.callee == "@llvm.stacksave.p0" and call.args == ()


def test_call_memcpy_with_metadata():
    body = clang_line(("calls", "O2"), "tail call void @llvm.memcpy")
    call = parse_call(body)
    assert call.intrinsic == "llvm.memcpy.p0.p0.i64"
    assert [a.value for a in call.args] == ["%0", "%1", "64", "false"]
    assert call.args[0].attr_value("align") == "8"
    assert call.args[0].attr_value("dereferenceable") == "64"
    assert_slices(body, *call.args)


def test_call_masked_store_and_scatter():
    call = parse_call(clang_line(("vectors", "O3avx512"), "tail call void @llvm.masked.store"))
    assert [a.text() for a in call.args] == ["<8 x i32> %19", "ptr align 4 %27", "<8 x i1> %23"]
    call = parse_call(clang_line(("vectors", "O3avx512"), "tail call void @llvm.masked.scatter"))
    assert [(a.type, a.attrs, a.value) for a in call.args] == [
        ("<8 x i32>", (), "%15"),
        ("<8 x ptr>", ("align 4",), "%31"),
        ("<8 x i1>", (), "splat (i1 true)"),
    ]


def test_call_with_operand_bundle():
    call = parse_call(hand_line('call void @f() [ "deopt"'))
    assert call.callee == "@f" and call.args == ()


def test_call_without_callee_is_an_error():
    with pytest.raises(ParseError):
        parse_call("call void")


# -- inline asm -----------------------------------------------------------------------------------


def test_asm_memory_output_global():
    body = clang_line(("asm", "O2"), 'tail call void asm sideeffect "movl $$1')
    call = parse_call(body)
    assert call.asm is not None
    assert call.callee == 'asm sideeffect "movl $$1, $0", "=*m,~{dirflag},~{fpsr},~{flags}"'
    assert call.asm.template == "movl $$1, $0"
    assert call.asm.constraints == ("=*m", "~{dirflag}", "~{fpsr}", "~{flags}")
    assert call.asm.indirect_outputs == 1 and not call.asm.clobbers_memory
    assert call.args[0].attrs == ("nonnull", "elementtype(i32)") and call.args[0].value == "@g"
    assert call.args[0].attr_value("elementtype") == "i32"
    assert call.intrinsic is None


def test_asm_without_sideeffect_memory_output_local():
    call = parse_call(clang_line(("asm", "O2"), 'call void asm "movl $$3'))
    assert call.asm.template == "movl $$3, $0" and call.args[0].value == "%2"


def test_asm_read_write_memory_operand():
    call = parse_call(clang_line(("asm", "O2"), 'tail call void asm sideeffect "incl'))
    assert call.asm.constraints[:2] == ("=*m", "*m")
    assert call.asm.indirect_outputs == 1
    assert [a.text() for a in call.args] == ["ptr elementtype(i32) %0", "ptr elementtype(i32) %0"]


@pytest.mark.parametrize("prefix, template", [('tail call void asm sideeffect ""', ""), ('tail call void asm sideeffect "nop"', "nop")])
def test_asm_memory_clobber(prefix, template):
    call = parse_call(clang_line(("asm", "O2"), prefix))
    assert call.asm.template == template
    assert call.asm.clobbers_memory and call.asm.indirect_outputs == 0
    assert call.args == ()


def test_asm_register_output():
    call = parse_call(clang_line(("asm", "O2"), "%2 = tail call i32 asm"))
    assert call.asm.constraints == ("=r", "r", "~{dirflag}", "~{fpsr}", "~{flags}")
    assert call.asm.indirect_outputs == 0
    assert [a.text() for a in call.args] == ["i32 %0"]


# -- every write instruction clang-22 emitted -------------------------------------------------------


def _align(body: str) -> int | None:
    m = re.search(r", align (\d+)", body)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("key", CORPUS_IDS)
def test_every_write_instruction_of_the_corpus_parses(corpus, key):
    """Each parse reproduces the instruction's own text: operands are source slices, in order."""
    snippet, config = key.split("-")
    seen = 0
    for line in corpus[(snippet, config)].split("\n"):
        m = WRITE_LINE_RE.match(line)
        if not m:
            continue
        body = body_of(line)
        op = m.group("op")
        if op == "store":
            s = parse_store(body)
            head = "store " + ("atomic " if s.atomic else "") + ("volatile " if s.volatile else "")
            assert body.startswith(f"{head}{s.value.text()}, {s.pointer.text()}")
            assert s.align == _align(body)
            assert (s.ordering is not None) == s.atomic
        elif op == "atomicrmw":
            r = parse_atomicrmw(body)
            head = "atomicrmw " + ("volatile " if r.volatile else "") + r.operation
            assert body.startswith(f"{head} {r.pointer.text()}, {r.value.text()}")
            assert r.align == _align(body)
        elif op == "cmpxchg":
            x = parse_cmpxchg(body)
            head = "cmpxchg " + ("weak " if x.weak else "") + ("volatile " if x.volatile else "")
            assert body.startswith(f"{head}{x.pointer.text()}, {x.compare.text()}, {x.new.text()}")
            assert x.align == _align(body)
        else:
            c = parse_call(body)
            if c.asm is None:
                assert f" {c.callee}(" in body
            else:
                assert c.callee in body
        seen += 1
    assert seen > 0
