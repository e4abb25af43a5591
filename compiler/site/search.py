"""Other ways people write the terms of a clause (三期 for III期, 房租 for 租金), so the site's search finds it.

Search runs in the reader's browser on an index MkDocs builds, where jieba cuts the text into words; a
query is matched against those words. A clause that prints III期 is not found by 三期, so each clause page
carries, hidden, the other spellings of the terms it prints.
"""

from __future__ import annotations

import re

# (as printed, as people also write it)
ALIASES = (
    ("III期", "三期"),
    ("II期", "二期"),
    ("I期", "一期"),
    ("Ⅲ期", "三期"),
    ("Ⅱ期", "二期"),
    ("租金", "房租"),
    ("房租", "租金"),
    ("首台（套）", "首台套"),
    ("首台(套)", "首台套"),
    ("特殊医学用途配方食品", "特医食品"),
    ("外商投资", "外资"),
    ("注册证书", "注册证"),
)


def aliases(text: str) -> list[str]:
    """The other spellings of the terms printed in a text, for the clause's hidden search terms."""
    found = []
    for printed, alias in ALIASES:
        # II期 inside III期 is not II期: a Roman numeral counts only as a whole.
        if re.search(r"(?<![A-Za-z])" + re.escape(printed), text) and alias not in text and alias not in found:
            found.append(alias)
    return found
