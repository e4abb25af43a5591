"""`pol fmt`: one layout for `.pol` files — indentation by nesting, no trailing spaces, single blank lines.

The formatter changes layout only, never a token: each line is re-indented two spaces per open brace
(an `input`'s `received` line one more, a line inside open brackets two more), trailing spaces go,
runs of blank lines become one, and the file ends with one newline. Comments are re-indented with the
code around them. Strings are found as the lexer finds them, over the whole text, so a line that starts
inside a string (a triple-quoted original, or a "…" continued with a backslash at the end of the line)
keeps its leading spaces and blank lines, and a line that ends inside one keeps its trailing spaces.
"""

from __future__ import annotations

import re

import attrs

from pol.dsl.diagnostics import Diagnostic

INDENT = "  "
_BLANK = " \t\r\u3000"  # what the lexer skips between tokens: the only characters layout may add or drop
_CONTINUATIONS = ("received", "台账")

# What the lexer reads as one token that may hold braces, `#` or line breaks: the grammar's STRING and
# COMMENT, and, for a file that does not parse, a string left open (a triple-quoted one runs to the end
# of the file, a "…" one to the end of its line), so that formatting such a file changes nothing inside it.
_OPAQUE = re.compile(
    r'(?P<string>"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*")'
    r'|(?P<open>"""[\s\S]*|"[^\n]*)'
    r"|(?P<comment>#[^\n]*)",
    re.S,
)


@attrs.frozen
class _Line:
    """What one line does to the nesting, and whether it starts or ends inside a string."""

    braces: int  # opened minus closed, outside strings and comments
    brackets: int
    starts_closed: bool  # its first code character is `}`
    starts_in_string: bool  # its first character belongs to a string begun on an earlier line
    ends_in_string: bool  # the string goes on past its end


def _scan(text: str) -> list[_Line]:
    """One `_Line` per line of `text` (split at "\\n")."""
    lines: list[_Line] = []
    braces = brackets = 0
    first_code: str | None = None
    starts_in_string = False
    i, n = 0, len(text)

    def end_line(ends_in_string: bool) -> None:
        nonlocal braces, brackets, first_code, starts_in_string
        lines.append(_Line(braces, brackets, first_code == "}", starts_in_string, ends_in_string))
        braces = brackets = 0
        first_code, starts_in_string = None, ends_in_string

    while i < n:
        ch = text[i]
        if ch in '"#':
            match = _OPAQUE.match(text, i)
            assert match is not None  # every alternative matches at a quote or a hash
            if ch == '"':
                first_code = first_code or ch
            # A token spanning lines: every line break inside it ends a line that goes on in the string.
            for _ in range(match.group().count("\n")):
                end_line(ch == '"')
            i = match.end()
            continue
        if ch == "\n":
            end_line(False)
        else:
            if ch not in _BLANK:
                first_code = first_code or ch
            if ch == "{":
                braces += 1
            elif ch == "}":
                braces -= 1
            elif ch in "([":
                brackets += 1
            elif ch in ")]":
                brackets -= 1
        i += 1
    end_line(False)
    return lines


def unparsed(text: str, path: str = "<string>") -> Diagnostic | None:
    """The first error the parser reports in a text, or None: a text that does not parse is not formatted.

    Where a declaration starts is where the parser recovers from an error, so re-indenting a broken file could
    change what the rest of it is read as; like other formatters, pol leaves such a file as it is.
    """
    from pol.dsl.parser import parse

    parsed = parse(text, path)
    # An error of layout alone (an `example` at column 0 inside a clause) is read as meant: formatting fixes it.
    return next((d for d in parsed.diagnostics if d.severity == "error" and d not in parsed.layout), None)


def format_text(text: str) -> str:
    """The text in pol's layout; formatting formatted text changes nothing."""
    text = text.replace("\r\n", "\n")  # a lone CR is not a line break to the parser either
    out: list[str] = []
    depth = brackets = 0
    for line, scan in zip(text.split("\n"), _scan(text), strict=True):
        if scan.starts_in_string:  # inside a string: byte for byte, up to where the string ends
            out.append(line if scan.ends_in_string else line.rstrip(_BLANK))
        else:
            body = line.strip(_BLANK)
            if not body:
                if out and out[-1] != "":
                    out.append("")
                continue
            level = max(depth - (1 if scan.starts_closed else 0), 0)
            pad = INDENT * level
            if brackets > 0:
                pad += INDENT * 2
            elif body.split(" ", 1)[0] in _CONTINUATIONS:
                pad += INDENT
            # Trailing spaces go, unless the line ends inside a string that continues on the next.
            out.append(pad + (line.lstrip(_BLANK) if scan.ends_in_string else body))
        depth = max(depth + scan.braces, 0)
        brackets = max(brackets + scan.brackets, 0)
    # Only the last line can end in a CR (every other one was followed by LF, and CRLF is one break): with the
    # final newline added it would become a CRLF, which the next formatting would read as a plain break.
    if out:
        out[-1] = out[-1].rstrip("\r")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""
