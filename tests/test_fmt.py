"""`pol fmt`: one layout, idempotent, tokens and strings untouched, and the bundled policies kept in it."""

from __future__ import annotations

import random
from typing import Any

import pytest
from conftest import POLICIES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from pol.compiler.cli import main
from pol.compiler.fmt import _scan, format_text
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
    assert "0 would be reformatted" in capsys.readouterr().err


def _layout_lines(text: str) -> list[bool]:
    """For each line, whether its layout may change: it neither opens nor continues a multi-line string."""
    free, in_triple = [], False
    for line in text.split("\n"):
        scan = _scan(line, in_triple)
        free.append(not in_triple and not scan.in_triple)
        in_triple = scan.in_triple
    return free


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
    if any(d.severity == "error" for d in before.diagnostics):
        # A file that does not parse stays so; its errors may be found in smaller pieces once a declaration
        # indented by mistake starts its own line, as the parser recovers at each top-level declaration
        # (so what the rest of the file declares may differ).
        assert {d.code for d in before.diagnostics if d.severity == "error"} <= {
            d.code for d in after.diagnostics if d.severity == "error"
        }
        return
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
    assert "would reformat" in capsys.readouterr().err
    assert main(["fmt", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == 'policy p {\n  title: "测试"\n}\n\ninput 费用: money\n'
    assert main(["fmt", "--check", str(path)]) == 0
