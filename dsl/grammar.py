"""The text of grammar.lark, read from the installed package or from the root of a checkout."""

from __future__ import annotations

import functools
import re
from pathlib import Path


@functools.cache
def grammar_text() -> str:
    """The language's Lark grammar, read once."""
    here = Path(__file__).resolve().parent
    # A wheel ships the grammar beside this module (setup.py copies it there); a checkout, and an
    # editable install of one, keep the single copy at the repository's root.
    for path in (here / "grammar.lark", here.parent / "grammar.lark"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError("grammar.lark is missing from the pol installation")


# A keyword terminal of the grammar: `_CLAUSE.2: "clause" | "条款"`.
_TERMINAL = re.compile(r'^(?P<name>[A-Z_]+)\.\d+:\s*(?P<body>"[^\n]*)$', re.M)


@functools.cache
def keyword_spellings() -> dict[str, tuple[str, ...]]:
    """Every keyword terminal of the grammar with its spellings (English and Chinese), longest first."""
    found = {}
    for m in _TERMINAL.finditer(grammar_text()):
        spelled = tuple(sorted(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group("body")), key=len, reverse=True))
        found[m.group("name")] = spelled
    return found
