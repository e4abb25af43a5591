"""A policy text cut into its numbered provisions: 第X条, 一、 (一) 1. as the document numbers them.

Texts come as printed: a heading at the start of a line, or inline after a run of spaces (a web page saved as
one line), or after a sentence that ends; numbering restarts in each 附件. Each provision keeps its text
exactly as printed, with the article it is numbered under in the form the hand encodings use (四(二), 二(一)1,
第六条).
"""

from __future__ import annotations

import re
import unicodedata

import attrs

_CN = "一二三四五六七八九十百零〇"
# Each marker with its level: 0 a chapter (第一章, no article), 1 an article, 2 a sub-article, 3 an item.
_MARKERS = re.compile(
    rf"(?P<chapter>第[{_CN}]+章)"
    rf"|(?P<article>第[{_CN}]+条)"
    rf"|(?P<top>[{_CN}]+)、"
    rf"|[(（](?P<sub>[{_CN}]+)[)）]"
    r"|(?P<item>\d{1,2})\s*[.、．﹒](?!\d)"
    r"|(?P<annex>附件\s*\d*)(?=\s*\n|\s{2,}|$)"
)
# Where a heading may begin: the start, a new line, a run of spaces, or the end of a sentence.
_BOUNDARY = re.compile(r"(?:^|\n|\s{2,}|[。；;:：]\s*)$")


@attrs.frozen
class Provision:
    """One numbered provision: its article (四(二)), its heading's own title when it has one, and its text."""

    article: str
    text: str
    start: int  # where the text begins in the original, for messages
    annex: str | None = None  # 附件3 when the provision is in an attachment

    @property
    def title(self) -> str | None:
        """A short heading the provision opens with (支持创新药研发。), if it has one."""
        m = re.match(r"\s*([^。；，,;：:\n]{2,24}?)[。:：]", self.text) or re.match(
            r"\s*([^\s。；，,;：:]{2,12})[\s\u00a0\u3000]+[^\s\d０-９]", self.text
        )
        return m.group(1).strip() if m and not re.search(r"\d", m.group(1)) else None


def _plain(text: str) -> str:
    """The text with each character normalised on its own (full-width digits, ﹒), so positions stay put."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def provisions(text: str) -> list[Provision]:
    """The provisions of a text in order, each with its article; text before the first heading is left out."""
    plain = _plain(text)
    marks: list[tuple[int, int, int, str]] = []  # start, end, level, label
    for m in _MARKERS.finditer(plain):
        if not _BOUNDARY.search(plain[max(m.start() - 40, 0) : m.start()]):
            continue
        kind = m.lastgroup or ""
        label = m.group(kind)
        level = {"chapter": 0, "article": 1, "top": 1, "sub": 2, "item": 3, "annex": -1}[kind]
        marks.append((m.start(), m.end(), level, label))
    # Items (1. 2.) are provisions of their own when nothing numbers above them; else before any article they
    # are a list in the preamble.
    articles = any(level in (1, 2) for _, _, level, _ in marks)
    out: list[Provision] = []
    path: dict[int, str] = {}
    annex: str | None = None
    for i, (_, end, level, label) in enumerate(marks):
        if level == -1:
            annex, path = re.sub(r"\s+", "", label), {}
            continue
        if level == 0:
            path = {}
            continue
        if level == 3 and articles and 2 not in path and 1 not in path:
            continue  # a bare "1." before any article: a list in the preamble, not a provision
        path = {k: v for k, v in path.items() if k < level}
        path[level] = label if level != 2 else f"({label})"
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        body = text[end:stop].strip()
        if not body:
            continue
        article = "".join(path[k] for k in sorted(path))
        out.append(Provision(article, body, end, annex))
    # A heading whose text is only its own title (二、支持研发创新和产业化) holds its sub-provisions: not one itself.
    return [p for k, p in enumerate(out) if not _only_heading(p, out[k + 1] if k + 1 < len(out) else None)]


def _only_heading(p: Provision, nxt: Provision | None) -> bool:
    if nxt is None or not nxt.article.startswith(p.article) or nxt.article == p.article:
        return False
    return len(p.text) <= 30 and not re.search(r"\d", p.text)
