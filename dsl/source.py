"""Source files and the spans that tie every AST node back to a place in them."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Span:
    """A region of a source file, 1-based and end-inclusive in lines, end-exclusive in columns."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return attrs.evolve(self, end_line=other.end_line, end_column=other.end_column)


# Characters that act on a terminal or hide what a text says: C0 controls but tab, newline and carriage
# return (ESC starts sequences that clear the screen or write the clipboard), DEL and C1 controls, and the
# invisible format characters (bidi overrides that make "001" show as "100", zero-width spaces).
HIDDEN_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"

NOWHERE = Span(file="<builtin>", line=0, column=0, end_line=0, end_column=0)


@attrs.frozen
class SourceFile:
    """A policy file's path and text, with line lookup for diagnostics."""

    path: str
    text: str

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""
