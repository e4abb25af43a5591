"""Render diagnostics for people (`path:line:col: error[CODE]: message` with the source line) and for tools (JSON)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape as escape_markup

from pol.dsl.diagnostics import Diagnostic, Lang
from pol.dsl.source import HIDDEN_CHARACTERS, SourceFile

# What a terminal would act on rather than show; a carriage return too, which could overwrite a line.
# Tabs and newlines are kept.
_UNSAFE = re.compile(f"[{HIDDEN_CHARACTERS}\r]")


def printable(text: str) -> str:
    """Text with every character a terminal would act on shown as an escape such as \\x1b or \\u202e."""
    return _UNSAFE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def escape(text: str) -> str:
    """Text safe to print through rich: markup escaped and control characters made visible."""
    return escape_markup(printable(str(text)))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact: amounts are never turned into binary floats
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value: Any) -> str:
    """JSON for people and tools alike: Chinese kept as is, but no raw control or bidi character."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=_plain)
    # json escapes C0 controls itself; DEL, C1 and the format characters are escaped here the same way.
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_text(diagnostics: Iterable[Diagnostic], sources: dict[str, SourceFile], lang: Lang = "zh") -> str:
    """Diagnostics as plain text: the header line, the source line with a margin, and `^~~~` under the span."""
    blocks = []
    for d in diagnostics:
        s = d.span
        # The header keeps the form tools parse (`path:line:col: error[CODE]: …`) in either language.
        lines = [printable(f"{s.file}:{s.line}:{s.column}: {d.severity}[{d.code}]: {d.message_in(lang)}")]
        src = sources.get(s.file)
        text = src.line_text(s.line) if src else ""
        # Columns count characters of the line as written; each control shown as an escape widens it.
        shown_start = len(printable(text[: max(s.column - 1, 0)]))
        end_col = s.end_column - 1 if s.end_line == s.line else len(text)
        shown_end = len(printable(text[: max(end_col, 0)]))
        text = printable(text)
        if text:
            margin = str(s.line)
            lines.append(f"{' ' * len(margin)} |")
            lines.append(f"{margin} | {text}")
            start, end = shown_start, max(shown_end, shown_start + 1)
            # CJK characters take two columns in a terminal, so measure cells, not characters.
            pad = cell_len(text[:start].replace("\t", " "))
            width = max(cell_len(text[start:end]), 1)
            lines.append(f"{' ' * len(margin)} | {' ' * pad}^{'~' * (width - 1)}")
        for note in d.notes_in(lang):
            lines.append(f"  = {'提示' if lang == 'zh' else 'note'}: {printable(note)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def print_diagnostics(
    diagnostics: list[Diagnostic], sources: dict[str, SourceFile], console: Console, lang: Lang = "zh"
) -> None:
    """Print diagnostics with colour where the terminal supports it."""
    for block in render_text(diagnostics, sources, lang).split("\n\n"):
        styled = []
        for line in block.split("\n"):
            if ": error[" in line and not line.startswith(" "):
                head, _, rest = line.partition(": error[")
                styled.append(
                    f"[bold]{escape(head)}:[/] [bold red]error[{escape(rest.split(']', 1)[0])}][/]"
                    f"[bold]{escape(rest.split(']', 1)[1])}[/]"
                )
            elif ": warning[" in line and not line.startswith(" "):
                head, _, rest = line.partition(": warning[")
                styled.append(
                    f"[bold]{escape(head)}:[/] [bold yellow]warning[{escape(rest.split(']', 1)[0])}][/]"
                    f"[bold]{escape(rest.split(']', 1)[1])}[/]"
                )
            elif line.lstrip(" ").startswith("|") and ("^" in line):
                styled.append(f"[blue]{escape(line.split('|', 1)[0])}|[/][bold red]{escape(line.split('|', 1)[1])}[/]")
            elif "|" in line and line.split("|", 1)[0].strip().isdigit() or line.strip() == "|":
                styled.append(f"[blue]{escape(line.split('|', 1)[0])}|[/]{escape(line.split('|', 1)[1])}")
            else:
                styled.append(f"[cyan]{escape(line)}[/]")
        console.print("\n".join(styled), highlight=False, soft_wrap=True)
        console.print()


def render_json(diagnostics: Iterable[Diagnostic], lang: Lang = "zh") -> str:
    return to_json([d.to_json(lang) for d in diagnostics])
