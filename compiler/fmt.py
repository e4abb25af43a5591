"""`pol fmt`: one layout for `.pol` files — indentation by nesting, no trailing spaces, single blank lines.

The formatter changes layout only, never a token: each line is re-indented two spaces per open brace
(an `input`'s `received` line one more, a line inside open brackets two more), trailing spaces go,
runs of blank lines become one, and the file ends with one newline. Comments are re-indented with the
code around them; text inside triple quotes (originals) is kept byte for byte, so is every string.
"""

from __future__ import annotations

import attrs

INDENT = "  "
_CONTINUATIONS = ("received", "台账")


@attrs.frozen
class _Line:
    """What one line does to the nesting: braces and brackets opened and closed outside strings and comments."""

    braces: int  # opened minus closed
    brackets: int
    starts_closed: bool  # its first code character is `}`
    in_triple: bool  # a triple-quoted string is still open at its end


def _scan(line: str, in_triple: bool) -> _Line:
    braces = brackets = 0
    first_code: str | None = None
    i, n = 0, len(line)
    while i < n:
        if in_triple:
            end = line.find('"""', i)
            if end < 0:
                return _Line(braces, brackets, first_code == "}", True)
            in_triple, i = False, end + 3
            continue
        ch = line[i]
        if line.startswith('"""', i):
            first_code = first_code or ch
            in_triple, i = True, i + 3
            continue
        if ch == '"':
            first_code = first_code or ch
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if ch == "#":
            break
        if not ch.isspace():
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
    return _Line(braces, brackets, first_code == "}", in_triple)


def format_text(text: str) -> str:
    """The text in pol's layout; formatting formatted text changes nothing."""
    lines = text.replace("\r\n", "\n").split("\n")  # a lone CR is not a line break to the parser either
    out: list[str] = []
    depth = brackets = 0
    in_triple = False
    for line in lines:
        if in_triple:  # inside an original: byte for byte
            scan = _scan(line, True)
            out.append(line if scan.in_triple else line.rstrip())
        else:
            body = line.strip()
            scan = _scan(line, False)
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
            out.append(pad + (line.lstrip() if scan.in_triple else body))
        depth = max(depth + scan.braces, 0)
        brackets = max(brackets + scan.brackets, 0)
        in_triple = scan.in_triple
    # Only the last line can end in a CR (every other one was followed by LF, and CRLF is one break): with the
    # final newline added it would become a CRLF, which the next formatting would read as a plain break.
    if out:
        out[-1] = out[-1].rstrip("\r")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""
