"""A Pygments lexer for `.pol`, registered by entry point so MkDocs and other tools highlight policy code."""

from __future__ import annotations

from pygments.lexer import RegexLexer, words
from pygments.token import Comment, Keyword, Literal, Name, Number, Operator, Punctuation, String, Text, Whitespace

from pol.dsl.grammar import keyword_spellings

# Which grammar terminals are shown as which kind of token. The spellings themselves are read from
# grammar.lark, so a keyword added there is highlighted without touching this file.
_DECLARATIONS = ("_POLICY", "_ENUM", "_INPUT", "_LET", "_CLAUSE", "_MEASURE", "_LIMIT")
_CONSTANTS = ("TRUE", "FALSE", "NOT_ELIGIBLE", "_CASE")
_WORDS = (
    "_AND",
    "_OR",
    "_NOT",
    "_IN",
    "_OF",
    "_DE",
    "_TO",
    "_REACH",
    "CMP_WORD",
    "SCOPE_WORD",
    "_PER",
    "_AS",
    "_ON",
    "_LABEL",
    "_BY",
    "_TIERS",
    "_ELSE",
    "_DEFAULT",
    "_MIN",
    "_MAX",
    "_EVERY",
)


def _pick(
    found: dict[str, tuple[str, ...]], names: tuple[str, ...] | None = None, exclude: tuple[str, ...] = ()
) -> list[str]:
    chosen = [w for n, ws in found.items() if (names is None or n in names) and n not in exclude for w in ws]
    return sorted(set(chosen), key=lambda w: (-len(w), w))  # longest first; a fixed order for generated files


_FOUND = keyword_spellings()
# A keyword is a whole word: not the start or end of a longer identifier (Chinese names are \w too).
_BEFORE, _AFTER = r"(?<![\w])", r"(?![\w])"


class PolLexer(RegexLexer):
    """Tokens of the .pol policy language, Chinese and English spellings alike."""

    name = "pol"
    aliases = ["pol", "policy"]
    filenames = ["*.pol"]
    mimetypes = ["text/x-pol"]
    url = "https://pypi.org/project/pol/"

    tokens = {
        "root": [
            (r"[ \t\r\n\u3000]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"""', String.Doc, "triple"),
            (r'"(?:[^"\\\n]|\\.)*"', String),
            (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", Literal.Date),
            (
                r"[0-9０-９]+([.．][0-9０-９]+)?([^\W\d_]|[%％㎡²])*?(/([^\W\d_]|[㎡²])+?)?[ \t]*([(（]含[)）])?[ \t]*(以上|以下|以内)",
                Number,
            ),
            (r"[0-9０-９]+([.．][0-9０-９]+)?([^\W\d_]|[%％㎡²])*(/([^\W\d_]|[㎡²])+)?", Number),
            (words(_pick(_FOUND, _DECLARATIONS), prefix=_BEFORE, suffix=_AFTER), Keyword.Declaration),
            (words(_pick(_FOUND, _CONSTANTS), prefix=_BEFORE, suffix=_AFTER), Keyword.Constant),
            (words(_pick(_FOUND, _WORDS), prefix=_BEFORE, suffix=_AFTER), Operator.Word),
            (
                words(
                    _pick(_FOUND, exclude=_DECLARATIONS + _CONSTANTS + _WORDS + ("DATE",)),
                    prefix=_BEFORE,
                    suffix=_AFTER,
                ),
                Keyword,
            ),
            (r"[^\W\d]\w*", Name),
            (r">=|<=|==|!=|[≥≤<>=×*/+\-~～—|]", Operator),
            (r"[{}()\[\],，;；:：]", Punctuation),
            (r".", Text),
        ],
        "triple": [
            (r'"""', String.Doc, "#pop"),
            (r'\\.|[^"\\]+|"', String.Doc),
        ],
    }
