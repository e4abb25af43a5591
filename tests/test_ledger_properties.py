"""What is paid is never negative and never grows with what was already received, on every bundled policy.

Generated facts (missing, zero, huge, at every threshold's edge) with amounts already received far above
every limit: each clause's amount is at least 0, each total lies between 0 and the sum of the clause
amounts it adds up, and raising any amount already received (an input the ledger fills) never raises a
clause's amount or a total. The JavaScript and SQL evaluators are held equal to these results by
tests/test_backends.py and tests/test_batch.py on the same generated facts.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from test_backends import generated

from pol.compiler.evaluate.examples import example_date
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source
from pol.compiler.lower import lower
from pol.compiler.runtime import CASH

STEMS = sorted(p.stem for p in POLICIES.glob("*.pol"))
CASES = 150
MORE = Decimal(10**8)  # 1亿 more received


def _amounts(evaluation) -> tuple[dict[str, Decimal], Decimal, Decimal]:
    """Each cash clause's determined amount, and the two totals."""
    amounts = {
        r.id: r.amount
        for r in evaluation.results
        if r.status == "granted" and r.amount is not None and r.clause.support in CASH
    }
    return amounts, evaluation.determined, evaluation.maximum


@pytest.mark.parametrize("stem", STEMS)
def test_nothing_negative_and_more_received_never_pays_more(stem) -> None:
    compiled = compile_file(POLICIES / f"{stem}.pol")
    module = load_evaluator(python_source(compiled), f"ledger_{stem}")
    program = lower(compiled.policy, compiled.source.path)
    # A lower level's grant that a clause matches (received local, 按地方投入的50%配套) pays more by design;
    # every other amount received is the policy's own and only ever deducted.
    received = [
        name
        for name, (_, decl) in compiled.policy.inputs.items()
        if decl.received is not None and not decl.received.local
    ]
    checked = 0
    for facts, day in generated(stem, module, program, example_date(compiled.policy)):
        day = max(day, datetime.date(2022, 6, 30)) if day.year > 2030 else day
        evaluation = module.evaluate(facts, as_of=day, validated=True)
        amounts, determined, maximum = _amounts(evaluation)
        assert all(a >= 0 for a in amounts.values()), (facts, amounts)
        assert Decimal(0) <= determined <= sum(amounts.values(), Decimal(0)), (facts, determined)
        assert Decimal(0) <= maximum, (facts, maximum)
        for name in received:
            more = {**facts, name: facts.get(name, Decimal(0)) + MORE}
            after, more_determined, more_maximum = _amounts(module.evaluate(more, as_of=day, validated=True))
            assert more_determined <= determined and more_maximum <= maximum, (name, facts)
            assert all(after.get(k, Decimal(0)) <= v for k, v in amounts.items()), (name, facts)
        checked += 1
        if checked >= CASES:
            break
    FUZZ_COUNTS["ledger properties: fact sets"] += checked


def test_a_used_up_limit_leaves_zero_in_every_runtime(tmp_path) -> None:
    # Suzhou 第六条: 单个企业每年临床资助 3000万; with 5000万 already received, nothing is left, never −2000万:
    # in Python, JavaScript and SQL.
    compiled = compile_file(POLICIES / "suzhou.pol")
    module = load_evaluator(python_source(compiled), "ledger_suzhou")
    facts = {"本年已获第六条临床资助": "5000万", "本年进入临床阶段": "III期", "在我市转化且符合第三条范围": True}
    evaluation = module.evaluate(facts, as_of=datetime.date(2022, 6, 30))
    assert evaluation.determined == 0 and evaluation.maximum == 0
    assert any("余额为 -2000万元，按 0元 计" in note for note in evaluation.notes)
    from pol.compiler.evaluate import jsrun

    case = {"module": "suzhou", "facts": facts, "as_of": datetime.date(2022, 6, 30), "clauses": None}
    import json

    got = json.loads(jsrun.run([compiled], [case])[0])
    assert got["totals"]["determined"] == "0.00"
    assert got["totals"]["explanation"] == evaluation.to_json()["totals"]["explanation"]
    # And in SQL: the same facts as a row of pol batch.
    import csv

    from pol.compiler.lower import lower
    from pol.compiler.population import batch

    rows = {"本年已获第六条临床资助": "50000000", "本年进入临床阶段": "III期", "在我市转化且符合第三条范围": "true"}
    with open(tmp_path / "in.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(rows))
        w.writeheader()
        w.writerow(rows)
    programs = {"suzhou": lower(compiled.policy, compiled.source.path)}
    batch.run(programs, tmp_path / "in.csv", tmp_path / "out.csv", datetime.date(2022, 6, 30))
    with open(tmp_path / "out.csv", encoding="utf-8") as fh:
        [out] = list(csv.DictReader(fh))
    assert Decimal(out["suzhou.进入临床试验资助.amount"]) > 0
    assert Decimal(out["suzhou.totals.determined"]) == 0 and Decimal(out["suzhou.totals.maximum"]) == 0


def test_nested_limits_cut_an_excess_once() -> None:
    # 8000万 a year for the document and 3000万 for 第六条's two clinical clauses: an excess over 3000万
    # cut by 第六条 is not cut again by the 8000万.
    from pol.compiler.evaluate.pipeline import compile_text

    source = """policy p { title: "t" }
input 甲: money
input 乙: money
input 丙: money
clause a "一" { grant 甲 }
clause b "二" { grant 乙 }
clause c "三" { grant 丙 }
limit 8000万 per year
limit 3000万 per year on (a, b)
"""
    compiled = compile_text(source, "p.pol")
    assert compiled.ok, compiled.diagnostics
    module = load_evaluator(python_source(compiled), "ledger_nested")
    evaluation = module.evaluate({"甲": "2000万", "乙": "1100万", "丙": "5000万"})
    assert evaluation.determined == Decimal("80000000")  # 3000万 + 5000万, not 7900万
