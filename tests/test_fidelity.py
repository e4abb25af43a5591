"""pol lint and pol inventory over the bundled policies: no unexplained figure, every numbered article accounted for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pol.compiler.cli import main
from pol.compiler.drafting.figures import figures
from pol.compiler.drafting.lint import lint
from pol.compiler.evaluate.pipeline import compile_file, compile_text
from pol.compiler.reading.inventory import inventory

ROOT = Path(__file__).parent.parent
POLICIES = sorted((ROOT / "policies").glob("*.pol"))


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_every_figure_of_every_original_is_used_or_waived(path: Path) -> None:
    compiled = compile_file(path)
    assert compiled.ok and compiled.policy is not None
    assert [d.message for d in lint(compiled.policy, compiled.source)] == []


def test_figures_are_read_as_printed() -> None:
    got = [
        (f.text, str(f.value), f.kind)
        for f in figures("给予100~400万元项目资助，按 15%~30%，3 万元/亩，连续三年，到 2023 年")
    ]
    assert got == [
        ("100", "1000000", "money"),
        ("400万元", "4000000", "money"),
        ("15%", "0.15", "ratio"),
        ("30%", "0.3", "ratio"),
        ("3 万元/亩", "30000", "money_per_area"),
        ("三年", "3", "years"),
    ]


def test_a_figure_the_rule_forgets_is_reported() -> None:
    source = '''policy p { title: "t" status: in_force }
input 费用: money
clause c "一" { original: """按费用的 20% 资助，最高 300 万元。""" grant 费用 × 20% }
'''
    compiled = compile_text(source, "p.pol")
    assert [d.message for d in lint(compiled.policy, compiled.source)] == [  # type: ignore[arg-type]
        "'300 万元' in the original of clause 'c' is not used by its rule"
    ]


# The numbered articles of each document, as printed, and how many there are (counted by hand from the seeds).
ARTICLES = {
    "yantai": 35,  # 附件3: 一; 二(一)1–3, 二(二)1–2; 三(一)–(三); 四(一)–(七); 五(一)1–2, 五(二)1–4, 五(三);
    #                六(一)–(二); 七(一)–(二); 八(一)–(三); 九(一)–(二); 十(一)–(二); the closing paragraph
    "jiangsu": 31,  # 1–30 and the closing paragraph
    "suzhou": 25,  # 第一条–第二十四条 and 附则
    "xuzhou": 23,  # 一(一)–(三) and tasks 1–20 (二(一)–(六) are only headings over the tasks)
    "liaocheng_draft": 22,  # 一(一)–(三), 1–16, 三(一)–(三)
    "suzhou_cluster": 53,  # 一, 二, 三(一)–(八), 1–40, 五(一)–(三)
}


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_inventory_accounts_for_every_numbered_article(stem: str) -> None:
    compiled = compile_file(ROOT / "policies" / f"{stem}.pol")
    inv = inventory(compiled.policy)  # type: ignore[arg-type]
    assert len(inv.articles) == ARTICLES[stem]
    assert sum(inv.count(k) for k in ("computable", "up_to", "range", "case_by_case", "qualitative")) == len(
        inv.entries
    )


def test_suzhou_is_bounded_by_its_8000万_yearly_limit() -> None:
    inv = inventory(compile_file(ROOT / "policies" / "suzhou.pol").policy)  # type: ignore[arg-type]
    assert str(inv.annual_maximum) == "80000000"
    assert inv.count("qualitative") > 0 and inv.count("range") == 5


def test_inventory_page_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", str(ROOT / "policies"), "--format", "markdown"]) == 0
    page = capsys.readouterr().out
    golden = ROOT / "docs" / "inventory.md"
    if os.environ.get("POL_UPDATE_GOLDEN"):
        golden.write_text(page, encoding="utf-8")
    assert page == golden.read_text(encoding="utf-8"), (
        "run: pol inventory policies/ --format markdown > docs/inventory.md"
    )


def test_figures_in_any_script_are_read() -> None:
    got = [(f.text, str(f.value)) for f in figures("壹仟萬元，最高800萬，3,000万元，百分之四十，１．５亿元，分2，3档")]
    assert got == [
        ("壹仟萬元", "10000000"),
        ("800萬", "8000000"),
        ("3,000万元", "30000000"),
        ("百分之四十", "0.4"),
        ("１．５亿元", "150000000"),
    ]


def test_a_figure_quoted_in_financial_numerals_and_not_used_fails_lint() -> None:
    source = '''policy p { title: "t" status: in_force }
input 费用: money
clause c "一" { original: """按费用的 20% 给予补助，最高壹仟萬元；首台套另奖 800萬。""" grant 费用 × 20% }
'''
    compiled = compile_text(source, "p.pol")
    found = [(d.code, d.message) for d in lint(compiled.policy, compiled.source)]  # type: ignore[arg-type]
    assert found == [
        ("POL601", "'壹仟萬元' in the original of clause 'c' is not used by its rule"),
        ("POL601", "'800萬' in the original of clause 'c' is not used by its rule"),
    ]


def test_a_figure_lint_cannot_read_is_an_error_not_skipped() -> None:
    source = '''policy p { title: "t" status: in_force }
input 费用: money
clause c "一" { original: """按费用的 20% 给予补助，不超过总投资的三分之一。""" grant 费用 × 20% }
'''
    compiled = compile_text(source, "p.pol")
    found = [(d.code, d.severity, d.message) for d in lint(compiled.policy, compiled.source)]  # type: ignore[arg-type]
    assert found == [("POL605", "error", "cannot read the figure '三分之一' in the original of clause 'c'")]


def test_a_measure_whose_rate_and_period_are_explained_passes_lint() -> None:
    source = '''policy p { title: "t" status: in_force }
measure m "一" {
  original: """对新引进企业，5年内给予不超过60%的奖励，具体办法另行制定。"""
  waive 5年, 60% "奖励办法另行制定，原文未写可计算的金额"
}
'''
    compiled = compile_text(source, "p.pol")
    assert compiled.ok and compiled.policy is not None
    assert lint(compiled.policy, compiled.source) == []
