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
    indent: str


@dataclass(slots=True)
class Function:
    name: str  # "@main"
    header: str  # the `define ... {` line
    items: list[Instruction | str] = field(default_factory=list)  # instructions and other lines

    @property
    def instructions(self) -> list[Instruction]:
        return [item for item in self.items if isinstance(item, Instruction)]


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
            for item in part.items:
                out.append(item if isinstance(item, str) else item.text)
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
            stripped = line.strip()
            if not stripped or stripped.startswith(";") or stripped.startswith("#dbg_") or _is_label(stripped):
                fn.items.append(line)
                i += 1
                continue
            text = line
            if stripped.startswith(("switch ", "indirectbr ")) and not stripped.endswith("]"):
                # jump tables continue on the following lines up to the closing "]"
                while not lines[i].rstrip().endswith("]"):
                    i += 1
                    if i >= n:
                        raise ModuleTextError(f"unterminated {stripped.split()[0]} in {fn.name}")
                    text += "\n" + lines[i]
            result, body = split_result(text)
            indent = line[: len(line) - len(line.lstrip())]
            fn.items.append(Instruction(text, result, body, opcode_of(body), indent))
            i += 1
        if i >= n:
            raise ModuleTextError(f"function {fn.name} has no closing brace")
        parts.append(fn)
        i += 1
    return Module(parts)


def _is_label(stripped: str) -> bool:
    # `entry:`, `5:`, `"a b":` possibly followed by a `; preds = ...` comment
    head = stripped.split(";", 1)[0].rstrip()
    return head.endswith(":") and " " not in head.strip('"') and not head.startswith("%")
