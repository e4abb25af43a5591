"""Render diagnostics for people (`path:line:col: error[CODE]: message` with the source line) and for tools (JSON)."""

from __future__ import annotations

import json
from typing import Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape

from dsl.diagnostics import Diagnostic
from dsl.source import SourceFile


def render_text(diagnostics: Iterable[Diagnostic], sources: dict[str, SourceFile]) -> str:
    """Diagnostics as plain text: the header line, the source line with a margin, and `^~~~` under the span."""
    blocks = []
    for d in diagnostics:
        s = d.span
        lines = [f"{s.file}:{s.line}:{s.column}: {d.severity}[{d.code}]: {d.message}"]
        src = sources.get(s.file)
        text = src.line_text(s.line) if src else ""
        if text:
            margin = str(s.line)
            lines.append(f"{' ' * len(margin)} |")
            lines.append(f"{margin} | {text}")
            start = max(s.column - 1, 0)
            end = s.end_column - 1 if s.end_line == s.line else len(text)
            end = max(end, start + 1)
            # CJK characters take two columns in a terminal, so measure cells, not characters.
            pad = cell_len(text[:start].replace("\t", " "))
            width = max(cell_len(text[start:end]), 1)
            lines.append(f"{' ' * len(margin)} | {' ' * pad}^{'~' * (width - 1)}")
        for note in d.notes:
            lines.append(f"  = note: {note}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def print_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, SourceFile], console: Console) -> None:
    """Print diagnostics with colour where the terminal supports it."""
    for block in render_text(diagnostics, sources).split("\n\n"):
        styled = []
        for line in block.split("\n"):
            if ": error[" in line and not line.startswith(" "):
                head, _, rest = line.partition(": error[")
                styled.append(f"[bold]{escape(head)}:[/] [bold red]error[{escape(rest.split(']', 1)[0])}][/]"
                              f"[bold]{escape(rest.split(']', 1)[1])}[/]")
            elif ": warning[" in line and not line.startswith(" "):
                head, _, rest = line.partition(": warning[")
                styled.append(f"[bold]{escape(head)}:[/] [bold yellow]warning[{escape(rest.split(']', 1)[0])}][/]"
                              f"[bold]{escape(rest.split(']', 1)[1])}[/]")
            elif line.lstrip(" ").startswith("|") and ("^" in line):
                styled.append(f"[blue]{escape(line.split('|', 1)[0])}|[/][bold red]{escape(line.split('|', 1)[1])}[/]")
            elif "|" in line and line.split("|", 1)[0].strip().isdigit() or line.strip() == "|":
                styled.append(f"[blue]{escape(line.split('|', 1)[0])}|[/]{escape(line.split('|', 1)[1])}")
            else:
                styled.append(f"[cyan]{escape(line)}[/]")
        console.print("\n".join(styled), highlight=False, soft_wrap=True)
        console.print()


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diagnostics], ensure_ascii=False, indent=2)
