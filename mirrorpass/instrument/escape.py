"""Stack slots whose address never escapes their function: stores to them need no mirror.

A lost stack page cannot be restored (the backend writes return addresses, spills and saved registers
there with no IR store), so mirroring a local that only its own function can see buys nothing. An
`alloca` escapes when a pointer derived from it (through getelementptr or bitcast) is used in any way
other than as the address of a load, store, atomic, comparison or one of a few intrinsics
(lifetime markers, memset/memcpy/memmove, va_start/va_copy/va_end). Everything else -- storing the
pointer, passing it to a call, phi, select, ptrtoint, returning it -- counts as an escape. The
analysis is deliberately conservative: a slot it cannot prove private is mirrored.
"""

from __future__ import annotations

from collections import defaultdict

from ..ir.instructions import parse_atomicrmw, parse_call, parse_cmpxchg, parse_store
from ..ir.lexer import LOCAL_NAME_RE
from ..ir.module import Function, Instruction, make_instruction
from ..ir.operands import TokenCursor

# Intrinsics that only read or write the memory their pointer arguments name, and keep no copy.
_SLOT_SAFE_INTRINSICS = (
    "llvm.lifetime.",
    "llvm.memset.",
    "llvm.memcpy.",
    "llvm.memmove.",
    "llvm.va_start",
    "llvm.va_end",
    "llvm.va_copy",
    "llvm.dbg.",
)


def private_stack_pointers(function: Function) -> set[str]:
    """Names of pointers that address a non-escaping stack slot of `function`."""
    texts = function.instruction_texts()
    roots = [text.split(" = ", 1)[0].strip() for text in texts if " = alloca " in text]
    if not roots:
        return set()
    uses: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        for name in set(LOCAL_NAME_RE.findall(text)):
            uses[name].append(text)

    private: set[str] = set()
    for root in roots:
        derived = _derived_if_private(root, uses)
        if derived is not None:
            private |= derived
    return private


def _derived_if_private(root: str, uses: dict[str, list[str]]) -> set[str] | None:
    """All pointers derived from `root`, or None when one of them escapes."""
    derived = {root}
    worklist = [root]
    while worklist:
        name = worklist.pop()
        for text in uses.get(name, ()):
            inst = make_instruction(text)
            if inst.result == name:
                continue  # the definition, not a use
            outcome = _classify_use(name, inst)
            if outcome is _ESCAPES:
                return None
            if outcome is _DERIVES and inst.result and inst.result not in derived:
                derived.add(inst.result)
                worklist.append(inst.result)
    return derived


_ESCAPES = object()
_DERIVES = object()
_ACCESS = object()


def _classify_use(name: str, inst: Instruction) -> object:
    op = inst.opcode
    if op == "load" or op == "icmp":
        return _ACCESS
    if op == "store":
        store = parse_store(inst.body)
        return _ACCESS if store.value.value != name else _ESCAPES
    if op == "atomicrmw":
        rmw = parse_atomicrmw(inst.body)
        return _ACCESS if rmw.value.value != name else _ESCAPES
    if op == "cmpxchg":
        xchg = parse_cmpxchg(inst.body)
        return _ACCESS if name not in (xchg.compare.value, xchg.new.value) else _ESCAPES
    if op == "getelementptr":
        return _DERIVES if _gep_base(inst.body) == name else _ESCAPES
    if op == "bitcast":
        return _DERIVES
    if op == "call":
        if "@llvm.lifetime." in inst.body:
            return _ACCESS  # lifetime markers take only the slot's address (the commonest use)
        call = parse_call(inst.body)
        intrinsic = call.intrinsic
        if intrinsic and intrinsic.startswith(_SLOT_SAFE_INTRINSICS):
            return _ACCESS
        return _ESCAPES
    return _ESCAPES


def _gep_base(body: str) -> str:
    """The base pointer value of `getelementptr [flags] <ty>, <ptr ty> <base>, ...`."""
    cur = TokenCursor(body)
    cur.expect("getelementptr")
    while cur.peek_text() in ("inbounds", "nuw", "nusw"):
        cur.next()
    if cur.peek_text() == "inrange":
        cur.next()
        cur.skip_balanced()
    cur.parse_type()
    cur.expect(",")
    base = cur.parse_operand(attrs=False)
    return base.value
