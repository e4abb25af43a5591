"""Markdown building blocks for the site: escaping policy text, tables, indented blocks and code fences."""

from __future__ import annotations

import html
import re

# Python-Markdown gives these ASCII characters a meaning (emphasis, links, headings, lists, tables,
# attribute lists) and lets a backslash make each one literal.
_BACKSLASHED = set("\\`*_{}[]()#+-.!|")
# These cannot be backslash-escaped, so they become entities: `<`, `>` and `&` so no policy text can
# open an HTML tag, an autolink or an entity of its own; `?` so a line cannot start a collapsible
# block (`???`); `~` so a line of them cannot open a fenced code block. A setext underline (`===`) needs the line above it, and escaped text never has one.
# `~` so a line of them cannot open a fenced code block (`~~~`) or strike text through.
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "?": "&#63;", "~": "&#126;"}


class Md(str):
    """Markdown pol wrote itself, any policy text in it escaped: written into a page as it is.

    What builds a page's parts (tables, links) escapes every plain `str` it is given and only an `Md` passes
    as it is, so a string that reaches a page without escaping is one somebody marked, not one forgotten.
    Joining `Md` values with f-strings gives a plain `str` again: mark the result with `Md(...)` where every
    part of it is pol's own or escaped.
    """

    __slots__ = ()


def escape(text: str) -> Md:
    """Policy text made inert: it renders as exactly these characters, never as markup or HTML."""
    out = []
    for ch in text:
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in _BACKSLASHED:
            out.append("\\" + ch)
        elif ch in "\r\t" or ord(ch) < 32:
            out.append(" ")
        else:
            out.append(ch)
    return Md("".join(out))


def inline(text: str) -> Md:
    """Escaped text kept on one line, for table cells, headings and list items; `Md` stays as it is."""
    if isinstance(text, Md):
        return text
    return escape(re.sub(r"\s*\n\s*", " ", text).strip())


def paragraphs(text: str) -> list[str]:
    """Escaped text as Markdown paragraphs, one per line of the original, blank lines between."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            out += ["", inline(line)] if out else [inline(line)]
    return out


def table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> list[str]:
    """A Markdown table; a cell that is not `Md` is escaped."""
    marks = {"left": "---", "right": "---:", "center": ":---:"}
    align = align or ["left"] * len(header)
    lines = ["| " + " | ".join(map(inline, header)) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(inline(cell) or " " for cell in row) + " |" for row in rows]
    return lines


def indent(lines: list[str], by: int = 4) -> list[str]:
    """Lines indented to sit inside an admonition or a collapsible block."""
    pad = " " * by
    return [pad + line if line else "" for line in lines]


def fence(code: str, language: str) -> list[str]:
    """A fenced code block that no backtick run inside `code` can close early."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    marker = "`" * max(3, longest + 1)
    return [f"{marker} {language}", *code.rstrip("\n").split("\n"), marker]


def link(text: str, target: str) -> Md:
    """A link with escaped text; the target is built by pol from file names and clause ids, never policy prose."""
    return Md(f"[{inline(text)}]({target})")


def web_link(url: str, safe: re.Pattern[str]) -> Md:
    """A link to an address outside the site, as HTML with its address escaped; text when `safe` refuses it."""
    if not safe.fullmatch(url):
        return inline(url)
    return Md(f'<a href="{html.escape(url, quote=True)}">{inline(url)}</a>')
