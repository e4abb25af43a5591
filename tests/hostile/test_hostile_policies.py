"""Hostile policies and terminal output: out-of-range literals, absurd terms, endless definition chains, hidden
characters in texts and escape sequences are diagnostics or visible text, never an internal error."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import POLICIES, ROOT

from pol.compiler.check.report import printable
from pol.compiler.cli import main
from pol.compiler.drafting.figures import figures
from pol.compiler.evaluate.pipeline import compile_text

HEAD = 'policy p { title: "t" }\ninput a: money\n'


def _codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in compile_text(text, "p.pol").diagnostics]


@pytest.mark.parametrize(
    "literal", ["12345678901234567890123456789%", "123456789012345678901234567890元", "1.0000001元", "10000000亿"]
)
def test_literals_beyond_what_pol_computes_are_refused(literal) -> None:
    assert _codes(HEAD + f'clause c "1" {{ grant a × 10% cap {literal} }}\n') == [("POL003", 3)]


def test_an_absurd_term_is_refused_not_a_crash(tmp_path, capsys) -> None:
    text = 'policy p { title: "t" issued: 2021-01-01 term: 8000年 }\ninput a: money\nclause c "1" { grant a × 10% }\n'
    assert _codes(text) == [("POL107", 1)]
    path = tmp_path / "p.pol"
    path.write_text(text, encoding="utf-8")
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 1


def test_thousands_of_chained_definitions_are_refused_with_a_diagnostic(tmp_path) -> None:
    lines = [HEAD, "let l0 = a"] + [f"let l{i} = l{i - 1} + a" for i in range(1, 3000)]
    lines.append('clause c "1" { grant l2999 × 10% }')
    path = tmp_path / "lets.pol"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", "from pol.compiler.cli import entry; entry()", "check", "--lang", "en", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 1, run.stderr
    assert "error[POL004]: definitions are built on each other more than 200 deep" in run.stderr
    # A long but reasonable chain still compiles and computes.
    ok = [HEAD, "let l0 = a"] + [f"let l{i} = l{i - 1} + a" for i in range(1, 150)]
    ok.append('clause c "1" { grant l149 × 10%  example "e" { a = 1元  expect 15元 } }')
    path.write_text("\n".join(ok) + "\n", encoding="utf-8")
    assert main(["test", str(path)]) == 0


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\u2066", "\x1b", "\x7f", "\ufeff"])
def test_hidden_characters_in_texts_are_refused_where_they_are(hidden) -> None:
    text = HEAD + f'clause c "1" {{\n  original: """给予\n  最高 1{hidden}00万元"""\n  grant a × 10%\n}}\n'
    diagnostics = compile_text(text, "p.pol").diagnostics
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("POL003", 5, 7)]
    assert f"U+{ord(hidden):04X}" in diagnostics[0].message


@pytest.mark.parametrize(
    "printed, value, kind",
    [
        ("壹仟萬元", "10000000", "money"),
        ("800萬", "8000000", "money"),
        ("一百万元", "1000000", "money"),
        ("百分之五十", "0.5", "ratio"),
        ("３０００万元", "30000000", "money"),
        ("五百平方米", "500", "area"),
        ("一千五百万元", "15000000", "money"),
        ("三年", "3", "years"),
        ("五成", "0.5", "ratio"),
        ("一半", "0.5", "ratio"),
        ("二分之一", "0.5", "ratio"),
        ("1.5倍", "1.5", "ratio"),
        ("500‰", "0.5", "ratio"),
        ("100余万元", "1000000", "money"),
        ("半亿元", "50000000", "money"),
        ("٥٠٠万元", "5000000", "money"),  # Arabic-Indic digits
        ("५००万元", "5000000", "money"),  # Devanagari digits
        ("1千2百万元", "12000000", "money"),
        ("1，000，000元", "1000000", "money"),
        ("1 000 000元", "1000000", "money"),
        ("千万元", "10000000", "money"),
        ("1.5个百分点", "0.015", "ratio"),
    ],
)
def test_lint_reads_a_figure_however_it_is_printed(printed, value, kind) -> None:
    # The figure keeps the text as printed, so the drafter finds it in the original.
    assert [(f.text, str(f.value), f.kind) for f in figures(f"给予{printed}奖励")] == [(printed, value, kind)]


def test_a_figure_lint_cannot_read_exactly_is_reported_not_skipped() -> None:
    from pol.compiler.drafting.figures import unreadable

    assert unreadable("按投资额的三分之一给予补助") == ["三分之一"]
    # A bare 万 takes the currency printed after the parenthesis; 一年期 is a loan's term, not a duration.
    assert [(f.text, f.currency) for f in figures("投资500万(或进口1500万)美元")] == [
        ("500万", "USD"),
        ("1500万", "USD"),
    ]
    assert figures("一年期贷款市场报价利率") == []


def test_a_plain_number_uses_a_multiple_or_a_number_of_years(tmp_path, capsys) -> None:
    path = tmp_path / "p.pol"
    path.write_text(
        HEAD + 'input 年度: number\nclause c "1" {\n  original: """迁入后5年内，按1.5倍给予配套"""\n'
        "  when 年度 <= 5\n  grant a × 1.5\n}\n",
        encoding="utf-8",
    )
    assert main(["lint", str(path)]) == 0, capsys.readouterr().err


def test_a_figure_in_chinese_numerals_the_rule_ignores_fails_lint(tmp_path, capsys) -> None:
    path = tmp_path / "p.pol"
    path.write_text(
        HEAD + 'clause c "1" {\n  original: """最高壹仟萬元，另给予800萬"""\n  grant a × 10%\n}\n', encoding="utf-8"
    )
    assert main(["lint", str(path)]) == 1
    err = capsys.readouterr().err
    assert "条款“c”原文中的“壹仟萬元”没有被它的规则用到" in err and "“800萬”" in err


def test_escape_sequences_never_reach_the_terminal_raw(tmp_path, capsys) -> None:
    # Clear the screen, set the window title, write the clipboard (OSC 52), and a bidi override.
    attack = "\x1b[2J\x1b]0;owned\x07\x1b]52;c;ZWNobyBoaQ==\x07\u202e"
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({attack: "1亿", "临床阶段": attack}), encoding="utf-8")
    assert main(["eval", str(POLICIES / "yantai.pol"), "--facts", str(facts)]) == 2
    policy = tmp_path / "p.pol"
    policy.write_text(HEAD + f'# {attack}\nclause c "1" {{ grant b{attack} }}\n', encoding="utf-8")
    assert main(["check", str(policy)]) == 1
    assert main(["check", str(policy), "--format", "json"]) == 1
    out = capsys.readouterr()
    for text in (out.out, out.err):
        assert not any(ch in text for ch in "\x1b\x07\u202e")
    assert "\\x1b[2J" in out.err and "\\u202e" in out.err


def test_printable_shows_every_control_and_keeps_text() -> None:
    assert printable("苏州\t1亿\n") == "苏州\t1亿\n"
    assert printable("a\x1bb\x9bc\u200bd") == "a\\x1bb\\x9bc\\u200bd"
