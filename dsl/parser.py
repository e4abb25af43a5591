"""Parse `.pol` source text into the AST, reporting every syntax error in the file."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from pol.dsl import ast
from pol.dsl.builder import Builder
from pol.dsl.diagnostics import Diagnostic, T, Text, error
from pol.dsl.grammar import grammar_text
from pol.dsl.parse_cache import FileCache, key
from pol.dsl.source import HIDDEN_CHARACTERS, Span
from pol.dsl.words import COMPARE_WORDS, FIELD_KEYWORDS, KEYWORD_SPELLINGS, TERMINAL_NAMES

BROKEN_HEADER = "<policy header>"  # in broken_names when the header failed to parse


TOP_LEVEL = re.compile(
    r"^(policy|政策|enum|枚举|input|输入|let|定义|limit|限额|clause|条款|measure|措施|example|示例)[\s{]"
)


# The names a declaration that failed to parse would have defined: references to them are not reported again.
_DECL_NAME = re.compile(r"^(?:enum|枚举|input|输入|let|定义|clause|条款|measure|措施)\s+([^\W\d]\w*)")


@functools.cache
def _lark() -> Lark:
    # cache=True keeps Lark's parse tables in the temporary folder, keyed by a hash of the grammar and
    # the options: a command loads them in milliseconds instead of rebuilding them on every run.
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=False, cache=True)


class ParseResult:
    """The module parsed from a file, the diagnostics found, and names whose declarations failed to parse."""

    def __init__(
        self,
        module: ast.Module,
        diagnostics: list[Diagnostic],
        broken_names: set[str],
        layout: tuple[Diagnostic, ...] = (),
    ):
        self.module = module
        self.diagnostics = diagnostics
        self.broken_names = broken_names
        # Errors of layout alone, read as the drafter meant (an `example` at column 0 in a clause): `pol fmt` fixes them.
        self.layout = layout


def parse(text: str, path: str = "<string>") -> ParseResult:
    """Parse a whole policy file, one top-level declaration at a time so one error does not hide the next."""
    decls: list[ast.Decl] = []
    diagnostics: list[Diagnostic] = []
    broken: set[str] = set()
    layout: list[Diagnostic] = []
    chunks = _chunks(text)
    cache = FileCache(path)
    while chunks:
        first_line, chunk = chunks.pop(0)
        known = key(chunk)
        if (kept := cache.get(known, first_line)) is not None:  # parsed cleanly before, word for word
            decls.extend(kept)
            continue
        builder = Builder(path, first_line - 1)
        failed = False
        try:
            tree = _lark().parse(chunk)
            _check_strings(tree, builder)
            parsed = builder.build(tree)
        except UnexpectedInput as exc:
            if (joined := _example_at_column_0(exc, chunk, chunks, path)) is not None:
                chunks[0] = (first_line, joined[0])  # parse the clause whole, once, with the example in it
                diagnostics.append(joined[1])
                layout.append(joined[1])
                continue
            diagnostics.append(_syntax_error(exc, chunk, path, first_line - 1))
            parsed, failed = [], True
        except RecursionError:  # the parse tree is deeper than Python's stack
            _too_deep(builder, chunk, first_line)
            parsed = []
        if isinstance(parsed, list):
            for decl in parsed:
                if nesting(decl) > MAX_NESTING:
                    _too_deep(builder, chunk, first_line)
                    break
        if failed or builder.diagnostics or not isinstance(parsed, list):
            diagnostics.extend(builder.diagnostics)
            broken.update(m.group(1) for line in chunk.splitlines() if (m := _DECL_NAME.match(line)))
            if re.match(r"\s*(policy|政策)\b", chunk):
                broken.add(BROKEN_HEADER)
            continue
        cache.put(known, first_line, parsed)
        decls.extend(parsed)
    cache.save()
    return ParseResult(ast.Module(path=path, decls=tuple(decls)), diagnostics, broken, tuple(layout))


def _example_at_column_0(
    exc: UnexpectedInput, chunk: str, rest: list[tuple[int, str]], path: str
) -> tuple[str, Diagnostic] | None:
    """A clause cut short by an `example` written at column 0: the two chunks joined, and the one error to report.

    Column 0 starts a declaration, so such an example reads as the document's own and ends the clause above,
    which then reports a missing '}' and leaves a stray one after the example. Joined, the clause parses whole.
    """
    if not isinstance(exc, UnexpectedEOF | UnexpectedToken) or not rest:
        return None
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return None
    line, following = rest[0]
    if not re.match(r"(example|示例)[\s{]", following) or not re.match(r"\s*(clause|条款|measure|措施)\b", chunk):
        return None
    joined = chunk + "\n" + following
    try:
        _lark().parse(joined)
    except UnexpectedInput:
        return None
    word = following.split(None, 1)[0].split("{")[0]
    span = Span(file=path, line=line, column=1, end_line=line, end_column=len(word) + 1)
    return joined, error(
        "POL001",
        T(
            f"第 {line} 行的 {word} 从第 1 列写起，被读作整份文件的算例，于是提前结束了上面的条款",
            f"the {word} on line {line} starts at column 0, so it reads as the document's own and ends the clause above",
        ),
        span,
        T(
            "它属于上面的条款：像条款的其他项目一样缩进两格，或运行 `pol fmt` 把它缩进",
            "it belongs to the clause above: indent it by two spaces like the clause's other items, "
            "or run `pol fmt`, which does",
        ),
    )


# Characters a string may not hold: controls other than tab and newline, and the invisible format
# characters (bidi overrides that make "001" display as "100", zero-width spaces inside a figure). They
# hide what a text says from the reader, the site and `pol lint`, and no policy document needs them.
_HIDDEN = re.compile(f"[{HIDDEN_CHARACTERS}]")


def _check_strings(tree: Any, builder: Builder) -> None:
    """Report each string holding a hidden character, at that character."""
    for token in tree.scan_values(lambda v: isinstance(v, Token) and v.type == "STRING"):
        m = _HIDDEN.search(token.value)
        if m is None:
            continue
        before = token.value[: m.start()]
        line = token.line + before.count("\n")
        column = (m.start() - before.rfind("\n")) if "\n" in before else token.column + m.start()
        name = unicodedata.name(m.group(), f"U+{ord(m.group()):04X}")
        span = Span(
            file=builder.path,
            line=line + builder.line_offset,
            column=column,
            end_line=line + builder.line_offset,
            end_column=column + 1,
        )
        builder.diagnostics.append(
            error(
                "POL003",
                T(
                    f"字符串中有不可见字符 U+{ord(m.group()):04X}（{name}）",
                    f"the string holds the invisible character U+{ord(m.group()):04X} ({name})",
                ),
                span,
                T(
                    "它会让文字读起来与实际不同，或把一个数额藏起来不让 `pol lint` 看到；请删除",
                    "it can make the text read differently from what it says, or hide a figure from `pol lint`; delete it",
                ),
            )
        )


# How deeply a declaration's syntax tree may nest. The bundled policies reach 10; a limit well above
# that still keeps the checker's recursion and the generated Python (at most 200 nested brackets)
# within bounds, so a pathological expression is refused with a message instead of crashing.
MAX_NESTING = 60


def nesting(node: object) -> int:
    """The depth of a syntax tree, measured without recursion so that any depth can be measured."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        if d > deepest:
            deepest = d
        if type(n) is tuple:
            stack.extend((x, d) for x in n)
            continue
        names = ast.field_names(type(n))
        if names:
            for name in names:
                v = getattr(n, name)
                if type(v) is tuple or ast.field_names(type(v)) is not None:
                    stack.append((v, d + 1))
    return deepest


def _too_deep(builder: Builder, chunk: str, first_line: int) -> None:
    """Refuse a declaration nested beyond MAX_NESTING, pointing at its first line."""
    width = len(chunk.split("\n", 1)[0]) or 1
    span = Span(file=builder.path, line=first_line, column=1, end_line=first_line, end_column=width + 1)
    builder.diagnostics.append(
        error(
            "POL004",
            T(f"这个声明嵌套超过 {MAX_NESTING} 层", f"this declaration is nested more than {MAX_NESTING} levels deep"),
            span,
            T("用 `let` 把长表达式拆成有名称的部分", "split a long expression into named parts with `let`"),
        )
    )


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split the text at lines that begin a top-level declaration in column 0, outside triple-quoted strings."""
    starts = [0]
    in_triple = False
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if not in_triple and number > 0 and TOP_LEVEL.match(line):
            starts.append(number)
        if line.count('"""') % 2 == 1:
            in_triple = not in_triple
    starts.append(len(lines))
    return [
        (a + 1, "\n".join(lines[a:b]))
        for a, b in zip(starts, starts[1:], strict=False)
        if "\n".join(lines[a:b]).strip()
    ]


# The grammar's terminals as a drafter would name them in Chinese; punctuation is shown as itself.
_TERMINAL_ZH = {
    "NAME": "名称",
    "QUANTITY": "数",
    "THRESHOLD": "门槛（如 50万元以上）",
    "STRING": "字符串",
    "DATE": "日期",
}


def _describe_terminal(name: str) -> Text:
    en = TERMINAL_NAMES.get(name) or KEYWORD_SPELLINGS.get(name) or name.lower()
    return T(_TERMINAL_ZH.get(name, en), en)


def _describe_token(token: Token) -> Text:
    if token.type == "$END":
        return T("文件结尾", "end of file")
    if token.type in ("NAME", "QUANTITY", "STRING", "THRESHOLD", "DATE"):
        kind = _describe_terminal(token.type)
        return T(f"{kind.zh}“{token.value}”", f"{kind.en} '{token.value}'")
    return T(f"“{token.value}”", f"'{token.value}'")


# Full-width punctuation a Chinese input method gives, and the ASCII the grammar reads.
_FULL_WIDTH = {
    "（": "(",
    "）": ")",
    "：": ":",
    "，": ",",
    "｛": "{",
    "｝": "}",
    "＝": "=",
    "＞": ">",
    "＜": "<",
    "；": ";",
    "＋": "+",
    "－": "-",
    "＊": "*",
    "／": "/",
    "【": "[",
    "】": "]",
    "［": "[",
    "］": "]",
    "＂": '"',
    "　": "a space",
}


def _syntax_error(exc: UnexpectedInput, chunk: str, path: str, offset: int) -> Diagnostic:
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    notes: list[Text] = []
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = chunk[pos] if pos < len(chunk) else ""
        message = T(f"意外的字符“{char}”", f"unexpected character '{char}'")
        if char in "“”":
            notes.append(T('字符串写在直引号 "…" 之间', 'strings are written between straight quotes "…"'))
        elif char in _FULL_WIDTH:
            # A Chinese input method types these; the language's punctuation is ASCII.
            ascii_form = _FULL_WIDTH[char]
            notes.append(
                T(
                    f"“{char}”是全角形式；请写半角的“{'空格' if ascii_form == 'a space' else ascii_form}”",
                    f"'{char}' is the full-width form; write the ASCII '{ascii_form}'",
                )
            )
        span = Span(file=path, line=line + offset, column=column, end_line=line + offset, end_column=column + 1)
        return error("POL001", message, span, *notes)
    if isinstance(exc, UnexpectedEOF):
        last = chunk.rstrip().split("\n")
        end_line = len(last) + offset
        span = Span(file=path, line=end_line, column=len(last[-1]) + 1, end_line=end_line, end_column=len(last[-1]) + 2)
        return error(
            "POL001",
            T("声明意外结束；是不是少了一个“}”？", "unexpected end of the declaration; is a '}' missing?"),
            span,
        )
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected_terms = sorted(
        {_describe_terminal(t) for t in exc.expected if not t.startswith("__")}, key=lambda text: text.en
    )
    expected = [text.en for text in expected_terms]
    if token.type == "$END":
        lines = chunk.rstrip().split("\n")
        end_line = len(lines) + offset
        span = Span(
            file=path, line=end_line, column=len(lines[-1]) + 1, end_line=end_line, end_column=len(lines[-1]) + 2
        )
        return error(
            "POL001",
            T("声明意外结束；是不是少了一个“}”？", "unexpected end of the declaration; is a '}' missing?"),
            span,
        )
    end_column = token.end_column if token.end_line == token.line else column + 1
    span = Span(
        file=path, line=line + offset, column=column, end_line=line + offset, end_column=end_column or column + 1
    )
    message = T("意外的", "unexpected ") + _describe_token(token)
    if token.type == "NAME" and "title" in expected and "grant" in expected and len(expected) > 8:
        message = T(f"“{token.value}”不是条款的项目", f"'{token.value}' is not a clause item")
        close = difflib.get_close_matches(token.value, FIELD_KEYWORDS, n=1)
        if close:
            notes.append(T(f"是不是“{close[0]}”？", f"did you mean '{close[0]}'?"))
        notes.append(T("条款可包含：" + "、".join(FIELD_KEYWORDS), "a clause holds: " + ", ".join(FIELD_KEYWORDS)))
    elif expected_terms:
        shown = expected_terms if len(expected_terms) <= 8 else [*expected_terms[:8], T("…", "…")]
        message += T("；应为" + "、".join(t.zh for t in shown), "; expected " + ", ".join(t.en for t in shown))
    if token.type in ("NAME", "QUANTITY"):
        glued = [
            w
            for w in set(COMPARE_WORDS) | set(KEYWORD_SPELLINGS.values())
            if w in token.value and w != token.value and not w.isascii()
        ]
        if glued:
            word = sorted(glued, key=len)[-1]
            notes.append(
                T(
                    f"“{token.value}”中含有关键词“{word}”：中文关键词与名称、数字之间要用空格隔开，"
                    "例如“年亩产税收 50万 以上”",
                    f"'{token.value}' contains the keyword '{word}': Chinese keywords must be "
                    "separated from names and numbers by spaces, as in '年亩产税收 50万 以上'",
                )
            )
    return error("POL001", message, span, *notes)
