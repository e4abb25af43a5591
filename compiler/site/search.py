"""Other ways people write the terms of a clause (三期 for III期, 房租 for 租金, 技改 for 技术改造), so the site's
search finds it.

Search runs in the reader's browser on an index MkDocs builds, where jieba cuts the text into words; a query is
matched against those words. A clause that prints III期 is not found by 三期, nor 责任保险 by 保险 (jieba keeps it
one word), so each clause page carries, hidden, the other words of each group of synonyms.toml it prints, and
the printed word itself where jieba would not index it alone.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

SYNONYMS = Path(__file__).with_name("synonyms.toml")


@functools.cache
def groups() -> tuple[tuple[str, ...], ...]:
    """The groups of words that mean the same, from synonyms.toml."""
    data = tomllib.loads(SYNONYMS.read_text(encoding="utf-8"))
    return tuple(tuple(str(w) for w in group) for group in data["groups"])


@functools.cache
def generic() -> tuple[str, ...]:
    """Words every clause is about (补贴, 资助 …): the search leaves them out of a query that has other words."""
    data = tomllib.loads(SYNONYMS.read_text(encoding="utf-8"))
    return tuple(str(w) for w in data.get("generic", ()))


def _printed(word: str, text: str) -> bool:
    # II期 inside III期 is not II期: a word that starts with a Roman numeral counts only as a whole.
    return re.search(r"(?<![A-Za-zⅠ-Ⅻ])" + re.escape(word), text) is not None


def _indexed(text: str) -> set[str]:
    """The words the search index holds for a text, as jieba cuts it (none known without jieba)."""
    try:
        import jieba  # type: ignore[import-untyped]
    except ImportError:
        return set()
    jieba.setLogLevel(60)  # no "Building prefix dict" lines in pol's output
    return set(jieba.lcut(text))


def aliases(text: str) -> list[str]:
    """The other spellings of the terms printed in a text, for the clause's hidden search terms."""
    indexed = _indexed(text)
    found: list[str] = []
    for group in groups():
        printed = [w for w in group if _printed(w, text)]
        if not printed:
            continue
        for word in group:
            # A word of the group not in the text, or in it only inside a longer word jieba keeps whole.
            if (word not in printed or word not in indexed) and word not in found:
                found.append(word)
    return found
