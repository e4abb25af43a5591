"""The two example policies in examples/policies/ (a county's investment measures, a district's technology
measures), written to exercise the forms real texts use: checked, linted, proved, their worked examples passing
in Python and JavaScript, and their profiles' ledgers worked out by hand from the texts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT
from ledger_agreement import assert_batch_agrees

from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_file
from pol.compiler.ledger.evaluation import evaluate_profile
from pol.compiler.ledger.policies import load_policies

EXAMPLES = ROOT / "examples" / "policies"
PROFILES = ROOT / "examples" / "profiles"
WAN = Decimal(10_000)


@pytest.fixture(scope="module")
def compiled():
    out = [compile_file(p) for p in sorted(EXAMPLES.glob("*.pol"))]
    assert [Path(c.source.path).stem for c in out] == ["linchuan_technology", "qinghe_county"]
    assert all(c.ok for c in out), [d.message for c in out for d in c.diagnostics]
    return out


@pytest.mark.parametrize("command", ["check", "lint", "prove", "test", "test --target js"])
def test_the_examples_check_lint_prove_and_pass_their_worked_examples(command, capsys) -> None:
    assert main([*command.split(), str(EXAMPLES)]) == 0, capsys.readouterr()


def _ledger(compiled, name: str):
    raw = json.loads((PROFILES / f"{name}.json").read_text(encoding="utf-8"))
    ledger = evaluate_profile(raw, load_policies(compiled))
    rows = [
        (e.date.isoformat(), e.origin.clause.id, e.amount / WAN) for e in ledger.entries if e.origin.clause is not None
    ]
    clawbacks = [(c.entry.date.isoformat(), c.date.isoformat(), c.promise, c.amount / WAN) for c in ledger.clawbacks]
    return raw, rows, clawbacks


def test_the_county_pays_by_quarter_and_month_after_deductions_and_claws_back(compiled, tmp_path) -> None:
    raw, rows, clawbacks = _ledger(compiled, "qinghe_county")
    assert rows == [
        ("2025-03-10", "设备投资奖励", 240),  # 8000万 × 3%
        ("2025-04-15", "季度增长奖励", 30),  # Q2: 3000万 × 1%
        ("2025-05-15", "用电补贴", Decimal("1.5")),  # May: 300000 kWh × 0.05元
        ("2025-05-31", "用电补贴", Decimal("1.5")),  # May: 2.5万, but 3万 a month less 1.5万 already
        ("2025-06-20", "季度增长奖励", 20),  # Q2: 40万, but 50万 a quarter less 30万 already
        ("2025-06-30", "用电补贴", 3),  # June: 3.5万 cut to 3万
        ("2025-07-05", "季度增长奖励", 20),  # Q3: 30万 less 10万 of other county support, then capped
        ("2025-09-10", "设备投资奖励", 60),  # 150万, but 300万 a project less 240万 already
        ("2026-03-01", "亩均税收奖励", 50),  # second place: 前3名
    ]
    # Leaving the county in 2028, within five years of either payment: both equipment grants are clawed back.
    assert clawbacks == [
        ("2025-03-10", "2028-06-30", "承诺在本县经营满5年", 240),
        ("2025-09-10", "2028-06-30", "承诺在本县经营满5年", 60),
    ]
    assert assert_batch_agrees(compiled, raw, tmp_path) == 9


def test_the_district_matches_and_tops_up_higher_levels_grants(compiled, tmp_path) -> None:
    raw, rows, clawbacks = _ledger(compiled, "linchuan_technology")
    assert rows == [
        ("2025-04-01", "上级项目配套", 50),  # the province's 100万 × 50%; the district's own 40万 is not 上级
        ("2025-06-01", "研发投入奖励", 20),  # 1000万 × 5% = 50万, less the city's 30万 R&D grant that year
        ("2025-08-01", "高企认定奖励", 30),
        ("2026-04-01", "上级项目配套", 150),  # (100万 + 300万) × 50% = 200万, the project's 200万 less 50万 paid
    ]
    assert clawbacks == [("2025-08-01", "2027-06-01", "承诺3年内不迁出本区", 30)]  # moved out within 3 years
    assert assert_batch_agrees(compiled, raw, tmp_path) == 4
