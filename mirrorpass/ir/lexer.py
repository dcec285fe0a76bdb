"""Tokens of LLVM 22's textual IR, with their positions in the source line.

The mirror pass rewrites IR as text: it copies operands verbatim from the instruction it mirrors, so
every token keeps its (start, end) span in the line it came from and the parser hands back source
slices, never re-printed values. This module knows nothing about instructions; it only splits a line
into identifiers, literals, keywords and punctuation, exactly as LLVM's lexer (llvm/lib/AsmParser/
LLLexer.cpp) would group the characters.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from enum import Enum


class Kind(Enum):
    LOCAL = "local"  # %x, %12, %"a b"
    GLOBAL = "global"  # @x, @12, @"a b"
    METADATA = "metadata"  # !5, !tbaa, !"str", !DILocation (the name only), or a lone "!" before {
    ATTRGROUP = "attrgroup"  # #0
    INTEGER = "integer"  # 42, -7
    FLOAT = "float"  # 1.5, -2.0e+10, 0x3FF0000000000000, 0xK..., 0xH...
    STRING = "string"  # "abc", c"abc\00"
    WORD = "word"  # keywords, types (i32, ptr, float), attribute names, opcodes
    LABEL = "label"  # foo: (a block label at the start of a line)
    PUNCT = "punct"  # , ( ) [ ] { } < > = * |
    ELLIPSIS = "ellipsis"  # ...


class Token(NamedTuple):
    kind: Kind
    text: str
    start: int
    end: int


class LexError(ValueError):
    """A character sequence that is not LLVM IR."""


_NAME = r'(?:[-a-zA-Z$._][-a-zA-Z$._0-9]*|[0-9]+|"[^"]*")'
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+|;[^\n]*)
  | (?P<local>%""" + _NAME + r""")
  | (?P<global>@""" + _NAME + r""")
  | (?P<metadata>!(?:"(?:[^"\\]|\\.)*"|[-a-zA-Z$._][-a-zA-Z$._0-9\\]*|[0-9]+)?)
  | (?P<attrgroup>\#[0-9]+)
  | (?P<label>[-a-zA-Z$._0-9]+:|"[^"]*":)
  | (?P<float>-?0x[KLMHR][0-9A-Fa-f]+|-?0x[0-9A-Fa-f]+|[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?)
  | (?P<integer>-?[0-9]+|[us]0x[0-9A-Fa-f]+)
  | (?P<string>c?"[^"]*")
  | (?P<ellipsis>\.\.\.)
  | (?P<word>[a-zA-Z_$.][-a-zA-Z$._0-9]*)
  | (?P<punct>[,()\[\]{}<>=*|])
    """,
    re.VERBOSE,
)

_KINDS = {
    "local": Kind.LOCAL,
    "global": Kind.GLOBAL,
    "metadata": Kind.METADATA,
    "attrgroup": Kind.ATTRGROUP,
    "float": Kind.FLOAT,
    "integer": Kind.INTEGER,
    "string": Kind.STRING,
    "ellipsis": Kind.ELLIPSIS,
    "label": Kind.LABEL,
    "word": Kind.WORD,
    "punct": Kind.PUNCT,
}


def tokenize(text: str) -> list[Token]:
    """Split one instruction (possibly spanning lines, as `switch` does) into tokens."""
    tokens: list[Token] = []
    append = tokens.append
    kinds = _KINDS
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        start = m.start()
        if start != pos:
            break
        pos = m.end()
        group = m.lastgroup
        if group != "ws":
            append(Token(kinds[group], m.group(), start, pos))
    if pos != len(text):
        raise LexError(f"unexpected character {text[pos]!r} at column {pos + 1} in: {text.strip()}")
    return tokens


# A local value name anywhere in a line, for use-scanning without a full tokenisation.
LOCAL_NAME_RE = re.compile(r'%(?:[-a-zA-Z$._][-a-zA-Z$._0-9]*|[0-9]+|"[^"]*")')
