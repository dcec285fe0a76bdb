"""The instructions the mirror pass reads: what they write, through which pointer, and how.

Each parser takes the text of one instruction (without the `%x = ` result prefix handled by
`split_result`) and returns a frozen view whose operands are source slices (see operands.py).
Only the instructions that write memory or take part in stack-slot escape analysis are modelled;
everything else stays opaque text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexer import Kind
from .operands import Operand, ParseError, TokenCursor

ORDERINGS = frozenset("unordered monotonic acquire release acq_rel seq_cst".split())


@dataclass(frozen=True, slots=True)
class Store:
    value: Operand
    pointer: Operand
    atomic: bool
    volatile: bool
    ordering: str | None
    syncscope: str | None
    align: int | None


@dataclass(frozen=True, slots=True)
class AtomicRMW:
    operation: str  # xchg, add, sub, and, nand, or, xor, max, min, umax, umin, fadd, ...
    pointer: Operand
    value: Operand
    volatile: bool
    ordering: str
    syncscope: str | None
    align: int | None


@dataclass(frozen=True, slots=True)
class CmpXchg:
    pointer: Operand
    compare: Operand
    new: Operand
    weak: bool
    volatile: bool
    align: int | None


@dataclass(frozen=True, slots=True)
class InlineAsm:
    template: str  # unescaped enough to tell empty from non-empty
    constraints: tuple[str, ...]

    @property
    def clobbers_memory(self) -> bool:
        return "~{memory}" in self.constraints

    @property
    def indirect_outputs(self) -> int:
        """How many leading arguments are memory outputs (`=*m`)."""
        return sum(1 for c in self.constraints if c.startswith("=*"))


@dataclass(frozen=True, slots=True)
class Call:
    callee: str  # @name, %fnptr, or the asm value text
    args: tuple[Operand, ...]
    asm: InlineAsm | None

    @property
    def intrinsic(self) -> str | None:
        """`llvm.memcpy.p0.p0.i64` for `@llvm.memcpy.p0.p0.i64`, else None."""
        if self.callee.startswith("@llvm."):
            return self.callee[1:]
        return None


def split_result(text: str) -> tuple[str | None, str]:
    """`%x = add ...` -> ("%x", "add ..."); an instruction without a result -> (None, text)."""
    stripped = text.lstrip()
    if stripped.startswith("%"):
        close = stripped.index('"', 2) if stripped.startswith('%"') else 0
        eq = stripped.find(" = ", close)
        if eq > 0:
            return stripped[:eq], stripped[eq + 3 :]
    return None, stripped


_ATTACHMENTS_RE = re.compile(r"(?:, ![-a-zA-Z$._0-9]+ ![0-9]+)+")


def strip_attachments(body: str) -> str:
    """The instruction without its trailing metadata attachments (`, !tbaa !5, !dbg !12`).

    They carry nothing the parsers need and are often most of the tokens of a line."""
    at = body.find(", !")
    if at >= 0 and _ATTACHMENTS_RE.fullmatch(body, at):
        return body[:at]
    return body


def opcode_of(body: str) -> str:
    """The opcode word of an instruction body (`tail call` -> `call`)."""
    word_end = body.find(" ")
    word = body if word_end < 0 else body[:word_end]
    if word in ("tail", "musttail", "notail"):
        return "call"
    return word


def _trailer(cur: TokenCursor) -> tuple[int | None, str | None, str | None]:
    """Parse `[syncscope("s")] [ordering] [, align N] [, !md !N]*`: (align, ordering, syncscope)."""
    align = ordering = syncscope = None
    while not cur.at_end():
        tok = cur.next()
        if tok.text == "syncscope":
            cur.expect("(")
            syncscope = cur.next().text
            cur.expect(")")
        elif tok.text in ORDERINGS:
            ordering = tok.text
        elif tok.text == "align":
            align = int(cur.next().text)
        elif tok.text == "," or tok.kind is Kind.METADATA:
            continue
        else:
            raise ParseError(f"unexpected {tok.text!r} in: {cur.text.strip()}")
    return align, ordering, syncscope


def parse_store(body: str) -> Store:
    cur = TokenCursor(strip_attachments(body))
    cur.expect("store")
    atomic = cur.accept("atomic")
    volatile = cur.accept("volatile")
    value = cur.parse_operand(attrs=False)
    cur.expect(",")
    pointer = cur.parse_operand(attrs=False)
    align, ordering, syncscope = _trailer(cur)
    return Store(value, pointer, atomic, volatile, ordering, syncscope, align)


def parse_atomicrmw(body: str) -> AtomicRMW:
    cur = TokenCursor(strip_attachments(body))
    cur.expect("atomicrmw")
    volatile = cur.accept("volatile")
    operation = cur.next().text
    pointer = cur.parse_operand(attrs=False)
    cur.expect(",")
    value = cur.parse_operand(attrs=False)
    align, ordering, syncscope = _trailer(cur)
    if ordering is None:
        raise ParseError(f"atomicrmw without ordering: {body.strip()}")
    return AtomicRMW(operation, pointer, value, volatile, ordering, syncscope, align)


def parse_cmpxchg(body: str) -> CmpXchg:
    cur = TokenCursor(strip_attachments(body))
    cur.expect("cmpxchg")
    weak = cur.accept("weak")
    volatile = cur.accept("volatile")
    pointer = cur.parse_operand(attrs=False)
    cur.expect(",")
    compare = cur.parse_operand(attrs=False)
    cur.expect(",")
    new = cur.parse_operand(attrs=False)
    align, _, _ = _trailer(cur)
    return CmpXchg(pointer, compare, new, weak, volatile, align)


def parse_call(body: str) -> Call:
    """`[tail] call [flags] <ret> [(<params>)] <callee>(<args>) [attrs] [bundles] [, !md]`."""
    cur = TokenCursor(strip_attachments(body))
    if cur.peek_text() in ("tail", "musttail", "notail"):
        cur.next()
    cur.expect("call")
    while not cur.at_end():
        tok = cur.peek()
        is_callee = (tok.kind in (Kind.GLOBAL, Kind.LOCAL) and cur.peek_text(1) == "(") or (
            tok.kind is Kind.WORD and tok.text == "asm"
        )
        if not is_callee:
            if tok.text in ("(", "[", "{", "<"):
                cur.skip_balanced()
            else:
                cur.next()
            continue
        if tok.kind is Kind.WORD:  # inline asm
            callee = cur.parse_value()
            asm = _inline_asm(callee)
        else:
            # `%struct.S (i32) @f(...)`: a named return type followed by a function type.
            save = cur.pos
            cur.next()
            cur.skip_balanced()
            after = cur.peek()
            if after is not None and (after.kind in (Kind.GLOBAL, Kind.LOCAL) or after.text == "asm"):
                continue
            cur.pos = save
            callee = cur.next().text
            asm = None
        cur.expect("(")
        args = cur.parse_operand_list(")")
        return Call(callee, tuple(args), asm)
    raise ParseError(f"call without a callee: {body.strip()}")


def _inline_asm(value: str) -> InlineAsm:
    cur = TokenCursor(value)
    strings = [t.text for t in cur.tokens if t.kind is Kind.STRING]
    if len(strings) != 2:
        raise ParseError(f"inline asm without template and constraints: {value}")
    template, constraints = (s[1:-1] for s in strings)
    return InlineAsm(template, tuple(c for c in constraints.split(",") if c))
