"""Types and operands of LLVM 22 instructions, parsed into source spans.

An operand is a type, the parameter attributes that may follow it, and a value; the value may be a
local, a global, a literal or a nested constant expression such as
`getelementptr inbounds nuw (i8, ptr @g, i64 96)`. The parser finds where each part starts and ends
and keeps the source text, so the rewrite can copy it unchanged. Structure is followed through all
bracket kinds LLVM uses: `(...)`, `[...]`, `{...}`, `<...>` and `<{...}>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .lexer import Kind, Token, tokenize


class ParseError(ValueError):
    """IR text that does not have the shape the parser expects."""


# Constants spelled as one word.
CONSTANT_WORDS = frozenset("null true false undef poison zeroinitializer none".split())

# Words that begin a value rather than name a parameter attribute.
VALUE_WORDS = CONSTANT_WORDS | frozenset(
    """
    getelementptr bitcast ptrtoint inttoptr addrspacecast ptrtoaddr trunc zext sext fptrunc fpext
    fptoui fptosi uitofp sitofp add sub mul shl xor and or lshr ashr icmp fcmp
    extractelement insertelement shufflevector select blockaddress dso_local_equivalent no_cfi
    ptrauth splat asm
    """.split()
)

# Parameter attributes that take a bare integer argument (`align 8`).
_INT_ARG_ATTRS = frozenset({"align"})

_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}

FIRST_CLASS_WORDS = frozenset(
    "void half bfloat float double x86_fp80 fp128 ppc_fp128 x86_amx label metadata token ptr".split()
)


@dataclass(frozen=True, slots=True)
class Operand:
    """`<type> <attributes> <value>` as written in the instruction."""

    type: str
    attrs: tuple[str, ...]
    value: str
    start: int  # span of the whole operand in the instruction text
    end: int

    def attr_value(self, name: str) -> str | None:
        """The argument of attribute `name` (`align 8` -> "8", `elementtype(i32)` -> "i32")."""
        for attr in self.attrs:
            if attr == name:
                return ""
            if attr.startswith(name + " "):
                return attr[len(name) + 1 :]
            if attr.startswith(name + "(") and attr.endswith(")"):
                return attr[len(name) + 1 : -1]
        return None

    def text(self, attrs: bool = True) -> str:
        parts = [self.type]
        if attrs:
            parts.extend(self.attrs)
        parts.append(self.value)
        return " ".join(parts)


def is_integer_type(type_text: str) -> bool:
    return len(type_text) > 1 and type_text[0] == "i" and type_text[1:].isdigit()


def pointer_address_space(type_text: str) -> int | None:
    """0 for `ptr`, N for `ptr addrspace(N)`, None for a type that is not a scalar pointer."""
    if type_text == "ptr":
        return 0
    if type_text.startswith("ptr addrspace(") and type_text.endswith(")"):
        return int(type_text[len("ptr addrspace(") : -1])
    return None


class TokenCursor:
    """A cursor over the tokens of one instruction, with the source text for slicing."""

    def __init__(self, text: str, tokens: list[Token] | None = None, pos: int = 0):
        self.text = text
        self.tokens = tokens if tokens is not None else tokenize(text)
        self.pos = pos

    # -- low level -------------------------------------------------------------------------------
    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def peek_text(self, ahead: int = 0) -> str | None:
        tok = self.peek(ahead)
        return tok.text if tok else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ParseError(f"unexpected end of instruction: {self.text.strip()}")
        self.pos += 1
        return tok

    def accept(self, text: str) -> bool:
        if self.peek_text() == text:
            self.pos += 1
            return True
        return False

    def expect(self, text: str) -> Token:
        tok = self.next()
        if tok.text != text:
            raise ParseError(f"expected {text!r}, found {tok.text!r} in: {self.text.strip()}")
        return tok

    def slice(self, first: int, last_exclusive: int) -> str:
        """Source text from token `first` to token `last_exclusive - 1`."""
        if first >= last_exclusive:
            return ""
        return self.text[self.tokens[first].start : self.tokens[last_exclusive - 1].end]

    def skip_balanced(self) -> None:
        """Skip an opening bracket and everything up to its matching close."""
        opening = self.next()
        close = _OPEN.get(opening.text)
        if close is None:
            raise ParseError(f"expected a bracket, found {opening.text!r} in: {self.text.strip()}")
        stack = [close]
        while stack:
            tok = self.next()
            if tok.kind is Kind.PUNCT:
                if tok.text in _OPEN:
                    stack.append(_OPEN[tok.text])
                elif tok.text == stack[-1]:
                    stack.pop()
                elif tok.text in ")]}>":
                    raise ParseError(f"unbalanced {tok.text!r} in: {self.text.strip()}")

    # -- types -----------------------------------------------------------------------------------
    def parse_type(self) -> str:
        first = self.pos
        self._skip_type()
        return self.slice(first, self.pos)

    def _skip_type(self) -> None:
        tok = self.peek()
        if tok is None:
            raise ParseError(f"expected a type at the end of: {self.text.strip()}")
        if tok.kind is Kind.WORD and (tok.text in FIRST_CLASS_WORDS or is_integer_type(tok.text)):
            self.pos += 1
            if tok.text == "ptr" and self.peek_text() == "addrspace":
                self.pos += 1
                self.skip_balanced()
        elif tok.kind is Kind.WORD and tok.text == "target":
            self.pos += 1
            self.skip_balanced()
        elif tok.kind is Kind.LOCAL:  # a named (identified) struct type
            self.pos += 1
        elif tok.text in ("[", "{", "<"):
            self.skip_balanced()  # also <{ ... }>, a packed struct: the braces nest inside < >
        else:
            raise ParseError(f"expected a type, found {tok.text!r} in: {self.text.strip()}")
        # A function type: `<ret> (<params>)`, as in `call i32 (ptr, ...) @printf(...)`.
        # Only when the parenthesis is followed by a callee or another type-level token, which the
        # caller decides; see parse_call. Old-style `T*` pointers do not exist in LLVM 22.

    # -- values ----------------------------------------------------------------------------------
    def parse_value(self) -> str:
        """One value: a name, a literal, an aggregate or vector constant, or a constant expression.

        Values are delimited by their own structure, not by the next comma, because instructions
        put words after them (`i32 1 seq_cst`, `ptr %p syncscope("agent") release`).
        """
        first = self.pos
        tok = self.next()
        if tok.kind in (Kind.LOCAL, Kind.GLOBAL, Kind.INTEGER, Kind.FLOAT, Kind.STRING):
            pass
        elif tok.kind is Kind.METADATA:  # !5, !"s", !{...}, !DIExpression(...)
            if self.peek_text() in ("(", "{"):
                self.skip_balanced()
        elif tok.kind is Kind.PUNCT and tok.text in ("<", "[", "{"):
            self.pos -= 1
            self.skip_balanced()
        elif tok.kind is Kind.WORD and tok.text in CONSTANT_WORDS:
            pass
        elif tok.kind is Kind.WORD and tok.text in ("dso_local_equivalent", "no_cfi"):
            self.next()
        elif tok.kind is Kind.WORD and tok.text == "asm":
            # asm [sideeffect] [alignstack] [inteldialect] [unwind] "template", "constraints"
            while self.peek() is not None and self.peek().kind is Kind.WORD:
                self.pos += 1
            self._expect_kind(Kind.STRING)
            self.expect(",")
            self._expect_kind(Kind.STRING)
        elif tok.kind is Kind.WORD and tok.text in VALUE_WORDS:
            # A constant expression: opcode, flags or predicate words, then its operands in (...).
            while self.peek() is not None and self.peek().text != "(":
                flag = self.next()
                if flag.kind is not Kind.WORD:
                    raise ParseError(f"unexpected {flag.text!r} in constant expression: {self.text.strip()}")
                if flag.text == "inrange" and self.peek_text() == "(":
                    self.skip_balanced()
            self.skip_balanced()
        else:
            raise ParseError(f"expected a value, found {tok.text!r} in: {self.text.strip()}")
        return self.slice(first, self.pos)

    def _expect_kind(self, kind: Kind) -> Token:
        tok = self.next()
        if tok.kind is not kind:
            raise ParseError(f"expected a {kind.value}, found {tok.text!r} in: {self.text.strip()}")
        return tok

    def parse_attrs(self) -> tuple[str, ...]:
        """Parameter attributes between a type and its value."""
        attrs: list[str] = []
        while True:
            tok = self.peek()
            if tok is None or tok.kind is not Kind.WORD or tok.text in VALUE_WORDS:
                return tuple(attrs)
            first = self.pos
            self.pos += 1
            if tok.text in _INT_ARG_ATTRS and self.peek() is not None and self.peek().kind is Kind.INTEGER:
                self.pos += 1
            elif self.peek_text() == "(":
                self.skip_balanced()
            attrs.append(self.slice(first, self.pos))

    def parse_operand(self, attrs: bool = True) -> Operand:
        start_tok = self.peek()
        if start_tok is None:
            raise ParseError(f"expected an operand at the end of: {self.text.strip()}")
        type_text = self.parse_type()
        attr_list = self.parse_attrs() if attrs else ()
        value = self.parse_value()
        end = self.tokens[self.pos - 1].end
        return Operand(type_text, attr_list, value, start_tok.start, end)

    def parse_operand_list(self, close: str) -> list[Operand]:
        """Operands up to (and consuming) `close`, e.g. a call's arguments."""
        operands: list[Operand] = []
        if self.accept(close):
            return operands
        while True:
            if self.peek() is not None and self.peek().kind is Kind.ELLIPSIS:
                self.pos += 1
            else:
                operands.append(self.parse_operand())
            if self.accept(close):
                return operands
            self.expect(",")
