"""A TextMate grammar for `.pol`, generated from grammar.lark's keywords as the Pygments lexer reads them.

Editors that take TextMate grammars (VS Code, Sublime Text, GitHub's linguist) highlight policy files
with it; `editors/vscode/build` writes it into the VS Code extension. Run `python -m pol.dsl.textmate`.
"""

from __future__ import annotations

import json
import re

from pol.dsl.highlight import _CONSTANTS, _DECLARATIONS, _FOUND, _WORDS, _pick

# A keyword is a whole word; Oniguruma, like Python's re, counts Chinese characters as \w.
_BEFORE, _AFTER = r"(?<![\w])", r"(?![\w])"
_THRESHOLD = r"[0-9０-９]+([.．][0-9０-９]+)?([^\W\d_]|[%％㎡²])*?(/([^\W\d_]|[㎡²])+?)?[ \t]*([(（]含[)）])?[ \t]*(以上|以下|以内)"
_QUANTITY = r"[0-9０-９]+([.．][0-9０-９]+)?([^\W\d_]|[%％㎡²])*(/([^\W\d_]|[㎡²])+)?"


def _words(spellings: list[str]) -> str:
    return _BEFORE + "(?:" + "|".join(re.escape(w) for w in spellings) + ")" + _AFTER


def grammar() -> dict[str, object]:
    """The TextMate grammar as JSON data, its patterns in the order the Pygments lexer tries them."""
    others = _pick(_FOUND, exclude=_DECLARATIONS + _CONSTANTS + _WORDS + ("DATE",))
    return {
        "name": "pol",
        "scopeName": "source.pol",
        "fileTypes": ["pol"],
        "patterns": [
            {"name": "comment.line.number-sign.pol", "match": "#.*$"},
            {"name": "string.quoted.triple.pol", "begin": '"""', "end": '"""', "patterns": [{"match": r"\\."}]},
            {"name": "string.quoted.double.pol", "match": r'"(?:[^"\\]|\\.)*"'},
            {"name": "constant.other.date.pol", "match": r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b"},
            {"name": "constant.numeric.threshold.pol", "match": _THRESHOLD},
            {"name": "constant.numeric.quantity.pol", "match": _QUANTITY},
            {"name": "storage.type.declaration.pol", "match": _words(_pick(_FOUND, _DECLARATIONS))},
            {"name": "constant.language.pol", "match": _words(_pick(_FOUND, _CONSTANTS))},
            {"name": "keyword.operator.word.pol", "match": _words(_pick(_FOUND, _WORDS))},
            {"name": "keyword.other.pol", "match": _words(others)},
            # A name as a whole (中药1类), so no figure or keyword is seen inside it.
            {"name": "variable.other.pol", "match": r"[^\W\d]\w*"},
            {"name": "keyword.operator.pol", "match": r">=|<=|==|!=|[≥≤<>=×*/+\-~～—|]"},
            {"name": "punctuation.separator.pol", "match": r"[,，;；:：]"},
        ],
    }


def main() -> None:
    print(json.dumps(grammar(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
