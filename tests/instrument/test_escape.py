"""Escape analysis of stack slots: which allocas only their own function can address."""

from __future__ import annotations

import pytest

from instrument_support import HEADER, function
from mirrorpass.instrument.escape import private_stack_pointers
from mirrorpass.ir.module import parse_module_text

C_SOURCE = r"""
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
void sink(int *);
int *global_p;
struct S { int a; int b[4]; };
int private_scalar(int n) { int x = n; x += 2; return x; }
int private_array(int i, int j) { int a[8]; memset(a, 0, sizeof a); a[i] = 3; return a[j]; }
int private_struct(int i) { struct S s; s.a = i; s.b[i] = 2; return s.a + s.b[1]; }
int escapes_call(void) { int x = 1; sink(&x); return x; }
void escapes_store(void) { int x = 1; global_p = &x; }
long escapes_ptrtoint(void) { int x = 1; return (long)&x; }
int escapes_phi(int c) { int a = 1, b = 2; int *p = c ? &a : &b; *p = 5; return a + b; }
int *escapes_return(void) { int x = 1; return &x; }
int va_private(int n, ...) { va_list ap; va_start(ap, n); int r = va_arg(ap, int); va_end(ap); return r; }
void va_escapes(int n, ...) { va_list ap; va_start(ap, n); vprintf("%d", ap); va_end(ap); }
int no_locals(int x) { return x + 1; }
"""


@pytest.fixture(scope="module")
def o0(clang_ir):
    return clang_ir(C_SOURCE, "-O0")


@pytest.fixture(scope="module")
def o2(clang_ir):
    return clang_ir(C_SOURCE, "-O2")


def private(text: str, name: str) -> set[str]:
    return private_stack_pointers(function(text, name))


def allocas(text: str, name: str) -> list[str]:
    return [i.result for i in function(text, name).instructions if i.opcode == "alloca"]


def results_of(text: str, name: str, opcode: str) -> list[str]:
    return [i.result for i in function(text, name).instructions if i.opcode == opcode and i.result]


# -- clang -O0 --------------------------------------------------------------------------------------


def test_scalar_locals_only_loaded_and_stored_are_private(o0):
    # %2 = n's slot, %3 = x
    assert allocas(o0, "private_scalar") == ["%2", "%3"]
    assert private(o0, "private_scalar") == {"%2", "%3"}


def test_array_gepd_and_memset_is_private_with_its_derived_pointers(o0):
    slots = allocas(o0, "private_array")
    geps = results_of(o0, "private_array", "getelementptr")
    assert len(slots) == 3 and len(geps) == 3
    assert private(o0, "private_array") == set(slots) | set(geps)


def test_struct_with_nested_geps_is_private(o0):
    slots = allocas(o0, "private_struct")
    geps = results_of(o0, "private_struct", "getelementptr")
    assert private(o0, "private_struct") == set(slots) | set(geps)


@pytest.mark.parametrize(
    "name, how",
    [
        ("escapes_call", "call void @sink(ptr noundef %1)"),
        ("escapes_store", "store ptr %1, ptr @global_p, align 8"),
        ("escapes_ptrtoint", "%2 = ptrtoint ptr %1 to i64"),
        ("escapes_return", "ret ptr %1"),
    ],
)
def test_slot_escapes(o0, name, how):
    assert how in [i.text.strip() for i in function(o0, name).instructions]
    assert allocas(o0, name) == ["%1"]
    assert private(o0, name) == set()


def test_phi_makes_both_slots_escape_but_not_the_pointer_slot(o0):
    # %2 = c, %3 = a, %4 = b, %5 = p; `%11 = phi ptr [ %3, %8 ], [ %4, %9 ]`
    assert allocas(o0, "escapes_phi") == ["%2", "%3", "%4", "%5"]
    assert private(o0, "escapes_phi") == {"%2", "%5"}


def test_va_list_used_only_by_va_intrinsics_is_private(o0):
    fn = function(o0, "va_private")
    p = private_stack_pointers(fn)
    assert "%3" in p  # the [1 x %struct.__va_list_tag] slot
    assert {"%5", "%6", "%7", "%22"} <= p  # its GEPs: va_start, the fields, va_end


def test_va_list_passed_to_vprintf_escapes(o0):
    assert allocas(o0, "va_escapes") == ["%2", "%3"]
    assert private(o0, "va_escapes") == {"%2"}


def test_function_without_allocas(o0, o2):
    assert private(o0, "no_locals") == {"%2"}  # x's slot at -O0
    assert allocas(o2, "no_locals") == [] and private(o2, "no_locals") == set()


# -- clang -O2: lifetime markers, memset ----------------------------------------------------------


def test_array_with_lifetime_markers_and_memset_is_private(o2):
    fn = function(o2, "private_array")
    ops = [i.opcode for i in fn.instructions]
    assert ops.count("alloca") == 1 and ops.count("getelementptr") == 2
    assert sum("@llvm.lifetime." in i.body for i in fn.instructions) == 2
    assert private_stack_pointers(fn) == {"%3", "%5", "%7"}


def test_o2_escapes(o2):
    assert private(o2, "escapes_call") == set()
    assert private(o2, "va_escapes") == set()


# -- hand-written IR ------------------------------------------------------------------------------


def hand(body: str, params: str = "ptr %q, i1 %c") -> set[str]:
    text = (
        HEADER
        + "@g = global ptr null\n"
        + "declare void @f(ptr)\n"
        + f"define void @t({params}) {{\n"
        + "\n".join("  " + line for line in body.strip().split("\n"))
        + "\n}\n"
    )
    (fn,) = parse_module_text(text).functions
    return private_stack_pointers(fn)


@pytest.mark.parametrize(
    "uses",
    [
        "store i32 1, ptr %a, align 4",
        "%v = load i32, ptr %a, align 4",
        "%v = load atomic i32, ptr %a seq_cst, align 4",
        "store atomic i32 1, ptr %a release, align 4",
        "%v = atomicrmw add ptr %a, i32 1 seq_cst, align 4",
        "%v = cmpxchg ptr %a, i32 0, i32 1 seq_cst seq_cst, align 4",
        "%v = icmp eq ptr %a, %q",
        "call void @llvm.lifetime.start.p0(ptr %a)\ncall void @llvm.lifetime.end.p0(ptr %a)",
        "call void @llvm.memset.p0.i64(ptr align 4 %a, i8 0, i64 4, i1 false)",
        "call void @llvm.memcpy.p0.p0.i64(ptr align 4 %a, ptr %q, i64 4, i1 false)",
        "call void @llvm.memcpy.p0.p0.i64(ptr %q, ptr align 4 %a, i64 4, i1 false)",
        "call void @llvm.memmove.p0.p0.i64(ptr %q, ptr %a, i64 4, i1 false)",
        "store ptr %q, ptr %a, align 8",  # the slot holds a pointer: the slot itself does not escape
    ],
)
def test_hand_private(uses):
    assert hand("%a = alloca i64, align 8\n" + uses + "\nret void") == {"%a"}


def test_hand_derived_pointers_are_private():
    body = """
%a = alloca [4 x i32], align 16
%b = getelementptr inbounds [4 x i32], ptr %a, i64 0, i64 1
%c2 = getelementptr inbounds nuw i8, ptr %b, i64 4
%d = bitcast ptr %c2 to ptr
store i32 1, ptr %d, align 4
ret void
"""
    assert hand(body) == {"%a", "%b", "%c2", "%d"}


@pytest.mark.parametrize(
    "uses",
    [
        "call void @f(ptr %a)",
        "store ptr %a, ptr @g, align 8",
        "store ptr %a, ptr %a, align 8",
        "%s = select i1 %c, ptr %a, ptr %q",
        "%i = ptrtoint ptr %a to i64",
        "%x = addrspacecast ptr %a to ptr addrspace(1)",
        "%v = insertvalue { ptr } poison, ptr %a, 0",
        "%v = atomicrmw xchg ptr @g, ptr %a seq_cst, align 8",
        "%v = cmpxchg ptr @g, ptr null, ptr %a seq_cst seq_cst, align 8",
        "%v = cmpxchg ptr @g, ptr %a, ptr null seq_cst seq_cst, align 8",
        "%v = getelementptr i8, ptr %q, i64 ptrtoint (ptr @g to i64)\nstore ptr %a, ptr %v, align 8",
        "%p = getelementptr i8, ptr %a, i64 4\ncall void @f(ptr %p)",
        "%p = getelementptr i8, ptr %a, i64 4\n%r = freeze ptr %p",
        "call void asm sideeffect \"\", \"=*m\"(ptr elementtype(i64) %a)",
    ],
)
def test_hand_escapes(uses):
    assert hand("%a = alloca i64, align 8\n" + uses + "\nret void") == set()


def test_hand_returned_pointer_escapes():
    body = "%a = alloca i32, align 4\nret ptr %a"
    text = HEADER + "define ptr @t() {\n" + "\n".join("  " + x for x in body.split("\n")) + "\n}\n"
    (fn,) = parse_module_text(text).functions
    assert private_stack_pointers(fn) == set()


def test_hand_phi_escapes_only_the_phid_slot():
    body = """
%a = alloca i32, align 4
%b = alloca i32, align 4
br i1 %c, label %l1, label %l2
l1:
br label %l2
l2:
%p = phi ptr [ %a, %0 ], [ %q, %l1 ]
store i32 1, ptr %b, align 4
ret void
"""
    text = HEADER + "define void @t(ptr %q, i1 %c) {\n"
    for line in body.strip().split("\n"):
        text += (line if line.endswith(":") else "  " + line) + "\n"
    text += "}\n"
    (fn,) = parse_module_text(text).functions
    assert private_stack_pointers(fn) == {"%b"}


def test_hand_quoted_slot_name():
    body = '%"my slot" = alloca i32, align 4\nstore i32 1, ptr %"my slot", align 4\nret void'
    assert hand(body) == {'%"my slot"'}


def test_one_escaping_slot_does_not_spoil_another():
    body = """
%a = alloca i32, align 4
%b = alloca i32, align 4
store i32 1, ptr %a, align 4
store i32 2, ptr %b, align 4
call void @f(ptr %b)
ret void
"""
    assert hand(body) == {"%a"}
