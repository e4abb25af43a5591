"""The text of grammar.lark, read from the installed package or from the root of a checkout."""

from __future__ import annotations

import functools
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
