"""A module's text cut into function bodies and instructions, for a rewrite that inserts lines.

clang prints one instruction per line except `switch`/`indirectbr` tables, which continue until the
closing `]`; labels, comments, blank lines and debug records (`#dbg_value(...)`) sit between them.
`Function.items` keeps every line of the body in order so the module can be printed back with extra
instructions placed after the ones the pass instruments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .instructions import opcode_of, split_result
from .lexer import Kind, tokenize


@dataclass(slots=True)
class Instruction:
    text: str  # the full instruction text, continuation lines joined with "\n"
    result: str | None  # "%x" or None
    body: str  # text after "%x = "
    opcode: str


def make_instruction(text: str) -> Instruction:
    result, body = split_result(text)
    return Instruction(text, result, body, opcode_of(body))


def is_instruction_line(line: str) -> bool:
    """clang indents instructions by two spaces; labels start in column 0; debug records
    (`    #dbg_value(...)`) and comments are not instructions."""
    return line.startswith("  ") and not line.lstrip().startswith(("#dbg_", ";"))


@dataclass(slots=True)
class Function:
    name: str  # "@main"
    header: str  # the `define ... {` line
    items: list[str] = field(default_factory=list)  # body lines; a multi-line instruction is one item

    def instruction_texts(self) -> list[str]:
        return [item for item in self.items if is_instruction_line(item)]

    @property
    def instructions(self) -> list[Instruction]:
        return [make_instruction(text) for text in self.instruction_texts()]


@dataclass(slots=True)
class Module:
    """Module text as a sequence of top-level lines and function definitions."""

    parts: list[Function | str]

    @property
    def functions(self) -> list[Function]:
        return [p for p in self.parts if isinstance(p, Function)]

    def render(self) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            out.append(part.header)
            out.extend(part.items)
            out.append("}")
        return "\n".join(out) + "\n"


class ModuleTextError(ValueError):
    """Module text whose layout the splitter does not understand."""


def function_name(header: str) -> str:
    tokens = tokenize(header.rstrip().removesuffix("{"))
    for tok, nxt in zip(tokens, tokens[1:]):
        if tok.kind is Kind.GLOBAL and nxt.text == "(":
            return tok.text
    raise ModuleTextError(f"cannot find the function name in: {header.strip()}")


def parse_module_text(text: str) -> Module:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    parts: list[Function | str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.startswith("define ") or not line.rstrip().endswith("{"):
            parts.append(line)
            i += 1
            continue
        fn = Function(function_name(line), line)
        i += 1
        while i < n and lines[i] != "}":
            line = lines[i]
            if line.startswith(("  switch ", "  indirectbr ")) and "]" not in line:
                # Jump tables continue on the following lines up to the line that closes them:
                # "  ]", possibly followed by attachments ("  ], !prof !7", "  ], !dbg !12").
                while True:
                    i += 1
                    if i >= n:
                        raise ModuleTextError(f"unterminated jump table in {fn.name}")
                    line += "\n" + lines[i]
                    if lines[i].lstrip().startswith("]"):
                        break
            fn.items.append(line)
            i += 1
        if i >= n:
            raise ModuleTextError(f"function {fn.name} has no closing brace")
        parts.append(fn)
        i += 1
    return Module(parts)

