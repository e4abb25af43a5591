"""Reading an original: plain text in UTF-8 or GB18030, HTML, or a .docx, into one string as printed."""

from __future__ import annotations

import html.parser
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree


class SourceError(ValueError):
    """An original that cannot be read, with why."""


def read_original(path: Path) -> str:
    """The text of an original as printed: characters kept (full-width, traditional), line breaks normalised."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".docx":
        text = _docx(data, path)
    else:
        text = _decode(data, path)
        if suffix in (".html", ".htm") or re.match(r"\s*<(?:!doctype|html)", text, re.IGNORECASE):
            text = _html(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000\u3000", "\n")


def _decode(data: bytes, path: Path) -> str:
    # UTF-8 first (with or without a byte order mark); GB18030 covers GBK and GB2312, as government sites save.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{path}: neither UTF-8 nor GB18030 text")


class _Text(html.parser.HTMLParser):
    """The visible text of a page, a line per block (the standard library's parser: no dependency)."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(self.skip - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _html(text: str) -> str:
    parser = _Text()
    parser.feed(text)
    return "".join(parser.parts)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(data: bytes, path: Path) -> str:
    """A Word document's paragraphs (word/document.xml read with the standard library's zip and XML)."""
    try:
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            root = ElementTree.fromstring(z.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise SourceError(f"{path}: not a readable .docx ({exc})") from None
    lines = []
    for para in root.iter(f"{_W}p"):
        lines.append("".join(t.text or "" for t in para.iter(f"{_W}t")))
    return "\n".join(lines)
