"""`pol fmt`: one layout, idempotent, tokens and strings untouched, and the bundled policies kept in it."""

from __future__ import annotations

import random
from typing import Any

import pytest
from conftest import POLICIES, ROOT
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from pol.compiler.cli import main
from pol.compiler.drafting.fmt import _scan, format_text, unparsed
from pol.dsl import ast
from pol.dsl.grammar import grammar_text
from pol.dsl.parser import parse
from pol.dsl.source import Span

FILES = sorted(POLICIES.glob("*.pol"))


def without_spans(node: Any) -> Any:
    """The syntax tree with every source position left out: what formatting must not change."""
    if isinstance(node, tuple):
        return tuple(without_spans(x) for x in node)
    names = ast.field_names(type(node))
    if names is None:
        return node
    kept = (n for n in names if n != "path" and not isinstance(getattr(node, n), Span))
    return (type(node).__name__, *((n, without_spans(getattr(node, n))) for n in kept))


def test_the_bundled_policies_are_laid_out_the_one_way(capsys) -> None:
    assert main(["fmt", "--check", str(POLICIES)]) == 0
    assert "0 个需要重排" in capsys.readouterr().err


def _layout_lines(text: str) -> list[bool]:
    """For each line, whether its layout may change: it neither opens nor continues a multi-line string."""
    return [not (scan.starts_in_string or scan.ends_in_string) for scan in _scan(text)]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, len(FILES) - 1),
    seed=st.integers(0, 2**32),
    crlf=st.booleans(),
)
def test_any_layout_of_a_policy_formats_back_to_it(index, seed, crlf) -> None:
    original = FILES[index].read_text(encoding="utf-8")
    rng = random.Random(seed)
    lines = original.split("\n")
    free = _layout_lines(original)
    messy = []
    for line, may in zip(lines, free, strict=True):
        if may and line.strip():
            line = rng.choice(["", " ", "    ", "\t", "        "]) + line.strip() + rng.choice(["", " ", "\t  "])
        messy.append(line)
        if may and not line.strip() and rng.random() < 0.5:  # a blank line becomes several
            messy.extend([rng.choice(["", "  "])] * rng.randint(1, 3))
    text = "\n".join(messy)
    text = text.replace("\n", "\r\n") if crlf else text
    assert format_text(text) == original


_GENERATED = from_lark(Lark(grammar_text(), parser="lalr"), start="start")


def _layout_only(text: str) -> None:
    formatted = format_text(text)
    assert format_text(formatted) == formatted
    before, after = parse(text, "g.pol"), parse(formatted, "g.pol")
    if unparsed(text) is not None:
        return  # pol fmt leaves a file that does not parse as it is (test_a_file_that_does_not_parse_is_left_alone)
    assert [d.code for d in before.diagnostics] == [d.code for d in after.diagnostics]
    assert without_spans(before.module) == without_spans(after.module)


@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=_GENERATED)
@example(text='policyA{}#policyA{A"""\n"""}#\r')  # a CR at the very end, inside an unterminated string
@example(text="inputA:Adefault0\n\u3000example{expectnot_eligible}limit0policy#A{}")  # an indented declaration
def test_formatting_changes_layout_only(text) -> None:
    _layout_only(text)


@pytest.mark.long
@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=_GENERATED)
def test_formatting_changes_layout_only_on_many_generated_files(text) -> None:
    _layout_only(text)


def test_fmt_rewrites_in_place_and_check_reports(tmp_path, capsys) -> None:
    path = tmp_path / "p.pol"
    path.write_text('policy p {\n      title: "测试"   \n}\n\n\n\ninput 费用: money\n', encoding="utf-8")
    assert main(["fmt", "--check", str(path)]) == 1
    assert "需要重排：" in capsys.readouterr().err
    assert main(["fmt", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == 'policy p {\n  title: "测试"\n}\n\ninput 费用: money\n'
    assert main(["fmt", "--check", str(path)]) == 0


def _tokens(text: str) -> list[tuple[str, str]]:
    """The token stream as the lexer reads it (line endings read as the parser reads them)."""
    from pol.dsl.parser import _lark

    return [(t.type, t.value) for t in _lark().lex(text.replace("\r\n", "\n"))]


_BLANKS = st.sampled_from(["", " ", "  ", "\t", "\u3000", "    "])
_PIECE = st.sampled_from(["文字", "a b", "{", "}", "(", "#", "\\\\", '\\"', "\\n", "\u3000", "  ", "\t", "]"])


@st.composite
def _string(draw) -> str:
    """A string literal in any form the grammar allows, its inside full of what a line scanner gets wrong."""
    pieces = draw(st.lists(_PIECE, max_size=6))
    if draw(st.booleans()):  # a "…" string, maybe continued over lines with a backslash before the break
        out = []
        for piece in pieces:
            out.append(piece)
            if draw(st.integers(0, 3)) == 0:
                out.append("\\\n" + draw(_BLANKS))
        return '"' + "".join(out) + '"'
    lines = []  # a triple-quoted one: blank lines, indented lines, trailing spaces, a lone quote
    for piece in pieces:
        lines.append(draw(_BLANKS) + piece + draw(st.sampled_from(["", '"', '""', " ", "\t"])))
        lines.extend([draw(_BLANKS)] * draw(st.integers(0, 2)))
    return '"""' + "\n".join(lines) + draw(st.sampled_from(["", "\n"])) + '"""'


@st.composite
def _policy_with_strings(draw) -> str:
    """A policy whose every kind of string slot holds a generated string, laid out carelessly."""
    s = lambda: draw(_string())  # noqa: E731
    lines = [
        f"policy p {{ title: {s()} issuer: {s()}",
        "}",
        f"input 费用: money {s()}",
        f"clause 补助 {s()} {{",
        f"title: {s()}",
        f"original: {s()}",
        f"note: {s()}",
        "grant 费用 × 10%",
        f"example {s()} {{ 费用 = 100万 expect 10万 }}",
        "}",
    ]
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    return sep.join(draw(_BLANKS) + line + draw(_BLANKS) for line in lines) + sep


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=_policy_with_strings())
@example(text='policy p {\n  title: "生物医药 \\\n    产业政策"\n}\ninput 费用: money """\n\n  甲\n\n"""\n')
def test_formatting_keeps_every_token_of_every_string_form(text) -> None:
    from lark.exceptions import LarkError

    try:
        before = _tokens(text)
    except LarkError:  # a quote just before the closing three ends the string early: not a file to format
        assume(False)
    formatted = format_text(text)
    assert _tokens(formatted) == before
    assert format_text(formatted) == formatted


def test_a_file_that_does_not_parse_is_left_alone(tmp_path, capsys) -> None:
    # A comment eats the closing brace: re-indenting the next declaration would change how the parser recovers.
    text = 'policy A {#}\npolicy A {}\nenum\u3000A """\\\x1f""" {A}\n'
    path = tmp_path / "p.pol"
    path.write_text(text, encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    err = capsys.readouterr().err
    assert "p.pol:" in err and "无法解析，未重排" in err and "1 个无法解析、未重排" in err
    assert path.read_text(encoding="utf-8") == text
    assert main(["fmt", "--check", str(path)]) == 1


def test_an_example_at_column_0_in_a_clause_is_one_error_that_fmt_fixes(tmp_path, capsys) -> None:
    # Column 0 starts a declaration, so the example would end the clause; the parser reads it as meant, says so
    # once (no stray '}' after it), and formatting indents it into the clause, after which the file checks clean.
    path = tmp_path / "p.pol"
    bad = (ROOT / "tests" / "bad" / "POL001_example_at_column_0.pol").read_text(encoding="utf-8")
    path.write_text(bad.split("\n# The diagnostics")[0] + "\n", encoding="utf-8")
    [d] = parse(path.read_text(encoding="utf-8"), str(path)).diagnostics
    assert d.code == "POL001" and "pol fmt" in d.notes[0]
    assert main(["fmt", str(path)]) == 0
    assert '\n  example "一百万"' in path.read_text(encoding="utf-8")
    assert main(["check", str(path)]) == 0 and main(["test", str(path)]) == 0
    assert "算例通过 1 个，未通过 0 个" in capsys.readouterr().out
